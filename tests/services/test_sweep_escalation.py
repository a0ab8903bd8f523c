"""The sweep escalates reviews past their time limit: once per period, under two sweeps, across a crash."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.services.fakes import WokenRelay
from tests.support.builders import PAID_AT, case, order
from tests.support.threads import race
from tuika.bootstrap import System, build
from tuika.domain.cases import ESCALATED_CODE, Case, CaseStatus, Role, priority
from tuika.domain.clock import FixedClock
from tuika.domain.errors import StaleState
from tuika.domain.events import Event, EventType
from tuika.services.context import Actor
from tuika.services.moves import escalate_case, move_case
from tuika.services.upkeep.escalation import escalate, escalate_overdue
from tuika.services.upkeep.sweep import sweep
from tuika.services.views import review_queue
from tuika.settings import Settings

S = CaseStatus
# Filed at PAID_AT, into a 2-hour manual review (an arbitration has 1 hour): the defaults.
DUE = PAID_AT + timedelta(hours=2)
LATE = DUE + timedelta(minutes=1)
AGENT = Actor("agent_1", Role.AGENT)
ARBITRATOR = Actor("arb_1", Role.ARBITRATOR)


class Crash(Exception):
    """The process dies here."""


class CrashingClock(FixedClock):
    """A fixed clock that, when armed, dies on the given call: a sweep killed half-way."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self.calls_left: int | None = None

    def now(self) -> datetime:
        if self.calls_left is not None:
            if self.calls_left == 0:
                raise Crash
            self.calls_left -= 1
        return super().now()


@pytest.fixture
def clock() -> CrashingClock:
    return CrashingClock(LATE)


@pytest.fixture
def wired(settings: Settings, clock: CrashingClock) -> Iterator[System]:
    """Return a system on the test database with the real handler table and a clock the test moves."""
    system = build(settings, clock=clock, relay=WokenRelay(), migrate=True)
    yield system
    system.engine.dispose()


def waiting(system: System, n: int, status: CaseStatus = S.MANUAL_REVIEW, due: datetime = DUE) -> str:
    """Store order ``ord_e{n}`` and its case ``rc_e{n}`` waiting in ``status`` until ``due``."""
    filed = replace(case(status=status), id=f"rc_e{n}", order_id=f"ord_e{n}", due_at=due)
    with system.ctx.uow() as uow:
        uow.orders.upsert(replace(order(), id=f"ord_e{n}"))
        uow.cases.add(filed)
        uow.commit()
    return filed.id


def stored(system: System, case_id: str) -> Case:
    with system.ctx.read() as uow:
        found = uow.cases.get(case_id)
    assert found is not None
    return found


def escalations_of(system: System, case_id: str) -> list[Event]:
    with system.ctx.read() as uow:
        found = uow.events.search(subject=case_id, type_=EventType.CASE_ESCALATED, limit=100)
    # The message writer tells the queue's staff (their bell); the webhook writer, the platform.
    assert all([d.handler for d in deliveries] == ["notify", "webhooks"] for _, deliveries in found)
    return [event for event, _ in found]


def test_an_overdue_review_is_escalated_once_with_its_line_and_its_event(wired: System) -> None:
    case_id = waiting(wired, 1)

    report = sweep(wired.ctx)

    assert report.escalated == 1
    escalated = stored(wired, case_id)
    assert (escalated.status, escalated.escalations, escalated.escalated_at) == (S.MANUAL_REVIEW, 1, LATE)
    assert escalated.due_at == DUE  # the buyer's deadline is not moved: it passed
    line = escalated.timeline[-1]
    assert (line.actor, line.role, line.from_status, line.to_status, line.reason_codes, line.note) == (
        "tuika",
        Role.SYSTEM,
        S.MANUAL_REVIEW,
        S.MANUAL_REVIEW,
        (ESCALATED_CODE,),
        "",
    )
    [event] = escalations_of(wired, case_id)
    assert (event.occurred_at, event.payload["status"], event.payload["escalations"]) == (LATE, "manual_review", 1)
    assert event.payload["overdue_s"] == 60
    assert priority(escalated, wired.ctx.sla.stages()[S.MANUAL_REVIEW], LATE) == "urgent"


def test_a_sweep_run_again_escalates_nothing_until_the_next_period(wired: System, clock: CrashingClock) -> None:
    case_id = waiting(wired, 1)
    assert sweep(wired.ctx).escalated == 1

    assert sweep(wired.ctx).escalated == 0
    clock.set(LATE + timedelta(hours=2) - timedelta(seconds=1))
    assert sweep(wired.ctx).escalated == 0
    assert len(escalations_of(wired, case_id)) == 1

    clock.set(LATE + timedelta(hours=2))
    assert sweep(wired.ctx).escalated == 1
    again = stored(wired, case_id)
    assert (again.escalations, again.escalated_at) == (2, LATE + timedelta(hours=2))
    assert [e.payload["escalations"] for e in escalations_of(wired, case_id)] == [1, 2]
    assert [line.reason_codes for line in again.timeline[1:]] == [(ESCALATED_CODE,), (ESCALATED_CODE,)]


def test_only_reviews_and_arbitrations_past_their_deadline_are_escalated(wired: System) -> None:
    overdue_review = waiting(wired, 1)
    overdue_arbitration = waiting(wired, 2, S.ARBITRATION, due=LATE - timedelta(seconds=1))
    on_time = waiting(wired, 3, due=LATE)  # due this very second: not yet past it
    reviewing = waiting(wired, 4, S.REVIEWING)
    approved = waiting(wired, 5, S.APPROVED)

    assert sweep(wired.ctx).escalated == 2

    assert [stored(wired, c).escalations for c in (overdue_review, overdue_arbitration)] == [1, 1]
    for untouched in (on_time, reviewing, approved):
        assert stored(wired, untouched).escalations == 0
        assert escalations_of(wired, untouched) == []


