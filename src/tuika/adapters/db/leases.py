"""Taking due rows under a lease: what the webhook and message senders share.

A row waiting to be sent is due when its ``next_try_at`` has come. A sender takes a batch by
moving their ``next_try_at`` to the end of its lease in one statement: another sender passes
over them until then, and if this one dies they are due again. On PostgreSQL the rows are
locked ``FOR UPDATE SKIP LOCKED`` while taken, so senders of other processes take others.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session


class _Leased(Protocol):
    id: Any
    next_try_at: Any


Row = TypeVar("Row", bound=_Leased)


def take(
    session: Session, model: type[Row], due: Sequence[ColumnElement[bool]], now: datetime, until: datetime, limit: int
) -> list[Row]:
    """Return up to ``limit`` rows matching ``due`` whose time has come, soonest first, leased to ``until``."""
    next_try, ident = model.next_try_at, model.id
    query = (
        select(model)
        .where(*due, next_try <= now)
        .order_by(next_try, ident)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list(session.scalars(query))
    if rows:
        session.execute(
            update(model)
            .where(ident.in_([r.id for r in rows]))
            .values(next_try_at=until)
            .execution_options(synchronize_session=False)
        )
    return rows
