"""The fake unit of work keeps the ports' signatures and, where the service tests rely on it, the SQL one's word."""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.services import fakes
from tests.support.builders import PAID_AT, case, default_policy_doc, order, payout
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.adapters.db.uow import SqlUnitOfWork, session_factory
from tuika.domain.cases import Case, CaseStatus, Role, TimelineEvent
from tuika.domain.errors import ItemsAlreadyClaimed, StaleState
from tuika.domain.events import DeliveryStatus, Event, case_event, order_event
from tuika.domain.ids import OrderId
from tuika.domain.payouts import PayoutStatus
from tuika.domain.reveals import Channel, Reveal
from tuika.services import ports
from tuika.services.context import subscriptions
from tuika.services.events.handlers import EVENT_HANDLERS
from tuika.services.events.relay import hint
from tuika.services.ports import UnitOfWork

PORTS = [
    (fakes.FakeOrders, ports.OrderRepository),
    (fakes.FakeCases, ports.CaseRepository),
    (fakes.FakePayouts, ports.PayoutRepository),
    (fakes.FakeEvents, ports.EventRepository),
    (fakes.FakeIdempotency, ports.IdempotencyRepository),
    (fakes.FakeEvidence, ports.EvidenceRepository),
    (fakes.FakeFindings, ports.FindingRepository),
    (fakes.FakeReads, ports.ReadRepository),
    (fakes.FakePolicies, ports.PolicyRepository),
    (fakes.FakeAlerts, ports.AlertRepository),
    (fakes.FakeReveals, ports.RevealRepository),
]


@pytest.mark.parametrize(("fake", "port"), PORTS, ids=[f.name for f, _ in PORTS])
def test_each_faked_method_takes_what_its_port_takes(fake: type[Any], port: type[Any]) -> None:
    faked = [name for name, _ in inspect.getmembers(fake, inspect.isfunction) if not name.startswith("_")]
    assert set(faked) <= set(dir(port))
    for name in faked:
        assert str(inspect.signature(getattr(fake, name))) == str(inspect.signature(getattr(port, name))), name


