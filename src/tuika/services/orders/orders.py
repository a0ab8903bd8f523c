"""Orders: synced in by the host platform, read by buyers and staff."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from tuika.domain.cases import Role
from tuika.domain.errors import NotFound, OrderHasClaims
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.masking import mask_account, mask_card_key, mask_user_id
from tuika.domain.notifications import Recipient
from tuika.domain.orders import Order, OrderItem
from tuika.domain.preferences import Preferences, contact_aad, normal_email, normal_phone
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_order
from tuika.services.moves import sync_order_row
from tuika.services.orders.keys import account, card_key, orders_holding_key, seal_item
from tuika.services.orders.reveals import first_seen
from tuika.services.ports import OrderFilter, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ItemView:
    """One item as a view shows it: its card key always masked (only a reveal shows it in clear)."""

    id: str
    card_key: str | None
    account: str | None
    card_key_masked: bool
    account_masked: bool
    # When its buyer first had the key shown (``reveals.reveal``); None while never.
    first_revealed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderView:
    order: Order
    items: tuple[ItemView, ...]


@dataclass(frozen=True, slots=True)
class KeyTwice:
    """An item whose card key another item holds too: the platform delivered one key twice."""

    item_id: str
    other_order_id: OrderId
    other_item_id: str


def _fill_contacts(ctx: Context, uow: UnitOfWork, buyer_id: str, phone: str | None, email: str | None) -> None:
    if phone is None and email is None:
        return
    found = uow.preferences.get(Recipient.BUYER, buyer_id)
    current = found if found is not None else Preferences(Recipient.BUYER, buyer_id)
    changed = current
    for channel, value, have in (
        (SendChannel.SMS, phone, current.phone_sealed),
        (SendChannel.EMAIL, email, current.email_sealed),
    ):
        if value is not None and have is None:
            sealed = ctx.cipher.encrypt(value, aad=contact_aad(Recipient.BUYER, buyer_id, channel))
            changed = changed.with_contact(channel, value, sealed)
    if changed != current:
        uow.preferences.save(changed, ctx.clock.now())


def sync_order(
    ctx: Context,
    actor: Actor,
    order: Order,
    card_keys: Mapping[str, str],
    accounts: Mapping[str, str] | None = None,
    *,
    buyer_phone: str | None = None,
    buyer_email: str | None = None,
) -> tuple[Order, bool, list[KeyTwice]]:
    """Insert or update an order from the host platform; card keys and accounts are encrypted first.

    The buyer's number and mailbox, when the platform sends them, fill what the buyer has not
    set themselves: the messages of a claim can then reach the buyer by SMS and email.
    Returns the order, whether it is new, and each of its keys that another item already holds.
    """
    actor.require(Role.PLATFORM, Role.ADMIN)
    accounts = accounts or {}
    phone = normal_phone(buyer_phone) if buyer_phone else None
    email = normal_email(buyer_email) if buyer_email else None
    items = tuple(seal_item(ctx, order.id, item, card_keys.get(item.id), accounts.get(item.id)) for item in order.items)
    order = replace(order, items=items)
    with ctx.uow() as uow:
        existing = lock_order(uow, order.id)
        claims = uow.cases.for_order(order.id) if existing is not None else []
        replaced: set[str] = set()
        if existing is not None and claims:
            _check_frozen(existing, order)
            # A key replaced here is newer than the platform's copy: a push does not bring the dead one back.
            replaced = uow.merchant.replaced_items([c.id for c in claims])
            order = _keep_replaced(order, existing, replaced)
        created = sync_order_row(uow, order, actor, ctx.clock.now())
        _fill_contacts(ctx, uow, order.buyer_id, phone, email)
        twice = [
            KeyTwice(item_id, other_order, other_item)
            for item_id, key in card_keys.items()
            if item_id not in replaced
            for other_order, other_item in orders_holding_key(ctx, uow, key)
            if (other_order, other_item) != (order.id, item_id)
        ]
        uow.commit()
    for found in twice:
        log.warning(
            "order %s item %s holds the card key of order %s item %s",
            order.id,
            found.item_id,
            found.other_order_id,
            found.other_item_id,
        )
    return order, created, twice


# Once a claim exists, what it was judged on and what it may be paid from must stay put;
# delivery facts, titles, accounts and re-delivered keys may still change.
_FROZEN = (
    "buyer_id",
    "merchant_id",
    "supplier_id",
    "sku",
    "product_kind",
    "amount",
    "payment_route",
    "transaction_id",
    "paid_at",
)


def _keep_replaced(update: Order, existing: Order, replaced: set[str]) -> Order:
    if not replaced:
        return update
    kept = {item.id: item for item in existing.items if item.id in replaced}
    items = tuple(
        replace(item, secret=kept[item.id].secret, lookup=kept[item.id].lookup) if item.id in kept else item
        for item in update.items
    )
    return replace(update, items=items)


def _check_frozen(existing: Order, update: Order) -> None:
    changed = [name for name in _FROZEN if getattr(existing, name) != getattr(update, name)]
    if existing.item_ids() != update.item_ids():
        changed.append("items")
    if changed:
        raise OrderHasClaims(
            f"order {existing.id} has refund claims; these can no longer change: {', '.join(changed)}",
            fields=changed,
        )


def get_order(ctx: Context, actor: Actor, order_id: OrderId) -> Order:
    """Return an order the actor may see (its buyer, staff, the host platform that pushed it, the
    merchant that sold it); else not found."""
    with ctx.read() as uow:
        order = uow.orders.get(order_id)
    if order is None or not (actor.owns(order.buyer_id) or actor.role is Role.PLATFORM or _sold(actor, order)):
        raise NotFound(f"order {order_id} not found")
    return order


def _sold(actor: Actor, order: Order) -> bool:
    return actor.role is Role.MERCHANT and order.merchant_id == actor.subject


def list_orders(ctx: Context, actor: Actor, where: OrderFilter) -> list[Order]:
    """Return orders: a buyer's own, or any for staff and the host platform (one platform until each has its key)."""
    if actor.role is Role.BUYER:
        where = replace(where, buyer_id=actor.subject)
    else:
        actor.require(Role.AGENT, Role.ARBITRATOR, Role.ADMIN, Role.PLATFORM)
    with ctx.read() as uow:
        return uow.orders.search(where)


