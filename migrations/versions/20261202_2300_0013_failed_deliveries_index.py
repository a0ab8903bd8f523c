"""failed deliveries index: only the failed deliveries are indexed by status, not every delivery

Every delivery was entered in an index on its status when written and again on every update
that changed it (claimed pending, then done), though only one question reads it by status:
"which have failed?", for ops. A partial index of the failed ones answers that and stays as
small as the failures; the pending ones have the relay's due index already. Filing a claim
writes one index entry fewer, and finishing a delivery one fewer again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event_deliveries") as batch_op:
        batch_op.drop_index("ix_event_deliveries_status")
        batch_op.create_index(
            "ix_event_deliveries_failed",
            ["event_id"],
            unique=False,
            postgresql_where=sa.text("status = 'failed'"),
            sqlite_where=sa.text("status = 'failed'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("event_deliveries") as batch_op:
        batch_op.drop_index("ix_event_deliveries_failed")
        batch_op.create_index("ix_event_deliveries_status", ["status"], unique=False)
