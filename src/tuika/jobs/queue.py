"""The Huey queue: SQLite storage embedded, Redis storage at scale; thin, idempotent tasks.

Huey's own periodic tasks run at most once a minute, so the sweep runs on a timer of
its own instead: every consumer's scheduler thread calls it each
``TUIKA_SWEEP_INTERVAL_S`` seconds (:class:`CadenceScheduler`). Several consumers
mean several sweeps per interval, which is harmless: the sweep and every task it
queues are idempotent.
"""

from __future__ import annotations

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any, Final

from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage, SqliteStorage

from tuika.domain.errors import NotFound
from tuika.services import payouts, refunds, review
from tuika.services.context import Context
from tuika.services.sweep import sweep
from tuika.settings import Settings

log = logging.getLogger(__name__)

# Above this many waiting tasks the sweep stands aside: what looks overdue is most
# likely still queued, and queueing it again would only make the backlog grow.
BACKLOG_LIMIT: Final = 1000


@dataclass(frozen=True, slots=True)
class Timer:
    """Work that each consumer does itself, in its scheduler thread, every ``seconds``."""

    run: Callable[[], None]
    seconds: float


class TuikaHuey(Huey):  # type: ignore[misc]
    """A Huey that also knows the sweep's cadence and the timers its consumers run."""

    def __init__(self, name: str, *, sweep_every: float, **options: Any) -> None:
        super().__init__(name, **options)
        self.sweep_every = sweep_every
        self.timers: list[Timer] = []

    def every(self, seconds: float) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Register ``fn`` to run every ``seconds`` in each consumer, first when it starts."""

        def decorator(fn: Callable[[], None]) -> Callable[[], None]:
            self.timers.append(Timer(fn, seconds))
            return fn

        return decorator


def make_huey(settings: Settings) -> TuikaHuey:
    """Return the queue the settings ask for."""
    every = float(settings.sweep_interval_s)
    if settings.redis_url:
        return TuikaHuey("tuika", sweep_every=every, results=False, storage_class=RedisStorage, url=settings.redis_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    filename = str(settings.data_dir / "queue.db")
    return TuikaHuey("tuika", sweep_every=every, results=False, storage_class=SqliteStorage, filename=filename)


@dataclass(frozen=True)
class Tasks:
    """The registered tasks, so the dispatcher can enqueue them by reference."""

    review: TaskWrapper
    pay: TaskWrapper
    follow_up: TaskWrapper
    sweep: TaskWrapper


def register(huey: TuikaHuey, context: Callable[[], Context]) -> Tasks:
    """Register the tasks on ``huey`` and the sweep on its timer; each resolves the context when it runs."""

    def review_case(case_id: str) -> None:
        _quietly(lambda: review.machine_review(context(), case_id))

    def pay_payout(payout_id: str) -> None:
        _quietly(lambda: payouts.execute(context(), payout_id))

    def follow_up_payout(payout_id: str) -> None:
        _quietly(lambda: refunds.follow_up(context(), payout_id))

    def sweep_all() -> None:
        backlog = huey.pending_count()
        if backlog > BACKLOG_LIMIT:
            log.warning("sweep skipped: %d tasks are waiting in the queue", backlog)
            return
        report = sweep(context())
        if any(astuple(report)):
            log.info("sweep re-drove %s", report)

    huey.every(huey.sweep_every)(sweep_all)
    # Retries cover passing faults (a locked database, a dropped connection); the
    # sweep covers everything else, so a task that gives up loses nothing.
    return Tasks(
        review=huey.task(retries=5, retry_delay=1, name="tuika.review")(review_case),
        pay=huey.task(retries=5, retry_delay=1, name="tuika.pay")(pay_payout),
        follow_up=huey.task(retries=5, retry_delay=1, name="tuika.follow_up")(follow_up_payout),
        sweep=huey.task(name="tuika.sweep")(sweep_all),
    )


def _quietly(work: Callable[[], Any]) -> None:
    try:
        work()
    except NotFound:
        log.warning("task target vanished; nothing to do")


class HueyDispatcher:
    """Enqueues work on Huey after the transaction commits."""

    def __init__(self, tasks: Tasks) -> None:
        self.tasks = tasks

    def review(self, case_id: str) -> None:
        """Queue the machine review of a case."""
        self.tasks.review(case_id)

    def pay(self, payout_id: str) -> None:
        """Queue a payout."""
        self.tasks.pay(payout_id)

    def follow_up(self, payout_id: str, delay_s: float) -> None:
        """Queue a look at a payout after ``delay_s`` seconds (Huey's schedule)."""
        self.tasks.follow_up.schedule((payout_id,), delay=max(0.0, delay_s))


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
