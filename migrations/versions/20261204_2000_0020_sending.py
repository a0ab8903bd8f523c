"""sending: messages on SMS, push and email wait for their senders; how people want to be reached

A message on a channel other than the inbox is written ``pending`` with when it may go (quiet
hours can hold it) and is sent by the worker, which keeps its tries, the provider's id and
the last error on the row. ``preferences`` holds each person's language, channels turned off,
quiet hours and sealed number and mailbox (and, for staff, the newest queue message seen);
``devices`` the buyers' push registration ids.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=12), server_default="sent", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("provider_id", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("params", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_messages_due",
            ["channel", "next_try_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
    op.create_table(
        "preferences",
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=4), nullable=False),
        sa.Column("off", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("phone_sealed", sa.Text(), nullable=True),
        sa.Column("phone_hint", sa.String(length=32), nullable=True),
        sa.Column("email_sealed", sa.Text(), nullable=True),
        sa.Column("email_hint", sa.String(length=260), nullable=True),
        sa.Column("seen_up_to", sa.String(length=28), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("recipient", "recipient_id"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("buyer_id", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=8), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token", name="uq_devices_token"),
    )
    with op.batch_alter_table("devices") as batch_op:
        batch_op.create_index("ix_devices_buyer", ["buyer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("devices") as batch_op:
        batch_op.drop_index("ix_devices_buyer")
    op.drop_table("devices")
    op.drop_table("preferences")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_due")
        for name in ("params", "last_error", "provider_id", "sent_at", "next_try_at", "attempts", "status"):
            batch_op.drop_column(name)
