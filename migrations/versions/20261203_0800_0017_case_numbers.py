"""case numbers: a short refund number per case that a buyer can read out and quote to support

The case id (``rc_…``) stays the API's id. Each case gets a 14-digit number, its Beijing date
(yymmdd) and 8 random digits, unique across cases. Cases filed before this get one drawn from
their own filing date, so every case has a number a person can quote.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_BEIJING = timezone(timedelta(hours=8))


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch_op:
        batch_op.add_column(sa.Column("number", sa.String(length=16), nullable=True))
    bind = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.String), sa.column("created_at", sa.DateTime), sa.column("number"))
    taken: set[str] = set()
    rows = bind.execute(sa.select(cases.c.id, cases.c.created_at)).all()
    for case_id, created in rows:
        day = _beijing_day(created)
        number = _draw(day, taken)
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(number=number))
    with op.batch_alter_table("cases") as batch_op:
        batch_op.create_index("ux_cases_number", ["number"], unique=True)


def downgrade() -> None:
    # Dropped directly: batch mode would copy the cases table, which the foreign keys refuse.
    op.drop_index("ux_cases_number", table_name="cases")
    op.drop_column("cases", "number")


def _beijing_day(created: datetime | str) -> str:
    at = datetime.fromisoformat(created) if isinstance(created, str) else created
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return f"{at.astimezone(_BEIJING):%y%m%d}"


def _draw(day: str, taken: set[str]) -> str:
    while True:
        number = f"{day}{secrets.randbelow(10**8):08d}"
        if number not in taken:
            taken.add(number)
            return number
