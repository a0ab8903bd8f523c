"""Card keys shown to their buyer: each reveal committed before the key is answered, and read back as evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from tuika.domain.cases import Role
from tuika.domain.errors import CardKeyNotFound
from tuika.domain.ids import OrderId
from tuika.domain.orders import Order, OrderItem
from tuika.domain.policy import Policy
from tuika.domain.reveals import Channel, Reveal, asked, reveal_loses
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_order
from tuika.services.orders.keys import card_key

# Who reads the log itself (when, which session, the IP and the user agent); a buyer and the
# merchant read only whether and when each key was first revealed.
LOG_READERS = frozenset({Role.AGENT, Role.ARBITRATOR, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Asker:
    """Where a reveal was asked from: the door, a digest naming its session, the request's IP and user agent."""

    channel: Channel
    session: str
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Shown:
    """A card key in clear for its buyer, and when the buyer first saw it (now, the first time)."""

    key: str
    first_at: datetime


def reveal(ctx: Context, actor: Actor, order_id: OrderId, item_id: str, asker: Asker) -> Shown:
    """Show one card key to its buyer; the reveal is committed first, so no key is ever shown unlogged.

    Only the order's buyer, and only an item with a card key: anything else is ``CardKeyNotFound``,
    as if it did not exist. The order is locked, as a decision on a claim locks it: a review
    deciding now sees this reveal, or this reveal waits for the decision.
    """
    with ctx.uow() as uow:
        order = lock_order(uow, order_id)
        item = _own_key(actor, order, order_id, item_id)
        assert order is not None  # _own_key found the item on it
        key = card_key(ctx, order, item)
        now = ctx.clock.now()
        first = uow.reveals.first_seen([order.id]).get((order.id, item.id), now)
        logged = asked(order.id, item.id, now, actor.subject, asker.channel, asker.session, asker.ip, asker.user_agent)
        uow.reveals.add(logged)
        uow.commit()
    return Shown(key, first)


def _own_key(actor: Actor, order: Order | None, order_id: OrderId, item_id: str) -> OrderItem:
    mine = order is not None and actor.role is Role.BUYER and actor.subject == order.buyer_id
    item = next((i for i in order.items if i.id == item_id), None) if order is not None and mine else None
    if item is None or item.secret is None:
        raise CardKeyNotFound(f"no card key {item_id} of yours in order {order_id}")
    return item


def first_seen(ctx: Context, order_ids: Sequence[OrderId]) -> dict[tuple[OrderId, str], datetime]:
    """Return (order id, item id) → when its buyer first saw that key, for the keys ever revealed."""
    with ctx.read() as uow:
        return uow.reveals.first_seen(order_ids)


def revealed_items(ctx: Context, order_id: OrderId) -> frozenset[str]:
    """Return the items of an order whose key its buyer has been shown."""
    return frozenset(item for _, item in first_seen(ctx, [order_id]))


def applicable(ctx: Context, policy: Policy) -> Policy:
    """Return the policy as it applies here: without a supplier to say a key is unused, none is refunded unrevealed.

    What a buyer reads (the rule open, the warning beside the reveal button) then promises
    nothing the review could not give.
    """
    if ctx.supplier is not None or policy.unrevealed is None:
        return policy
    return replace(policy, unrevealed=None)


def for_rules(ctx: Context, policy: Policy, order_id: OrderId) -> tuple[Policy, frozenset[str] | None]:
    """Return the policy as it applies here and the order's revealed items, for ``policies.for_order``.

    The items are None where the policy refunds no key unrevealed, so the rules stand as written.
    """
    applied = applicable(ctx, policy)
    return applied, None if applied.unrevealed is None else revealed_items(ctx, order_id)


def log_for(ctx: Context, actor: Actor, order_id: OrderId) -> list[Reveal] | None:
    """Return every reveal of an order's keys, oldest first, for staff; None for everyone else."""
    if actor.role not in LOG_READERS:
        return None
    with ctx.read() as uow:
        return uow.reveals.for_order(order_id)


def warned(ctx: Context, order: Order, seen: Sequence[str], held: Sequence[str]) -> frozenset[str]:
    """Return the items whose key, revealed now, would lose the instant refund of unrevealed keys.

    ``seen`` are the items revealed already, ``held`` those a claim holds: neither is warned of.
    """
    with ctx.read() as uow:
        policy = applicable(ctx, ctx.policies.current(uow))
    now = ctx.clock.now()
    return frozenset(
        i.id for i in order.items if i.id not in held and reveal_loses(policy, order, i, now, frozenset(seen))
    )
