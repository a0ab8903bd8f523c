"""case escalations: how many times a case waiting for a person passed its time limit, and when last

The sweep escalates a manual review or an arbitration past its deadline once per period of its
stage; the count and the time of the last escalation are what let two sweeps, or a sweep run
again after a crash, tell that this period's escalation is done. Cases waiting today start at
zero: the next sweep escalates those already overdue.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("escalations", sa.Integer(), server_default="0", nullable=False))
    op.add_column("cases", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite has it since 3.35): a batch would copy the cases
    # table and drop the old one, which the foreign keys of its timeline, items and payouts refuse.
    op.drop_column("cases", "escalated_at")
    op.drop_column("cases", "escalations")
