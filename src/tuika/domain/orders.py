"""Orders synced from the host platform, with one item per card key or unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tuika.domain.errors import InvalidInput, UnknownItems
from tuika.domain.ids import OrderId
from tuika.domain.money import Money, split_evenly


class ProductKind(StrEnum):
    CARD_KEY = "card_key"
    DIRECT_TOPUP = "direct_topup"
    MANUAL_TOPUP = "manual_topup"
    MEMBERSHIP = "membership"


class PaymentRoute(StrEnum):
    ALIPAY = "alipay"
    WECHAT = "wechat"
    BANK_CARD = "bank_card"
    BALANCE = "balance"


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OrderItem:
    """One card key or one unit of a top-up; ``secret`` and ``account_enc`` are stored ciphertexts."""

    id: str
    secret: str | None = None
    # The account topped up (a mobile number, a game or QQ account), encrypted like the card key.
    account_enc: str | None = None
    activated_at: datetime | None = None
    # A keyed digest of the card key, to find the order a key read from a screenshot belongs to.
    lookup: str | None = None


@dataclass(frozen=True, slots=True)
class Order:
    """A purchase as the host platform reported it."""

    id: OrderId
    buyer_id: str
    merchant_id: str
    supplier_id: str
    sku: str
    product_kind: ProductKind
    items: tuple[OrderItem, ...]
    amount: Money
    payment_route: PaymentRoute
    transaction_id: str
    paid_at: datetime
    delivery_status: DeliveryStatus
    delivered_at: datetime | None = None
    face_value: Money | None = None
    title: str = ""
    # What people call the merchant and the supplier, as the platform names them; "" when it did not.
    merchant_name: str = ""
    supplier_name: str = ""

    @property
    def activated_at(self) -> datetime | None:
        """Return the earliest activation of any item, if one is known."""
        times = [i.activated_at for i in self.items if i.activated_at is not None]
        return min(times) if times else None

    def item_ids(self) -> tuple[str, ...]:
        """Return the item ids in order."""
        return tuple(i.id for i in self.items)

    def item_amounts(self) -> dict[str, Money]:
        """Return what was paid for each item; the amounts add up to ``amount`` exactly."""
        shares = split_evenly(self.amount, len(self.items)) if self.items else []
        return {item.id: share for item, share in zip(self.items, shares, strict=True)}

    def amount_for(self, item_ids: Sequence[str]) -> Money:
        """Return what was paid for the given items."""
        amounts = self.item_amounts()
        return sum((amounts[i] for i in item_ids), Money.zero())


def resolve_items(order: Order, item_ids: Sequence[str] | None) -> tuple[str, ...]:
    """Return the claimed item ids in order, all items when none are named.

    Raises ``UnknownItems`` for ids that are not in the order.
    """
    if not item_ids:
        return order.item_ids()
    if len(set(item_ids)) != len(item_ids):
        raise InvalidInput("item_ids lists an item twice", item_ids=list(item_ids))
    unknown = sorted(set(item_ids) - set(order.item_ids()))
    if unknown:
        raise UnknownItems(f"not in order {order.id}: {', '.join(unknown)}", unknown=unknown)
    wanted = set(item_ids)
    return tuple(i for i in order.item_ids() if i in wanted)


def anchor_time(order: Order, anchor: str, items: Mapping[str, OrderItem] | None = None) -> datetime | None:
    """Return the order's time for a policy anchor (``paid_at``, ``delivered_at``, ``activated_at``)."""
    if anchor == "paid_at":
        return order.paid_at
    if anchor == "delivered_at":
        return order.delivered_at
    if anchor == "activated_at":
        if items:
            times = [i.activated_at for i in items.values() if i.activated_at is not None]
            return min(times) if times else None
        return order.activated_at
    raise ValueError(f"unknown anchor {anchor!r}")
