"""The relay: take due deliveries, run their handlers, store how each went.

Runs in the worker: a Huey task woken after each commit that wrote events, and each worker's
poll for whatever the wake-ups missed (a lost message, a relay that died, a retry whose time
has come). Every path ends here, so there is one way a handler is run.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final

from tuika.domain.events import MAX_ATTEMPTS, Delivery, DeliveryStatus, Event, RetryAt, backoff
from tuika.domain.ids import EventId
from tuika.services.context import Context, Handler
from tuika.services.ports import Relay, UnitOfWork

log = logging.getLogger(__name__)

# A wake-up whose events waited longer than this is behind a backlog. It then goes on with
# whatever else has waited as long, a chunk at a time for about a second: a backlog is
# relayed in batches, not one commit's events per task, while on-time wake-ups (and what
# they are about to run) are left alone. A wake-up that finds its events taken already
# stops there: a relay that is behind has them, and the queued wake-ups behind it clear fast.
BEHIND: Final = timedelta(milliseconds=500)
DRAIN_FOR_S: Final = 1.0
# The first chunk is small, so slow handlers (a review, a gateway call) are shared out between
# the threads that drain at once and run side by side. While a chunk takes less than
# ``DRAIN_PASS_S`` its handlers are quick, and the next chunk is twice as big (up to the
# batch): the claim and the finish are then paid once for many deliveries, not for each few.
DRAIN_CHUNK: Final = 25
DRAIN_PASS_S: Final = 0.05


@dataclass(frozen=True, slots=True)
class RelayReport:
    """What one pass did: handlers run, finished, told to wait, failed (to retry), given up."""

    ran: int = 0
    done: int = 0
    later: int = 0
    failed: int = 0
    gave_up: int = 0
    # How long the longest waiting of the events run had waited to start.
    waited: timedelta = timedelta(0)

    def __add__(self, other: RelayReport) -> RelayReport:
        return RelayReport(
            ran=self.ran + other.ran,
            done=self.done + other.done,
            later=self.later + other.later,
            failed=self.failed + other.failed,
            gave_up=self.gave_up + other.gave_up,
            waited=max(self.waited, other.waited),
        )


class RecentlyRun:
    """The events whose deliveries this process ran lately: a bounded memory, oldest forgotten first.

    After a backlog, the queue still holds a wake-up for every commit in it, most of them for
    events a drain has relayed already. Each would cost a claim that finds nothing, and new
    commits' wake-ups wait behind them all; a late wake-up whose events all ran here is
    dropped instead. Being wrong costs only time: what is still due, the poll finds.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: OrderedDict[EventId, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, event_ids: Iterable[EventId]) -> None:
        """Remember that deliveries of these events ran."""
        with self._lock:
            for event_id in event_ids:
                self._ids[event_id] = None
                self._ids.move_to_end(event_id)
            while len(self._ids) > self.size:
                self._ids.popitem(last=False)

    def all_of(self, event_ids: Sequence[EventId]) -> bool:
        """Return whether deliveries of every one of ``event_ids`` ran here lately."""
        with self._lock:
            return bool(event_ids) and all(e in self._ids for e in event_ids)


RECENT: Final = RecentlyRun(50_000)


class NothingDue:
    """The latest moment by which a drain here found nothing due: what was due before it has run.

    A drain's claim that comes back empty saw, for every relay in every process, that no
    delivery due by then is waiting (each is done, leased by a relay that lives, or set to
    retry later). A late wake-up due before that moment is stale whoever ran its events,
    which ``RecentlyRun`` alone knows only of this process's: with several worker processes,
    each would otherwise spend a claim on every wake-up the others' drains covered.
    """

    def __init__(self) -> None:
        self._by = float("-inf")
        self._lock = threading.Lock()

    def saw(self, by: datetime) -> None:
        """Record that nothing was due by ``by``."""
        with self._lock:
            self._by = max(self._by, by.timestamp())

    def covers(self, due_at: float) -> bool:
        """Return whether a wake-up due at ``due_at`` (epoch seconds) has nothing left to run."""
        with self._lock:
            return due_at <= self._by


NOTHING_DUE: Final = NothingDue()


