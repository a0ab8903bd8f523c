"""What stands against or for a claim before a screenshot is read: the buyer's record, a key sent twice.

The pre-check and the review ask the same questions through these functions, so a buyer is
not promised a refund that the buyer's history or a key delivered twice will send to a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tuika.domain.findings import Fact, Finding, FindingKind
from tuika.domain.history import history_doubts
from tuika.domain.ids import CaseId
from tuika.domain.orders import Order
from tuika.services.context import Context
from tuika.services.orders.keys import card_key, orders_holding_key
from tuika.services.ports import UnitOfWork


def standing_doubts(
    ctx: Context, uow: UnitOfWork, order: Order, item_ids: Sequence[str], now: datetime, excluding: CaseId | None
) -> tuple[tuple[str, ...], list[Finding]]:
    """Return the doubts the records raise about a claim on these items, and the findings that show why."""
    doubts: list[str] = []
    findings = keys_in_other_orders(ctx, uow, order, item_ids, now)
    if findings:
        # One key delivered twice: the supplier's "invalid" would refund both orders for one key.
        doubts.append("card_key_in_other_order")
    history = uow.cases.buyer_history(order.buyer_id, now - ctx.history_window, excluding)
    flagged = history_doubts(history, ctx.history_limits)
    if history.claims:
        counts: dict[str, Fact] = {
            "window_days": ctx.history_window.days,
            "claims": history.claims,
            "approved": history.approved,
            "rejected": history.rejected,
            "abuse": history.abuse,
        }
        findings.append(Finding(FindingKind.HISTORY, order.buyer_id, now, counts, flagged))
    return (*doubts, *flagged), findings


def keys_in_other_orders(
    ctx: Context, uow: UnitOfWork, order: Order, item_ids: Sequence[str], now: datetime
) -> list[Finding]:
    """Return a finding for each claimed key that another item holds too, naming that order and its claim."""
    found: list[Finding] = []
    for item in order.items:
        if item.id not in item_ids or item.secret is None:
            continue
        for other_order, other_item in orders_holding_key(ctx, uow, card_key(ctx, order, item)):
            if (other_order, other_item) == (order.id, item.id):
                continue
            other = uow.orders.get(other_order)
            facts: dict[str, Fact] = {
                "other_order": other_order,
                "other_item": other_item,
                "other_buyer": other.buyer_id if other is not None else None,
                "other_paid_at": other.paid_at.isoformat() if other is not None else None,
                "other_case": uow.cases.held_items(other_order).get(other_item),
            }
            found.append(Finding(FindingKind.DELIVERY, item.id, now, facts, ("card_key_in_other_order",)))
    return found
