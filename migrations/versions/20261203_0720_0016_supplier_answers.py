"""supplier answers: the supplier's word on an item, kept minutes so a pre-check and its review share it

A buyer's pre-check asks the supplier whether the card key was redeemed (or the top-up went
through); the review of the claim filed right after reuses that answer instead of asking
again, so the prediction and the decision rest on the same word and the supplier is asked once.
Rows are append-only, read newest first within a short time, and deleted by the sweep.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "supplier_answers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("happened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(length=128), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("supplier_answers") as batch_op:
        batch_op.create_index("ix_supplier_answers_order", ["order_id", "asked_at"], unique=False)
        batch_op.create_index("ix_supplier_answers_asked_at", ["asked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("supplier_answers") as batch_op:
        batch_op.drop_index("ix_supplier_answers_asked_at")
        batch_op.drop_index("ix_supplier_answers_order")
    op.drop_table("supplier_answers")
