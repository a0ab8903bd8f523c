"""Accounts kept in clear before migration 0010: tuika migrate encrypts them once and empties the clear column."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.conftest import PG_ADMIN_URL, _pg_url
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import alembic_config, upgrade
from tuika.bootstrap import System, build
from tuika.cli import app
from tuika.domain.cases import Role
from tuika.services.context import Actor
from tuika.services.orders import orders
from tuika.services.orders.encrypt_accounts import encrypt_accounts
from tuika.settings import Settings

AT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# Item id → the account as a platform pushed it before 0010; the card key item has none.
CLEAR = {
    "ord_old1_i0": "13800138000",
    "ord_old1_i1": "+86 139 1234 5678",
    "ord_old2_i0": "player_lee@qq.com",
    "ord_old2_i1": "1开 / 天下无双",
    "ord_old3_i0": None,
}
MASKED = {
    "ord_old1_i0": "138****8000",
    "ord_old1_i1": "139****5678",
    "ord_old2_i0": "pl****e@qq.com",
    "ord_old2_i1": "1****双",
    "ord_old3_i0": None,
}
# What a clear account would look like in a dump, however it was spelled.
SPELLINGS = ("13800138000", "13912345678", "139 1234 5678", "player_lee", "天下无双")
OLD_LINES = ["【中国移动】您为13800138000充值100元未成功", "号码 +86 139 1234 5678", "交易流水号HF2611221530128841"]
MASKED_LINES = ["【中国移动】您为138****8000充值100元未成功", "号码 +86 139 **** 5678", "交易流水号HF2611221530128841"]


def _t(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(n, t) for n, t in columns))


# The tables as revision 0009 has them, only the columns these rows fill.
ORDERS = _t(
    "orders",
    *[(n, sa.String()) for n in ("id", "buyer_id", "merchant_id", "supplier_id", "sku", "title", "product_kind")],
    *[(n, sa.String()) for n in ("payment_route", "transaction_id", "delivery_status")],
    ("amount_fen", sa.BigInteger()),
    *[(n, sa.DateTime(timezone=True)) for n in ("paid_at", "delivered_at", "created_at", "updated_at")],
)
ITEMS = _t(
    "order_items",
    *[(n, sa.String()) for n in ("order_id", "item_id", "account", "secret_enc")],
    ("position", sa.Integer()),
)
CASES = _t(
    "cases",
    *[(n, sa.String()) for n in ("id", "order_id", "buyer_id", "reason", "route", "status", "liable", "description")],
    *[(n, sa.JSON()) for n in ("item_ids", "evidence_ids", "reason_codes")],
    *[(n, sa.BigInteger()) for n in ("policy_version", "refundable_fen", "fee_fen")],
    ("appealed", sa.Boolean()),
    *[(n, sa.DateTime(timezone=True)) for n in ("created_at", "updated_at")],
)
READS = _t(
    "evidence_reads",
    *[(n, sa.String()) for n in ("case_id", "evidence_id", "engine")],
    *[(n, sa.JSON()) for n in ("lines", "fields", "matches", "codes")],
    ("at", sa.DateTime(timezone=True)),
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Return the URL of a database built at revision 0009, when accounts were kept in clear."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        name = f"tuika_old_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    engine = make_engine(url)
    upgrade(engine, "0009")
    engine.dispose()
    yield url
    if request.param == "postgres":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, old_db: str) -> Settings:
    return Settings(demo=True, data_dir=tmp_path / "data", database_url=old_db, ocr_engine="off")


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    made = make_engine(settings.db_url())
    yield made
    made.dispose()


def keep_old_orders(engine: Engine) -> None:
    """Store three orders as tuika kept them before 0010: accounts in clear, and a read showing them."""
    kinds = {"ord_old1": "direct_topup", "ord_old2": "manual_topup", "ord_old3": "card_key"}
    with engine.begin() as conn:
        for order_id, kind in kinds.items():
            conn.execute(
                ORDERS.insert().values(
                    id=order_id,
                    buyer_id="buyer_1",
                    merchant_id="m_1",
                    supplier_id="s_1",
                    sku="CMCC-100",
                    title="中国移动话费直充 100元",
                    product_kind=kind,
                    payment_route="alipay",
                    transaction_id=f"tx_{order_id}",
                    delivery_status="failed",
                    amount_fen=10000,
                    paid_at=AT,
                    delivered_at=None,
                    created_at=AT,
                    updated_at=AT,
                )
            )
        for item_id, account in CLEAR.items():
            order_id, position = item_id.rsplit("_i", 1)
            row = {"order_id": order_id, "item_id": item_id, "position": int(position), "account": account}
            conn.execute(ITEMS.insert().values(**row))
        conn.execute(
            CASES.insert().values(
                id="rc_old1",
                order_id="ord_old1",
                buyer_id="buyer_1",
                reason="not_delivered",
                route="original",
                status="manual_review",
                liable="supplier",
                description="",
                item_ids=["ord_old1_i0"],
                evidence_ids=["ev_old1"],
                reason_codes=[],
                policy_version=1,
                refundable_fen=10000,
                fee_fen=0,
                appealed=False,
                created_at=AT,
                updated_at=AT,
            )
        )
        conn.execute(
            READS.insert().values(
                case_id="rc_old1",
                evidence_id="ev_old1",
                engine="faster-paddle small",
                lines=[[text, [0, 40 * n, 700, 40 * n + 30], 0.97] for n, text in enumerate(OLD_LINES)],
                fields={"phones": ["138****8000", "139****5678"]},
                matches=[],
                codes=[],
                at=AT,
            )
        )


def stored_items(engine: Engine) -> dict[str, tuple[Any, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT item_id, account, account_enc FROM order_items ORDER BY item_id")).all()
    return {item_id: (clear, sealed) for item_id, clear, sealed in rows}


def dumps(engine: Engine) -> list[str]:
    """Return every table of the database as text, to look for accounts in it."""
    with engine.connect() as conn:
        return [repr(conn.execute(sa.text(f"SELECT * FROM {t}")).all()) for t in sa.inspect(conn).get_table_names()]


def accounts_as(system: System, actor: Actor) -> dict[str, str | None]:
    """Return each item's account as ``actor`` sees it through the order service."""
    shown: dict[str, str | None] = {}
    for order_id in ("ord_old1", "ord_old2", "ord_old3"):
        order = orders.get_order(system.ctx, actor, order_id)
        shown.update({i.id: i.account for i in orders.view(system.ctx, actor, order, accounts=True).items})
    return shown


