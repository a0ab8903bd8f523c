"""The hand-written SQL of the claim path stores exactly what SQLAlchemy would, on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from anyio import to_thread
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import PG_ADMIN_URL
from tests.support.api import Auth, push
from tests.support.factories import card_key_for, order_payload
from tuika.adapters.db.raw import Sql
from tuika.adapters.db.tables import CaseEventRow, CaseRow
from tuika.app import create_app
from tuika.bootstrap import System
from tuika.domain.cases import Case, CaseStatus, Role, Route, TimelineEvent
from tuika.domain.errors import DuplicateKey, ItemsAlreadyClaimed
from tuika.domain.money import Money
from tuika.domain.policy import LiableParty, Reason
from tuika.services.claims import policies
from tuika.services.orders.keys import orders_holding_key
from tuika.services.ports import CaseFilter

FILED = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


def new_case(case_id: str, order_id: str, items: tuple[str, ...], due_in: timedelta) -> Case:
    event = TimelineEvent(FILED, "buyer_1", Role.BUYER, None, CaseStatus.SUBMITTED, ("a", "b"), "备注 note")
    return Case(
        id=case_id,
        order_id=order_id,
        buyer_id="buyer_1",
        reason=Reason.CARD_INVALID,
        item_ids=items,
        route=Route.BALANCE,
        status=CaseStatus.SUBMITTED,
        policy_version=1,
        created_at=FILED,
        updated_at=FILED,
        refundable=Money(4321),
        fee=Money(12),
        liable=LiableParty.SUPPLIER,
        description="卡密无效",
        evidence_ids=("ev_1",),
        reason_codes=("x",),
        due_at=FILED + due_in,
        timeline=(event,),
    )


def test_a_case_written_by_hand_reads_back_the_same_through_both_paths(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_raw1", items=3))
    case = new_case("rc_raw1", "ord_raw1", ("ord_raw1_i0", "ord_raw1_i2"), timedelta(minutes=1))
    with system.ctx.uow() as uow:
        uow.cases.add(case)
        uow.commit()

    with system.ctx.read() as uow:
        assert uow.cases.get("rc_raw1") == case
        assert uow.cases.search(CaseFilter()) == [case]  # the ORM path reads the same row
        assert uow.cases.held_items("ord_raw1") == {"ord_raw1_i0": "rc_raw1", "ord_raw1_i2": "rc_raw1"}
    with Session(system.engine) as session:
        row = session.scalars(select(CaseRow)).one()
        event = session.scalars(select(CaseEventRow)).one()
    assert (row.due_at, row.created_at, row.item_ids, row.appealed) == (
        FILED + timedelta(minutes=1),
        FILED,
        ["ord_raw1_i0", "ord_raw1_i2"],
        False,
    )
    assert (event.at, event.reason_codes, event.note) == (FILED, ["a", "b"], "备注 note")


@pytest.mark.parametrize("offset_s", [-1, 0, 1])
def test_times_written_by_hand_compare_in_sql_like_times_written_by_sqlalchemy(
    client: TestClient, auth: Auth, system: System, offset_s: int
) -> None:
    # The sweep finds overdue cases with SQLAlchemy comparisons on ``due_at``; on SQLite that
    # compares text, so the hand-written format must sort exactly like SQLAlchemy's.
    push(client, auth, order_payload("ord_raw2"))
    with system.ctx.uow() as uow:
        uow.cases.add(new_case("rc_raw2", "ord_raw2", ("ord_raw2_i0",), timedelta(0)))
        uow.commit()
    with system.ctx.read() as uow:
        due = uow.cases.ids_due([CaseStatus.SUBMITTED], FILED + timedelta(seconds=offset_s), 10)
    assert due == (["rc_raw2"] if offset_s > 0 else [])


def test_a_second_hold_on_an_item_is_refused_and_nothing_is_written(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_raw3", items=2))
    with system.ctx.uow() as uow:
        uow.cases.add(new_case("rc_raw3", "ord_raw3", ("ord_raw3_i0",), timedelta(0)))
        uow.commit()
    with system.ctx.uow() as uow, pytest.raises(ItemsAlreadyClaimed):
        uow.cases.add(new_case("rc_raw4", "ord_raw3", ("ord_raw3_i1", "ord_raw3_i0"), timedelta(0)))
    with system.ctx.read() as uow:
        assert uow.cases.get("rc_raw4") is None
        assert uow.cases.held_items("ord_raw3") == {"ord_raw3_i0": "rc_raw3"}


def test_a_stored_idempotency_key_is_a_duplicate_and_the_first_one_stands(
    client: TestClient, auth: Auth, system: System
) -> None:
    with system.ctx.uow() as uow:
        uow.idempotency.add("buyer_1", "k", "hash-1", "rc_1", FILED)
        uow.commit()
    with system.ctx.uow() as uow, pytest.raises(DuplicateKey):
        uow.idempotency.add("buyer_1", "k", "hash-2", "rc_2", FILED)
    with system.ctx.read() as uow:
        assert uow.idempotency.get("buyer_1", "k") == ("hash-1", "rc_1")
        assert uow.idempotency.get("buyer_2", "k") is None


def test_an_order_reads_back_with_its_items_in_order(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_raw5", items=3))
    with system.ctx.read() as uow:
        order = uow.orders.get("ord_raw5")
        missing = uow.orders.get("ord_nope")
    assert order is not None
    assert [i.id for i in order.items] == ["ord_raw5_i0", "ord_raw5_i1", "ord_raw5_i2"]
    assert order.paid_at.tzinfo is UTC
    assert missing is None


def test_parameters_are_rewritten_for_psycopg_but_casts_are_left_alone() -> None:
    sql = Sql.of("SELECT :a, x::text FROM t WHERE b = :b_2", postgres_suffix=" FOR UPDATE")
    assert sql.sqlite == "SELECT :a, x::text FROM t WHERE b = :b_2"
    assert sql.postgres == "SELECT %(a)s, x::text FROM t WHERE b = %(b_2)s FOR UPDATE"


def test_the_api_thread_pool_is_sized_from_settings(system: System) -> None:
    sized = replace(system, settings=system.settings.model_copy(update={"api_threads": 3}))
    with TestClient(create_app(sized)) as running:
        assert running.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens) == 3


def test_after_postgresql_drops_every_connection_one_request_fails_and_the_pool_recovers(system: System) -> None:
    if system.engine.dialect.name != "postgresql":
        pytest.skip("connections dropped by the server are a PostgreSQL matter")
    for connection in [system.engine.connect() for _ in range(3)]:
        connection.close()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
            (system.engine.url.database,),
        )

    outcomes = []
    for _ in range(4):
        try:
            outcomes.append(policies.current(system.ctx).version)
        except Exception as exc:
            outcomes.append(type(exc).__name__)

    # No ping before each use: the first use of a dead connection fails, and SQLAlchemy then
    # discards the whole pool, so the pooled connections that died with it are not tried.
    assert outcomes == ["OperationalError", 1, 1, 1]


def test_a_card_key_read_with_look_alike_characters_finds_its_order(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_dig1", items=2))
    twice = order_payload("ord_dig2", items=1, buyer="buyer_2")
    twice["items"][0]["card_key"] = card_key_for("ord_dig1", 0)  # one key delivered in two orders
    push(client, auth, twice)
    second = card_key_for("ord_dig1", 1)  # ABCD-xxxx-JK01-NPQR

    with system.ctx.read() as uow:
        # O for 0, spaces, lower case
        found = orders_holding_key(system.ctx, uow, second.replace("-", " ").replace("01", "O1").lower())
        shared = orders_holding_key(system.ctx, uow, card_key_for("ord_dig1", 0))
        missing = orders_holding_key(system.ctx, uow, card_key_for("ord_dig1", 99))

    assert found == [("ord_dig1", "ord_dig1_i1")]
    assert shared == [("ord_dig1", "ord_dig1_i0"), ("ord_dig2", "ord_dig2_i0")]
    assert missing == []