def woken(ctx: Context, event_ids: Sequence[EventId], *, due_at: float | None = None) -> RelayReport:
    """Run the deliveries of events just committed; if the wake-up came late, help with the backlog.

    ``due_at`` (epoch seconds) is when the wake-up was due; one that waited in the queue past
    ``BEHIND`` is late. A late one whose events ran here, or that a drain found nothing due
    after, is stale and does nothing. Otherwise, if its events were taken already, a relay
    is behind: it drains with it.
    """
    late = due_at is not None and time.time() - due_at > BEHIND.total_seconds()
    if late and (RECENT.all_of(event_ids) or (due_at is not None and NOTHING_DUE.covers(due_at))):
        return RelayReport()
    report = relay(ctx, event_ids)
    if report.waited <= BEHIND and not (late and not report.ran):
        return report
    return report + drain(ctx)


def drain(ctx: Context, *, seconds: float = DRAIN_FOR_S) -> RelayReport:
    """Relay deliveries that have been due longer than ``BEHIND``, a chunk at a time, for ``seconds``.

    Small chunks keep the work shared: every thread that is behind drains at once, each
    taking other rows, so slow handlers still run side by side and not in one long line.
    Quick chunks grow (``DRAIN_PASS_S``), so fast handlers are relayed in big batches.
    """
    until = time.monotonic() + seconds
    total = RelayReport()
    chunk = DRAIN_CHUNK
    while (started := time.monotonic()) < until:
        due_by = ctx.clock.now() - BEHIND
        report = relay(ctx, limit=chunk, due_by=due_by)
        total += report
        if not report.ran:
            NOTHING_DUE.saw(due_by)
            break
        quick = time.monotonic() - started < DRAIN_PASS_S
        chunk = min(chunk * 2, max(ctx.events.batch, DRAIN_CHUNK)) if quick else DRAIN_CHUNK
    return total


def relay(
    ctx: Context,
    event_ids: Sequence[EventId] | None = None,
    *,
    limit: int | None = None,
    due_by: datetime | None = None,
) -> RelayReport:
    """Run each delivery due by ``due_by`` (now) once, only those of ``event_ids`` when given.

    The deliveries are claimed in one short transaction (on PostgreSQL with SKIP LOCKED, so
    relays running at once share the work without waiting), held under a lease while their
    handlers run outside any transaction, then finished together in a second one.
    """
    now = ctx.clock.now()
    with ctx.uow() as uow:
        claimed = uow.events.claim(
            now if due_by is None else due_by, now + ctx.events.lease, limit or ctx.events.batch, event_ids
        )
        uow.commit()
    if not claimed:
        return RelayReport()
    waited = max(now - e.starts_at for e, _ in claimed)
    acting = [(e, d) for e, d in claimed if not _writes(ctx, d)]
    results: list[Delivery] = []
    with _Heartbeat(ctx, [d for _, d in acting], results):
        for event, delivery in acting:
            results.append(_run(ctx, event, delivery, lambda h, e: _act(ctx, h, e)))
    writing = [(e, d) for e, d in claimed if _writes(ctx, d)]
    with ctx.uow() as uow:
        written = _write_all(ctx, uow, writing)
        if written is None:
            # One writer failed: start the transaction again, each writer in a savepoint of its own.
            uow.rollback()
            written = [_run(ctx, e, d, lambda h, ev: _write_alone(uow, h, ev)) for e, d in writing]
        uow.events.finish([*results, *written])
        uow.commit()
    RECENT.add(e.id for e, _ in claimed)
    results.extend(written)
    return RelayReport(
        ran=len(results),
        done=sum(r.status is DeliveryStatus.DONE for r in results),
        later=sum(r.status is DeliveryStatus.PENDING and r.last_error is None for r in results),
        failed=sum(r.status is DeliveryStatus.PENDING and r.last_error is not None for r in results),
        gave_up=sum(r.status is DeliveryStatus.FAILED for r in results),
        waited=max(waited, timedelta(0)),
    )


