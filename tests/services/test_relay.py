"""The relay: retries with backoff without holding others up, gives up visibly, never runs a delivery twice."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import InlineRelay
from tests.services.fakes import WokenRelay
from tests.support.api import Auth, balance, buyer_case, file_case, push
from tests.support.builders import order
from tests.support.factories import order_payload
from tuika.adapters.db.events import SqlEventRepository
from tuika.app import create_app
from tuika.bootstrap import System, build
from tuika.domain.cases import Role
from tuika.domain.events import MAX_ATTEMPTS, Delivery, DeliveryStatus, Event, EventType, backoff
from tuika.domain.ids import EventId
from tuika.http.auth import issue_token
from tuika.services.context import Actor, Context, Handler
from tuika.services.events import relay as relay_module
from tuika.services.events.relay import (
    BEHIND,
    DRAIN_CHUNK,
    NothingDue,
    RecentlyRun,
    drain,
    due_events,
    relay,
    woken,
)
from tuika.services.moves import sync_order_row
from tuika.services.ports import UnitOfWork
from tuika.services.upkeep.sweep import sweep
from tuika.settings import Settings

PLATFORM = Actor("host", Role.PLATFORM)


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, by: timedelta) -> None:
        self.at += by


class Recorder:
    """Handlers that count their runs; ``flaky`` fails its first ``failures`` runs of each event."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.runs: Counter[tuple[str, str]] = Counter()
        self.lock = threading.Lock()

    def _count(self, name: str, event: Event) -> int:
        with self.lock:
            self.runs[(name, event.id)] += 1
            return self.runs[(name, event.id)]

    def flaky(self, ctx: Context, event: Event) -> None:
        if self._count("flaky", event) <= self.failures:
            raise ConnectionError("the partner did not answer")

    def steady(self, ctx: Context, event: Event) -> None:
        self._count("steady", event)

    def table(self) -> dict[EventType, tuple[Handler, ...]]:
        return {EventType.ORDER_SYNCED: (Handler("flaky", self.flaky), Handler("steady", self.steady))}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def built(settings: Settings) -> Iterator[list[System]]:
    made: list[System] = []
    yield made
    for system in made:
        system.engine.dispose()


def wired(settings: Settings, recorder: Recorder, clock: Clock, built: list[System], **changes: object) -> System:
    system = build(
        settings.model_copy(update=changes), clock=clock, relay=WokenRelay(), handlers=recorder.table(), migrate=True
    )
    built.append(system)
    return system


def sync(system: System, n: int, prefix: str = "ord_rl") -> list[str]:
    """Sync ``n`` orders, one transaction each; return their events' ids."""
    ids = []
    for i in range(n):
        with system.ctx.uow() as uow:
            sync_order_row(uow, replace(order(), id=f"{prefix}{i}"), PLATFORM, system.ctx.clock.now())
            ids.append(uow.events.written[-1].id)  # type: ignore[attr-defined]
            uow.commit()
    return ids


def deliveries(system: System, handler: str) -> dict[str, tuple[DeliveryStatus, int, datetime | None, str | None]]:
    with system.ctx.read() as uow:
        found = uow.events.search(limit=1000)
    return {
        e.id: (d.status, d.attempts, d.next_try_at, d.last_error) for e, ds in found for d in ds if d.handler == handler
    }


