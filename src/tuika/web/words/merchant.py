"""Words of the merchant's pages: the claims on its goods, its refund figures, one claim and its answer."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    # who may come in, and where everyone else goes instead
    "merchant.brand": ("商家退卡中心", "Merchant refunds"),
    "merchant.nav.claims": ("退卡申请", "Claims"),
    "merchant.only": (
        "商家退卡中心只对商家开放。",
        "The merchant refund centre is for merchants only.",
    ),
    "merchant.go_home.buyer": ("返回我的订单", "Back to my orders"),
    "merchant.go_home.staff": ("前往客服工作台", "Go to the agent console"),
    "merchant.elsewhere": (
        "您以商家身份登录：买家页面和客服工作台不对商家开放。针对您商品的退卡申请请在商家退卡中心处理。",
        "You are signed in as a merchant: the buyers' pages and the agent console are not for merchants. "
        "Answer the claims on your goods in the merchant refund centre.",
    ),
    "merchant.go_merchant": ("前往商家退卡中心", "Go to the merchant refund centre"),
    "merchant.case_not_found": (
        "没有找到这笔退卡申请：它不存在，或不是针对您商品的申请。",
        "No such claim: it does not exist, or it is not on your goods.",
    ),
    "merchant.evidence_not_found": (
        "没有找到这张图片，或它不属于针对您商品的申请。",
        "No such image, or it does not belong to a claim on your goods.",
    ),
    # the list of claims
    "merchant.title": ("针对我商品的退卡申请", "Refund claims on my goods"),
    "merchant.waiting": ("待您答复", "Waiting for your answer"),
    "merchant.late": ("答复已超时", "Past your deadline"),
    "merchant.waiting_count": ("待您答复（{n}）", "Waiting for your answer ({n})"),
    "merchant.waiting_rule": (
        "请在截止时间前同意退款或提出申诉。逾期未答复将视为同意退款。",
        "Accept the refund or contest it before the deadline. If you do not answer in time, "
        "you are taken to have accepted the refund.",
    ),
    "merchant.none_waiting": ("目前没有等待您答复的申请。", "No claim is waiting for your answer."),
    "merchant.others": ("其他申请", "Other claims"),
    "merchant.others_hint": ("最新提交的在前。", "The newest first."),
    "merchant.none": ("目前没有针对您商品的退卡申请。", "There are no refund claims on your goods."),
    "merchant.no_others": ("没有其他申请。", "No other claims."),
    "merchant.older": ("更早的申请", "Older claims"),
    "merchant.newest": ("回到最新的申请", "Back to the newest claims"),
    "merchant.page_empty": ("这一页没有更早的申请了。", "There are no older claims on this page."),
    "merchant.claimed": ("申请金额", "Claimed"),
    "merchant.buyer": ("买家", "Buyer"),
    "merchant.number": ("退款编号", "Refund number"),
    "merchant.filed": ("提交时间", "Filed"),
    "merchant.status": ("状态", "Status"),
    "merchant.answer_by": ("答复截止", "Answer by"),
    "merchant.beijing": ("北京时间", "Beijing time"),
    "merchant.open_case": ("查看并答复", "Read and answer"),
    "merchant.open_case_done": ("查看详情", "Read the claim"),
    "merchant.time_left": ("剩余 {t}", "{t} left"),
    "merchant.overdue_by": ("已超时 {t}", "Overdue by {t}"),
    "merchant.days": ("{d} 天 ", "{d} d "),
    "merchant.answered.accept": ("您已同意退款", "You accepted the refund"),
    "merchant.answered.replace": ("您已提供补发", "You offered a new key"),
    "merchant.answered.contest": ("您已提出申诉", "You contested the claim"),
    "merchant.answered.timeout": ("未在期限内答复，已视为同意退款", "Not answered in time: taken as accepted"),
    # the figures
    "merchant.stats": ("我的退款概况", "My refunds at a glance"),
    "merchant.stats.period": ("近 {days} 天", "Last {days} days"),
    "merchant.stats.orders": ("售出订单", "Orders sold"),
    "merchant.stats.claims": ("退卡申请", "Claims filed"),
    "merchant.stats.refunded": ("已退款申请", "Claims refunded"),
    "merchant.stats.rate": ("退款率", "Refund rate"),
    "merchant.stats.amount": ("退款金额", "Amount refunded"),
    "merchant.stats.reasons": ("主要原因", "Top reasons"),
    "merchant.stats.no_rate": ("无售出", "None sold"),
    "merchant.stats.no_reasons": ("期间无申请", "No claims in this period"),
    "merchant.stats.reason_count": ("{reason} {n} 件", "{reason}: {n}"),
    "merchant.stats.how": (
        "订单按付款时间、申请按提交时间统计；已退款申请含已批准、退款中的申请。"
        "退款率 = 已退款申请 ÷ 售出订单。统计截至 {at}（北京时间）。",
        "Orders count by when they were paid, claims by when they were filed; claims refunded include "
        "those approved and on their way. Refund rate = claims refunded ÷ orders sold. Counted up to {at}, "
        "Beijing time.",
    ),
    # a reason, and where a claim is, as the merchant reads them
    "merchant.reason.card_invalid": ("卡密无效", "Card key invalid"),
    "merchant.reason.not_delivered": ("未到账", "Not received"),
    "merchant.reason.wrong_item": ("商品不符", "Wrong item"),
    "merchant.reason.mistaken_purchase": ("误拍", "Bought by mistake"),
    "merchant.reason.other": ("其他", "Other"),
    "merchant.funds": ("资金", "Funds"),
    "merchant.funds.held": ("退卡冻结中", "Held for open claims"),
    "merchant.funds.open_holds": ("冻结中的申请", "Claims holding funds"),
    "merchant.funds.deposit": ("保证金余额", "Deposit balance"),
    "merchant.funds.owes": ("欠款", "owed"),
    "merchant.funds.recovered": ("因商家责任追偿的退款", "Refunds recovered for your fault"),
    "merchant.funds.fault_fees": ("责任方处理费", "Fault handling fees"),
    "merchant.funds.how": (
        "买家申请退卡时，申请金额从您的待结算款中冻结；申请结束后解冻，若因您的责任退款则从冻结款中扣回。",
        "While a claim is open its amount is held from what is to be settled to you; it is released when the "
        "claim ends, or kept back when the refund is your fault.",
    ),
    "merchant.status.submitted": ("已提交", "Filed"),
    "merchant.status.reviewing": ("系统审核中", "Being reviewed"),
    "merchant.status.awaiting_evidence": ("等待买家补充材料", "Waiting for the buyer's evidence"),
    "merchant.status.manual_review": ("人工复核中", "With a reviewer"),
    "merchant.status.arbitration": ("快速仲裁中", "In fast arbitration"),
    "merchant.status.approved": ("已批准退款", "Refund approved"),
    "merchant.status.rejected": ("已驳回", "Rejected"),
    "merchant.status.refunding": ("退款处理中", "Refund in progress"),
    "merchant.status.refunded": ("已退款", "Refunded"),
    "merchant.status.withdrawn": ("买家已撤回", "Withdrawn by the buyer"),
    "merchant.status.closed": ("已关闭", "Closed"),
    "merchant.status.replacement_offered": ("等待买家确认补发", "Waiting for the buyer to take your replacement"),
    "merchant.status.replaced": ("已补发新卡密", "Replaced with a new key"),
    # one claim
    "merchant.back": ("全部退卡申请", "All claims"),
    "merchant.order": ("订单", "Order"),
    "merchant.order_no": ("订单号", "Order number"),
    "merchant.product": ("商品", "Product"),
    "merchant.paid": ("实付金额", "Amount paid"),
    "merchant.paid_at": ("付款时间", "Paid"),
    "merchant.delivery": ("发货", "Delivery"),
    "merchant.items": ("商品明细", "Items"),
    "merchant.item_n": ("第 {n} 件", "Item {n}"),
    "merchant.card_key": ("卡密", "Card key"),
    "merchant.account": ("充值账号", "Account"),
    "merchant.in_claim": ("在本次申请中", "In this claim"),
    "merchant.masked": ("已隐藏部分字符", "partly hidden"),
    "merchant.claim": ("买家的申请", "The buyer's claim"),
    "merchant.reason": ("退卡原因", "Reason"),
    "merchant.description": ("买家的说明", "The buyer's words"),
    "merchant.no_description": ("买家没有填写说明。", "The buyer wrote nothing."),
    "merchant.refundable": ("申请退款金额", "Refund asked"),
    "merchant.evidence": ("买家的凭证", "The buyer's evidence"),
    "merchant.no_evidence": ("买家没有上传凭证。", "The buyer uploaded no evidence."),
    "merchant.evidence_alt": ("买家凭证 {n}：{kind}", "Buyer's evidence {n}: {kind}"),
    "merchant.supplier": ("供货商核查", "The supplier's check"),
    "merchant.no_supplier": ("暂无供货商的核查结果。", "No answer from the supplier on this claim."),
    "merchant.supplier.supplier_card": ("卡密查询", "Card key check"),
    "merchant.supplier.supplier_topup": ("直充查询", "Top-up check"),
    "merchant.supplier.supplier_void": ("退款前作废卡密", "Key voided before the refund"),
    "merchant.card.unused": ("供货商记录：卡密未使用", "The supplier's record: the key is unused"),
    "merchant.card.redeemed": ("供货商记录：卡密已被使用", "The supplier's record: the key was redeemed"),
    "merchant.card.invalid": ("供货商记录：卡密无效", "The supplier's record: the key is invalid"),
    "merchant.card.expired": ("供货商记录：卡密已过期", "The supplier's record: the key expired"),
    "merchant.card.voided": ("供货商记录：卡密已作废", "The supplier's record: the key is voided"),
    "merchant.topup.succeeded": ("供货商记录：充值成功", "The supplier's record: the top-up succeeded"),
    "merchant.topup.failed": ("供货商记录：充值失败", "The supplier's record: the top-up failed"),
    "merchant.topup.processing": ("供货商记录：充值处理中", "The supplier's record: the top-up is in progress"),
    "merchant.state.unknown": ("供货商没有给出状态", "The supplier gave no state"),
    "merchant.redeemed_at": ("使用时间 {at}", "redeemed {at}"),
    "merchant.topped_up_at": ("充值时间 {at}", "topped up {at}"),
    "merchant.carrier_ref": ("运营商流水号 {ref}", "carrier reference {ref}"),
    "merchant.asked_at": ("查询于 {at}", "asked {at}"),
    "merchant.timeline": ("处理记录", "What happened"),
    "merchant.who.buyer": ("买家", "The buyer"),
    "merchant.who.merchant": ("您（商家）", "You (the merchant)"),
    "merchant.who.system": ("系统", "The system"),
    "merchant.who.agent": ("客服", "An agent"),
    "merchant.who.arbitrator": ("仲裁员", "An arbitrator"),
    "merchant.who.admin": ("客服", "An agent"),
    "merchant.who.platform": ("平台", "The platform"),
    "merchant.filed_event": ("提交申请", "Filed the claim"),
    "merchant.same_stage": ("补充记录（{stage}）", "Added to the record ({stage})"),
    # the answer: what the merchant may do, by when, and what it said
    "merchant.answer": ("您的答复", "Your answer"),
    "merchant.respond_by": ("请在 {at}（北京时间）前答复", "Answer by {at}, Beijing time"),
    "merchant.was_due": ("答复截止于 {at}（北京时间）", "Your answer was due by {at}, Beijing time"),
    "merchant.to_answer": ("去答复", "Answer"),
    "merchant.to_form": ("查看答复表单", "Go to the form"),
    "merchant.silence": (
        "逾期未答复将视为同意退款：平台审核没有其他疑点的，退款随即进行；其余由审核人员决定。",
        "If you do not answer in time you are taken to have accepted the refund: where the review found "
        "nothing else to check, the refund goes ahead; otherwise a reviewer decides.",
    ),
    "merchant.choose": ("选择答复", "Choose your answer"),
    "merchant.act.accept": ("同意退款", "Accept the refund"),
    "merchant.act.accept.hint": (
        "退款随即进行，本次申请按同意处理，之后不能再申诉。",
        "The refund goes ahead; you cannot contest the claim afterwards.",
    ),
    "merchant.act.replace": ("补发新卡密", "Offer a new key instead"),
    "merchant.act.replace.hint": (
        "为买家补发可用的新卡密代替退款，买家接受后新卡密发放到原订单、原卡密作废、不退款；"
        "买家拒绝或逾期未确认，申请转人工复核。请在下方填写新卡密。",
        "Offer the buyer a working key instead of the money. Taken, it goes on the order, the old key is "
        "voided and nothing is refunded; declined or not answered in time, a reviewer decides. Enter the key below.",
    ),
    "merchant.keys": ("补发的新卡密（选择「补发新卡密」时填写）", "New keys (for “Offer a new key instead”)"),
    "merchant.key_n": ("第 {n} 件的新卡密", "New key for item {n}"),
    "merchant.keys_hint": (
        "须是未售出过的卡密；提交后加密保存，买家接受前只显示部分字符。",
        "Keys never sold before; stored encrypted, and shown only in part until the buyer takes them.",
    ),
    "merchant.error.keys": ("请为每件申请的商品填写新卡密。", "Enter a new key for each claimed item."),
    "merchant.error.key_in_use": (
        "该卡密已在订单中售出，请换一张未售出的卡密。",
        "That key is already sold on an order: use one nobody holds.",
    ),
    "merchant.flash.replace": (
        "已向买家提供补发，买家需在 {at}（北京时间）前确认；确认前不会退款。",
        "Your replacement is offered to the buyer, who has until {at}, Beijing time, to take it; nothing is "
        "refunded meanwhile.",
    ),
    "merchant.flash.replace.moved": ("已向买家提供补发。", "Your replacement was offered to the buyer."),
    "merchant.closed.replaced": (
        "买家已接受您补发的新卡密，申请已结束，未退款。",
        "The buyer took the new key you offered; the claim is over with no refund.",
    ),
    "merchant.closed.answered.replace": (
        "您已于 {at} 提供补发，等待买家确认或由审核人员处理。",
        "You offered a replacement at {at}; the buyer decides, or a reviewer does.",
    ),
    "merchant.act.contest": ("不同意，提出申诉", "Contest the claim"),
    "merchant.act.contest.hint": (
        "申请转快速仲裁，仲裁员将在 {span}内裁决。请在说明中写明理由，并附上发货记录等图片。",
        "The claim goes to fast arbitration and an arbitrator decides within {span}. Say why in your note "
        "and attach images such as your delivery record.",
    ),
    "merchant.act.statement": ("补充说明", "Add a statement"),
    "merchant.act.statement.hint.manual_review": (
        "只添加一条说明，审核人员和买家都能看到。它不算答复，答复期限照常计算。",
        "Adds a line that the reviewer and the buyer read. It answers nothing: your deadline stands.",
    ),
    "merchant.act.statement.hint.late": (
        "添加一条说明，审核人员和买家都能看到。",
        "Adds a line that the reviewer and the buyer read.",
    ),
    "merchant.act.statement.hint.arbitration": (
        "添加一条说明，仲裁员和买家都能看到，供仲裁时参考。",
        "Adds a line that the arbitrator and the buyer read, for the arbitration.",
    ),
    "merchant.note": ("说明（必填）", "Note (required)"),
    "merchant.note_hint": (
        "最多 {n} 字。买家和处理这笔申请的人员都能看到。",
        "Up to {n} characters. The buyer and whoever handles the claim read it.",
    ),
    "merchant.files": ("图片（可选）", "Images (optional)"),
    "merchant.files_hint": ("最多 {n} 张，每张不超过 {mb} MB。", "Up to {n}, each at most {mb} MB."),
    "merchant.send": ("提交", "Send"),
    "merchant.refused": ("未提交：", "Not sent:"),
    "merchant.error.choose": ("请选择一项答复。", "Choose an answer."),
    "merchant.error.note": ("请填写说明。", "Write a note."),
    "merchant.error.note_long": ("说明不能超过 {n} 字。", "The note may be at most {n} characters."),
    "merchant.error.files": ("最多上传 {n} 张图片。", "Attach at most {n} images."),
    "merchant.error.file_large": ("图片「{name}」超过 {mb} MB。", "The image “{name}” is over {mb} MB."),
    "merchant.error.file_bad": ("图片「{name}」无法使用：{why}", "The image “{name}” cannot be used: {why}"),
    "merchant.error.late": (
        "答复期限已过，不能再同意或申诉：逾期未答复视为同意退款。您仍可补充说明。",
        "Your time to answer has passed, so you can no longer accept or contest: not answering in time is "
        "taken as accepting. You may still add a statement.",
    ),
    "merchant.error.answered": (
        "您已答复过这笔申请，不能再次同意或申诉。",
        "You have answered this claim already; you cannot accept or contest it again.",
    ),
    "merchant.error.stage": (
        "这笔申请现在是「{stage}」，不接受这项答复。",
        "This claim is now “{stage}”: it takes no such answer.",
    ),
    "merchant.error.files_again": (
        "所选图片没有保存，请重新选择。",
        "The images you chose were not kept: choose them again.",
    ),
    "merchant.flash.accept.refunded": (
        "您已同意退款，款项已退还买家。",
        "You accepted the refund; the buyer has been refunded.",
    ),
    "merchant.flash.accept": ("您已同意退款，退款正在处理。", "You accepted the refund; it is being paid."),
    "merchant.flash.contest": (
        "您已提出申诉，申请已转快速仲裁，仲裁员将在 {at}（北京时间）前裁决。",
        "You contested the claim: it is in fast arbitration, to be decided by {at}, Beijing time.",
    ),
    "merchant.flash.contest.moved": (
        "您已提出申诉，申请已转快速仲裁。",
        "You contested the claim: it went to fast arbitration.",
    ),
    "merchant.flash.statement": ("您的说明已添加到处理记录。", "Your statement is on the record."),
    "merchant.flash.statement.waiting": (
        "您的说明已添加到处理记录。它不算答复：请在 {at}（北京时间）前同意退款或提出申诉。",
        "Your statement is on the record. It answers nothing: accept or contest by {at}, Beijing time.",
    ),
    # why nothing can be done
    "merchant.closed.answered.accept": (
        "您已于 {at} 同意退款，无需再作答复。",
        "You accepted the refund at {at}; nothing more is needed from you.",
    ),
    "merchant.closed.answered.contest": (
        "您已于 {at} 提出申诉。",
        "You contested the claim at {at}.",
    ),
    "merchant.closed.timeout": (
        "您未在期限内答复，已于 {at} 视为同意退款。",
        "You did not answer in time: at {at} you were taken to have accepted the refund.",
    ),
    "merchant.closed.before_review": (
        "这笔申请还在系统审核或等待买家补充材料，现在不需要您答复。需要您答复时会通知您，届时可在此同意或申诉。",
        "This claim is still being reviewed, or waits for the buyer's evidence: nothing is needed from you "
        "now. If your answer is wanted you will be told, and can answer here.",
    ),
    "merchant.closed.refunding": (
        "退款已批准，正在退还买家，这笔申请不再接受答复。",
        "The refund is approved and being paid: the claim takes no more answers.",
    ),
    "merchant.closed.final": (
        "这笔申请已结束（{stage}），不再接受答复。",
        "This claim is over ({stage}): it takes no more answers.",
    ),
    "merchant.closed.rejected": (
        "这笔申请已被驳回。若买家申诉，申请会转快速仲裁，届时您可补充说明。",
        "This claim was rejected. If the buyer appeals it goes to fast arbitration, where you may add a statement.",
    ),
    "merchant.closed.late": (
        "答复期限已过，系统即将按同意退款处理，不能再同意或申诉。您仍可补充说明。",
        "Your time to answer has passed and the claim is about to be taken as accepted: you can no longer "
        "accept or contest it. You may still add a statement.",
    ),
    "merchant.said": ("您的答复与说明", "What you said"),
    "merchant.said_none": ("您还没有就这笔申请作出答复或说明。", "You have said nothing on this claim yet."),
    "merchant.said.accept": ("同意退款", "Accepted the refund"),
    "merchant.said.replace": ("补发新卡密", "Offered a new key"),
    "merchant.said.contest": ("提出申诉", "Contested"),
    "merchant.said.statement": ("补充说明", "Statement"),
    "merchant.said_alt": ("您上传的图片 {n}", "Your image {n}"),
}
