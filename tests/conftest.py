"""Shared fixtures: databases built by running the migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from tests import keyscan
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.api.app import create_app
from tuika.api.auth import issue_token
from tuika.bootstrap import System, build
from tuika.services import payouts, refunds, review
from tuika.services.context import Context
from tuika.settings import Settings

# Tests never assert wall-clock time: a loaded CI machine must not fail a property on speed.
hypothesis_settings.register_profile("tuika", deadline=None)
hypothesis_settings.load_profile("tuika")

PG_ADMIN_URL = os.environ.get("TUIKA_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = (
    "web_sessions",
    "sign_in_links",
    "gateway_notices",
    "payout_alerts",
    "ledger_entries",
    "ledger_postings",
    "payouts",
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
    "order_items",
    "orders",
    "policies",
)


def _pg_url(database: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{database}"


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


class InlineDispatcher:
    """Runs queued work right after the commit, in the caller's thread, and records it."""

    def __init__(self) -> None:
        self.ctx: Context | None = None
        self.reviews: list[str] = []
        self.payouts: list[str] = []
        self.follow_ups: list[tuple[str, float]] = []
        self.run = True

    def review(self, case_id: str) -> None:
        self.reviews.append(case_id)
        if self.run and self.ctx is not None:
            review.machine_review(self.ctx, case_id)

    def pay(self, payout_id: str) -> None:
        self.payouts.append(payout_id)
        if self.run and self.ctx is not None:
            payouts.execute(self.ctx, payout_id)

    def follow_up(self, payout_id: str, delay_s: float) -> None:
        # Kept, not run: a follow-up may schedule another, so tests drive them with ``drain``.
        self.follow_ups.append((payout_id, delay_s))

    def drain(self) -> int:
        """Run the follow-ups waiting now (not the ones they schedule); return how many ran."""
        waiting, self.follow_ups = self.follow_ups, []
        assert self.ctx is not None
        for payout_id, _ in waiting:
            refunds.follow_up(self.ctx, payout_id)
        return len(waiting)


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings on the test database and a private data directory."""
    # OCR is off here: these tests upload blank images, and the OCR tests turn it on.
    return Settings(demo=True, data_dir=tmp_path / "data", database_url=db_url, ocr_engine="off")


@pytest.fixture
def dispatcher() -> InlineDispatcher:
    return InlineDispatcher()


@pytest.fixture
def system(settings: Settings, dispatcher: InlineDispatcher) -> Iterator[System]:
    """Return a wired system whose background work runs inline."""
    built = build(settings, dispatcher=dispatcher, migrate=True)
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
