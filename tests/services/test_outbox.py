"""The outbox: every change writes its event in its own transaction, and ops can read and re-drive them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from tests.services.fakes import WokenRelay
from tests.support.api import Auth, file_case, push
from tests.support.builders import PAID_AT, case, order, payout
from tests.support.factories import assert_problem, count_rows, order_payload
from tuika.bootstrap import System, build
from tuika.domain.cases import TRANSITIONS, Case, CaseStatus, Role
from tuika.domain.errors import StaleState
from tuika.domain.events import PAYOUT_TARGETS, DeliveryStatus, Event, EventType, case_event_type
from tuika.domain.payouts import PAYOUT_TRANSITIONS
from tuika.services.context import Actor
from tuika.services.moves import move_case, save_payout
from tuika.settings import Settings

AGENT = Actor("agent_1", Role.AGENT)
CASE_MOVES = [(old, new) for old, targets in TRANSITIONS.items() for new in sorted(targets)]
PAYOUT_MOVES = [(old, new) for old, targets in PAYOUT_TRANSITIONS.items() for new in sorted(targets)]


@pytest.fixture
def bare(settings: Settings) -> Iterator[System]:
    """Return a system with no handlers: every event is written, nothing runs."""
    system = build(settings, relay=WokenRelay(), handlers={}, migrate=True)
    yield system
    system.engine.dispose()


def events_of(system: System, subject: str) -> list[Event]:
    with system.ctx.read() as uow:
        return [event for event, _ in uow.events.search(subject=subject, limit=1000)]


def case_in(status: CaseStatus, n: int) -> Case:
    return replace(case(status=status), id=f"rc_m{n}", order_id=f"ord_m{n}")


def test_every_case_move_writes_its_one_event_with_it_and_a_rolled_back_one_writes_none(bare: System) -> None:
    with bare.ctx.uow() as uow:
        for n, (old, _) in enumerate(CASE_MOVES):
            uow.orders.upsert(replace(order(), id=f"ord_m{n}"))
            uow.cases.add(case_in(old, n))
        uow.commit()
    before = count_rows(bare.engine, "events")

    for n, (old, new) in enumerate(CASE_MOVES):
        with bare.ctx.uow() as uow:
            move_case(uow, case_in(old, n), new, at=PAID_AT, actor=AGENT)
            uow.rollback()
        assert events_of(bare, f"rc_m{n}") == [], (old, new)
        with bare.ctx.uow() as uow:
            move_case(uow, case_in(old, n), new, at=PAID_AT, actor=AGENT)
            uow.commit()
        [event] = events_of(bare, f"rc_m{n}")
        assert event.type is case_event_type(old, new)
        assert (event.payload["from"], event.payload["to"], event.actor) == (old.value, new.value, "agent_1")

    assert count_rows(bare.engine, "events") == before + len(CASE_MOVES)


def test_a_move_that_loses_its_compare_and_set_leaves_no_event(bare: System) -> None:
    with bare.ctx.uow() as uow:
        uow.orders.upsert(order())
        uow.cases.add(replace(case(status=CaseStatus.MANUAL_REVIEW), id="rc_race"))
        uow.commit()
    stale = replace(case(status=CaseStatus.REVIEWING), id="rc_race")  # someone moved it meanwhile
    with bare.ctx.uow() as uow, pytest.raises(StaleState):
        move_case(uow, stale, CaseStatus.APPROVED, at=PAID_AT, actor=AGENT)
    assert events_of(bare, "rc_race") == []


def test_every_payout_move_writes_its_event_and_bookkeeping_writes_none(bare: System) -> None:
    with bare.ctx.uow() as uow:
        uow.orders.upsert(order())
        uow.cases.add(case(status=CaseStatus.APPROVED))
        for n, (old, _) in enumerate(PAYOUT_MOVES):
            uow.payouts.add(replace(payout(f"po_m{n}", status=old), case_id="rc_1"))
        uow.commit()

    for n, (old, new) in enumerate(PAYOUT_MOVES):
        current = replace(payout(f"po_m{n}", status=old), case_id="rc_1")
        with bare.ctx.uow() as uow:
            save_payout(uow, replace(current, attempts=1), old)  # same status: no event
            uow.commit()
        assert events_of(bare, current.id) == []
        with bare.ctx.uow() as uow:
            save_payout(uow, replace(current, attempts=1).move(new, PAID_AT), old)
            uow.commit()
        [event] = events_of(bare, current.id)
        assert event.type is PAYOUT_TARGETS[new]
        assert (event.payload["from"], event.payload["to"]) == (old.value, new.value)


def test_a_claim_paid_to_the_balance_leaves_its_whole_story_in_the_outbox(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_ob1", delivery="failed", amount_fen=3000))
    filed = file_case(client, auth, {"order_id": "ord_ob1", "reason": "not_delivered", "route": "balance"})

    assert filed["status"] == "refunded"
    [synced] = events_of(system, "ord_ob1")
    assert (synced.type, synced.role, synced.payload["created"]) == (EventType.ORDER_SYNCED, Role.PLATFORM, True)
    story = [(e.type, e.payload["to"]) for e in events_of(system, filed["id"])]
    assert story == [
        (EventType.CASE_SUBMITTED, "submitted"),
        (EventType.CASE_MOVED, "reviewing"),
        (EventType.CASE_DECIDED, "approved"),
        (EventType.CASE_MOVED, "refunding"),
        (EventType.CASE_MOVED, "refunded"),
    ]
    payout_id = filed["payout"]["id"]
    assert [e.type for e in events_of(system, payout_id)] == [EventType.PAYOUT_OPENED, EventType.PAYOUT_SETTLED]
    with system.ctx.read() as uow:
        everything = uow.events.search(limit=1000)
    deliveries = {(e.type, d.handler, d.status) for e, ds in everything for d in ds}
    assert deliveries == {
        (EventType.CASE_SUBMITTED, "review", DeliveryStatus.DONE),
        (EventType.PAYOUT_OPENED, "pay", DeliveryStatus.DONE),
        # The message writer reads every event a person hears of (some tell no one: reviewing).
        (EventType.CASE_SUBMITTED, "notify", DeliveryStatus.DONE),
        (EventType.CASE_MOVED, "notify", DeliveryStatus.DONE),
        (EventType.CASE_DECIDED, "notify", DeliveryStatus.DONE),
        (EventType.PAYOUT_SETTLED, "notify", DeliveryStatus.DONE),
        # The webhook writer reads every event (it found no endpoint here, so wrote nothing).
        *((t, "webhooks", DeliveryStatus.DONE) for t in {e.type for e, _ in everything}),
    }


def test_ops_read_the_events_of_a_case_and_others_may_not(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_ob2", delivery="failed", amount_fen=3000))
    filed = file_case(client, auth, {"order_id": "ord_ob2", "reason": "not_delivered", "route": "balance"})

    page = client.get(
        "/v1/admin/events", params={"subject": filed["id"], "type": "case.decided"}, headers=auth("admin", "root")
    )
    assert page.status_code == 200, page.text
    [decided] = page.json()["items"]
    assert (decided["type"], decided["subject"], decided["payload"]["to"]) == ("case.decided", filed["id"], "approved")
    assert [(d["handler"], d["status"]) for d in decided["deliveries"]] == [("notify", "done"), ("webhooks", "done")]
    everything = client.get("/v1/admin/events", params={"limit": 2}, headers=auth("admin", "root")).json()
    assert len(everything["items"]) == 2
    assert everything["next_after"] == everything["items"][1]["id"]
    # Review, pay, the message writer of six events and the webhook writer of all eight.
    assert everything["deliveries"]["done"] == 16
    rest = client.get(
        "/v1/admin/events", params={"after": everything["next_after"]}, headers=auth("admin", "root")
    ).json()
    assert rest["items"][0]["id"] > everything["next_after"]

    for role, subject in (("agent", "agent_1"), ("buyer", "buyer_1"), ("platform", "host")):
        assert_problem(client.get("/v1/admin/events", headers=auth(role, subject)), 403, "forbidden")
    assert_problem(
        client.get("/v1/admin/events", params={"type": "case.exploded"}, headers=auth("admin", "root")),
        422,
        "validation_failed",
    )
    assert_problem(client.get("/v1/admin/events/01ZZZ", headers=auth("admin", "root")), 404, "not_found")
    assert_problem(client.post("/v1/admin/events/01ZZZ/retry", headers=auth("admin", "root")), 404, "not_found")
