"""merchant responses: what a merchant answered on a claim on its goods, and the time it had to answer

``merchant_responses`` keeps each answer (accept, contest) and statement with its note and
evidence; ``merchant_windows`` the deadline of a claim put to its merchant when a person
reviews it, closed by the merchant's answer or, past the deadline, by the sweep.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merchant_responses",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("merchant_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("evidence_ids", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_merchant_responses_case_id", "merchant_responses", ["case_id"], unique=False)
    op.create_table(
        "merchant_windows",
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("respond_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_merchant_windows_open", "merchant_windows", ["closed_at", "respond_by"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_merchant_windows_open", table_name="merchant_windows")
    op.drop_table("merchant_windows")
    op.drop_index("ix_merchant_responses_case_id", table_name="merchant_responses")
    op.drop_table("merchant_responses")
