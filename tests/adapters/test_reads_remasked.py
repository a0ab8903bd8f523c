"""Reads stored before keys were masked in every spelling: migration 0009 and the orders' keys mask them again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from typer.testing import CliRunner

from tests.conftest import PG_ADMIN_URL, _pg_url
from tests.support.keyscan import stored_leaks
from tuika.adapters.crypto import CardKeyCipher
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.bootstrap import build
from tuika.cli import app
from tuika.services.review.remask import remask_reads
from tuika.settings import Settings

KEY = "HN4K-M8VB-2CX7-LP9D"
AT = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
# A read as the old masking left it: keys in the spellings its one pattern missed, in clear.
OLD_LINES = [
    "订单号：ord_old1",
    "卡密：HN4K M8VB 2CX7 LP9D",
    "银行卡 6225 8812 3456 7890",
    "兑换码 ABCDEFGHJKLMNPQRSTUV",
    "卡密 hn4k-m8vb-2cx7-lp9d",
    "密码 hn4k m8vb 2cx7 lp9d",  # no shape gives this one away: only the order's own key does
    "金额：¥100.00",
]
SHAPES_MASKED = [
    "订单号：ord_old1",
    "卡密：HN4K **** **** LP9D",
    "银行卡 6225 **** **** 7890",
    "兑换码 ABCD************STUV",
    "卡密 hn4k-****-****-lp9d",
    "密码 hn4k m8vb 2cx7 lp9d",
    "金额：¥100.00",
]
ALL_MASKED = [*SHAPES_MASKED[:5], "密码 hn4k **** **** lp9d", SHAPES_MASKED[6]]
OLD_MATCHES = [
    {
        "field": "order_number",
        "read": "ord_old1",
        "expected": "ord_old1",
        "matches": True,
        "code": "order_number_matches",
    },
    {"field": "order_number", "read": "6225 8812 3456 7890", "expected": "ord_old1", "matches": False, "code": "x"},
    {"field": "amount", "read": "100.00", "expected": "100.00", "matches": True, "code": "amount_matches_order"},
]


def _t(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(n, t) for n, t in columns))


# The tables as revision 0006 has them, only the columns these rows fill.
ORDERS = _t(
    "orders",
    *[(n, sa.String()) for n in ("id", "buyer_id", "merchant_id", "supplier_id", "sku", "title", "product_kind")],
    *[(n, sa.String()) for n in ("payment_route", "transaction_id", "delivery_status")],
    ("amount_fen", sa.BigInteger()),
    *[(n, sa.DateTime(timezone=True)) for n in ("paid_at", "delivered_at", "created_at", "updated_at")],
)
ITEMS = _t(
    "order_items",
    ("order_id", sa.String()),
    ("item_id", sa.String()),
    ("position", sa.Integer()),
    ("secret_enc", sa.Text()),
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
    """Return the URL of a database built at revision 0006, before reads were masked again."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        name = f"tuika_old_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _pg_url(name)
    engine = make_engine(url)
    upgrade(engine, "0006")
    engine.dispose()
    yield url
    if request.param == "postgres":
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, old_db: str) -> Settings:
    return Settings(demo=True, data_dir=tmp_path / "data", database_url=old_db, ocr_engine="off")


