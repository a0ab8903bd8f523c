"""orders: the merchant's and the supplier's names as the platform gives them, for people to read

Staff read a shop and a supplier by name; the ids stay the keys. Orders synced before this
have no names ("") and are shown by id until the platform pushes them again.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merchant_name", sa.String(length=100), server_default="", nullable=False))
        batch_op.add_column(sa.Column("supplier_name", sa.String(length=100), server_default="", nullable=False))


def downgrade() -> None:
    # Dropped directly: batch mode would copy the orders table, which the foreign keys refuse.
    op.drop_column("orders", "supplier_name")
    op.drop_column("orders", "merchant_name")
