"""evidence marks: perceptual hashes (with bands, to find near ones) and editing-software tags

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evidence_marks",
        sa.Column("evidence_id", sa.String(length=40), nullable=False),
        sa.Column("case_id", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("phash", sa.String(length=64), nullable=False),
        sa.Column("software", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("evidence_id"),
    )
    with op.batch_alter_table("evidence_marks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_marks_case_id"), ["case_id"], unique=False)
    op.create_table(
        "evidence_bands",
        sa.Column("evidence_id", sa.String(length=40), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["evidence_id"], ["evidence_marks.evidence_id"]),
        sa.PrimaryKeyConstraint("evidence_id", "band"),
    )
    with op.batch_alter_table("evidence_bands", schema=None) as batch_op:
        batch_op.create_index("ix_evidence_bands_band_value", ["band", "value"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_evidence_bands_band_value")
    op.drop_table("evidence_bands")
    with op.batch_alter_table("evidence_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_marks_case_id"))
    op.drop_table("evidence_marks")
