"""Words of the balance page."""

from __future__ import annotations

from typing import Final

WORDS: Final[dict[str, tuple[str, str]]] = {
    "balance.title": ("我的余额", "My balance"),
    "balance.available": ("可用余额", "Available"),
    "balance.movements": ("余额明细", "Movements"),
    "balance.none": ("暂无余额变动", "No movements yet"),
    "balance.refund": ("退卡退款", "Refund"),
    "balance.other": ("余额调整", "Adjustment"),
    "balance.case": ("退卡单", "Claim"),
    "balance.note": (
        "退至余额的款项即时到账，可在平台内直接用于下单。",
        "Refunds to the balance arrive at once and can be spent on the platform straight away.",
    ),
}
