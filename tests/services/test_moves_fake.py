"""The writers of events on the fake unit of work: one event per change, in the caller's transaction, uncommitted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.services.fakes import NOW, FakeUnitOfWork, fake_context
from tests.support.builders import case, order, payout
from tuika.domain.cases import TRANSITIONS, CaseStatus
from tuika.domain.errors import IllegalTransition, ItemsAlreadyClaimed, StaleState
from tuika.domain.events import DeliveryStatus, EventType, case_event_type
from tuika.domain.payouts import PayoutStatus
from tuika.services import moves
from tuika.services.context import SYSTEM

MOVES = sorted((old, new) for old, targets in TRANSITIONS.items() for new in targets)


@pytest.mark.parametrize(("old", "new"), MOVES, ids=[f"{o.value}-{n.value}" for o, n in MOVES])
def test_every_move_of_a_case_stores_it_and_writes_exactly_one_event(old: CaseStatus, new: CaseStatus) -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=old)])

    with uow:
        read = uow.cases.get("rc_1")
        assert read is not None
        moved = moves.move_case(uow, read, new, at=NOW, actor=SYSTEM, codes=("why",))

        assert [(e.type, e.subject, e.payload["from"], e.payload["to"]) for e in uow.events.written] == [
            (case_event_type(old, new), "rc_1", old.value, new.value)
        ]
        assert uow.cases.get("rc_1") == moved
        assert uow.committed is False


def test_a_move_left_without_commit_is_undone_and_wakes_nobody() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])
    ctx = fake_context(uow)

    with ctx.uow() as tx:
        read = tx.cases.get("rc_1")
        assert read is not None
        moves.move_case(tx, read, CaseStatus.WITHDRAWN, at=NOW, actor=SYSTEM)

    assert uow.committed is False
    assert uow.events.written == []
    assert uow.cases.held_items("ord_1") == {"oi_1": "rc_1"}
    stored = uow.cases.get("rc_1")
    assert stored is not None
    assert (stored.status, len(stored.timeline)) == (CaseStatus.MANUAL_REVIEW, 1)
    assert uow.relay.woken == []


def test_the_commit_of_the_caller_wakes_the_relay_once_for_what_it_wrote() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.AWAITING_EVIDENCE)])
    ctx = fake_context(uow)

    with ctx.uow() as tx:
        read = tx.cases.get("rc_1")
        assert read is not None
        resubmitted = moves.move_case(tx, read, CaseStatus.REVIEWING, at=NOW, actor=SYSTEM)
        # Noted without a move: only the webhook writer reacts to case.noted.
        moves.note_on_case(tx, resubmitted, NOW, "evidence_added")
        assert uow.relay.woken == []
        tx.commit()
        tx.commit()

    assert [e.type for e in uow.events.written] == [EventType.CASE_RESUBMITTED, EventType.CASE_NOTED]
    assert uow.relay.woken == [(e.id, 0.0) for e in uow.events.written]


def test_a_move_from_a_stale_read_raises_and_writes_no_second_event() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])
    with uow:
        stale = uow.cases.get("rc_1")
        assert stale is not None
        moves.move_case(uow, stale, CaseStatus.ARBITRATION, at=NOW, actor=SYSTEM)
        uow.commit()

    with uow, pytest.raises(StaleState):
        moves.move_case(uow, stale, CaseStatus.APPROVED, at=NOW, actor=SYSTEM)

    assert [e.payload["to"] for e in uow.events.written] == ["arbitration"]


def test_a_move_the_table_refuses_writes_nothing() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.SUBMITTED)])

    with uow:
        read = uow.cases.get("rc_1")
        assert read is not None
        with pytest.raises(IllegalTransition):
            moves.move_case(uow, read, CaseStatus.APPROVED, at=NOW, actor=SYSTEM)

        assert uow.events.written == []
        assert uow.cases.get("rc_1") == read


def test_open_case_holds_the_items_and_writes_case_submitted_with_a_pending_review() -> None:
    uow = FakeUnitOfWork(orders=[order()])

    with uow:
        moves.open_case(uow, case(), merchant_id="merchant_1")
        uow.commit()

    [event] = uow.events.written
    found = uow.events.get(event.id)
    assert found is not None
    assert (event.type, event.subject) == (EventType.CASE_SUBMITTED, "rc_1")
    deliveries = [(d.handler, d.status, d.next_try_at) for d in found[1]]
    assert deliveries == [
        ("notify", DeliveryStatus.PENDING, event.occurred_at),
        ("review", DeliveryStatus.PENDING, event.occurred_at),
        ("webhooks", DeliveryStatus.PENDING, event.occurred_at),
    ]
    assert uow.cases.held_items("ord_1") == {"oi_1": "rc_1"}


def test_a_second_case_on_a_held_item_is_refused_and_writes_no_event() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])

    with uow, pytest.raises(ItemsAlreadyClaimed):
        moves.open_case(uow, replace(case(), id="rc_2"), merchant_id="merchant_1")

    assert uow.events.written == []
    assert uow.cases.get("rc_2") is None


def test_a_payout_saved_in_its_status_writes_no_event_and_a_move_writes_one() -> None:
    uow = FakeUnitOfWork(orders=[order()], payouts=[payout()])

    with uow:
        pending = uow.payouts.get("po_1")
        assert pending is not None
        moves.save_payout(uow, replace(pending, attempts=1), PayoutStatus.PENDING)
        assert uow.events.written == []

        sent = pending.move(PayoutStatus.PROCESSING, NOW, attempts=1, check_at=NOW)
        moves.save_payout(uow, sent, PayoutStatus.PENDING)
        assert [(e.type, e.payload["from"], e.payload["to"]) for e in uow.events.written] == [
            (EventType.PAYOUT_SENT, "pending", "processing")
        ]

        with pytest.raises(StaleState):
            moves.save_payout(uow, sent, PayoutStatus.PENDING)
        assert len(uow.events.written) == 1
