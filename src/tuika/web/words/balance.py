"""Words of the balance page."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "balance.title": ("我的余额", "My balance"),
    "balance.available": ("可用余额", "Available"),
    "balance.movements": ("余额明细", "Movements"),
    "balance.none": ("暂无余额变动", "No movements yet"),
    "balance.refund_of": ("{product} 退款", "Refund: {product}"),
    "balance.credited": ("已存入余额，可立即使用", "In your balance, ready to use"),
    "balance.other": ("余额调整", "Adjustment"),
    "balance.see_claim": ("查看退卡申请", "See the claim"),
    "balance.claim_id": ("退卡申请 {id}", "Claim {id}"),
    "balance.note": (
        "退至余额的款项即时到账，可在平台内直接用于下单。",
        "Refunds to the balance arrive at once and can be spent on the platform straight away.",
    ),
    "balance.about_link": ("余额退款凭证与提现说明", "What a balance refund is, and withdrawing"),
    # What a refund to the balance is, said only as far as tuika makes it true.
    "balance.about": ("关于余额退款", "About refunds to your balance"),
    "balance.about.where": ("钱在哪里", "Where the money is"),
    "balance.about.where_text": (
        "选择“退至平台余额”的退卡申请，审核通过后退款直接存入这里的余额，不经过支付宝、微信或银行，无需等待渠道到账。"
        "原路退款未成功、改退至余额的款项也存入这里。",
        "A claim refunded to your platform balance is paid into this balance as soon as it is approved: no Alipay, "
        "WeChat Pay or bank in between, no channel to wait for. A refund that could not go back the way you paid and "
        "was sent to the balance instead lands here too.",
    ),
    "balance.about.use": ("怎么用", "Using it"),
    "balance.about.use_text": (
        "到账后即可在平台内下单使用，与其他余额一样。",
        "Once it is here you can spend it on the platform straight away, like any other balance.",
    ),
    "balance.about.voucher": ("退款凭证", "Your voucher"),
    "balance.about.voucher_text": (
        "每笔余额退款都记在上方的余额明细中，对应退卡申请页的「退款凭证」列出退款金额、扣除的手续费和到账时间。"
        "余额退款不经过支付渠道，因此没有支付宝、微信或银行的退款单号。",
        "Each refund to the balance is a line in the movements above, and the claim's page shows its refund voucher: "
        "the amount, any fee deducted and when it arrived. It never went through a payment channel, so there is no "
        "Alipay, WeChat Pay or bank refund number.",
    ),
    "balance.about.withdraw": ("提现", "Withdrawing"),
    "balance.about.withdraw_text": (
        "退卡中心不办理余额提现。平台是否支持提现、如何提现，请以平台的余额或钱包页面为准。",
        "The refund centre does not pay the balance out. Whether and how you can withdraw it is up to the platform: "
        "see its balance or wallet page.",
    ),
}
