"""Words of finance's queue: stuck refunds, the gateways' alerts and the ways out."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "console.finance.title": ("财务队列", "Finance queue"),
    "console.finance.admins_only": ("财务队列仅限管理员查看。", "Only admins may open the finance queue."),
    "console.finance.jump": ("跳转到", "Jump to"),
    "console.finance.abnormal": ("异常退款", "Abnormal refunds"),
    "console.finance.abnormal_hint": (
        "渠道无法将款项退入买家账户（如银行卡已注销），需选择处理方式。",
        "The gateway could not put the money into the buyer's account (a closed card, say); choose a way out.",
    ),
    "console.finance.abnormal_none": ("没有异常退款。", "No abnormal refunds."),
    "console.finance.failed": ("原路退款失败", "Failed original-route refunds"),
    "console.finance.failed_hint": (
        "原路退款未成功且尚未改退至平台余额；改退后即时到账。",
        "Refunds the original route did not pay and not yet sent to the balance; the balance is credited at once.",
    ),
    "console.finance.failed_none": ("没有待处理的失败退款。", "No failed refunds waiting."),
    "console.finance.overdue": ("超时未到账", "Overdue refunds"),
    "console.finance.overdue_hint": (
        "已超过渠道预计到账时间仍在处理中；系统会继续查询，必要时请联系渠道。",
        "Still processing past the gateway's expected time; tuika keeps asking, so contact the gateway if need be.",
    ),
    "console.finance.overdue_none": ("没有超时的退款。", "No overdue refunds."),
    "console.finance.alerts": ("渠道告警", "Gateway alerts"),
    "console.finance.alerts_hint": (
        "渠道所述与本系统记录矛盾；系统未做任何变更。核对后在此处理：涉及退款结果的，系统会向该笔退款的原渠道重新查询，以渠道的最终答复为准。",
        "A gateway said something that contradicts our record; nothing was changed. Resolve each here once checked: "
        "where the refund's outcome is at stake, tuika asks the refund's own gateway again and its final word decides.",
    ),
    "console.finance.alerts_none": ("没有告警。", "No alerts."),
    "console.finance.payout": ("退款单号", "Payout"),
    "console.finance.route": ("退款渠道", "Route"),
    "console.finance.gateway": ("渠道", "Gateway"),
    "console.finance.status": ("状态", "Status"),
    "console.finance.sent_at": ("发起时间", "Sent"),
    "console.finance.failure": ("失败原因", "Failure"),
    "console.finance.alert_kind": ("告警类型", "Kind"),
    "console.finance.detail": ("详情", "Detail"),
    "console.finance.waited": ("已等待 {age}", "Waiting for {age}"),
    "console.finance.age.days": ("{d} 天 {h} 小时", "{d} d {h} h"),
    "console.finance.age.hours": ("{h} 小时 {m} 分钟", "{h} h {m} min"),
    "console.finance.age.minutes": ("{m} 分钟", "{m} min"),
    "console.finance.status.pending": ("待发起", "pending"),
    "console.finance.status.processing": ("处理中", "processing"),
    "console.finance.status.succeeded": ("已到账", "paid"),
    "console.finance.status.failed": ("失败", "failed"),
    "console.finance.status.abnormal": ("异常", "abnormal"),
    "console.finance.alert.amount_mismatch": ("金额不符", "Amount differs"),
    "console.finance.alert.state_contradiction": ("状态矛盾", "State contradicts our record"),
    "console.finance.alert.unknown_refund": ("未知退款单", "Refund unknown to us"),
    "console.finance.alert.wrong_channel": ("非本渠道的通知", "Notice from another gateway"),
    "console.finance.disputed": ("结果待核实的退款", "Refunds with a disputed outcome"),
    "console.finance.disputed_hint": (
        "渠道称已退款（或金额不同），与本系统记录的失败不符：款项可能已退出，核实前不能改退余额，也不计为可再退金额。",
        "A gateway says it paid (or paid another amount) where we recorded a failure: the money may have left, so it "
        "cannot go to the balance and still counts against the order until resolved.",
    ),
    "console.finance.disputed_none": ("没有结果待核实的退款。", "No disputed refunds."),
    "console.finance.resolve": ("核实并处理", "Check and resolve"),
    "console.finance.resolve_note": ("核实说明（必填）", "What you checked (required)"),
    "console.finance.resolve_note_hint": (
        "例如：已在渠道商户后台核对该退款单",
        "e.g. checked this refund in the gateway's merchant back office",
    ),
    "console.finance.resolve_disputes": (
        "将向原渠道重新查询该退款，以渠道答复为准。",
        "The refund's own gateway is asked again; its answer decides.",
    ),
    "console.finance.flash.resolve_alert.paid_by_gateway": (
        "渠道确认已退款：该笔退款已记为到账，申请已完成。",
        "The gateway confirms it paid: the refund is recorded as paid and the case is done.",
    ),
    "console.finance.flash.resolve_alert.not_paid": (
        "渠道确认未退款：失败成立，现可改退至平台余额。",
        "The gateway confirms it paid nothing: the failure stands and the refund can now go to the balance.",
    ),
    "console.finance.flash.resolve_alert.paid_twice": (
        "渠道确认已退款，但该笔已改退余额：买家收到了两笔退款，请线下追回其中一笔。",
        "The gateway confirms it paid, but the balance was credited too: the buyer was paid twice; recover one.",
    ),
    "console.finance.flash.resolve_alert.confirmed": (
        "渠道答复与记录一致，告警已关闭。",
        "The gateway's answer matches our record; the alert is closed.",
    ),
    "console.finance.flash.resolve_alert.acknowledged": (
        "已记录核实说明，告警已关闭；未改动任何款项。",
        "Your note is kept and the alert closed; no money was changed.",
    ),
    "console.finance.error.alert_not_found": ("未找到该告警。", "There is no such alert."),
    "console.finance.error.note": (
        "请填写核实说明（1–{limit} 字）。",
        "Write what you checked (1–{limit} characters).",
    ),
    "console.finance.resolve_abnormal": (
        "按渠道异常退款流程处理（退至商户银行卡，由商户线下转给买家）",
        "Use the gateway's abnormal-refund process (to the merchant's bank card; the merchant pays the buyer)",
    ),
    "console.finance.to_balance": ("改退至平台余额", "Send to the buyer's balance"),
    "console.finance.flash.to_balance": (
        "已将退款 {payout} 改退至买家的平台余额。",
        "Refund {payout} was sent to the buyer's balance.",
    ),
    "console.finance.flash.resolve_abnormal": (
        "已按渠道异常退款流程重新发起退款 {payout}，款项将退至商户银行卡。",
        "Refund {payout} went to the gateway's abnormal-refund process: to the merchant's bank card.",
    ),
    "console.finance.error.not_found": ("未找到该退款。", "There is no such refund."),
}
