"""replacement stock: keys a merchant keeps to replace dead ones, and offers made from them

A merchant may keep replacement keys per product (``replacement_stock``); where the policy
says so, a claim the machine approves is offered one of them first. Each key is sealed for its
place in the stock, masked for pages, and found by its digest so that no key is sold twice;
``case_id`` says which claim took it. ``replacements.automatic`` tells an offer made from the
stock (declined, the refund goes ahead) from one a merchant made by hand (declined, a person
decides).

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-08 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replacement_stock",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("merchant_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("masked", sa.String(length=64), nullable=False),
        sa.Column("key_digest", sa.String(length=100), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_replacement_stock_free", "replacement_stock", ["merchant_id", "sku", "case_id"])
    op.create_index("ix_replacement_stock_key_digest", "replacement_stock", ["key_digest"], unique=True)
    # In place: the offers made so far were all made by hand.
    op.add_column("replacements", sa.Column("automatic", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("replacements") as batch:
        batch.drop_column("automatic")
    op.drop_index("ix_replacement_stock_key_digest", table_name="replacement_stock")
    op.drop_index("ix_replacement_stock_free", table_name="replacement_stock")
    op.drop_table("replacement_stock")
