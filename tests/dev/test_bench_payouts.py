"""The payout benchmark: a small run is well formed and clean, and its audit can fail.

The figures themselves are never asserted (they belong in docs/performance.md); what is asserted
is the JSON line's shape, that nothing was refunded twice and the ledger balances, and that the
audit reports a broken ledger and a gateway that paid a number twice when it is shown one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.adapters.db.tables import EntryRow, PostingRow
from tuika_dev.bench.payoutaudit import PayoutFact, audit
from tuika_dev.bench.payoutplan import FAULTS, plan

ROOT = Path(__file__).resolve().parents[2]
KEYS = {"payouts", "double_refunds", "ledger_imbalances", "p50_s", "p99_s", "routes", "retries", "faults_taken"}


def test_thirty_claims_with_every_fault_end_once_each_and_the_books_balance() -> None:
    # Every claim gets a fault, so each sandbox's every mode is queued at least once.
    command = [sys.executable, "benchmarks/payouts.py", "--claims", "30", "--fault-rate", "1", "--rate", "0"]

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)

    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr
    result = json.loads(lines[-1])
    assert done.returncode == (0 if result["ok"] else 1), done.stderr
    assert result.keys() >= KEYS
    assert set(result["routes"]) == {"alipay", "wechat", "bank_card"}
    assert result["payouts"] == 30
    assert result["not_approved"] == 0
    assert result["unfinished"] == 0
    assert result["double_refunds"] == 0
    assert result["ledger_imbalances"] == 0
    assert result["disagreements"] == 0
    assert result["unexpected_failures"] == 0
    assert result["refunded"] + result["failed"] == 30
    assert result["faults_queued"] == 30
    assert result["faults_taken"] <= 30
    # The faults reached the gateways: some calls were answered with one, and refunds were sent again.
    assert result["faults_taken"] >= 20
    assert result["retries"]["resent"] >= 1
    assert 0 < result["p50_s"] <= result["p99_s"] <= result["max_s"]
    for route, figures in result["routes"].items():
        assert set(figures["faults_taken"]) <= set(FAULTS[route])
        assert figures["payouts"] == figures["refunded"] + figures["failed"]
    assert any(line.startswith("cleaned up") for line in lines)


def test_the_plan_spreads_routes_and_faults_evenly_and_repeats_from_its_seed() -> None:
    planned = plan(300, 0.1, seed=3)

    assert [p.route for p in planned].count("alipay") == 100
    assert sum(p.fault is not None for p in planned) == 30
    assert len({p.buyer for p in planned}) == 300  # one buyer each: the history rule stays out of it
    assert plan(300, 0.1, seed=3)[:5] == planned[:5]
    assert plan(300, 0.1, seed=4)[:5] != planned[:5]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tuika.db'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def post(engine: Engine, posting_id: str, payout_id: str, kind: str, amounts: list[int]) -> None:
    """Write a posting and its entries straight into the tables, as no service would if unbalanced."""
    with engine.begin() as conn:
        conn.execute(
            insert(PostingRow).values(
                id=posting_id, memo="test", payout_id=payout_id, kind=kind, created_at=datetime.now(UTC)
            )
        )
        for n, amount in enumerate(amounts):
            conn.execute(insert(EntryRow).values(posting_id=posting_id, account=f"acct:{n}", amount_fen=amount))


class Gateway:
    """A sandbox's answer to ``paid_count``, set by the test."""

    def __init__(self, paid: dict[str, int]) -> None:
        self.paid = paid

    def paid_count(self, refund_no: str) -> int:
        return self.paid.get(refund_no, 0)


def test_a_clean_ledger_and_gateway_give_nothing(engine: Engine) -> None:
    post(engine, "lp_1", "po_1", "refund", [-5000, 5000])
    post(engine, "lp_2", "po_1", "clawback", [-5000, 5000])

    found = audit(engine, {"alipay": Gateway({"po_1": 1})}, [PayoutFact("po_1", "alipay", "succeeded")])

    assert (found.double_refunds, found.imbalances, found.disagreements) == ([], [], [])


def test_an_unbalanced_posting_is_an_imbalance_and_so_is_the_ledger(engine: Engine) -> None:
    post(engine, "lp_1", "po_1", "refund", [-5000, 5000])
    post(engine, "lp_2", "po_2", "refund", [-5000, 4999])

    found = audit(engine, {}, [])

    assert found.imbalances == ["posting lp_2 sums to -1 fen", "the ledger sums to -1 fen"]


def test_a_number_the_gateway_paid_twice_is_a_double_refund(engine: Engine) -> None:
    post(engine, "lp_1", "po_1", "refund", [-5000, 5000])
    post(engine, "lp_2", "po_2", "refund", [-700, 700])
    gateway = Gateway({"po_1": 2, "po_2": 1})
    payouts = [PayoutFact("po_1", "wechat", "succeeded"), PayoutFact("po_2", "wechat", "succeeded")]

    found = audit(engine, {"wechat": gateway}, payouts)

    assert found.double_refunds == ["po_1: paid 2 times by wechat"]
    assert found.imbalances == []


def test_a_state_the_gateway_or_the_ledger_contradicts_is_a_disagreement(engine: Engine) -> None:
    post(engine, "lp_1", "po_3", "refund", [-100, 100])
    post(engine, "lp_2", "po_4", "refund", [-100, 100])
    gateway = Gateway({"po_2": 1, "po_3": 1})
    payouts = [
        PayoutFact("po_1", "bank_card", "succeeded"),  # never paid, never posted
        PayoutFact("po_2", "bank_card", "failed"),  # failed, yet the bank paid it
        PayoutFact("po_3", "bank_card", "failed"),  # failed, yet paid and posted
        PayoutFact("po_4", "bank_card", "processing"),  # posted before the gateway said so
    ]

    found = audit(engine, {"bank_card": gateway}, payouts)

    assert [line.split(":")[0] for line in found.disagreements] == ["po_1", "po_2", "po_3", "po_4"]
    assert found.double_refunds == []