def keep_old_read(engine: Engine, settings: Settings, case_id: str = "rc_old1", order_id: str = "ord_old1") -> None:
    """Store an order with its key sealed, a case, and a read of the case as the old masking left it."""
    cipher = CardKeyCipher(settings.card_key_bytes(), settings.card_key_active)
    item_id = f"{order_id}_i0"
    with engine.begin() as conn:
        conn.execute(
            ORDERS.insert().values(
                id=order_id,
                buyer_id="buyer_1",
                merchant_id="m_1",
                supplier_id="s_1",
                sku="JD-100",
                title="京东E卡",
                product_kind="card_key",
                payment_route="alipay",
                transaction_id=f"tx_{order_id}",
                delivery_status="delivered",
                amount_fen=10000,
                paid_at=AT,
                delivered_at=AT,
                created_at=AT,
                updated_at=AT,
            )
        )
        # Sealed as tuika seals it: bound to "<order id>/<item id>".
        secret = cipher.encrypt(KEY, f"{order_id}/{item_id}")
        conn.execute(ITEMS.insert().values(order_id=order_id, item_id=item_id, position=0, secret_enc=secret))
        conn.execute(
            CASES.insert().values(
                id=case_id,
                order_id=order_id,
                buyer_id="buyer_1",
                reason="card_invalid",
                route="original",
                status="manual_review",
                liable="supplier",
                description="",
                item_ids=[item_id],
                evidence_ids=[f"ev_{case_id}"],
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
                case_id=case_id,
                evidence_id=f"ev_{case_id}",
                engine="faster-paddle small",
                lines=[[text, [0, 40 * n, 700, 40 * n + 30], 0.97] for n, text in enumerate(OLD_LINES)],
                fields={"order_numbers": ["ord_old1", "6225 8812 3456 7890"], "card_keys": ["HN4K-****-****-LP9D"]},
                matches=OLD_MATCHES,
                codes=["ocr_contradicts_order"],
                at=AT,
            )
        )


def stored(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(READS).order_by(READS.c.evidence_id)).all()
    return [tuple(row) for row in rows]


def test_the_migration_masks_what_is_shaped_like_a_key_and_asks_for_the_orders_keys(settings: Settings) -> None:
    engine = make_engine(settings.db_url())
    keep_old_read(engine, settings)

    after = upgrade(engine, "0009")

    ((case_id, evidence_id, read_by, lines, fields, matches, codes, _),) = stored(engine)
    assert after == frozenset({"remask_reads"})
    assert [line[0] for line in lines] == SHAPES_MASKED
    assert [line[1:] for line in lines] == [[[0, 40 * n, 700, 40 * n + 30], 0.97] for n in range(len(OLD_LINES))]
    assert fields == {"order_numbers": ["ord_old1", "6225 **** **** 7890"], "card_keys": ["HN4K-****-****-LP9D"]}
    assert [m["read"] for m in matches] == ["ord_old1", "6225 **** **** 7890", "100.00"]
    assert (case_id, evidence_id, read_by, codes) == (
        "rc_old1",
        "ev_rc_old1",
        "faster-paddle small",
        ["ocr_contradicts_order"],
    )
    engine.dispose()


def test_tuika_migrate_masks_them_with_the_orders_keys_right_after_and_once(settings: Settings) -> None:
    engine = make_engine(settings.db_url())
    keep_old_read(engine, settings)

    system = build(settings, migrate=True, queue=False)

    ((*_, lines, fields, _, _, _),) = stored(engine)
    assert [line[0] for line in lines] == ALL_MASKED
    assert fields["card_keys"] == ["HN4K-****-****-LP9D"]
    assert stored_leaks(system) == []
    before = stored(engine)
    assert remask_reads(system.ctx) == 0
    again = build(settings, migrate=True, queue=False)
    assert stored(engine) == before
    again.engine.dispose()
    system.engine.dispose()
    engine.dispose()


def test_remask_reads_masks_a_read_left_in_clear_and_then_finds_nothing_to_do(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(settings.db_url())
    upgrade(engine)
    keep_old_read(engine, settings)  # as if written at head by an older tuika, or migrated by alembic alone
    for name, value in (
        ("TUIKA_DEMO", "1"),
        ("TUIKA_DATABASE_URL", settings.db_url()),
        ("TUIKA_DATA_DIR", str(settings.data_dir)),
    ):
        monkeypatch.setenv(name, value)
    runner = CliRunner()

    first = runner.invoke(app, ["remask-reads"])
    second = runner.invoke(app, ["remask-reads"])

    assert (first.exit_code, first.stdout) == (0, "masked 1 stored reads again\n")
    assert (second.exit_code, second.stdout) == (0, "every stored read was masked already\n")
    ((*_, lines, _, _, _, _),) = stored(engine)
    assert [line[0] for line in lines] == ALL_MASKED
    engine.dispose()
