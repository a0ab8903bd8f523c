"""gateway refunds: when a payout was sent, its balance redirect, notices kept once, alerts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("redirected_from", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint("uq_payouts_redirected_from", ["redirected_from"])
        batch_op.create_index("ix_payouts_status_check", ["status", "check_at"], unique=False)
    op.create_table(
        "gateway_notices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("notice_id", sa.String(length=128), nullable=False),
        sa.Column("refund_no", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "notice_id", name="uq_gateway_notice"),
    )
    with op.batch_alter_table("gateway_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gateway_notices_refund_no"), ["refund_no"], unique=False)
    op.create_table(
        "payout_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("payout_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payout_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payout_alerts_payout_id"), ["payout_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payout_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payout_alerts_payout_id"))
    op.drop_table("payout_alerts")
    with op.batch_alter_table("gateway_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_notices_refund_no"))
    op.drop_table("gateway_notices")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_status_check")
        batch_op.drop_constraint("uq_payouts_redirected_from", type_="unique")
        batch_op.drop_column("check_at")
        batch_op.drop_column("redirected_from")
        batch_op.drop_column("sent_at")
