"""The worker: Huey consumer threads on SQLite-backed and Redis-backed queues pay claims, once.

The clock is fixed, so nothing is overdue until a test moves it; the relay's poll finds the
deliveries whose wake-up was lost, and the sweep the cases whose evidence is overdue.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.shop import Shop, tasks_of, wait_until
from tuika.bootstrap import System, build
from tuika.domain.cases import CaseStatus
from tuika.domain.clock import FixedClock
from tuika.domain.events import DeliveryStatus, EventType
from tuika.domain.money import Money
from tuika.domain.notifications import Recipient
from tuika.domain.payouts import PayoutStatus
from tuika.jobs.queue import EmbeddedConsumer, embedded_consumer
from tuika.services.events.relay import due_events
from tuika.services.review.machine import machine_review
from tuika.settings import Settings

# Long enough that the consumer's own sweep runs only once, when it starts.
QUIET = 600


# The demo (SQLite, embedded queue), one API process on PostgreSQL, and the scaled-out stack.
pytestmark = pytest.mark.parametrize(
    ("db_url", "queue"),
    [
        pytest.param("sqlite", "sqlite", id="sqlite-db-sqlite-queue"),
        pytest.param("postgres", "sqlite", id="postgres-db-sqlite-queue", marks=pytest.mark.postgres),
        pytest.param(
            "postgres", "redis", id="postgres-db-redis-queue", marks=[pytest.mark.postgres, pytest.mark.redis]
        ),
    ],
    indirect=True,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime.now(UTC).replace(microsecond=0))


class Stack:
    """Builds systems on one database and queue, and runs their consumers until the test ends."""

    def __init__(self, settings: Settings, clock: FixedClock) -> None:
        self.settings = settings
        self.clock = clock
        self.systems: list[System] = []
        self.consumers: list[EmbeddedConsumer] = []

    def system(self, *, sweep_every: int = QUIET, queue: bool = True) -> System:
        """Wire a system; without ``queue`` its wake-ups are lost, as in a crash after the commit."""
        settings = self.settings.model_copy(update={"sweep_interval_s": sweep_every})
        built = build(settings, clock=self.clock, queue=queue, migrate=True)
        self.systems.append(built)
        return built

    def start(self, system: System, workers: int = 2) -> EmbeddedConsumer:
        """Start a consumer of ``system``'s queue in threads of this process."""
        consumer = embedded_consumer(system.huey, workers)
        self.consumers.append(consumer)
        consumer.start()
        return consumer

    def close(self) -> None:
        for consumer in self.consumers:
            consumer.stop(graceful=True)
        for system in self.systems:
            if system.huey is not None:
                system.huey.storage.close()
            system.engine.dispose()


@pytest.fixture
def stack(queue_settings: Settings, clock: FixedClock) -> Iterator[Stack]:
    made = Stack(queue_settings, clock)
    yield made
    made.close()


def drain(system: System, consumer: EmbeddedConsumer) -> None:
    """Wait for the queue to empty, then stop the consumer once its running tasks finish."""
    wait_until(lambda: system.huey.pending_count() == 0, what="the queue to drain")
    consumer.stop(graceful=True)


def statuses(shop: Shop, case_id: str) -> list[CaseStatus]:
    return [event.to_status for event in shop.case(case_id).timeline]


def test_a_failed_delivery_is_refunded_through_the_queue(stack: Stack) -> None:
    system = stack.system()
    shop = Shop(system)
    stack.start(system)
    shop.order("ord_w1", delivery="failed", amount_fen=5000)

    case_id = shop.claim("ord_w1")

    case = shop.wait_for_status(case_id, CaseStatus.REFUNDED)
    assert statuses(shop, case_id) == [
        CaseStatus.SUBMITTED,
        CaseStatus.REVIEWING,
        CaseStatus.APPROVED,
        CaseStatus.REFUNDING,
        CaseStatus.REFUNDED,
    ]
    assert case.timeline[-1].reason_codes == ("refunded_to_balance",)
    shop.assert_paid_once(case_id, 5000)


def test_an_agent_approval_is_paid_by_the_worker(stack: Stack) -> None:
    system = stack.system()
    shop = Shop(system)
    stack.start(system)
    shop.order("ord_w2", items=2, amount_fen=20000)
    case_id = shop.claim("ord_w2", "card_invalid", item_ids=["ord_w2_i1"], evidence_ids=[shop.screenshot()])
    shop.wait_for_status(case_id, CaseStatus.MANUAL_REVIEW)

    shop.approve(case_id)

    shop.wait_for_status(case_id, CaseStatus.REFUNDED)
    shop.assert_paid_once(case_id, 10000)
    assert statuses(shop, case_id)[-3:] == [CaseStatus.APPROVED, CaseStatus.REFUNDING, CaseStatus.REFUNDED]


