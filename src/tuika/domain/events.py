"""Domain events: what happened to a case, a payout or an order, written with the change itself.

An event is a row of the outbox, stored in the same transaction as the change that caused it;
handlers react to it later, each at its own pace, each with its own delivery row. Which
change writes which event is a table here, so it is read in one place and tested as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from tuika.domain.cases import Case, CaseStatus, Role, TimelineEvent
from tuika.domain.ids import EventId, new_ulid
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus

# What a payload may hold: plain JSON values, so a handler on any machine can read it.
Json = str | int | bool | None | list["Json"] | dict[str, "Json"]


class EventType(StrEnum):
    """Every kind of event tuika writes; a closed list, so a handler cannot subscribe to a typo."""

    CASE_SUBMITTED = "case.submitted"  # a buyer filed a claim
    CASE_RESUBMITTED = "case.resubmitted"  # evidence came for a case waiting for it: review again
    CASE_DECIDED = "case.decided"  # approved or rejected, by the machine or a person
    CASE_MOVED = "case.moved"  # any other change of status
    CASE_REPLACED = "case.replaced"  # the buyer took new keys for the claimed ones: the old are to be voided
    CASE_NOTED = "case.noted"  # a line on the timeline without a move (a payout moved, evidence added)
    CASE_ESCALATED = "case.escalated"  # a case waiting for a person passed its time limit (again)
    PAYOUT_OPENED = "payout.opened"  # a payout exists and waits to be paid
    PAYOUT_SENT = "payout.sent"  # the request number is stored as sent to a gateway
    PAYOUT_SETTLED = "payout.settled"  # the money reached the buyer
    PAYOUT_FAILED = "payout.failed"  # nothing was paid
    PAYOUT_ABNORMAL = "payout.abnormal"  # the gateway could not reach the buyer's account
    ORDER_SYNCED = "order.synced"  # the host platform pushed an order, new or updated


# The type a case's move writes, by its target; a move to anything else writes case.moved.
_CASE_TARGETS: Final[Mapping[CaseStatus, EventType]] = {
    CaseStatus.APPROVED: EventType.CASE_DECIDED,
    CaseStatus.REJECTED: EventType.CASE_DECIDED,
    CaseStatus.REPLACED: EventType.CASE_REPLACED,
}
# The type a payout's move writes, by its new status; pending is only ever a start.
PAYOUT_TARGETS: Final[Mapping[PayoutStatus, EventType]] = {
    PayoutStatus.PROCESSING: EventType.PAYOUT_SENT,
    PayoutStatus.SUCCEEDED: EventType.PAYOUT_SETTLED,
    PayoutStatus.FAILED: EventType.PAYOUT_FAILED,
    PayoutStatus.ABNORMAL: EventType.PAYOUT_ABNORMAL,
}


def case_event_type(from_status: CaseStatus | None, to_status: CaseStatus) -> EventType:
    """Return the type of event a case's timeline line writes.

    >>> case_event_type(None, CaseStatus.SUBMITTED).value
    'case.submitted'
    >>> case_event_type(CaseStatus.MANUAL_REVIEW, CaseStatus.APPROVED).value
    'case.decided'
    """
    if from_status is None:
        return EventType.CASE_SUBMITTED
    if from_status is to_status:
        return EventType.CASE_NOTED
    if from_status is CaseStatus.AWAITING_EVIDENCE and to_status is CaseStatus.REVIEWING:
        return EventType.CASE_RESUBMITTED
    return _CASE_TARGETS.get(to_status, EventType.CASE_MOVED)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened. ``subject`` is the id of the case, payout or order it is about.

    ``not_before`` holds back every handler until then (a gateway asks for time before the
    first query). The payload holds what the reactions need and never a card key, an
    account or a phone number: the outbox is read by people and, later, sent to partners.
    """

    id: EventId
    type: EventType
    subject: str
    actor: str
    role: Role
    occurred_at: datetime
    payload: Mapping[str, Json] = field(default_factory=dict)
    not_before: datetime | None = None

    @property
    def starts_at(self) -> datetime:
        """Return when handlers may first run."""
        return self.not_before if self.not_before is not None else self.occurred_at


