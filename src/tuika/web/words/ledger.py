"""Words of finance's balances and holds: each merchant's and supplier's figures, and the claims holding money."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "console.balances.title": ("余额与冻结", "Balances and holds"),
    "console.balances.nav": ("余额与冻结", "Balances and holds"),
    "console.balances.admins_only": ("余额与冻结仅限管理员查看。", "Only admins may open balances and holds."),
    "console.balances.parties": ("商家或供货商", "Merchants or suppliers"),
    "console.balances.merchants": ("商家", "Merchants"),
    "console.balances.suppliers": ("供货商", "Suppliers"),
    "console.balances.merchants_hint": (
        "按当前冻结金额从高到低排列。结算调整只记退卡申请带来的增减，不含销售收入。金额均由账本汇总，与每笔记账一致。",
        "The most held first. Settlement adjustments are what claims changed only, not sales. Every figure is "
        "summed from the ledger, to the fen.",
    ),
    "console.balances.suppliers_hint": (
        "按保证金余额从低到高排列，欠款最多的在前。金额均由账本汇总，与每笔记账一致。",
        "The lowest deposit first: the one owing most leads. Every figure is summed from the ledger, to the fen.",
    ),
    "console.balances.explain": ("各项说明", "What each figure is"),
    "console.balances.explain.held": (
        "冻结中：未结案的退卡申请从商家待结算款中冻结的金额；结案时解冻，商家责任的退款从中追偿。",
        "On hold: what open claims hold from the merchant's settlement; released when a claim ends, "
        "or taken for a refund on the merchant's fault.",
    ),
    "console.balances.explain.settlement": (
        "结算调整：退卡申请对商家待结算款的增减（冻结、解冻、从冻结款追偿），不含销售收入；平台结算时按此扣减。",
        "Settlement adjustments: what claims changed of the merchant's settlement (holds, releases, refunds taken "
        "from holds). No sales are booked here; the platform settles the merchant less this.",
    ),
    "console.balances.explain.deposit": (
        "保证金余额：已缴保证金减去从中追偿的退款和处理费；为负即欠款。",
        "Deposit: what was paid in, less the refunds and fees taken from it; below zero, the party owes it.",
    ),
    "console.balances.explain.recovered": (
        "已追偿：其责任的退款从冻结款或保证金中收回的金额。",
        "Recovered: what refunds on its fault took, from a hold or from the deposit.",
    ),
    "console.balances.explain.clawbacks": (
        "已追偿退款：其责任的退款从保证金中收回的金额。",
        "Refunds recovered: what refunds on its fault took from its deposit.",
    ),
    "console.balances.explain.fault_fees": (
        "责任方处理费：按退款政策在退款之外从保证金收取的费用。",
        "Fault fees: the handling fees the refund policy charged its deposit on top of the refunds.",
    ),
    "console.balances.held": ("冻结中", "On hold"),
    "console.balances.held_claims": ("{n} 笔申请", "{n} claims"),
    "console.balances.held_claim": ("1 笔申请", "1 claim"),
    "console.balances.settlement": ("结算调整", "Settlement adjustments"),
    "console.balances.deposit": ("保证金余额", "Deposit"),
    "console.balances.owes": ("（欠款）", " (owes)"),
    "console.balances.paid_in": ("已缴保证金", "Paid in"),
    "console.balances.recovered": ("已追偿", "Recovered"),
    "console.balances.clawbacks": ("已追偿退款", "Refunds recovered"),
    "console.balances.fault_fees": ("责任方处理费", "Fault fees"),
    "console.balances.see_holds": ("查看冻结中的 {n} 笔申请", "See the {n} claims on hold"),
    "console.balances.see_hold": ("查看冻结中的 1 笔申请", "See the claim on hold"),
    "console.balances.no_holds": ("没有冻结中的申请。", "No claims on hold."),
    "console.balances.merchants_none": ("账本中还没有商家的记录。", "The ledger names no merchant yet."),
    "console.balances.suppliers_none": ("账本中还没有供货商的记录。", "The ledger names no supplier yet."),
    "console.balances.shown": ("第 {first}–{last} 家，共 {total} 家", "{first}–{last} of {total}"),
    "console.balances.pages": ("分页", "Pages"),
    "console.balances.previous": ("上一页", "Previous page"),
    "console.balances.next": ("下一页", "Next page"),
    "console.balances.no_page": ("没有这一页。", "There is no such page."),
    "console.balances.back": ("返回余额与冻结", "Back to balances and holds"),
    "console.holds.title": ("冻结款：{party}", "Funds on hold: {party}"),
    "console.holds.claims": ("冻结中的申请", "Claims on hold"),
    "console.holds.hint": (
        "未结案、正在冻结商家待结算款的退卡申请，金额从高到低；点击退款编号查看申请。",
        "Open claims holding the merchant's settlement, the largest first; open a claim by its refund number.",
    ),
    "console.holds.shown": ("第 {first}–{last} 笔，共 {total} 笔", "{first}–{last} of {total}"),
    "console.holds.number": ("退款编号", "Refund number"),
    "console.holds.product": ("商品", "Product"),
    "console.holds.since": ("冻结时间", "Held since"),
    "console.holds.stage": ("进度", "Stage"),
    "console.holds.not_found": ("账本中没有该商家的记录。", "The ledger names no such merchant."),
}