def test_a_lost_wake_up_is_found_by_the_poll_and_completes_once(stack: Stack, clock: FixedClock) -> None:
    worker = stack.system()
    front = Shop(stack.system(queue=False))  # its wake-ups are lost, as in a crash after the commit
    front.order("ord_w3", delivery="failed", amount_fen=5000)
    case_id = front.claim("ord_w3")
    assert worker.huey.pending_count() == 0
    assert front.case(case_id).status is CaseStatus.SUBMITTED
    tasks_of(worker).poll()
    assert worker.huey.pending_count() == 0  # just committed: its own wake-up is left to come

    clock.set(clock.now() + timedelta(seconds=2))
    tasks_of(worker).poll()

    assert worker.huey.pending_count() == 1  # one relay task for the due review
    stack.start(worker)
    front.wait_for_status(case_id, CaseStatus.REFUNDED)
    front.assert_paid_once(case_id, 5000)


def test_the_consumer_polls_for_due_deliveries_on_its_own(stack: Stack, clock: FixedClock) -> None:
    worker = stack.system()
    front = Shop(stack.system(queue=False))
    stack.start(worker)
    front.order("ord_w4", delivery="failed", amount_fen=3000)
    case_id = front.claim("ord_w4")
    machine_review(front.system.ctx, case_id)
    assert [p.status for p in front.payouts(case_id)] == [PayoutStatus.PENDING]

    clock.set(clock.now() + timedelta(seconds=2))

    front.wait_for_status(case_id, CaseStatus.REFUNDED)
    front.assert_paid_once(case_id, 3000)


def test_the_same_relay_queued_twice_pays_once(stack: Stack) -> None:
    worker = stack.system()
    front = Shop(stack.system(queue=False))
    front.order("ord_w5", delivery="failed", amount_fen=5000)
    case_id = front.claim("ord_w5")
    due = due_events(front.system.ctx, 10)
    # The order's sync (its webhook writer) and the claim.
    assert len(due) == 2
    # Once as a task queued before wake-ups carried their time, once as one that waited a minute.
    tasks_of(worker).relay(due)
    tasks_of(worker).relay(due, time.time() - 60)
    assert worker.huey.pending_count() == 2

    consumer = stack.start(worker)

    front.wait_for_status(case_id, CaseStatus.REFUNDED)
    drain(worker, consumer)
    front.assert_paid_once(case_id, 5000)
    assert statuses(front, case_id).count(CaseStatus.REFUNDED) == 1
    with front.system.ctx.read() as uow:
        done = [(e.type, d.handler, d.status) for e, ds in uow.events.search(subject=case_id) for d in ds]
        told = uow.messages.inbox(Recipient.BUYER, "buyer_1", before=None, limit=100)
    assert (EventType.CASE_SUBMITTED, "review", DeliveryStatus.DONE) in done
    assert all(status is DeliveryStatus.DONE for *_, status in done)
    # Twice queued, each event wrote its messages once: received, approved, refunded.
    assert sorted(m.moment.value for m in told) == ["approved", "claim_received", "refund_arrived"]


def test_the_sweep_closes_a_case_whose_evidence_is_overdue(stack: Stack, clock: FixedClock) -> None:
    worker = stack.system()
    shop = Shop(worker)
    consumer = stack.start(worker)
    shop.order("ord_w6", amount_fen=4000)
    case_id = shop.claim("ord_w6", "card_invalid")
    waiting = shop.wait_for_status(case_id, CaseStatus.AWAITING_EVIDENCE)
    assert waiting.due_at is not None
    tasks_of(worker).sweep()
    drain(worker, consumer)
    assert shop.case(case_id).status is CaseStatus.AWAITING_EVIDENCE

    clock.set(waiting.due_at + timedelta(seconds=1))
    stack.start(worker)
    tasks_of(worker).sweep()

    closed = shop.wait_for_status(case_id, CaseStatus.CLOSED)
    assert closed.timeline[-1].reason_codes == ("evidence_deadline_passed",)
    assert closed.timeline[-1].from_status is CaseStatus.AWAITING_EVIDENCE
    assert shop.payouts(case_id) == []
    assert shop.balance() == Money(0)
