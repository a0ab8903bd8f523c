"""Every change of a case, a payout or an order, stored with the event it writes, in one step.

These are the only functions that write events: a service changes a case, a payout or an
order through them, so the outbox holds every change and nothing else (rule: an event is
written in the same transaction as the change that caused it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tuika.domain import ledger
from tuika.domain.cases import Case, CaseStatus, Role, TimelineEvent
from tuika.domain.events import PAYOUT_TARGETS, EventType, case_event, escalation_event, order_event, payout_event
from tuika.domain.ids import PayoutId
from tuika.domain.ledger import Hold
from tuika.domain.merchant import MerchantWindow
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.services.context import SYSTEM, Actor
from tuika.services.ports import UnitOfWork


def open_case(uow: UnitOfWork, case: Case, *, merchant_id: str) -> None:
    """Store a new case, whose timeline holds its submission, and write ``case.submitted``.

    The claim's amount is held from ``merchant_id``'s settlement until it ends (``end_hold``).
    """
    uow.cases.add(case)
    uow.events.add(case_event(case, case.timeline[-1]))
    _place_hold(uow, Hold(case.id, merchant_id, case.refundable, case.created_at), case)


# A claim that ends without a refund (new keys instead, or none) gives its merchant's money back; a
# refund ends it in ``end_hold``.
_HOLD_ENDS = frozenset({CaseStatus.REJECTED, CaseStatus.WITHDRAWN, CaseStatus.CLOSED, CaseStatus.REPLACED})


def _place_hold(uow: UnitOfWork, held: Hold, case: Case) -> None:
    if not held.amount:
        return
    uow.ledger.save_hold(held)
    memo = f"退卡申请 {case.id} 冻结商家待结算款"
    uow.ledger.post(ledger.hold(merchant_id=held.merchant_id, amount=held.amount, memo=memo), "hold", held.held_at)


def end_hold(
    uow: UnitOfWork, case: Case, at: datetime, *, recover: Money | None = None, payout_id: PayoutId | None = None
) -> bool:
    """End a claim's open hold: ``recover`` (a refund on the merchant's fault) out of it, release the rest.

    Returns whether there was an open hold (a claim filed before holds were kept has none).
    """
    held = uow.ledger.hold_of(case.id)
    if held is None or not held.open:
        return False
    taken = Money.zero() if recover is None else min(recover, held.amount)
    if taken:
        assert payout_id is not None, "a refund recovered from a hold names its payout"
        memo = f"退卡申请 {case.id} 退款从冻结款追偿"
        posting = ledger.recover_held(merchant_id=held.merchant_id, amount=taken, memo=memo, payout_id=payout_id)
        uow.ledger.post(posting, "clawback", at)
    rest = held.amount - taken
    if rest:
        memo = f"退卡申请 {case.id} 解冻商家待结算款"
        posting = ledger.release(merchant_id=held.merchant_id, amount=rest, memo=memo, payout_id=payout_id)
        uow.ledger.post(posting, "release", at)
    uow.ledger.save_hold(replace(held, ended_at=at, outcome="recovered" if taken else "released"))
    return True


def move_case(
    uow: UnitOfWork,
    case: Case,
    to: CaseStatus,
    *,
    at: datetime,
    actor: Actor,
    codes: tuple[str, ...] = (),
    note: str = "",
    due: datetime | None = None,
    merchant_by: datetime | None = None,
) -> Case:
    """Move ``case`` to ``to`` and store it only if it is still in its current status.

    ``merchant_by``, on a move to a person's review, puts the claim to the merchant too: it has
    until then to answer (``domain.merchant``), unless it was put to it before.
    """
    moved, line = case.move(to, at=at, actor=actor.subject, role=actor.role, reason_codes=codes, note=note, due_at=due)
    if actor.role is not Role.SYSTEM and to in (CaseStatus.APPROVED, CaseStatus.REJECTED):
        moved = replace(moved, decided_by=actor.subject)
    uow.cases.save(moved, case.status, line)
    if to in _HOLD_ENDS:
        end_hold(uow, moved, at)
    elif case.status is CaseStatus.REJECTED:
        # An appeal opens the claim again, and its merchant's money is held again.
        held = uow.ledger.hold_of(case.id)
        if held is not None and not held.open:
            _place_hold(uow, replace(held, held_at=at, ended_at=None, outcome=None), moved)
    event = case_event(moved, line)
    put_to_merchant = merchant_by is not None and to is CaseStatus.MANUAL_REVIEW
    if (
        merchant_by is not None
        and put_to_merchant
        and uow.merchant.open_window(MerchantWindow(case.id, at, merchant_by))
    ):
        # The merchant is told, and a partner learns, by when it must answer.
        event = replace(event, payload={**event.payload, "respond_by": merchant_by.isoformat()})
    uow.events.add(event)
    return moved


def note_case(uow: UnitOfWork, case: Case, line: TimelineEvent) -> Case:
    """Add a line to the case's timeline without moving it; ``case`` holds any other change to store."""
    updated = replace(case, updated_at=line.at)
    uow.cases.save(updated, case.status, line)
    uow.events.add(case_event(updated, line))
    return replace(updated, timeline=(*updated.timeline, line))


def note_on_case(uow: UnitOfWork, case: Case, at: datetime, code: str, note: str = "") -> Case:
    """Tell on the case's timeline what happened to its payout (the payout moved, not the claim)."""
    line = TimelineEvent(at, SYSTEM.subject, SYSTEM.role, case.status, case.status, (code,), note)
    return note_case(uow, case, line)


def escalate_case(uow: UnitOfWork, case: Case, at: datetime) -> Case:
    """Escalate a case past its time limit and write ``case.escalated``, only if nobody escalated it meanwhile."""
    escalated, line = case.escalate(at=at, actor=SYSTEM.subject, role=SYSTEM.role)
    uow.cases.save(escalated, case.status, line, escalations=case.escalations)
    uow.events.add(escalation_event(escalated, line))
    return escalated


def open_payout_row(uow: UnitOfWork, payout: Payout) -> None:
    """Store a new pending payout and write ``payout.opened``."""
    uow.payouts.add(payout)
    uow.events.add(payout_event(EventType.PAYOUT_OPENED, payout, None))


def save_payout(uow: UnitOfWork, payout: Payout, expected: PayoutStatus) -> Payout:
    """Store ``payout`` if it is still ``expected``; a change of status writes its event.

    A change that keeps the status (a voucher, the next check time) is bookkeeping, not an
    event: nothing reacts to it.
    """
    uow.payouts.save(payout, expected)
    if payout.status is not expected:
        uow.events.add(payout_event(PAYOUT_TARGETS[payout.status], payout, expected))
    return payout


def sync_order_row(uow: UnitOfWork, order: Order, actor: Actor, at: datetime) -> bool:
    """Insert or update an order from the host platform and write ``order.synced``; True if new."""
    created = uow.orders.upsert(order)
    uow.events.add(order_event(order, created=created, actor=actor.subject, role=actor.role, at=at))
    return created