def test_the_most_overdue_are_escalated_first_when_the_sweep_has_a_limit(wired: System) -> None:
    later = waiting(wired, 1, due=DUE)
    earliest = waiting(wired, 2, due=DUE - timedelta(hours=1))

    assert escalate_overdue(wired.ctx, limit=1) == 1

    assert (stored(wired, earliest).escalations, stored(wired, later).escalations) == (1, 0)
    assert escalate_overdue(wired.ctx, limit=1) == 1  # the one escalated already is not found again
    assert stored(wired, later).escalations == 1


def test_a_move_ends_the_escalation_and_the_next_status_escalates_by_its_own_period(
    wired: System, clock: CrashingClock
) -> None:
    case_id = waiting(wired, 1)
    assert sweep(wired.ctx).escalated == 1
    with wired.ctx.uow() as uow:
        handed_on = move_case(
            uow, stored(wired, case_id), S.ARBITRATION, at=LATE, actor=AGENT, due=LATE + timedelta(hours=1)
        )
        uow.commit()
    assert (handed_on.escalations, stored(wired, case_id).escalations, stored(wired, case_id).escalated_at) == (
        0,
        0,
        None,
    )

    assert sweep(wired.ctx).escalated == 0
    clock.set(LATE + timedelta(hours=1, seconds=1))
    assert sweep(wired.ctx).escalated == 1
    assert [e.payload["status"] for e in escalations_of(wired, case_id)] == ["manual_review", "arbitration"]


def test_an_escalation_rolled_back_writes_no_event_and_a_committed_one_writes_it_with_it(wired: System) -> None:
    case_id = waiting(wired, 1)

    with wired.ctx.uow() as uow:
        escalate_case(uow, stored(wired, case_id), LATE)
        uow.rollback()
    assert (stored(wired, case_id).escalations, escalations_of(wired, case_id)) == (0, [])
    assert len(stored(wired, case_id).timeline) == 1

    with wired.ctx.uow() as uow:
        escalate_case(uow, stored(wired, case_id), LATE)
        uow.commit()
    assert stored(wired, case_id).escalations == 1
    assert len(escalations_of(wired, case_id)) == 1


def test_an_escalation_from_a_stale_read_loses_its_compare_and_set_and_writes_nothing(wired: System) -> None:
    case_id = waiting(wired, 1)
    read_before = stored(wired, case_id)
    assert escalate(wired.ctx, case_id)  # another sweep got there first

    with wired.ctx.uow() as uow, pytest.raises(StaleState):
        escalate_case(uow, read_before, LATE)

    assert stored(wired, case_id).escalations == 1
    assert len(escalations_of(wired, case_id)) == 1
    assert not escalate(wired.ctx, case_id)  # read again under its lock: nothing is due


def test_two_sweeps_at_once_escalate_each_case_once(wired: System) -> None:
    cases = [waiting(wired, n, due=DUE - timedelta(minutes=n)) for n in range(6)]

    reports = race([lambda: sweep(wired.ctx), lambda: sweep(wired.ctx)])

    assert sum(r.escalated for r in reports) == 6
    assert [stored(wired, c).escalations for c in cases] == [1] * 6
    assert [len(escalations_of(wired, c)) for c in cases] == [1] * 6


def test_a_sweep_that_dies_half_way_loses_nothing_and_the_next_does_not_escalate_twice(
    wired: System, clock: CrashingClock
) -> None:
    cases = [waiting(wired, n, due=DUE - timedelta(minutes=n)) for n in range(3)]
    # One reading of the clock to find the cases, one under each case's lock: it dies on the second case.
    clock.calls_left = 2
    with pytest.raises(Crash):
        escalate_overdue(wired.ctx, limit=100)
    escalated_first = [c for c in cases if stored(wired, c).escalations]
    assert escalated_first == [cases[2]]  # the most overdue, committed before the crash

    clock.calls_left = None
    assert sweep(wired.ctx).escalated == 2

    assert [stored(wired, c).escalations for c in cases] == [1, 1, 1]
    assert [len(escalations_of(wired, c)) for c in cases] == [1, 1, 1]


def test_escalated_cases_lead_the_queue_most_overdue_first_for_agents_and_arbitrators(wired: System) -> None:
    fresh_review = waiting(wired, 1, due=LATE + timedelta(hours=1))
    late_review = waiting(wired, 2, due=LATE - timedelta(hours=1))
    later_review = waiting(wired, 3, due=LATE - timedelta(hours=3))
    late_arbitration = waiting(wired, 4, S.ARBITRATION, due=LATE - timedelta(minutes=30))
    fresh_arbitration = waiting(wired, 5, S.ARBITRATION, due=LATE + timedelta(minutes=10))

    assert sweep(wired.ctx).escalated == 3

    agents = review_queue(wired.ctx, AGENT)
    assert [c.id for c in agents] == [later_review, late_review, fresh_review]
    assert [c.escalations for c in agents] == [1, 1, 0]
    arbitrators = review_queue(wired.ctx, ARBITRATOR)
    assert [c.id for c in arbitrators] == [
        later_review,
        late_review,
        late_arbitration,
        fresh_arbitration,
        fresh_review,
    ]
