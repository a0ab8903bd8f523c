"""The reveals of card keys as the database keeps them, on SQLite and PostgreSQL: appended, read oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.support.builders import PAID_AT, order
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.uow import SqlUnitOfWork, session_factory
from tuika.domain.ids import OrderId
from tuika.domain.reveals import Channel, Reveal


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def test_each_reveal_is_kept_whole_and_the_first_of_each_key_dates_it(sessions: sessionmaker[Session]) -> None:
    two = order(n_items=2)
    at = PAID_AT + timedelta(hours=1)
    # Across midnight in Shanghai: times come back aware and in UTC on both databases.
    log = [
        Reveal(two.id, "oi_1", at, "b_1", Channel.PAGE, "p" * 32, "203.0.113.9", "Mozilla/5.0 (iPhone)"),
        Reveal(two.id, "oi_2", at + timedelta(seconds=1), "b_1", Channel.API, "a" * 32),
        Reveal(two.id, "oi_1", at + timedelta(days=1), "b_1", Channel.API, "a" * 32, "2001:db8::1", None),
    ]
    with SqlUnitOfWork(sessions) as uow:
        uow.orders.upsert(two)
        for reveal in reversed(log):
            uow.reveals.add(reveal)
        uow.commit()

    with SqlUnitOfWork(sessions, read_only=True) as uow:
        kept = uow.reveals.for_order(two.id)
        first = uow.reveals.first_seen([two.id, OrderId("ord_other")])

    assert kept == log
    assert first == {(two.id, "oi_1"): at, (two.id, "oi_2"): at + timedelta(seconds=1)}
    assert all(r.at.utcoffset() == timedelta(0) for r in kept)


def test_an_order_without_reveals_has_none(sessions: sessionmaker[Session]) -> None:
    with SqlUnitOfWork(sessions, read_only=True) as uow:
        assert uow.reveals.for_order(OrderId("ord_1")) == []
        assert uow.reveals.first_seen([]) == {}
