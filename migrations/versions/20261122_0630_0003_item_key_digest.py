"""order items: a keyed digest of each card key, to find the order a key read from a screenshot belongs to

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_digest", sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f("ix_order_items_key_digest"), ["key_digest"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_items_key_digest"))
        batch_op.drop_column("key_digest")
