"""outbox autovacuum: PostgreSQL vacuums and analyzes event_deliveries after far fewer changes

Every delivery row is inserted pending and updated at least twice (claimed, finished), so the
table churns faster than any other, and the relay's claim plan depends on how many rows the
planner thinks are due: with the defaults (a fifth of the table changed before a vacuum, a tenth
before an analyze) a burst left statistics saying 4 rows were due when 9,490 were, and every
claim sorted all of them (8 ms instead of 1 ms). SQLite has no autovacuum: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_SETTINGS = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_vacuum_threshold",
    "autovacuum_analyze_scale_factor",
    "autovacuum_analyze_threshold",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE event_deliveries SET (autovacuum_vacuum_scale_factor = 0.02,"
        " autovacuum_vacuum_threshold = 1000, autovacuum_analyze_scale_factor = 0.01,"
        " autovacuum_analyze_threshold = 1000)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE event_deliveries RESET ({', '.join(_SETTINGS)})")
