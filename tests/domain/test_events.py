"""The event each change writes is a table: checked here over the whole state machines."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.support.builders import PAID_AT, case, order, payout
from tuika.domain.cases import TRANSITIONS, CaseStatus, Role, TimelineEvent
from tuika.domain.events import (
    MAX_BACKOFF,
    PAYOUT_TARGETS,
    EventType,
    backoff,
    case_event,
    case_event_type,
    escalation_event,
    order_event,
    payout_event,
)
from tuika.domain.ids import new_ulid
from tuika.domain.payouts import PAYOUT_TRANSITIONS, PayoutStatus

S = CaseStatus


def expected_case_type(old: CaseStatus, new: CaseStatus) -> EventType:
    if new in (S.APPROVED, S.REJECTED):
        return EventType.CASE_DECIDED
    if (old, new) == (S.AWAITING_EVIDENCE, S.REVIEWING):
        return EventType.CASE_RESUBMITTED
    if new is S.REPLACED:
        return EventType.CASE_REPLACED
    return EventType.CASE_MOVED


CASE_MOVES = [(old, new) for old, targets in TRANSITIONS.items() for new in sorted(targets)]


@pytest.mark.parametrize(("old", "new"), CASE_MOVES, ids=[f"{o.value}->{n.value}" for o, n in CASE_MOVES])
def test_each_case_move_writes_the_type_of_its_table(old: CaseStatus, new: CaseStatus) -> None:
    assert case_event_type(old, new) is expected_case_type(old, new)


def test_a_submission_and_a_note_have_their_own_types() -> None:
    assert case_event_type(None, S.SUBMITTED) is EventType.CASE_SUBMITTED
    for status in S:
        assert case_event_type(status, status) is EventType.CASE_NOTED


PAYOUT_MOVES = [(old, new) for old, targets in PAYOUT_TRANSITIONS.items() for new in sorted(targets)]


@pytest.mark.parametrize(("old", "new"), PAYOUT_MOVES, ids=[f"{o.value}->{n.value}" for o, n in PAYOUT_MOVES])
def test_each_payout_move_has_an_event_type(old: PayoutStatus, new: PayoutStatus) -> None:
    moved = payout(status=old).move(new, PAID_AT)
    event = payout_event(PAYOUT_TARGETS[new], moved, old)
    assert (
        event.type
        is {
            PayoutStatus.PROCESSING: EventType.PAYOUT_SENT,
            PayoutStatus.SUCCEEDED: EventType.PAYOUT_SETTLED,
            PayoutStatus.FAILED: EventType.PAYOUT_FAILED,
            PayoutStatus.ABNORMAL: EventType.PAYOUT_ABNORMAL,
        }[new]
    )
    assert (event.payload["from"], event.payload["to"]) == (old.value, new.value)


def test_a_sent_payout_holds_its_handlers_back_until_its_first_check() -> None:
    sent = payout().move(PayoutStatus.PROCESSING, PAID_AT, check_at=PAID_AT + timedelta(seconds=10))
    event = payout_event(EventType.PAYOUT_SENT, sent, PayoutStatus.PENDING)
    assert event.starts_at == PAID_AT + timedelta(seconds=10)
    settled = payout_event(
        EventType.PAYOUT_SETTLED, sent.move(PayoutStatus.SUCCEEDED, PAID_AT), PayoutStatus.PROCESSING
    )
    assert settled.not_before is None


def test_payloads_carry_no_card_key_and_no_account() -> None:
    on = order()
    synced = order_event(on, created=True, actor="host", role=Role.PLATFORM, at=PAID_AT)
    filed = case()
    line = TimelineEvent(PAID_AT, "b_1", Role.BUYER, S.SUBMITTED, S.WITHDRAWN, ("withdrawn_by_buyer",), "不要了")
    moved = case_event(filed, line)
    for event in (synced, moved):
        text = repr(event.payload)
        assert "enc:" not in text
        assert all(item.secret not in text for item in on.items if item.secret)
    assert "note" not in moved.payload  # a buyer's free text stays on the timeline, not in the outbox
    assert synced.payload["items"] == 1


def test_an_escalation_writes_its_own_type_saying_which_queue_how_late_and_how_often() -> None:
    due = PAID_AT + timedelta(hours=2)
    waiting = replace(case(status=S.MANUAL_REVIEW), due_at=due)
    once, _ = waiting.escalate(at=due + timedelta(minutes=1), actor="tuika", role=Role.SYSTEM)
    twice, line = once.escalate(at=due + timedelta(hours=2, minutes=1), actor="tuika", role=Role.SYSTEM)

    event = escalation_event(twice, line)

    assert (event.type, event.subject, event.actor, event.role) == (
        EventType.CASE_ESCALATED,
        "rc_1",
        "tuika",
        Role.SYSTEM,
    )
    assert event.occurred_at == line.at
    assert event.not_before is None
    assert dict(event.payload) == {
        "case_id": "rc_1",
        "order_id": "ord_1",
        "buyer_id": "b_1",
        "reason": "card_invalid",
        "status": "manual_review",
        "due_at": due.isoformat(),
        "overdue_s": 2 * 3600 + 60,
        "escalations": 2,
        "refundable_fen": 10_000,
    }


def test_ulids_sort_in_the_order_they_were_made() -> None:
    made = [new_ulid() for _ in range(2000)]
    assert made == sorted(made)
    assert len(set(made)) == 2000
    assert all(len(u) == 26 for u in made)
    assert new_ulid(0) < new_ulid(1 << 40)


def test_backoff_doubles_up_to_an_hour() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(seconds=s) for s in (1, 2, 4, 8)]
    assert backoff(40) == MAX_BACKOFF