def case_event(case: Case, line: TimelineEvent) -> Event:
    """Return the event a case's new timeline line writes."""
    payload: dict[str, Json] = {
        "case_id": case.id,
        "order_id": case.order_id,
        "buyer_id": case.buyer_id,
        "reason": case.reason.value,
        "route": case.route.value,
        "from": line.from_status.value if line.from_status is not None else None,
        "to": line.to_status.value,
        "codes": list(line.reason_codes),
        "refundable_fen": case.refundable.fen,
        # As they stood at this line: whoever reads the event later sees them, not the case's since.
        "appealed": case.appealed,
        "due_at": case.due_at.isoformat() if case.due_at is not None else None,
    }
    return Event(
        EventId(new_ulid()),
        case_event_type(line.from_status, line.to_status),
        case.id,
        line.actor,
        line.role,
        line.at,
        payload,
    )


def escalation_event(case: Case, line: TimelineEvent) -> Event:
    """Return the event an escalation writes: which queue, how late, how many times, for whoever tells the lead."""
    overdue_s = 0 if case.due_at is None else int((line.at - case.due_at).total_seconds())
    payload: dict[str, Json] = {
        "case_id": case.id,
        "order_id": case.order_id,
        "buyer_id": case.buyer_id,
        "reason": case.reason.value,
        "status": case.status.value,
        "due_at": case.due_at.isoformat() if case.due_at is not None else None,
        "overdue_s": overdue_s,
        "escalations": case.escalations,
        "refundable_fen": case.refundable.fen,
    }
    return Event(EventId(new_ulid()), EventType.CASE_ESCALATED, case.id, line.actor, line.role, line.at, payload)


def payout_event(type_: EventType, payout: Payout, from_status: PayoutStatus | None) -> Event:
    """Return the event a payout's creation or move writes; a sent one waits for its first check."""
    payload: dict[str, Json] = {
        "payout_id": payout.id,
        "case_id": payout.case_id,
        "order_id": payout.order_id,
        "buyer_id": payout.buyer_id,
        "route": payout.route.value,
        "amount_fen": payout.amount.fen,
        "fee_fen": payout.fee.fen,
        # The gateway's refund number, once it gave one: the buyer's proof of the refund.
        "voucher": payout.voucher,
        "from": from_status.value if from_status is not None else None,
        "to": payout.status.value,
        "attempts": payout.attempts,
        "redirected_from": payout.redirected_from,
    }
    wait = payout.check_at if type_ is EventType.PAYOUT_SENT else None
    return Event(
        EventId(new_ulid()), type_, payout.id, "tuika", Role.SYSTEM, payout.updated_at, payload, not_before=wait
    )


def order_event(order: Order, *, created: bool, actor: str, role: Role, at: datetime) -> Event:
    """Return the event an order's sync writes; no key, account or buyer contact goes in it."""
    payload: dict[str, Json] = {
        "order_id": order.id,
        "buyer_id": order.buyer_id,
        "merchant_id": order.merchant_id,
        "supplier_id": order.supplier_id,
        "sku": order.sku,
        "product_kind": order.product_kind.value,
        "amount_fen": order.amount.fen,
        "items": len(order.items),
        "created": created,
    }
    return Event(EventId(new_ulid()), EventType.ORDER_SYNCED, order.id, actor, role, at, payload)


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next try (or running under a lease)
    DONE = "done"  # the handler finished; it never runs again for this event
    FAILED = "failed"  # it failed too often; ops look, then retry it by hand


@dataclass(frozen=True, slots=True)
class Delivery:
    """One handler's progress with one event."""

    event_id: EventId
    handler: str
    status: DeliveryStatus
    attempts: int
    next_try_at: datetime | None
    last_error: str | None = None
    done_at: datetime | None = None


class RetryAt(Exception):
    """Raised by a handler that cannot act yet; its delivery waits until ``at``, no attempt counted."""

    def __init__(self, at: datetime) -> None:
        super().__init__(f"not before {at.isoformat()}")
        self.at = at


# A failing handler is tried again after 1, 2, 4 … seconds, at most an hour apart, and
# given up (failed, for ops to see and retry) after this many attempts: about a day.
MAX_ATTEMPTS: Final = 30
MAX_BACKOFF: Final = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait after the ``attempts``-th failure.

    >>> [backoff(n).total_seconds() for n in (1, 2, 3)]
    [1.0, 2.0, 4.0]
    """
    return min(timedelta(seconds=2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)
