"""payout alerts: finance's resolution (when, by whom, outcome, note); open ones block the balance

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Alerts raised before this revision are open: nobody has resolved them yet.
    with op.batch_alter_table("payout_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("resolved_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("note", sa.Text(), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_payout_alerts_resolved_at"), ["resolved_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_alerts_resolved_at"))
        batch_op.drop_column("note")
        batch_op.drop_column("outcome")
        batch_op.drop_column("resolved_by")
        batch_op.drop_column("resolved_at")
