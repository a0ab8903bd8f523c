"""key reveals: every time a buyer was shown a card key in clear, as evidence on the order

The order page keeps each card key masked until its buyer asks to see it. ``key_reveals``
keeps each ask (the item, when, the page session or bearer token as a digest, the IP and the
user agent), written and committed before the key is answered, so no key is shown unlogged. A
key never revealed may be refunded at once (the policy's ``[unrevealed_refund]``); staff read the
log on the order. Rows are append-only.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_reveals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("session", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_key_reveals_order", "key_reveals", ["order_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_key_reveals_order", table_name="key_reveals")
    op.drop_table("key_reveals")
