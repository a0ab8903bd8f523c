"""messages: what each person is told of their claims, one row per person, channel and event

The message writer (a handler of the outbox) writes these in the transaction that marks its
delivery done, so an event tells each person once on each channel. The in-site inbox reads
them back; the other channels' senders will send from them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(length=28), nullable=False),
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("moment", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.Column("recipient_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "moment", "recipient", "recipient_id", "channel", name="uq_messages_once"),
    )
    with op.batch_alter_table("messages") as batch_op:
        batch_op.create_index("ix_messages_inbox", ["recipient", "recipient_id", "channel", "id"], unique=False)
        batch_op.create_index(
            "ix_messages_unread",
            ["recipient", "recipient_id"],
            unique=False,
            postgresql_where=sa.text("read_at IS NULL AND channel = 'inbox'"),
            sqlite_where=sa.text("read_at IS NULL AND channel = 'inbox'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_index("ix_messages_unread")
        batch_op.drop_index("ix_messages_inbox")
    op.drop_table("messages")