class _Heartbeat:
    """Keeps the lease of the deliveries still to finish while their handlers run.

    The lease can then be short, so the deliveries of a relay that died are taken over
    within one lease, and still never run twice at once while their relay lives, however
    long a handler takes (a review reading screenshots, a gateway that is slow to answer).
    """

    def __init__(self, ctx: Context, claimed: list[Delivery], finished: list[Delivery]) -> None:
        self.ctx = ctx
        self.claimed = claimed
        self.finished = finished
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, name="tuika-relay-lease", daemon=True)

    def __enter__(self) -> _Heartbeat:
        if self.claimed:
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()

    def _beat(self) -> None:
        every = max(self.ctx.events.lease.total_seconds() / 3, 0.05)
        while not self.stop.wait(every):
            open_ = self.claimed[len(self.finished) :]
            if not open_:
                continue
            try:
                with self.ctx.uow() as uow:
                    uow.events.extend(open_, self.ctx.clock.now() + self.ctx.events.lease)
                    uow.commit()
            except Exception:
                # A missed beat only risks a second run after the lease, which handlers allow.
                log.exception("could not extend the lease of %d deliveries", len(open_))


def _writes(ctx: Context, delivery: Delivery) -> bool:
    handler = ctx.handler(delivery.handler)
    return handler is not None and handler.write is not None


def _act(ctx: Context, handler: Handler, event: Event) -> None:
    assert handler.run is not None
    handler.run(ctx, event)


def _write_all(ctx: Context, uow: UnitOfWork, writing: list[tuple[Event, Delivery]]) -> list[Delivery] | None:
    """Run every writer once on its events of the batch, all in the transaction; None if one raised.

    Should one raise, its rows and the others' are in the transaction: the caller rolls it back.
    """
    by_handler: dict[str, list[Event]] = {}
    for event, delivery in writing:
        by_handler.setdefault(delivery.handler, []).append(event)
    for name, events in by_handler.items():
        handler = ctx.handler(name)
        assert handler is not None
        assert handler.write is not None
        try:
            handler.write(uow, events)
        except Exception:
            return None
    now = ctx.clock.now()
    return [replace(d, status=DeliveryStatus.DONE, next_try_at=None, done_at=now) for _, d in writing]


def _write_alone(uow: UnitOfWork, handler: Handler, event: Event) -> None:
    assert handler.write is not None
    # Its own savepoint: a failing writer's rows go, the batch's other outcomes stay.
    with uow.savepoint():
        handler.write(uow, [event])


def _run(ctx: Context, event: Event, delivery: Delivery, call: Callable[[Handler, Event], None]) -> Delivery:
    handler = ctx.handler(delivery.handler)
    try:
        if handler is None:
            raise LookupError(f"no handler called {delivery.handler!r} is registered")
        call(handler, event)
    except RetryAt as wait:
        return replace(delivery, next_try_at=wait.at, last_error=None)
    except Exception as exc:
        attempts = delivery.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        if attempts >= MAX_ATTEMPTS:
            log.error(
                "handler %s gave up on event %s after %d attempts: %s", delivery.handler, event.id, attempts, error
            )
            return replace(
                delivery, status=DeliveryStatus.FAILED, attempts=attempts, next_try_at=None, last_error=error
            )
        log.warning("handler %s failed on event %s (attempt %d): %s", delivery.handler, event.id, attempts, error)
        return replace(delivery, attempts=attempts, next_try_at=ctx.clock.now() + backoff(attempts), last_error=error)
    return replace(delivery, status=DeliveryStatus.DONE, next_try_at=None, done_at=ctx.clock.now())


def due_events(ctx: Context, limit: int, *, waiting: timedelta = timedelta(0)) -> list[EventId]:
    """Return the ids of events with a delivery due, the longest due first.

    The worker's poll asks with a little ``waiting``: a delivery due at its event's start is
    what the wake-up after the commit is about to run, so it counts only once due that long
    (its wake-up was lost); a retry's or a wait's has no wake-up coming and counts at once.
    """
    now = ctx.clock.now()
    with ctx.read() as uow:
        return uow.events.due(now, limit, now - waiting if waiting else None)


def hint(target: Relay, events: Sequence[Event]) -> None:
    """Wake the relay for events just committed: now, or when the first of them may start."""
    now = [e.id for e in events if e.starts_at <= e.occurred_at]
    if now:
        target.wake(now)
    for event in events:
        if event.starts_at > event.occurred_at:
            target.wake([event.id], (event.starts_at - event.occurred_at).total_seconds())
