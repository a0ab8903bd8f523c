"""events outbox: domain events written with each change, and each handler's delivery of them

Work in flight when this runs had no event: its next step was found by the sweep re-reading
statuses. So each such row gets the event it would have written and the delivery its handler
needs, and nothing is dropped across the upgrade: a case waiting for its machine review
(submitted, reviewing) gets case.submitted → review; a pending payout payout.opened → pay; a
processing one payout.sent → confirm, due at its stored check time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from tuika.domain.ids import new_ulid

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_events = sa.table(
    "events",
    sa.column("id", sa.String()),
    sa.column("type", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("role", sa.String()),
    sa.column("payload", sa.JSON()),
    sa.column("occurred_at", sa.DateTime(timezone=True)),
    sa.column("not_before", sa.DateTime(timezone=True)),
)
_deliveries = sa.table(
    "event_deliveries",
    sa.column("event_id", sa.String()),
    sa.column("handler", sa.String()),
    sa.column("status", sa.String()),
    sa.column("attempts", sa.Integer()),
    sa.column("next_try_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index("ix_events_subject", ["subject", "id"], unique=False)
        batch_op.create_index("ix_events_type", ["type", "id"], unique=False)
    op.create_table(
        "event_deliveries",
        sa.Column("event_id", sa.String(length=26), nullable=False),
        sa.Column("handler", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("event_id", "handler"),
    )
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_deliveries_due",
            ["next_try_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_event_deliveries_status", ["status"], unique=False)
    _carry_over_work_in_flight()


def _carry_over_work_in_flight() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    waiting = [
        ("case.submitted", "review", row.id, {"case_id": row.id, "order_id": row.order_id}, None)
        for row in bind.execute(sa.text("SELECT id, order_id FROM cases WHERE status IN ('submitted', 'reviewing')"))
    ]
    for row in bind.execute(sa.text("SELECT id, case_id, order_id, status, check_at FROM payouts")):
        payload = {"payout_id": row.id, "case_id": row.case_id, "order_id": row.order_id}
        if row.status == "pending":
            waiting.append(("payout.opened", "pay", row.id, payload, None))
        elif row.status == "processing":
            waiting.append(("payout.sent", "confirm", row.id, payload, _aware(row.check_at)))
    for type_, handler, subject, payload, not_before in waiting:
        event_id = new_ulid()
        bind.execute(
            _events.insert().values(
                id=event_id,
                type=type_,
                subject=subject,
                actor="tuika",
                role="system",
                payload=payload,
                occurred_at=now,
                not_before=not_before,
            )
        )
        bind.execute(
            _deliveries.insert().values(
                event_id=event_id, handler=handler, status="pending", attempts=0, next_try_at=not_before or now
            )
        )


def _aware(value: datetime | str | None) -> datetime | None:
    # SQLite hands back naive text or datetimes, PostgreSQL aware ones; both are UTC.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def downgrade() -> None:
    with op.batch_alter_table("event_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_event_deliveries_status")
        batch_op.drop_index("ix_event_deliveries_due")
    op.drop_table("event_deliveries")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_type")
        batch_op.drop_index("ix_events_subject")
        batch_op.drop_index(batch_op.f("ix_events_occurred_at"))
    op.drop_table("events")