def test_what_is_not_faked_says_so_by_name() -> None:
    uow = fakes.FakeUnitOfWork()

    assert {name for name in UnitOfWork.__annotations__ if not hasattr(uow, name)} == set()
    with pytest.raises(NotImplementedError, match=r"ledger\.balance"):
        uow.ledger.balance("buyer:b_1")
    with pytest.raises(NotImplementedError, match=r"cases\.queue"):
        uow.cases.queue([CaseStatus.MANUAL_REVIEW], 10)


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated once, with the default policy; each test works on a copy."""
    path = tmp_path_factory.mktemp("fakes") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with SqlUnitOfWork(session_factory(engine)) as uow:
        uow.policies.add(1, "default", default_policy_doc(), "tuika", PAID_AT)
        uow.commit()
    engine.dispose()
    return path


@pytest.fixture(params=["fake", "sqlite"])
def uow(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[UnitOfWork]:
    """Return a unit of work holding the order ``ord_1`` and its case ``rc_1`` in manual review."""
    seeded = [order(n_items=2)], [replace(case(status=CaseStatus.MANUAL_REVIEW), item_ids=("oi_1",))]
    if request.param == "fake":
        yield fakes.FakeUnitOfWork(orders=seeded[0], cases=seeded[1])
        return
    path = tmp_path / "tuika.db"
    shutil.copy(request.getfixturevalue("migrated"), path)
    engine = make_engine(f"sqlite:///{path}")
    relay = fakes.WokenRelay()
    sql = SqlUnitOfWork(
        session_factory(engine), subscriptions=subscriptions(EVENT_HANDLERS), wake=lambda events: hint(relay, events)
    )
    sql.relay = relay  # type: ignore[attr-defined]  # where the fake keeps its own, for the tests below
    with sql:
        sql.orders.upsert(seeded[0][0])
        sql.cases.add(seeded[1][0])
        sql.commit()
    yield sql
    engine.dispose()


def moved(to: CaseStatus) -> tuple[Case, TimelineEvent]:
    """Return ``rc_1`` moved from manual review to ``to``, and the line of its timeline."""
    return case(status=CaseStatus.MANUAL_REVIEW).move(to, at=PAID_AT, actor="agent_1", role=Role.AGENT)


def save(uow: UnitOfWork, to: CaseStatus) -> None:
    """Save ``rc_1`` moved to ``to``, as read in manual review."""
    changed, line = moved(to)
    uow.cases.save(changed, CaseStatus.MANUAL_REVIEW, line)


def test_a_case_is_saved_only_from_the_status_it_was_read_in(uow: UnitOfWork) -> None:
    with uow:
        save(uow, CaseStatus.ARBITRATION)
        uow.commit()
    with uow:
        with pytest.raises(StaleState):
            save(uow, CaseStatus.APPROVED)
        stored = uow.cases.get("rc_1")

    assert stored is not None
    assert [(line.from_status, line.to_status) for line in stored.timeline] == [
        (None, CaseStatus.SUBMITTED),
        (CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION),
    ]


def test_an_escalation_is_saved_only_from_the_count_it_was_read_with(uow: UnitOfWork) -> None:
    read = replace(case(status=CaseStatus.MANUAL_REVIEW), item_ids=("oi_1",))
    once, line = read.escalate(at=PAID_AT, actor="tuika", role=Role.SYSTEM)
    with uow:
        uow.cases.save(once, CaseStatus.MANUAL_REVIEW, line, escalations=0)
        uow.commit()
    with uow:
        with pytest.raises(StaleState):
            uow.cases.save(once, CaseStatus.MANUAL_REVIEW, line, escalations=0)
        stored = uow.cases.get("rc_1")

    assert stored is not None
    assert (stored.escalations, stored.escalated_at, len(stored.timeline)) == (1, PAID_AT, 2)


def test_a_live_claim_holds_its_items_until_it_ends(uow: UnitOfWork) -> None:
    other = replace(case(), id="rc_2", item_ids=("oi_1", "oi_2"))
    with uow, pytest.raises(ItemsAlreadyClaimed):
        uow.cases.add(other)
    with uow:
        assert [c.id for c in uow.cases.for_order("ord_1")] == ["rc_1"]
        save(uow, CaseStatus.WITHDRAWN)
        assert uow.cases.held_items("ord_1") == {}
        uow.cases.add(other)
        uow.commit()
    with uow:
        assert uow.cases.held_items("ord_1") == {"oi_1": "rc_2", "oi_2": "rc_2"}
        assert [c.id for c in uow.cases.for_order("ord_1")] == ["rc_1", "rc_2"]


def test_an_event_gets_a_pending_delivery_per_subscribed_handler_and_goes_with_a_rollback(uow: UnitOfWork) -> None:
    submitted = case_event(case(), case().timeline[0])
    synced = order_event(order(), created=True, actor="host", role=Role.PLATFORM, at=PAID_AT)  # webhooks only
    with uow:
        uow.events.add(submitted)
        uow.events.add(synced)
        found = [uow.events.get(e.id) for e in (submitted, synced)]
        assert [[(d.handler, d.status, d.attempts) for d in pair[1]] for pair in found if pair] == [
            [
                ("notify", DeliveryStatus.PENDING, 0),
                ("review", DeliveryStatus.PENDING, 0),
                ("webhooks", DeliveryStatus.PENDING, 0),
            ],
            [("webhooks", DeliveryStatus.PENDING, 0)],
        ]
    with uow:
        assert uow.events.get(submitted.id) is None


def test_a_payout_is_saved_only_from_the_status_it_was_read_in(uow: UnitOfWork) -> None:
    pending = replace(payout(), case_id="rc_1")
    with uow:
        uow.payouts.add(pending)
        uow.payouts.save(replace(pending, status=PayoutStatus.PROCESSING, attempts=1), PayoutStatus.PENDING)
        with pytest.raises(StaleState):
            uow.payouts.save(replace(pending, status=PayoutStatus.SUCCEEDED), PayoutStatus.PENDING)
        stored = uow.payouts.get("po_1")
        uow.commit()

    assert stored is not None
    assert (stored.status, stored.attempts) == (PayoutStatus.PROCESSING, 1)


def write_then_fail(uow: UnitOfWork, event: Event) -> None:
    """Write an event and a move in a savepoint, then fail on a stale move."""
    with uow.savepoint():
        uow.events.add(event)
        save(uow, CaseStatus.ARBITRATION)
        save(uow, CaseStatus.APPROVED)  # from manual review, where it no longer is


def test_a_savepoint_that_raises_undoes_only_what_was_written_inside_it(uow: UnitOfWork) -> None:
    before, inside = case_event(case(), case().timeline[0]), case_event(*moved(CaseStatus.ARBITRATION))
    with uow:
        uow.events.add(before)
        with pytest.raises(StaleState):
            write_then_fail(uow, inside)
        uow.commit()
    with uow:
        stored = uow.cases.get("rc_1")
        assert (uow.events.get(before.id) is None, uow.events.get(inside.id)) == (False, None)

    assert stored is not None
    assert stored.status is CaseStatus.MANUAL_REVIEW


def test_a_commit_wakes_the_relay_for_the_events_it_wrote_and_a_rollback_for_none(uow: UnitOfWork) -> None:
    synced = order_event(order(), created=True, actor="host", role=Role.PLATFORM, at=PAID_AT)
    submitted = case_event(case(), case().timeline[0])
    with uow:
        uow.events.add(synced)
        uow.events.add(submitted)
        uow.commit()
    with uow:
        uow.events.add(case_event(*moved(CaseStatus.ARBITRATION)))

    # Every event has a reaction now: the webhook writer subscribes to every type.
    assert uow.relay.woken == [(synced.id, 0.0), (submitted.id, 0.0)]  # type: ignore[attr-defined]


def test_reveals_are_read_back_oldest_first_and_the_first_dates_each_key(uow: UnitOfWork) -> None:
    seen = [
        Reveal(OrderId("ord_1"), "oi_2", PAID_AT + timedelta(minutes=9), "b_1", Channel.API, "a" * 32),
        Reveal(OrderId("ord_1"), "oi_2", PAID_AT + timedelta(minutes=7), "b_1", Channel.PAGE, "p" * 32, "::1", "UA"),
    ]
    with uow:
        for reveal in seen:
            uow.reveals.add(reveal)
        uow.commit()
    with uow:
        log = uow.reveals.for_order(OrderId("ord_1"))
        first = uow.reveals.first_seen([OrderId("ord_1"), OrderId("ord_none")])

    assert log == [seen[1], seen[0]]
    assert first == {(OrderId("ord_1"), "oi_2"): PAID_AT + timedelta(minutes=7)}
