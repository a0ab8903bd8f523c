"""case holds: a claim's amount held from its merchant's settlement while the claim is open

Card-shop platforms freeze a merchant's funds when a buyer complains. ``case_holds`` keeps
each claim's hold (its merchant, its amount, when it ended and how: released, or recovered
for a refund on the merchant's fault); the ledger carries the postings. A claim filed before
this revision has no hold, and nothing is released for it.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_holds",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("merchant_id", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_case_holds_merchant_id", "case_holds", ["merchant_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_holds_merchant_id", table_name="case_holds")
    op.drop_table("case_holds")
