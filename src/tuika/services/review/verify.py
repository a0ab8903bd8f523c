"""Ask the supplier about a claim's items, outside any transaction, and say what it answered."""

from __future__ import annotations

from dataclasses import dataclass, field

from tuika.domain.cases import Case
from tuika.domain.errors import SupplierUnavailable
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.orders import DeliveryStatus, Order, ProductKind
from tuika.domain.policy import Reason
from tuika.domain.supplier import CardAnswer, TopupAnswer
from tuika.services.context import Context
from tuika.services.orders.keys import card_key


@dataclass(frozen=True, slots=True)
class SupplierCheck:
    """The supplier's answers by item, and what to keep on the case."""

    cards: dict[str, tuple[CardAnswer, ...]] = field(default_factory=dict)
    topups: dict[str, TopupAnswer] = field(default_factory=dict)
    unavailable: bool = False
    findings: tuple[Finding, ...] = ()


def topup_reference(order: Order, item_id: str) -> str:
    """Return how the upstream knows one top-up of ours."""
    return f"{order.id}:{item_id}"


def ask_supplier(ctx: Context, order: Order, case: Case) -> SupplierCheck:
    """Query the supplier about the claimed items the reason is about; an outage is a finding, not an error."""
    supplier = ctx.supplier
    if supplier is None:
        return SupplierCheck()
    claimed = [i for i in order.items if i.id in set(case.item_ids)]
    cards: dict[str, tuple[CardAnswer, ...]] = {}
    topups: dict[str, TopupAnswer] = {}
    findings: list[Finding] = []
    try:
        if case.reason is Reason.CARD_INVALID:
            for item in claimed:
                if item.secret is None:
                    continue
                answer = supplier.query_card(order.supplier_id, card_key(ctx, order, item))
                cards[item.id] = (answer,)
                findings.append(_card_finding(ctx, item.id, answer))
        elif (
            case.reason is Reason.NOT_DELIVERED
            and order.product_kind is ProductKind.DIRECT_TOPUP
            and order.delivery_status is DeliveryStatus.DELIVERED
        ):
            for item in claimed:
                topup = supplier.query_topup(order.supplier_id, topup_reference(order, item.id))
                topups[item.id] = topup
                findings.append(_topup_finding(ctx, item.id, topup))
    except SupplierUnavailable as exc:
        findings.append(
            Finding(FindingKind.SUPPLIER_UNAVAILABLE, order.supplier_id, ctx.clock.now(), {"detail": exc.detail})
        )
        return SupplierCheck(cards, topups, True, tuple(findings))
    return SupplierCheck(cards, topups, False, tuple(findings))


def _card_finding(ctx: Context, item_id: str, answer: CardAnswer) -> Finding:
    facts = {
        "state": answer.state.value,
        "redeemed_at": None if answer.redeemed_at is None else answer.redeemed_at.isoformat(),
        "redeemed_by": answer.redeemed_by,
    }
    return Finding(FindingKind.SUPPLIER_CARD, item_id, ctx.clock.now(), facts)


def _topup_finding(ctx: Context, item_id: str, answer: TopupAnswer) -> Finding:
    facts = {
        "state": answer.state.value,
        "carrier_ref": answer.carrier_ref,
        "at": None if answer.at is None else answer.at.isoformat(),
    }
    return Finding(FindingKind.SUPPLIER_TOPUP, item_id, ctx.clock.now(), facts)
