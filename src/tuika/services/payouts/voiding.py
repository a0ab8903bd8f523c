"""Void a claim's card keys with the supplier before its money moves.

Nobody may end up with both the refund and a working key. Keys the supplier already called
invalid, expired, redeemed or voided need nothing; every other key is voided first. Voiding is
idempotent at the supplier, so a retry after a crash asks again and gets the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import Case
from tuika.domain.errors import SupplierUnavailable
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.orders import DeliveryStatus, Order
from tuika.domain.supplier import CardState
from tuika.services.context import Context
from tuika.services.orders.keys import card_key

_DEAD = frozenset(s.value for s in (CardState.INVALID, CardState.EXPIRED, CardState.REDEEMED, CardState.VOIDED))


@dataclass(frozen=True, slots=True)
class VoidResult:
    findings: tuple[Finding, ...] = ()
    # Keys that turned out used: the refund must wait for a person.
    used: tuple[str, ...] = ()
    unavailable: bool = False


def void_keys(ctx: Context, order: Order, case: Case, known: list[Finding]) -> VoidResult:
    """Void the claim's live keys; say which turned out used, or that the supplier could not answer."""
    supplier = ctx.supplier
    if supplier is None or order.delivery_status is not DeliveryStatus.DELIVERED:
        return VoidResult()
    answered = (FindingKind.SUPPLIER_CARD, FindingKind.SUPPLIER_VOID)
    last = {f.subject: f.facts.get("state") for f in known if f.kind in answered}
    findings: list[Finding] = []
    used: list[str] = []
    for item in order.items:
        if item.id not in case.item_ids or item.secret is None or last.get(item.id) in _DEAD:
            continue
        try:
            answer = supplier.void_card(order.supplier_id, card_key(ctx, order, item))
        except SupplierUnavailable:
            return VoidResult(tuple(findings), tuple(used), unavailable=True)
        codes = ("card_redeemed_before_void",) if answer.state is CardState.REDEEMED else ("card_voided_before_refund",)
        facts = {
            "state": answer.state.value,
            "redeemed_at": None if answer.redeemed_at is None else answer.redeemed_at.isoformat(),
        }
        findings.append(Finding(FindingKind.SUPPLIER_VOID, item.id, ctx.clock.now(), facts, codes))
        if answer.state is CardState.REDEEMED:
            used.append(item.id)
    return VoidResult(tuple(findings), tuple(used))
