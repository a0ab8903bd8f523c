"""Card keys revealed to their buyer, and the refund a key never revealed has at once.

The order page keeps each card key masked until its buyer asks to see it; every such ask is a
``Reveal`` kept on the order as evidence. A key never revealed and never redeemed is worth
nothing to anyone once voided, so the policy's ``[unrevealed_refund]`` refunds it at once on a
claim of no fault; where the policy says so, revealing the key loses that way.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.ids import OrderId
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, ProductKind, anchor_time
from tuika.domain.policy import Anchor, Policy, Reason, UnrevealedRefund

# What the buyer reads beside the reveal button and in the pre-check, where it holds.
REVEAL_WARNING: Final = (
    "查看卡密后将无法无理由退款",
    "Once you view the card key, it can no longer be refunded without a reason",
)
# What a reveal keeps of who asked: enough to tell two browsers apart, not a whole header.
USER_AGENT_MAX: Final = 300
IP_MAX: Final = 64


class Channel(StrEnum):
    """Where the buyer asked to see the key."""

    API = "api"  # the host platform's order page, through POST /v1/orders/{id}/items/{item_id}/reveal
    PAGE = "page"  # tuika's own order page


@dataclass(frozen=True, slots=True)
class Reveal:
    """One time a buyer was shown a card key in clear: which, when, and from which session and device.

    ``session`` is a digest naming the page session or the bearer token, never the credential
    itself; ``ip`` and ``user_agent`` are as the request gave them, cut to their columns.
    """

    order_id: OrderId
    item_id: str
    at: datetime
    buyer_id: str
    channel: Channel
    session: str
    ip: str | None = None
    user_agent: str | None = None


def asked(
    order_id: OrderId,
    item_id: str,
    at: datetime,
    buyer_id: str,
    channel: Channel,
    session: str,
    ip: str | None,
    user_agent: str | None,
) -> Reveal:
    """Return the reveal of one key now, its IP and user agent cut to what is kept.

    >>> from datetime import UTC, datetime
    >>> r = asked(OrderId("o"), "i", datetime(2026, 1, 1, tzinfo=UTC), "b", Channel.PAGE, "s", "", "x" * 400)
    >>> (r.ip, len(r.user_agent or ""))
    (None, 300)
    """
    ip = (ip or "").strip()[:IP_MAX] or None
    agent = (user_agent or "").strip()[:USER_AGENT_MAX] or None
    return Reveal(order_id, item_id, at, buyer_id, channel, session, ip, agent)


def first_seen(reveals: Iterable[Reveal]) -> dict[str, datetime]:
    """Return item id → when its key was first revealed."""
    first: dict[str, datetime] = {}
    for r in reveals:
        if r.item_id not in first or r.at < first[r.item_id]:
            first[r.item_id] = r.at
    return first


class Standing(StrEnum):
    """Where a claim stands with the instant refund of unrevealed keys, before the supplier is heard."""

    NOT_OFFERED = "not_offered"  # no such way in the policy, or not for this claim, or past its window
    LOST = "lost"  # a claimed key was revealed, and the policy says that loses it
    OPEN = "open"  # every claimed key counts as unrevealed: the supplier's "unused" decides


def deadline(offer: UnrevealedRefund, order: Order) -> datetime | None:
    """Return when the way closes for an order; None before its anchor (a key not yet delivered)."""
    start = anchor_time(order, offer.anchor.value)
    return None if start is None else start + offer.window


def _offered(offer: UnrevealedRefund, order: Order, items: Sequence[OrderItem], now: datetime) -> bool:
    """Tell whether keys like these could take the way now: delivered card keys, none activated, in time."""
    if order.product_kind is not ProductKind.CARD_KEY or order.delivery_status is not DeliveryStatus.DELIVERED:
        return False
    # An activation the platform reports is a redemption: nothing unused is left to void.
    if not items or any(i.secret is None or i.activated_at is not None for i in items):
        return False
    closes = deadline(offer, order)
    return closes is not None and now <= closes


def standing(
    policy: Policy, order: Order, reason: Reason, item_ids: Collection[str], now: datetime, revealed: Collection[str]
) -> Standing:
    """Return where a claim on ``item_ids`` for ``reason`` stands with the way, ``revealed`` the keys shown."""
    offer = policy.unrevealed
    if offer is None or reason not in offer.reasons:
        return Standing.NOT_OFFERED
    items = [i for i in order.items if i.id in item_ids]
    if not _offered(offer, order, items, now):
        return Standing.NOT_OFFERED
    if offer.revealed_loses and any(i.id in revealed for i in items):
        return Standing.LOST
    return Standing.OPEN


_REASON_WORDS: Final = {
    Reason.MISTAKEN_PURCHASE: ("误拍", "bought by mistake"),
    Reason.OTHER: ("其他问题", "another problem"),
}


def offer_text(offer: UnrevealedRefund) -> tuple[str, str]:
    """Return the way in one sentence, in zh-CN and English, for the policy a buyer reads.

    >>> from datetime import timedelta
    >>> zh, en = offer_text(UnrevealedRefund(frozenset({Reason.OTHER}), timedelta(hours=24)))
    >>> zh.split("：")[0]
    '发货后 24 小时内，从未查看且未被使用的卡密以“其他问题”申请可立即退款'
    """
    hours = f"{offer.window.total_seconds() / 3600:g}"
    since_zh, since_en = ("发货", "delivery") if offer.anchor is Anchor.DELIVERED_AT else ("付款", "payment")
    named = [_REASON_WORDS[r] for r in Reason if r in offer.reasons]
    named_zh = "或".join(f"“{zh}”" for zh, _ in named)
    named_en = " or ".join(f"“{en}”" for _, en in named)
    lost_zh = "查看过的卡密不适用。" if offer.revealed_loses else ""
    lost_en = " A key once viewed is not refunded this way." if offer.revealed_loses else ""
    zh = (
        f"{since_zh}后 {hours} 小时内，从未查看且未被使用的卡密以{named_zh}申请可立即退款："
        f"先向供货商作废卡密，再退款。{lost_zh}"
    )
    en = (
        f"Within {hours} hours of {since_en}, a card key never viewed and never used is refunded at once on a "
        f"claim of {named_en}: voided with the supplier first, then paid.{lost_en}"
    )
    return zh, en


def reveal_loses(policy: Policy, order: Order, item: OrderItem, now: datetime, revealed: Collection[str]) -> bool:
    """Tell whether revealing this key now would lose it the instant refund it could still have."""
    offer = policy.unrevealed
    if offer is None or not offer.revealed_loses or item.id in revealed:
        return False
    return _offered(offer, order, [item], now)
