"""The Huey queue: SQLite storage embedded, Redis storage at scale; one thin task, the relay.

A commit that wrote events queues ``tuika.relay`` with their ids: a hint to run their
handlers now. The truth is the outbox's delivery rows, so a hint may be lost or doubled:
each consumer's scheduler thread also looks for due deliveries every
``TUIKA_EVENTS_POLL_S`` seconds and queues the relay for them, and runs the sweep (overdue
evidence, old uploads and sessions, pruning) every ``TUIKA_SWEEP_INTERVAL_S`` seconds
(:class:`CadenceScheduler`; Huey's own periodic tasks run at most once a minute).
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass
from datetime import timedelta
from typing import Any, Final

from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage, SqliteStorage

from tuika.domain.ids import EventId
from tuika.jobs.sending import SendLoop
from tuika.services.context import Context
from tuika.services.events.relay import due_events, woken
from tuika.services.upkeep.sweep import sweep
from tuika.settings import Settings

log = logging.getLogger(__name__)

# Above this many waiting tasks the sweep stands aside: what looks overdue is most
# likely still queued, and queueing it again would only make the backlog grow.
BACKLOG_LIMIT: Final = 1000
# Events per relay task the poll queues, and the waiting tasks above which it stands aside.
POLL_CHUNK: Final = 10
POLL_QUIET: Final = 20


@dataclass(frozen=True, slots=True)
class Timer:
    """Work that each consumer does itself, in its scheduler thread, every ``seconds``."""

    run: Callable[[], None]
    seconds: float


class TuikaHuey(Huey):  # type: ignore[misc]
    """A Huey that also knows the sweep's cadence and the timers its consumers run."""

    def __init__(self, name: str, *, sweep_every: float, poll_every: float = 1.0, **options: Any) -> None:
        super().__init__(name, **options)
        self.sweep_every = sweep_every
        self.poll_every = poll_every
        self.timers: list[Timer] = []
        # Loops each consumer runs in threads of its own while it runs: the webhook sender.
        self.loops: list[SendLoop] = []

    def every(self, seconds: float) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Register ``fn`` to run every ``seconds`` in each consumer, first when it starts."""

        def decorator(fn: Callable[[], None]) -> Callable[[], None]:
            self.timers.append(Timer(fn, seconds))
            return fn

        return decorator


def make_huey(settings: Settings) -> TuikaHuey:
    """Return the queue the settings ask for."""
    every = float(settings.sweep_interval_s)
    poll = float(settings.events_poll_s)
    if settings.redis_url:
        return TuikaHuey(
            "tuika",
            sweep_every=every,
            poll_every=poll,
            results=False,
            storage_class=RedisStorage,
            url=settings.redis_url,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    filename = str(settings.data_dir / "queue.db")
    return TuikaHuey(
        "tuika", sweep_every=every, poll_every=poll, results=False, storage_class=SqliteStorage, filename=filename
    )


@dataclass(frozen=True)
class Tasks:
    """The registered tasks, so the relay's wake-up can enqueue them by reference."""

    relay: TaskWrapper
    sweep: TaskWrapper
    poll: Callable[[], None]


def register(huey: TuikaHuey, context: Callable[[], Context]) -> Tasks:
    """Register the relay task on ``huey``, and the poll and the sweep on its timers.

    Each resolves the context when it runs.
    """

    def relay_events(event_ids: list[str], due_at: float | None = None) -> None:
        # The events named, and more only when behind a backlog, in small chunks: a task that
        # took whatever is due would run slow handlers (a review, a gateway call) one after
        # another while other threads idle. ``due_at`` (epoch seconds; absent in tasks queued
        # before it existed) tells a wake-up that waited in the queue behind a backlog.
        woken(context(), [EventId(e) for e in event_ids], due_at=due_at)

    relay_task = huey.task(retries=5, retry_delay=1, name="tuika.relay")(relay_events)

    def poll_due() -> None:
        # While tasks wait, what looks due is most likely queued already: polling then would
        # only queue the same events again, ahead of the wake-ups of new ones.
        if huey.pending_count() > POLL_QUIET:
            return
        ctx = context()
        found = due_events(ctx, ctx.events.batch * 10, waiting=timedelta(seconds=huey.poll_every))
        if found:
            log.info("poll found %d events with deliveries due (a lost wake-up, a retry or a wait)", len(found))
        # Small tasks, so that the consumer's threads share them.
        for start in range(0, len(found), POLL_CHUNK):
            relay_task(found[start : start + POLL_CHUNK])

    def sweep_all() -> None:
        backlog = huey.pending_count()
        if backlog > BACKLOG_LIMIT:
            log.warning("sweep skipped: %d tasks are waiting in the queue", backlog)
            return
        report = sweep(context())
        if any(astuple(report)):
            log.info("sweep did %s", report)

    huey.every(huey.poll_every)(poll_due)
    huey.every(huey.sweep_every)(sweep_all)
    huey.loops.append(SendLoop(context))
    # Retries cover passing faults (a locked database, a dropped connection); a relay that
    # gives up loses nothing, since its deliveries stay pending for the poll.
    return Tasks(relay=relay_task, sweep=huey.task(name="tuika.sweep")(sweep_all), poll=poll_due)


