"""evidence reads: mask again whatever is shaped like a card key, in lines, fields and matches

Reads kept before now masked only keys that one pattern recognised: a key written with
spaces (HN4K M8VB 2CX7 LP9D, 6225 8812 3456 7890) or as a run of capitals stayed in clear.
This masks every stored read again with the shape net of tuika.review.keymask. The orders'
own keys need the card cipher, which a migration does not have: it asks tuika's migrate for
the "remask_reads" follow-up, run right after with the keys; `tuika remask-reads` runs it
on demand (after an `alembic upgrade` outside tuika, say). Masking is never undone, so the
downgrade leaves the reads as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:20:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

from tuika.adapters.db.migrate import AFTER
from tuika.review.reading import EvidenceRead, remask

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_PAGE = 500
_reads = sa.table(
    "evidence_reads",
    sa.column("id", sa.Integer()),
    sa.column("evidence_id", sa.String(40)),
    sa.column("engine", sa.String(40)),
    sa.column("lines", sa.JSON()),
    sa.column("fields", sa.JSON()),
    sa.column("matches", sa.JSON()),
    sa.column("codes", sa.JSON()),
    sa.column("at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(sa.select(_reads).where(_reads.c.id > last).order_by(_reads.c.id).limit(_PAGE)).all()
        for row in rows:
            stored = _stored(row.lines, row.fields, row.matches)
            again = remask(_read(row), [])
            masked = _stored(
                [[t, list(b), c] for t, b, c in again.lines],
                {k: list(v) for k, v in again.fields.items()},
                [dict(m) for m in again.matches],
            )
            if masked != stored:
                bind.execute(
                    sa.update(_reads)
                    .where(_reads.c.id == row.id)
                    .values(lines=masked[0], fields=masked[1], matches=masked[2])
                )
        if len(rows) < _PAGE:
            break
        last = rows[-1].id
    context.config.attributes.setdefault(AFTER, set()).add("remask_reads")


def downgrade() -> None:
    pass


def _read(row: Any) -> EvidenceRead:
    lines = tuple((str(t), (int(b[0]), int(b[1]), int(b[2]), int(b[3])), float(c)) for t, b, c in row.lines)
    fields = {str(k): tuple(str(v) for v in values) for k, values in row.fields.items()}
    return EvidenceRead(row.evidence_id, row.engine, lines, fields, tuple(row.matches), tuple(row.codes), row.at)


def _stored(lines: Any, fields: Any, matches: Any) -> tuple[Any, Any, Any]:
    return (
        [[str(t), [int(v) for v in b], float(c)] for t, b, c in lines],
        {str(k): [str(v) for v in values] for k, values in fields.items()},
        [dict(m) for m in matches],
    )
