"""Shared fixtures: databases built by running the migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from tests.support import keyscan
from tests.support.suppliers import FakeSupplier
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.app import create_app
from tuika.bootstrap import System, build
from tuika.domain.events import DeliveryStatus, EventType
from tuika.http.auth import issue_token
from tuika.services.context import Context
from tuika.services.events import relay as relay_module
from tuika.services.events.relay import NothingDue, relay
from tuika.settings import Settings

# Tests never assert wall-clock time: a loaded CI machine must not fail a property on speed.
hypothesis_settings.register_profile("tuika", deadline=None)
hypothesis_settings.load_profile("tuika")

PG_ADMIN_URL = os.environ.get("TUIKA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = (
    "webhook_attempts",
    "webhook_deliveries",
    "webhook_endpoints",
    "messages",
    "preferences",
    "devices",
    "event_deliveries",
    "events",
    "web_sessions",
    "sign_in_links",
    "gateway_notices",
    "payout_alerts",
    "ledger_entries",
    "ledger_postings",
    "payouts",
    "replacement_stock",
    "replacement_keys",
    "replacements",
    "merchant_responses",
    "merchant_windows",
    "case_holds",
    "decisions",
    "case_events",
    "case_findings",
    "evidence_reads",
    "evidence_bands",
    "evidence_marks",
    "case_items",
    "evidence",
    "idempotency_keys",
    "cases",
    "key_reveals",
    "order_items",
    "orders",
    "policies",
    "supplier_answers",
)


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"


@pytest.fixture(autouse=True)
def nothing_due(monkeypatch: pytest.MonkeyPatch) -> None:
    # The relay's memory of "nothing was due by then" is read on a clock; tests set clocks of
    # their own, and one test's mark must not make another's wake-ups look stale.
    monkeypatch.setattr(relay_module, "NOTHING_DUE", NothingDue())


@pytest.fixture(scope="session")
def pg_database(worker_id: str) -> Iterator[str]:
    """Create a PostgreSQL database for this test worker, migrated once."""
    name = f"tuika_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _pg_url(name)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """Return the xdist worker name, or ``main`` without xdist."""
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Return a freshly migrated, empty database URL: SQLite file or PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tuika.db'}"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        return url
    url: str = request.getfixturevalue("pg_database")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


class InlineRelay:
    """Runs the handlers of committed events in the caller's thread, right after the commit.

    Events that may start only later (a sent refund waits for its first query) are kept,
    not run: tests drive those with ``drain``, as the worker's poll would once due.
    """

    def __init__(self) -> None:
        self.ctx: Context | None = None
        self.run = True
        self.woken: list[str] = []

    def wake(self, event_ids: Sequence[str], delay_s: float = 0.0) -> None:
        self.woken.extend(event_ids)
        if not self.run or self.ctx is None or delay_s > 0:
            return
        with self.ctx.read() as uow:
            found = [uow.events.get(event_id) for event_id in event_ids]
        now = [pair[0].id for pair in found if pair is not None and pair[0].not_before is None]
        if now:
            relay(self.ctx, now)

    def _events(self, type_: EventType) -> list[str]:
        assert self.ctx is not None
        with self.ctx.read() as uow:
            return [event.subject for event, _ in uow.events.search(type_=type_, limit=10_000)]

    @property
    def reviews(self) -> list[str]:
        """Return the cases sent to machine review (submitted or resubmitted), oldest first."""
        return self._events(EventType.CASE_SUBMITTED) + self._events(EventType.CASE_RESUBMITTED)

    @property
    def payouts(self) -> list[str]:
        """Return the payouts opened, oldest first."""
        return self._events(EventType.PAYOUT_OPENED)

    @property
    def follow_ups(self) -> list[tuple[str, float]]:
        """Return the payouts whose handler waits, with the seconds left until its next try."""
        assert self.ctx is not None
        now = self.ctx.clock.now()
        with self.ctx.read() as uow:
            pending = uow.events.search(limit=10_000)
        return [
            (event.subject, (d.next_try_at - now).total_seconds())
            for event, deliveries in pending
            for d in deliveries
            if d.status is DeliveryStatus.PENDING and d.next_try_at is not None and d.handler in ("pay", "confirm")
        ]

    def drain(self) -> int:
        """Run every waiting delivery once, whatever its time (not the ones they schedule); return how many."""
        assert self.ctx is not None
        with self.ctx.read() as uow:
            waiting = sorted(
                {e.id for e, ds in uow.events.search(limit=10_000) for d in ds if d.status is DeliveryStatus.PENDING}
            )
        if not waiting:
            return 0
        with self.ctx.uow() as uow:
            for event_id in waiting:
                uow.events.retry(event_id, self.ctx.clock.now())
            uow.commit()
        return relay(self.ctx, waiting, limit=10_000).ran


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings on the test database and a private data directory."""
    # OCR is off here: these tests upload blank images, and the OCR tests turn it on.
    return Settings(demo=True, data_dir=tmp_path / "data", database_url=db_url, ocr_engine="off")


@pytest.fixture
def dispatcher() -> InlineRelay:
    return InlineRelay()


@pytest.fixture
def system(settings: Settings, dispatcher: InlineRelay) -> Iterator[System]:
    """Return a wired system whose background work runs inline."""
    built = build(settings, relay=dispatcher, migrate=True)
    dispatcher.ctx = built.ctx
    yield built
    try:
        # Whatever the test did, no read or finding it left behind shows a card key in clear.
        assert keyscan.stored_leaks(built) == []
    finally:
        built.engine.dispose()


@pytest.fixture
def client(system: System) -> Iterator[TestClient]:
    def no_key_in_clear(response: httpx.Response) -> None:
        assert keyscan.response_leaks(system, response) == []

    with TestClient(create_app(system), raise_server_exceptions=False) as test_client:
        # Every answer and page about a case, in every test, is looked through for card keys.
        test_client.event_hooks["response"].append(no_key_in_clear)
        yield test_client


@pytest.fixture
def auth(settings: Settings) -> Callable[..., dict[str, str]]:
    """Return a function giving Authorization headers for a role and subject."""

    def headers(role: str, subject: str, **extra: str) -> dict[str, str]:
        token = issue_token(settings.secret_key, role, subject, 3600, datetime.now(UTC))
        return {"Authorization": f"Bearer {token}", **extra}

    return headers


@pytest.fixture
def supplier(system: System) -> Iterator[FakeSupplier]:
    """Wire a supplier that answers from a table (every key invalid unless told otherwise)."""
    answers = FakeSupplier()
    system.ctx.supplier = answers
    yield answers
    system.ctx.supplier = None