BUYER = Actor("buyer_1", Role.BUYER)
AGENT = Actor("agent_1", Role.AGENT)


def test_the_migration_adds_the_encrypted_column_masks_mobile_numbers_in_reads_and_asks_for_the_cipher(
    engine: Engine,
) -> None:
    keep_old_orders(engine)

    after = upgrade(engine)

    assert after == frozenset({"encrypt_accounts"})
    # No cipher here: the accounts wait, still in clear, for tuika to encrypt them.
    assert stored_items(engine) == {item_id: (account, None) for item_id, account in CLEAR.items()}
    with engine.connect() as conn:
        (lines,) = conn.execute(sa.select(READS.c.lines)).one()
    assert [line[0] for line in lines] == MASKED_LINES
    assert [line[1:] for line in lines] == [[[0, 40 * n, 700, 40 * n + 30], 0.97] for n in range(len(OLD_LINES))]
    assert upgrade(engine) == frozenset()  # at head already: nothing runs, nothing is asked


def test_tuika_migrate_encrypts_every_clear_account_right_after_and_once(settings: Settings, engine: Engine) -> None:
    keep_old_orders(engine)

    system = build(settings, migrate=True, queue=False)

    items = stored_items(engine)
    assert [clear for clear, _ in items.values()] == [None] * len(CLEAR)
    sealed = {item_id: enc for item_id, (_, enc) in items.items()}
    assert [item_id for item_id, enc in sealed.items() if enc is not None] == [i for i, a in CLEAR.items() if a]
    assert all(enc is None or enc.startswith("v1:") for enc in sealed.values())
    tables = dumps(engine)
    assert all(spelling not in table for spelling in SPELLINGS for table in tables)
    assert accounts_as(system, BUYER) == CLEAR
    assert accounts_as(system, AGENT) == MASKED
    assert system.encrypted_accounts == 4

    assert encrypt_accounts(system.ctx) == 0
    again = build(settings, migrate=True, queue=False)
    assert stored_items(engine) == items  # not encrypted a second time
    assert again.encrypted_accounts == 0
    again.engine.dispose()
    system.engine.dispose()


def test_encrypt_accounts_encrypts_what_was_left_in_clear_and_then_finds_nothing(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_old_orders(engine)
    upgrade(engine)  # as `alembic upgrade head` alone would: the accounts stay in clear
    for name, value in (
        ("TUIKA_DEMO", "1"),
        ("TUIKA_DATABASE_URL", settings.db_url()),
        ("TUIKA_DATA_DIR", str(settings.data_dir)),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    first = runner.invoke(app, ["encrypt-accounts"])
    second = runner.invoke(app, ["encrypt-accounts"])

    assert (first.exit_code, first.stdout) == (0, "encrypted 4 accounts kept in clear\n")
    assert (second.exit_code, second.stdout) == (0, "no account is kept in clear\n")
    assert [clear for clear, _ in stored_items(engine).values()] == [None] * len(CLEAR)
    assert all(spelling not in table for spelling in SPELLINGS for table in dumps(engine))
    system = build(settings, queue=False)
    assert accounts_as(system, BUYER) == CLEAR
    system.engine.dispose()


def test_tuika_migrate_from_the_command_line_leaves_no_account_in_clear(
    settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    keep_old_orders(engine)
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_DATABASE_URL", settings.db_url())
    monkeypatch.setenv("TUIKA_DATA_DIR", str(settings.data_dir))

    migrated = CliRunner().invoke(app, ["migrate"])

    assert migrated.exit_code == 0, migrated.output
    assert [clear for clear, _ in stored_items(engine).values()] == [None] * len(CLEAR)
    assert all(spelling not in table for spelling in SPELLINGS for table in dumps(engine))
    system = build(settings, queue=False)
    assert accounts_as(system, BUYER) == CLEAR
    system.engine.dispose()


def test_downgrading_past_0010_refuses_while_an_account_is_encrypted_and_changes_nothing(
    settings: Settings, engine: Engine
) -> None:
    keep_old_orders(engine)
    build(settings, migrate=True, queue=False).engine.dispose()
    items = stored_items(engine)
    config = alembic_config()

    with engine.begin() as conn:
        config.attributes["connection"] = conn
        with pytest.raises(RuntimeError, match="4 order items hold an encrypted account"):
            command.downgrade(config, "0009")

    assert stored_items(engine) == items
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0010"
