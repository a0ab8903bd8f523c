"""The worker's webhook loop against real receivers: an outage loses nothing, a slow endpoint slows only itself."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.api import push
from tests.support.factories import order_payload
from tests.support.receiver import Receiver
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.clock import FixedClock
from tuika.jobs.sending import SendLoop
from tuika.services.context import Actor
from tuika.services.webhooks import endpoints

Auth = Callable[..., dict[str, str]]
HOST = Actor("host", Role.PLATFORM)


@pytest.fixture
def loop(system: System) -> Iterator[SendLoop]:
    running = SendLoop(lambda: system.ctx, every=0.02)
    running.start()
    yield running
    running.stop()


def _wait(check: Callable[[], bool], seconds: float = 30.0) -> None:
    until = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < until, "timed out"
        time.sleep(0.02)


def test_an_endpoint_down_for_an_hour_gets_its_backlog_once_when_it_returns(
    client: TestClient, auth: Auth, system: System
) -> None:
    # A little ahead of the wall clock, so the tokens the client signs now are not from the future.
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    system.ctx.clock = clock
    with Receiver(status=503) as receiver:
        made = endpoints.create(system.ctx, HOST, url=receiver.url, description="", types=["order.synced"])
        loop = SendLoop(lambda: system.ctx, every=0.02)
        loop.start()
        try:
            for n in range(200):
                push(client, auth, order_payload(f"ord_out{n}"))
            _wait(lambda: len(receiver.received) >= 1)
            time.sleep(0.3)
            # Down: after one short pass failed (or three tries in a row), the sender rests the
            # endpoint instead of trying each new event on it; the clock stands still here.
            assert receiver.accepted() == []
            assert len(receiver.received) <= 3
            receiver.status = 200
            clock.set(clock.now() + timedelta(hours=1))
            loop.wake()
            _wait(lambda: len(receiver.accepted()) >= 200)
            time.sleep(0.2)
        finally:
            loop.stop()
    with system.ctx.read() as uow:
        synced = [e.id for e, _ in uow.events.search(limit=1000)]
        counts = uow.webhooks.counts(made.endpoint.id)
    accepted = receiver.accepted()
    # Each event once (no sender died here, so not even the one duplicate it could cost), every one.
    assert sorted(accepted) == sorted(synced)
    assert len(accepted) == len(set(accepted)) == 200
    assert {state.value: n for state, n in counts.items()} == {"delivered": 200}


def test_a_slow_endpoint_holds_up_only_its_own_deliveries(
    client: TestClient, auth: Auth, system: System, loop: SendLoop
) -> None:
    with Receiver() as quick, Receiver() as slow:
        slow.delay = 0.15
        endpoints.create(system.ctx, HOST, url=quick.url, description="", types=["order.synced"])
        endpoints.create(system.ctx, HOST, url=slow.url, description="", types=["order.synced"])
        for n in range(20):
            push(client, auth, order_payload(f"ord_slow{n}"))
        _wait(lambda: len(quick.accepted()) == 20)
        # The quick one has everything while the slow one is still at it (20 × 0.15 s).
        assert len(slow.accepted()) < 20
        _wait(lambda: len(slow.accepted()) == 20)
