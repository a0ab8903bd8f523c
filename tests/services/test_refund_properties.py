"""Property: whatever the interleaving of retries, timeouts, duplicate, late and reordered notices,
each payout is refunded exactly once at the gateway, and the ledger balances.

Hypothesis draws a story for one card-paid claim: faults queued at the sandbox, follow-ups run
or left, sweeps, the payout task run again, the gateway settling, notices delivered in any order,
again, or never — and a second, configured gateway that holds a refund under the same number
(paid or failed) and sends its own genuine, correctly signed notices about it. Then the world
calms down (everything settles, every notice arrives, the follow-ups run) and the books are
checked against the payout's own gateway.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import InlineRelay
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, ledger_total, order_payload
from tests.support.rigs import RIGS, Headers, Rig
from tuika.bootstrap import System
from tuika.domain.gateway import RefundRequest
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute, PayoutStatus
from tuika.services.payouts import confirming, paying
from tuika.services.upkeep.sweep import sweep
from tuika_dev.sandbox.bank import FailCode
from tuika_dev.sandbox.wechat import Fault as WechatFault

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

FAULTS = ["timeout_after_accept", "error_500", "duplicate_notice", "notice_before_response", "no_notice"]
FAULTS += ["empty_query", "system_error"]
STEPS = ["drain", "sweep", "pay_again", "settle", "deliver", "redeliver", "stranger", *FAULTS]
# The other gateway of each story: one that can both pay and fail a refund it holds.
STRANGER = {"bank_card": "wechat", "alipay": "bank_card", "wechat": "bank_card"}
_orders = itertools.count()


def stranger_refund(rig: Rig, order_id: str, payout_id: str, fails: bool) -> None:
    """Have another gateway hold a refund under the payout's own number, paid or failed."""
    rig.add_trade(order_id, 4321)
    if fails and rig.route.value == "bank_card":
        rig.sandbox.fail_card(f"tx_{order_id}", FailCode.ACCOUNT_FROZEN)
    elif fails:
        rig.sandbox.fail_next(WechatFault.CLOSED)
    request = RefundRequest(payout_id, order_id, f"tx_{order_id}", Money(4321), Money(4321), "退卡")
    rig.gateway.refund(request)
    rig.settle()


def deliver(client: TestClient, rig: Rig, notice: tuple[Headers, bytes]) -> int:
    """Post a notice as the provider would; return our HTTP answer.

    A notice replayed days after it was signed may be refused (the bank's window is five
    minutes); refused or not, it must change nothing that the books below would show.
    """
    headers, body = notice
    return client.post(f"/v1/notify/{rig.route.value}", content=body, headers=headers).status_code


def payout_status(system: System, payout_id: str) -> PayoutStatus:
    with system.ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
    assert payout is not None
    return payout.status


def voucher_of(system: System, payout_id: str) -> str | None:
    with system.ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
    assert payout is not None
    return payout.voucher


def refund_ids_at(rig: Rig) -> set[str]:
    """Return the gateway's own ids of the refunds a (bank or WeChat Pay) sandbox holds."""
    if rig.route is PayoutRoute.BANK_CARD:
        return {r.bank_refund_id for r in rig.sandbox.refunds()}
    return {r.refund_id for r in rig.sandbox.refunds()}


def postings_of(system: System, payout_id: str, kind: str) -> int:
    with system.engine.connect() as conn:
        query = text("SELECT count(*) FROM ledger_postings WHERE payout_id = :p AND kind = :k")
        return int(conn.execute(query, {"p": payout_id, "k": kind}).scalar_one())


@pytest.mark.parametrize("kind", sorted(RIGS))
@settings(max_examples=10, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    before=st.lists(st.sampled_from(FAULTS), max_size=2),
    steps=st.lists(st.sampled_from(STEPS), max_size=10),
    data=st.data(),
)
def test_any_interleaving_refunds_each_payout_exactly_once_and_the_ledger_balances(
    kind: str,
    client: TestClient,
    auth: Auth,
    system: System,
    dispatcher: InlineRelay,
    tmp_path: Path,
    before: list[str],
    steps: list[str],
    data: st.DataObject,
) -> None:
    with RIGS[kind](tmp_path, timeout_s=0.3) as rig, RIGS[STRANGER[kind]](tmp_path) as stranger:
        system.ctx.gateways = {rig.route: rig.gateway, stranger.route: stranger.gateway}
        dispatcher.follow_ups.clear()
        n = next(_orders)
        # A buyer of its own per story: many claims by one buyer would rightly go to a person.
        order_id, buyer = f"ord_prop{n}", f"buyer_prop{n}"
        order = order_payload(order_id, buyer=buyer, route=rig.route.value, delivery="failed", amount_fen=4321)
        push(client, auth, order)
        rig.add_trade(order_id, 4321)
        for fault in before:
            rig.fault(fault)
        case = file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
        payout_id = case["payout"]["id"]
        delivered: list[tuple[Headers, bytes]] = []
        delivered_elsewhere: list[tuple[Headers, bytes]] = []

        for step in steps:
            if step == "drain":
                dispatcher.drain()
            elif step == "sweep":
                sweep(system.ctx)
            elif step == "pay_again":
                paying.execute(system.ctx, payout_id)
            elif step == "settle":
                rig.settle()
            elif step == "deliver":
                rig.quiet()
                for notice in data.draw(st.permutations(rig.take_notices())):
                    deliver(client, rig, notice)
                    delivered.append(notice)
            elif step == "redeliver" and delivered:
                deliver(client, rig, data.draw(st.sampled_from(delivered)))
            elif step == "stranger":
                if not stranger.sandbox.refunds():
                    stranger_refund(stranger, order_id, payout_id, fails=data.draw(st.booleans()))
                stranger.quiet()
                for notice in stranger.take_notices():
                    deliver(client, stranger, notice)
                    delivered_elsewhere.append(notice)
                if delivered_elsewhere:
                    deliver(client, stranger, data.draw(st.sampled_from(delivered_elsewhere)))
            else:
                rig.fault(step)

        # The world calms down: the gateway settles, every notice arrives, and the follow-up
        # runs (straight away: its backoff is what the sweep honours, not what this test tests).
        for _ in range(8):
            rig.quiet()
            for notice in rig.take_notices():
                deliver(client, rig, notice)  # whatever was still held back, however stale
            rig.settle()
            rig.quiet()
            for notice in rig.take_notices():
                # Just sent: acknowledged, whether it is news or a duplicate.
                assert deliver(client, rig, notice) < 300
            if payout_status(system, payout_id) is PayoutStatus.SUCCEEDED:
                break
            confirming.follow_up(system.ctx, payout_id)

        assert payout_status(system, payout_id) is PayoutStatus.SUCCEEDED
        assert rig.sandbox.paid_count(payout_id) == 1
        # Settled by its own gateway's word, never by the other's.
        assert voucher_of(system, payout_id) not in refund_ids_at(stranger)
        assert [r.refund_no for r in rig.sandbox.refunds()].count(payout_id) == 1
        assert postings_of(system, payout_id, "refund") == 1
        assert ledger_total(system.engine) == 0
        # The claim's hold on its merchant's settlement ended once, however the story went.
        assert account_balances(system.engine).get("merchant:merchant_1:holds", 0) == 0
        assert postings_of(system, payout_id, "release") == 1