class HueyRelay:
    """Wakes the relay through Huey once a transaction that wrote events commits."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def wake(self, event_ids: Sequence[EventId], delay_s: float = 0.0) -> None:
        """Queue the relay for ``event_ids``, after ``delay_s`` seconds (Huey's schedule) if asked."""
        due_at = time.time() + max(delay_s, 0.0)
        if delay_s > 0:
            self.tasks.relay.schedule((list(event_ids), due_at), delay=delay_s)
        else:
            self.tasks.relay(list(event_ids), due_at)


class CadenceScheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler, which also runs the queue's timers, each on its own cadence.

    A timer runs in this thread rather than as a queued task: one run cannot start
    before the last one ends, and a long queue cannot hold it up or pile copies up.
    """

    def __init__(self, huey: Huey, stop_flag: Any, interval: float, periodic: bool) -> None:
        super().__init__(huey, stop_flag, interval, periodic)
        timers: list[Timer] = huey.timers if isinstance(huey, TuikaHuey) else []
        start = time.monotonic()
        self._due = [(timer, start) for timer in timers]

    def loop(self, now: Any = None) -> None:
        """Run the timers that are due, then do Huey's part: the schedule and periodic tasks."""
        if self.periodic:
            self._run_due_timers()
        super().loop(now)

    def _run_due_timers(self) -> None:
        for index, (timer, due) in enumerate(self._due):
            current = time.monotonic()
            if due > current:
                continue
            try:
                timer.run()
            except Exception:
                # A broken database must not stop the scheduler; the next tick tries again.
                self._logger.exception("timer %s failed", getattr(timer.run, "__name__", timer.run))
            # Runs missed while busy are skipped, not caught up.
            self._due[index] = (timer, max(due + timer.seconds, current))


class TuikaConsumer(Consumer):  # type: ignore[misc]
    """A thread consumer that wakes fast; SIGTERM or SIGINT stops it after running tasks finish.

    A second signal stops it at once. Tasks are transactions, so that loses nothing.
    """

    scheduler_class = CadenceScheduler

    def __init__(self, huey: Huey, workers: int, on_ready: Callable[[], None] | None = None) -> None:
        self._on_ready = on_ready
        super().__init__(
            huey,
            workers=workers,
            worker_type="thread",
            periodic=True,
            max_delay=0.25,
            initial_delay=0.02,
            backoff=1.5,
            graceful_signal="TERM",
        )
        self._signal_actions[signal.SIGINT] = (False, True)

    def start(self) -> None:
        """Start the workers and the scheduler, then the loops."""
        super().start()
        for running in getattr(self.huey, "loops", ()):
            running.start()

    def stop(self, graceful: bool = False) -> None:
        """Stop the loops (each pass under way stores its outcomes first), then the workers."""
        for running in getattr(self.huey, "loops", ()):
            running.stop()
        super().stop(graceful=graceful)

    def _set_signal_handlers(self) -> None:
        super()._set_signal_handlers()
        # Announce readiness only now: a SIGTERM sent on seeing the announcement must find
        # the graceful handler, not the default action that kills the process mid-task.
        if self._on_ready is not None:
            self._on_ready()


class EmbeddedConsumer(TuikaConsumer):
    """A consumer that runs in threads of another program, leaving its signals alone."""

    def _set_signal_handlers(self) -> None:
        # The host (uvicorn, a test) owns the process signals; it stops us through stop().
        return


def worker_consumer(huey: Huey, workers: int, on_ready: Callable[[], None] | None = None) -> TuikaConsumer:
    """Return the consumer of ``tuika worker``: ``run()`` it in the main thread.

    ``on_ready`` runs once SIGTERM would stop it cleanly.
    """
    return TuikaConsumer(huey, workers, on_ready)


def embedded_consumer(huey: Huey, workers: int) -> EmbeddedConsumer:
    """Return a thread consumer for use inside another program, such as ``tuika serve``."""
    return EmbeddedConsumer(huey, workers)
