"""Every string the pages show, in zh-CN (the default) and English, in one catalogue."""

from __future__ import annotations

from typing import Final, Literal

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
COOKIE: Final = "tuika_lang"

CATALOGUE: Final[dict[str, tuple[str, str]]] = {
    "brand": ("退卡中心", "Refund centre"),
    "my_orders": ("我的订单", "My orders"),
    "balance": ("我的余额", "My balance"),
    "switch_lang": ("English", "中文"),
    "sign_in_failed": (
        "登录链接无效或已过期，请从平台重新进入。",
        "The sign-in link is invalid or has expired; open it again from the platform.",
    ),
    "signed_out": ("请从平台进入退卡中心。", "Please open the refund centre from the platform."),
    "order": ("订单", "Order"),
    "paid_at": ("付款时间", "Paid"),
    "delivered_at": ("发货时间", "Delivered"),
    "amount": ("实付金额", "Amount paid"),
    "status": ("状态", "Status"),
    "items": ("商品明细", "Items"),
    "card_key": ("卡密", "Card key"),
    "account": ("充值账号", "Account"),
    "reveal": ("查看卡密", "Show key"),
    "hide": ("隐藏卡密", "Hide key"),
    "policy": ("退卡政策", "Refund policy"),
    "apply": ("申请退卡", "Apply for a refund"),
    "no_orders": ("暂无订单", "No orders yet"),
    "delivery.delivered": ("已发货", "Delivered"),
    "delivery.pending": ("待发货", "Awaiting delivery"),
    "delivery.failed": ("发货失败", "Delivery failed"),
    "in_claim": ("退卡处理中", "In a refund claim"),
    "not_found": ("未找到该订单", "Order not found"),
    "back": ("返回", "Back"),
    "policy_for": ("本订单的退卡政策", "The refund policy for this order"),
    "policy_version": ("政策版本", "Policy version"),
    "refundable": ("可申请", "Refundable"),
    "not_refundable": ("不支持", "Not refundable"),
    "window": ("申请时限", "Window"),
    "window_closes": ("截止", "Closes"),
    "window_closed": ("已截止", "Closed"),
    "window_waits": ("发货后开始计时", "Starts when the item is delivered"),
    "hours_left": ("还剩 {n} 小时", "{n} h left"),
    "minutes_left": ("还剩 {n} 分钟", "{n} min left"),
    "evidence_needed": ("所需凭证", "Evidence needed"),
    "no_evidence": ("无需凭证", "None"),
    "fee": ("手续费", "Fee"),
    "no_fee": ("全额退款", "Full refund"),
    "liable": ("承担方", "Borne by"),
    "liable.supplier": ("供货商", "The supplier"),
    "liable.merchant": ("商家", "The merchant"),
    "liable.platform": ("平台", "The platform"),
    "liable.buyer": ("买家", "The buyer"),
    "evidence.error_screenshot": ("激活/充值失败截图", "Screenshot of the failed activation or top-up"),
    "evidence.payment_record": ("支付记录", "Payment record"),
    "evidence.carrier_record": ("运营商到账记录", "The carrier's record"),
    "evidence.order_screenshot": ("订单截图", "Order screenshot"),
    "evidence.received_item_screenshot": ("实际收到商品的截图", "Screenshot of what you received"),
    "evidence.chat_record": ("聊天记录", "Chat record"),
}


def text(lang: Lang, key: str) -> str:
    """Return the string for ``key`` in ``lang``; a missing key is a bug, so it raises."""
    zh, en = CATALOGUE[key]
    return zh if lang == "zh" else en


def formatted(lang: Lang, key: str, **values: object) -> str:
    """Return the string for ``key`` with ``{name}`` placeholders filled."""
    return text(lang, key).format(**values)


def pick(query: str | None, cookie: str | None) -> Lang:
    """Return the language asked for: ``?lang=`` first, then the cookie, else Chinese."""
    for asked in (query, cookie):
        if asked in LANGS:
            return asked
    return "zh"
