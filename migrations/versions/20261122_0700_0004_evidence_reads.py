"""evidence reads: what OCR read from each screenshot, card keys masked

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_reads",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("evidence_id", sa.String(length=40), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("matches", sa.JSON(), nullable=False),
        sa.Column("codes", sa.JSON(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("evidence_id"),
    )
    with op.batch_alter_table("evidence_reads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_reads_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_reads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_reads_case_id"))
    op.drop_table("evidence_reads")
