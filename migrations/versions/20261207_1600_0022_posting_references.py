"""posting references: a posting an operator makes is known by its outside reference, once a kind

A deposit funded by a supplier or a merchant is posted with its bank reference; the unique
(kind, reference) makes a second request with the same reference post nothing.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint("uq_posting_kind_reference", ["kind", "reference"])


def downgrade() -> None:
    with op.batch_alter_table("ledger_postings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_posting_kind_reference", type_="unique")
        batch_op.drop_column("reference")
