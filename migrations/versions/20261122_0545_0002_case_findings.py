"""case findings: what the machine saw while reviewing a case

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_findings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_findings_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_findings_case_id"))
    op.drop_table("case_findings")