def held_items(ctx: Context, order_id: OrderId) -> dict[str, CaseId]:
    """Return item id → case id for the order's items in a live or refunded claim."""
    with ctx.read() as uow:
        return uow.cases.held_items(order_id)


def view(ctx: Context, actor: Actor, order: Order, *, accounts: bool) -> OrderView:
    """Return the order with its card keys masked, each with when it was first revealed.

    ``accounts`` shows the accounts topped up in full to their buyer, on the order's detail;
    they are masked everywhere else. A card key is shown in clear by ``reveals.reveal`` alone,
    which logs it.
    """
    return views(ctx, actor, [order], accounts=accounts)[0]


def views(ctx: Context, actor: Actor, found: Sequence[Order], *, accounts: bool) -> list[OrderView]:
    """Return ``view`` of each order, their reveals read at once."""
    seen = first_seen(ctx, [o.id for o in found])
    return [_view(ctx, actor, o, accounts, seen) for o in found]


def _view(
    ctx: Context, actor: Actor, order: Order, accounts: bool, seen: Mapping[tuple[OrderId, str], datetime]
) -> OrderView:
    show = accounts and actor.role is Role.BUYER and actor.subject == order.buyer_id
    items = tuple(_item_view(ctx, order, item, show, seen.get((order.id, item.id))) for item in order.items)
    if actor.role is Role.MERCHANT:
        # The merchant answers a claim on its goods, not on a person: the buyer is a handle.
        order = replace(order, buyer_id=mask_user_id(order.buyer_id))
    return OrderView(order, items)


def _item_view(ctx: Context, order: Order, item: OrderItem, show: bool, first: datetime | None) -> ItemView:
    key = None if item.secret is None else card_key(ctx, order, item)
    topped_up = None if item.account_enc is None else account(ctx, order, item)
    return ItemView(
        item.id,
        None if key is None else mask_card_key(key),
        topped_up if show or topped_up is None else mask_account(topped_up),
        card_key_masked=key is not None,
        account_masked=topped_up is not None and not show,
        first_revealed_at=first,
    )
