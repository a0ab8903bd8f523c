"""Ask the supplier about a claim's items, outside any transaction, and say what it answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from tuika.domain.errors import SupplierUnavailable
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.orders import DeliveryStatus, Order, ProductKind
from tuika.domain.policy import Reason
from tuika.domain.supplier import Asked, CardAnswer, TopupAnswer
from tuika.services.context import Context
from tuika.services.orders.keys import card_key


@dataclass(frozen=True, slots=True)
class SupplierCheck:
    """The supplier's answers by item, what to keep on the case, and the answers asked just now."""

    cards: dict[str, tuple[CardAnswer, ...]] = field(default_factory=dict)
    topups: dict[str, TopupAnswer] = field(default_factory=dict)
    unavailable: bool = False
    findings: tuple[Finding, ...] = ()
    asked: tuple[Asked, ...] = ()


def topup_reference(order: Order, item_id: str) -> str:
    """Return how the upstream knows one top-up of ours."""
    return f"{order.id}:{item_id}"


def ask_supplier(
    ctx: Context,
    order: Order,
    reason: Reason,
    item_ids: Sequence[str],
    known: Sequence[Asked] = (),
    *,
    unrevealed: bool = False,
) -> SupplierCheck:
    """Query the supplier about the claimed items the reason is about; an outage is a finding, not an error.

    ``known`` holds answers it gave a moment ago (to the buyer's pre-check): those items are not
    asked again, so the decision rests on the answer the prediction was made with. The card keys
    are asked about for a claim that they fail, and for one on keys never revealed
    (``unrevealed``), which is refunded at once only if the supplier says they are unused.
    """
    supplier = ctx.supplier
    if supplier is None:
        return SupplierCheck()
    claimed = [i for i in order.items if i.id in set(item_ids)]
    cards: dict[str, tuple[CardAnswer, ...]] = {}
    topups: dict[str, TopupAnswer] = {}
    findings: list[Finding] = []
    asked: list[Asked] = []
    known_cards = {a.item_id: a for a in known if a.card is not None}
    known_topups = {a.item_id: a for a in known if a.topup is not None}
    try:
        if reason is Reason.CARD_INVALID or unrevealed:
            for item in claimed:
                if item.secret is None:
                    continue
                earlier = known_cards.get(item.id)
                if earlier is not None and earlier.card is not None:
                    answer, at = earlier.card, earlier.at
                else:
                    answer = supplier.query_card(order.supplier_id, card_key(ctx, order, item))
                    at = ctx.clock.now()
                    asked.append(Asked(item.id, at, card=answer))
                cards[item.id] = (answer,)
                findings.append(_card_finding(ctx, item.id, answer, at))
        elif (
            reason is Reason.NOT_DELIVERED
            and order.product_kind is ProductKind.DIRECT_TOPUP
            and order.delivery_status is DeliveryStatus.DELIVERED
        ):
            for item in claimed:
                earlier = known_topups.get(item.id)
                if earlier is not None and earlier.topup is not None:
                    topup, at = earlier.topup, earlier.at
                else:
                    topup = supplier.query_topup(order.supplier_id, topup_reference(order, item.id))
                    at = ctx.clock.now()
                    asked.append(Asked(item.id, at, topup=topup))
                topups[item.id] = topup
                findings.append(_topup_finding(ctx, item.id, topup, at))
    except SupplierUnavailable as exc:
        findings.append(
            Finding(FindingKind.SUPPLIER_UNAVAILABLE, order.supplier_id, ctx.clock.now(), {"detail": exc.detail})
        )
        return SupplierCheck(cards, topups, True, tuple(findings), tuple(asked))
    return SupplierCheck(cards, topups, False, tuple(findings), tuple(asked))


def _card_finding(ctx: Context, item_id: str, answer: CardAnswer, asked_at: datetime) -> Finding:
    facts = {
        "state": answer.state.value,
        "redeemed_at": None if answer.redeemed_at is None else answer.redeemed_at.isoformat(),
        "redeemed_by": answer.redeemed_by,
        "asked_at": asked_at.isoformat(),
    }
    return Finding(FindingKind.SUPPLIER_CARD, item_id, ctx.clock.now(), facts)


def _topup_finding(ctx: Context, item_id: str, answer: TopupAnswer, asked_at: datetime) -> Finding:
    facts = {
        "state": answer.state.value,
        "carrier_ref": answer.carrier_ref,
        "at": None if answer.at is None else answer.at.isoformat(),
        "asked_at": asked_at.isoformat(),
    }
    return Finding(FindingKind.SUPPLIER_TOPUP, item_id, ctx.clock.now(), facts)