def count_claims(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Return a list that gets how many deliveries each claim from now on takes."""
    taken: list[int] = []
    claim = SqlEventRepository.claim

    def counted(self: SqlEventRepository, *args: Any, **kwargs: Any) -> list[tuple[Event, Delivery]]:
        found = claim(self, *args, **kwargs)
        taken.append(len(found))
        return found

    monkeypatch.setattr(SqlEventRepository, "claim", counted)
    return taken


def test_a_handler_failing_three_times_is_retried_with_backoff_and_holds_nobody_up(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=3)
    system = wired(settings, recorder, clock, built)
    [first] = sync(system, 1)

    report = relay(system.ctx)

    assert (report.ran, report.done, report.failed) == (2, 1, 1)
    assert deliveries(system, "steady")[first][0] is DeliveryStatus.DONE
    status, attempts, next_try, error = deliveries(system, "flaky")[first]
    assert (status, attempts, next_try) == (DeliveryStatus.PENDING, 1, clock.now() + backoff(1))
    assert error == "ConnectionError: the partner did not answer"

    # Later events are relayed at once; the failing delivery waits for its time, then for longer.
    later = sync(system, 3, "ord_rl_later")
    assert relay(system.ctx).ran == 6  # the new events' two handlers each; the retry is not due
    assert all(deliveries(system, "steady")[e][0] is DeliveryStatus.DONE for e in later)
    for attempt in (2, 3):
        clock.advance(backoff(attempt - 1))
        relay(system.ctx)
        status, attempts, next_try, _ = deliveries(system, "flaky")[first]
        assert (status, attempts, next_try) == (DeliveryStatus.PENDING, attempt, clock.now() + backoff(attempt))
    clock.advance(backoff(3))
    relay(system.ctx)

    status, attempts, next_try, error = deliveries(system, "flaky")[first]
    assert (status, attempts, next_try) == (DeliveryStatus.DONE, 3, None)
    assert error is not None  # the last failure stays on record
    assert recorder.runs[("flaky", first)] == 4
    assert recorder.runs[("steady", first)] == 1  # a handler that succeeded never runs again
    assert relay(system.ctx).ran == 0
    assert all(recorder.runs[("steady", e)] == 1 for e in [first, *later])


def test_a_late_wake_up_relays_the_backlog_behind_it_and_an_on_time_one_only_its_own(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=0)
    system = wired(settings, recorder, clock, built)
    backlog = sync(system, 2 * DRAIN_CHUNK, "ord_late")
    clock.advance(BEHIND + timedelta(seconds=1))
    fresh = sync(system, 2, "ord_fresh")

    # Its own event waited too long: it goes on, in chunks, with all that waited as long.
    report = woken(system.ctx, [backlog[0]])

    assert report.ran == 2 * len(backlog)
    assert {key[1] for key in recorder.runs} == set(backlog)
    # What has not waited is left to its own wake-up, which then runs it and nothing more.
    assert woken(system.ctx, [fresh[0]]).ran == 2
    assert {key[1] for key in recorder.runs} == {*backlog, fresh[0]}
    assert sorted(recorder.runs.values()) == [1] * 2 * (len(backlog) + 1)
    assert deliveries(system, "steady")[fresh[1]][0] is DeliveryStatus.PENDING


def test_a_wake_up_whose_events_were_taken_already_stops_there(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=0)
    system = wired(settings, recorder, clock, built)
    first, *others = sync(system, 3, "ord_taken")
    clock.advance(BEHIND + timedelta(seconds=1))
    assert relay(system.ctx, [first]).ran == 2

    # A queued wake-up that a backlog's relay beat to its events does not drain on its own.
    assert woken(system.ctx, [first]).ran == 0
    assert all(deliveries(system, "steady")[e][0] is DeliveryStatus.PENDING for e in others)


def test_a_late_wake_up_for_events_this_process_relayed_is_dropped_and_an_on_time_one_is_not(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=1)
    system = wired(settings, recorder, clock, built)
    [ran] = sync(system, 1, "ord_stale")
    assert relay(system.ctx, [ran]).ran == 2  # the flaky handler failed: due again after its backoff
    clock.advance(backoff(1))
    [other] = sync(system, 1, "ord_stale_other")

    # Queued behind a backlog that a relay here took on: dropped without a claim (the poll finds the retry).
    assert woken(system.ctx, [ran], due_at=time.time() - 60).ran == 0
    assert deliveries(system, "flaky")[ran][0] is DeliveryStatus.PENDING
    # One of its events never ran here: it is not stale.
    assert woken(system.ctx, [ran, other], due_at=time.time() - 60).ran == 3
    assert deliveries(system, "flaky")[ran][0] is DeliveryStatus.DONE
    # An on-time wake-up always runs.
    [again] = sync(system, 1, "ord_stale_again")
    assert relay(system.ctx, [again]).ran == 2
    clock.advance(backoff(1))
    assert woken(system.ctx, [again]).ran == 1
    assert recorder.runs[("flaky", again)] == 2


def test_a_late_wake_up_whose_events_another_process_ran_drains_and_after_an_empty_drain_the_rest_are_dropped(
    settings: Settings, clock: Clock, built: list[System], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = Recorder(failures=0)
    system = wired(settings, recorder, clock, built)
    first, *others = sync(system, 3, "ord_elsewhere")
    clock.advance(BEHIND + timedelta(seconds=1))
    assert relay(system.ctx, [first]).ran == 2
    # That relay was another process's: this one remembers none of it.
    monkeypatch.setattr(relay_module, "RECENT", RecentlyRun(100))
    claims = count_claims(monkeypatch)
    due = (clock.now() - BEHIND - timedelta(seconds=1)).timestamp()

    # Its events were taken: a relay is behind, so it drains what waited, and finds the end.
    assert woken(system.ctx, [first], due_at=due).ran == 2 * len(others)
    assert claims == [0, 2 * len(others), 0]
    monkeypatch.setattr(relay_module, "RECENT", RecentlyRun(100))
    # Due before that empty claim: stale, whoever ran it, and dropped without a query.
    assert woken(system.ctx, [others[0]], due_at=due).ran == 0
    assert claims == [0, 2 * len(others), 0]
    # Due after it: it looks for itself.
    woken(system.ctx, [others[0]], due_at=clock.now().timestamp())
    assert len(claims) > 3
    assert sorted(recorder.runs.values()) == [1] * 2 * (1 + len(others))


def test_the_mark_of_nothing_due_keeps_the_latest() -> None:
    mark = NothingDue()
    at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    assert not mark.covers(at.timestamp())
    mark.saw(at)
    mark.saw(at - timedelta(seconds=5))

    assert mark.covers(at.timestamp())
    assert mark.covers(at.timestamp() - 1)
    assert not mark.covers(at.timestamp() + 0.001)


def test_the_memory_of_relayed_events_keeps_the_newest_and_needs_every_one() -> None:
    e1, e2, e3, e4, e5 = (EventId(f"e{n}") for n in range(1, 6))
    recent = RecentlyRun(3)
    recent.add([e1, e2, e3])
    recent.add([e1, e4])

    assert recent.all_of([e1, e3, e4])
    assert not recent.all_of([e2])  # the oldest went first
    assert not recent.all_of([e1, e5])
    assert not recent.all_of([])


@pytest.mark.parametrize(("pass_s", "chunks"), [(60.0, [25, 50, 100, 100]), (0.0, [25, 25, 25, 25])])
def test_a_drain_takes_bigger_chunks_while_its_handlers_are_quick_and_small_ones_when_not(
    settings: Settings,
    clock: Clock,
    built: list[System],
    monkeypatch: pytest.MonkeyPatch,
    pass_s: float,
    chunks: list[int],
) -> None:
    # The threshold, not the machine's speed, decides what counts as quick here.
    monkeypatch.setattr(relay_module, "DRAIN_PASS_S", pass_s)
    recorder = Recorder(failures=0)
    system = wired(settings, recorder, clock, built)
    sync(system, 150, "ord_chunks")
    clock.advance(BEHIND + timedelta(seconds=1))
    taken = count_claims(monkeypatch)
    report = drain(system.ctx, seconds=600)

    assert report.ran == 300
    assert taken[:4] == chunks  # twice as many each quick pass, up to the batch (100)
    assert sorted(recorder.runs.values()) == [1] * 300


def test_the_poll_finds_a_retry_as_soon_as_it_is_due_and_a_fresh_event_only_once_its_wake_up_is_late(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=1)
    system = wired(settings, recorder, clock, built)
    [retried] = sync(system, 1, "ord_retry")
    relay(system.ctx)  # the flaky handler fails once: it is due again after its backoff
    clock.advance(backoff(1) + timedelta(milliseconds=1))
    [fresh] = sync(system, 1, "ord_new")
    grace = timedelta(seconds=1)

    # No wake-up is coming for the retry; the fresh event's own wake-up is about to run it.
    assert due_events(system.ctx, 10, waiting=grace) == [retried]
    clock.advance(grace)
    assert due_events(system.ctx, 10, waiting=grace) == [retried, fresh]
    assert due_events(system.ctx, 10) == [retried, fresh]


def test_a_handler_that_keeps_failing_gives_up_and_ops_drive_it_again(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=MAX_ATTEMPTS)
    system = wired(settings, recorder, clock, built)
    [event_id] = sync(system, 1)
    for _ in range(MAX_ATTEMPTS):
        relay(system.ctx)
        clock.advance(timedelta(hours=1))
    status, attempts, next_try, error = deliveries(system, "flaky")[event_id]
    assert (status, attempts, next_try) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, None)

    client = TestClient(create_app(system))
    admin = {"Authorization": "Bearer " + issue_token(system.settings.secret_key, "admin", "root", 3600, clock.now())}
    listed = client.get("/v1/admin/events", params={"failed": "true"}, headers=admin).json()
    [item] = listed["items"]
    assert item["id"] == event_id
    flaky = next(d for d in item["deliveries"] if d["handler"] == "flaky")
    assert (flaky["status"], flaky["attempts"], flaky["last_error"]) == ("failed", MAX_ATTEMPTS, error)
    assert listed["deliveries"] == {"pending": 0, "done": 1, "failed": 1}

    retried = client.post(f"/v1/admin/events/{event_id}/retry", headers=admin)
    assert retried.status_code == 200, retried.text
    assert next(d for d in retried.json()["deliveries"] if d["handler"] == "flaky")["status"] == "pending"
    relay(system.ctx)  # the worker's poll would; this one has no queue
    assert deliveries(system, "flaky")[event_id][0] is DeliveryStatus.DONE
    assert recorder.runs[("steady", event_id)] == 1


def test_retention_deletes_old_delivered_events_and_keeps_unfinished_ones(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=1)
    system = wired(settings, recorder, clock, built, events_keep_days=30)
    old = sync(system, 2, "ord_old")
    relay(system.ctx)  # "steady" done; "flaky" failed once, still pending
    clock.advance(backoff(1))
    with system.ctx.uow() as uow:
        uow.events.retry(old[1], clock.now())
        uow.commit()
    relay(system.ctx)  # both deliveries of old[1] done now; old[0]'s flaky retried too: done
    sync(system, 1, "ord_kept")
    relay(system.ctx)
    clock.advance(backoff(1))
    relay(system.ctx)  # its flaky failed once, then was done
    recorder.failures = 10**6
    [stuck] = sync(system, 1, "ord_stuck")
    relay(system.ctx)
    clock.advance(timedelta(days=31))

    assert sweep(system.ctx).pruned == 3
    with system.ctx.read() as uow:
        left = [e.id for e, _ in uow.events.search(limit=100)]
    assert left == [stuck]  # its flaky delivery is still pending


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_two_relays_at_once_on_postgresql_never_run_one_delivery_twice(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    recorder = Recorder(failures=0)
    writer = wired(settings, recorder, clock, built)
    events = sync(writer, 400, "ord_two")
    relays = [wired(settings, recorder, clock, built, events_batch=7) for _ in range(2)]
    barrier = threading.Barrier(len(relays) * 2)
    errors: list[BaseException] = []

    def drive(system: System) -> None:
        try:
            barrier.wait()
            while relay(system.ctx).ran:
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=drive, args=(s,)) for s in relays for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert sorted(recorder.runs.values()) == [1] * (2 * len(events))
    assert {key[1] for key in recorder.runs} == set(events)
    assert all(status is DeliveryStatus.DONE for status, *_ in deliveries(writer, "steady").values())


def test_a_claim_whose_wake_ups_were_lost_is_reviewed_and_paid_by_the_poll(
    client: TestClient, auth: Auth, system: System, dispatcher: InlineRelay
) -> None:
    dispatcher.run = False  # every hint after a commit is lost, as if the queue were down
    push(client, auth, order_payload("ord_lost", delivery="failed", amount_fen=2500))
    filed = file_case(client, auth, {"order_id": "ord_lost", "reason": "not_delivered", "route": "balance"})
    assert filed["status"] == "submitted"

    passes = 0
    while due_events(system.ctx, 100):
        relay(system.ctx)
        passes += 1

    # The review (and the claim's messages), then the payout it opened, then the messages of the
    # decision and of the money, which those passes wrote.
    assert passes == 3
    assert buyer_case(client, auth, filed["id"])["status"] == "refunded"
    assert balance(client, auth) == 2500


def test_a_writing_handler_commits_its_rows_with_its_done_and_a_failing_one_leaves_none(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    def count(uow: UnitOfWork, events: Sequence[Event]) -> None:
        # The idempotency table's key is unique: a second run for one event would raise.
        for event in events:
            uow.idempotency.add("relay-test", event.id, "count", event.subject, clock.now())

    def broken(uow: UnitOfWork, events: Sequence[Event]) -> None:
        for event in events:
            uow.idempotency.add("relay-test", f"broken-{event.id}", "broken", event.subject, clock.now())
        raise ValueError("half written")

    table = {EventType.ORDER_SYNCED: (Handler("count", write=count), Handler("broken", write=broken))}
    system = build(settings, clock=clock, relay=WokenRelay(), handlers=table, migrate=True)
    built.append(system)
    ids = sync(system, 3, "ord_wr")

    report = relay(system.ctx)
    clock.advance(backoff(1))
    relay(system.ctx)

    assert (report.ran, report.done, report.failed) == (6, 3, 3)
    with system.ctx.read() as uow:
        assert all(uow.idempotency.get("relay-test", event_id) is not None for event_id in ids)
        assert all(uow.idempotency.get("relay-test", f"broken-{event_id}") is None for event_id in ids)
    assert all(status is DeliveryStatus.DONE for status, *_ in deliveries(system, "count").values())
    assert [attempts for _, attempts, *_ in deliveries(system, "broken").values()] == [2, 2, 2]


def test_a_writer_is_given_the_batch_at_once_and_one_bad_event_costs_only_its_own_delivery(
    settings: Settings, clock: Clock, built: list[System]
) -> None:
    calls: list[int] = []

    def picky(uow: UnitOfWork, events: Sequence[Event]) -> None:
        calls.append(len(events))
        for event in events:
            uow.idempotency.add("relay-test", event.id, "picky", event.subject, clock.now())
            if event.subject == "ord_pk1":
                raise ValueError("cannot write this one")

    table = {EventType.ORDER_SYNCED: (Handler("picky", write=picky),)}
    system = build(settings, clock=clock, relay=WokenRelay(), handlers=table, migrate=True)
    built.append(system)
    ids = sync(system, 3, "ord_pk")

    report = relay(system.ctx)

    # Once with the three together, which fails; then each alone, in a savepoint of its own.
    assert calls == [3, 1, 1, 1]
    assert (report.ran, report.done, report.failed) == (3, 2, 1)
    with system.ctx.read() as uow:
        written = [uow.idempotency.get("relay-test", event_id) is not None for event_id in ids]
    assert written == [True, False, True]
    states = deliveries(system, "picky")
    assert [states[event_id][0] for event_id in ids] == [
        DeliveryStatus.DONE,
        DeliveryStatus.PENDING,
        DeliveryStatus.DONE,
    ]
    assert "cannot write this one" in (states[ids[1]][3] or "")


def test_a_handler_must_either_run_or_write() -> None:
    with pytest.raises(ValueError, match="either run or write"):
        Handler("neither")
