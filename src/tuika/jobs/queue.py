"""The Huey queue: SQLite storage embedded, Redis storage at scale; thin, idempotent tasks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey, TaskWrapper
from huey.consumer import Consumer

from tuika.domain.errors import NotFound
from tuika.services import payouts, review
from tuika.services.context import Context
from tuika.services.sweep import sweep
from tuika.settings import Settings

log = logging.getLogger(__name__)


def make_huey(settings: Settings) -> Huey:
    """Return the queue the settings ask for."""
    if settings.redis_url:
        return RedisHuey("tuika", url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey("tuika", filename=str(settings.data_dir / "queue.db"), results=False)


@dataclass(frozen=True)
class Tasks:
    """The registered tasks, so the dispatcher can enqueue them by reference."""

    review: TaskWrapper
    pay: TaskWrapper
    sweep: TaskWrapper


def register(huey: Huey, context: Callable[[], Context]) -> Tasks:
    """Register the tasks on ``huey``; each resolves the context when it runs."""

    def review_case(case_id: str) -> None:
        _quietly(lambda: review.machine_review(context(), case_id))

    def pay_payout(payout_id: str) -> None:
        _quietly(lambda: payouts.execute(context(), payout_id))

    def sweep_all() -> None:
        report = sweep(context())
        if report.reviews or report.payouts or report.closed:
            log.info("sweep re-drove %s", report)

    # Retries cover passing faults (a locked database, a dropped connection); the
    # sweep covers everything else, so a task that gives up loses nothing.
    return Tasks(
        review=huey.task(retries=5, retry_delay=1, name="tuika.review")(review_case),
        pay=huey.task(retries=5, retry_delay=1, name="tuika.pay")(pay_payout),
        sweep=huey.periodic_task(crontab(minute="*"), name="tuika.sweep")(sweep_all),
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


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
    """A consumer that runs in threads of another program, leaving its signals alone."""

    def _set_signal_handlers(self) -> None:
        # The host (uvicorn) owns the process signals; it stops us through stop().
        return


def embedded_consumer(huey: Huey, workers: int) -> EmbeddedConsumer:
    """Return a thread consumer that wakes fast, for use inside ``tuika serve``."""
    return EmbeddedConsumer(
        huey, workers=workers, worker_type="thread", periodic=True, max_delay=0.25, initial_delay=0.02, backoff=1.5
    )
