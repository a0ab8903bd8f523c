"""The schema the migrations build is the one the models describe, on SQLite and PostgreSQL.

A migration that forgets a column, an index or a constraint the models declare (or the other
way round) would pass every test that only reads and writes rows; this compares the two.
"""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from tests.conftest import TABLES
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.tables import Base


def test_the_migrated_database_matches_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()

    assert differences == []


def test_the_test_databases_empty_every_table_between_tests() -> None:
    assert set(TABLES) == set(Base.metadata.tables) - {"alembic_version"}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_postgresql_vacuums_and_analyzes_the_outbox_deliveries_early(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            options = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'event_deliveries'")
            ).scalar_one()
    finally:
        engine.dispose()

    assert sorted(options) == [
        "autovacuum_analyze_scale_factor=0.01",
        "autovacuum_analyze_threshold=1000",
        "autovacuum_vacuum_scale_factor=0.02",
        "autovacuum_vacuum_threshold=1000",
    ]
