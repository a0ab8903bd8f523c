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


# Added in place, never by copying the table: ledger_entries refers to it, and SQLite would
# refuse to drop the old copy of a table other rows point at.
def upgrade() -> None:
    op.add_column("ledger_postings", sa.Column("reference", sa.String(length=120), nullable=True))
    op.create_index("uq_posting_kind_reference", "ledger_postings", ["kind", "reference"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_posting_kind_reference", table_name="ledger_postings")
    with op.batch_alter_table("ledger_postings", recreate="never") as batch_op:
        batch_op.drop_column("reference")
