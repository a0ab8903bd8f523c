"""Refunds by Alipay and WeChat Pay through the service and the API, against their sandboxes.

What the bank's story (test_refunds_bank.py) does not cover: WeChat's ABNORMAL and its way out,
CLOSED, WeChat's own limits kept before asking it, Alipay's form-encoded notices, and the
reconciliation against each provider's bill.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import InlineRelay
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, ledger_total, order_payload
from tests.support.rigs import Rig, alipay_rig, wechat_rig
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.gateway import RefundRequest, statement_day
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutStatus
from tuika.services.context import SYSTEM, Actor
from tuika.services.finance import stuck_refunds
from tuika.services.payouts import confirming
from tuika.services.payouts.reconcile import MismatchKind, reconcile

FINANCE = Actor("finance_1", Role.ADMIN)
_n = itertools.count()


@pytest.fixture
def wechat(system: System, tmp_path: Path) -> Iterator[Rig]:
    with wechat_rig(tmp_path) as rig:
        system.ctx.gateways = {rig.route: rig.gateway}
        yield rig


@pytest.fixture
def alipay(system: System, tmp_path: Path) -> Iterator[Rig]:
    with alipay_rig(tmp_path) as rig:
        system.ctx.gateways = {rig.route: rig.gateway}
        yield rig


def claim(client: TestClient, auth: Auth, rig: Rig, fen: int = 6000, **order: Any) -> dict[str, Any]:
    n = next(_n)
    order_id, buyer = f"ord_rt{n}", f"buyer_rt{n}"
    push(
        client,
        auth,
        order_payload(order_id, buyer=buyer, route=rig.route.value, delivery="failed", amount_fen=fen, **order),
    )
    rig.add_trade(order_id, fen)
    case = file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
    case["buyer"] = buyer
    return case


def deliver_all(client: TestClient, rig: Rig) -> list[int]:
    rig.quiet()
    return [
        client.post(f"/v1/notify/{rig.route.value}", content=body, headers=headers).status_code
        for headers, body in rig.take_notices()
    ]


def status_of(system: System, payout_id: str) -> PayoutStatus:
    with system.ctx.read() as uow:
        payout = uow.payouts.get(payout_id)
    assert payout is not None
    return payout.status


def test_a_wechat_refund_is_refunded_by_its_success_notice(
    client: TestClient, auth: Auth, system: System, wechat: Rig
) -> None:
    case = claim(client, auth, wechat)
    payout_id = case["payout"]["id"]
    assert status_of(system, payout_id) is PayoutStatus.PROCESSING

    wechat.settle()
    assert deliver_all(client, wechat) == [204]

    done = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", case["buyer"])).json()
    assert (done["status"], done["payout"]["status"]) == ("refunded", "succeeded")
    assert done["payout"]["voucher"]  # WeChat's refund_id
    assert account_balances(system.engine)["gateway:wechat:clearing"] == 6000
    assert ledger_total(system.engine) == 0


def test_an_abnormal_wechat_refund_waits_for_finance_who_takes_wechats_way_out(
    client: TestClient, auth: Auth, system: System, wechat: Rig, dispatcher: InlineRelay
) -> None:
    from tuika_dev.sandbox.wechat import Fault

    wechat.sandbox.fail_next(Fault.ABNORMAL)
    case = claim(client, auth, wechat)
    payout_id = case["payout"]["id"]
    wechat.settle()
    deliver_all(client, wechat)

    assert status_of(system, payout_id) is PayoutStatus.ABNORMAL
    queue = client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()
    assert [p["id"] for p in queue["abnormal"]] == [payout_id]

    answer = client.post(f"/v1/payouts/{payout_id}/resolve-abnormal", headers=auth("admin", "finance_1"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "processing"
    wechat.settle()
    deliver_all(client, wechat)
    dispatcher.drain()

    assert status_of(system, payout_id) is PayoutStatus.SUCCEEDED
    assert wechat.sandbox.paid_count(payout_id) == 1
    assert client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()["abnormal"] == []
    assert ledger_total(system.engine) == 0


def test_an_abnormal_refund_sent_to_the_balance_cannot_also_take_the_way_out(
    client: TestClient, auth: Auth, system: System, wechat: Rig
) -> None:
    from tuika_dev.sandbox.wechat import Fault

    wechat.sandbox.fail_next(Fault.ABNORMAL)
    case = claim(client, auth, wechat)
    payout_id = case["payout"]["id"]
    wechat.settle()
    deliver_all(client, wechat)

    moved = client.post(f"/v1/payouts/{payout_id}/redirect-to-balance", headers=auth("buyer", case["buyer"]))
    late = client.post(f"/v1/payouts/{payout_id}/resolve-abnormal", headers=auth("admin", "finance_1"))

    assert moved.status_code == 200, moved.text
    assert late.status_code == 409
    assert status_of(system, payout_id) is PayoutStatus.FAILED
    assert account_balances(system.engine)[f"buyer:{case['buyer']}"] == 6000
    assert ledger_total(system.engine) == 0


def test_a_closed_wechat_refund_fails_and_the_buyer_takes_the_balance(
    client: TestClient, auth: Auth, system: System, wechat: Rig
) -> None:
    from tuika_dev.sandbox.wechat import Fault

    wechat.sandbox.fail_next(Fault.CLOSED)
    case = claim(client, auth, wechat)
    payout_id = case["payout"]["id"]
    wechat.settle()
    deliver_all(client, wechat)
    assert status_of(system, payout_id) is PayoutStatus.FAILED

    stuck_refunds.redirect_to_balance(system.ctx, Actor(case["buyer"], Role.BUYER), payout_id)

    done = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", case["buyer"])).json()
    assert done["status"] == "refunded"
    codes = [c["code"] for e in done["timeline"] for c in e["reason_codes"]]
    assert {"gateway_refund_failed", "redirected_to_balance", "refunded_to_balance"} <= set(codes)
    assert wechat.sandbox.paid_count(payout_id) == 0
    assert ledger_total(system.engine) == 0


def test_a_second_wechat_refund_of_an_order_within_a_minute_waits_its_turn(
    client: TestClient, auth: Auth, system: System, wechat: Rig, dispatcher: InlineRelay
) -> None:
    n = next(_n)
    order_id, buyer = f"ord_rt{n}", f"buyer_rt{n}"
    push(
        client, auth, order_payload(order_id, buyer=buyer, route="wechat", delivery="failed", items=2, amount_fen=8000)
    )
    wechat.add_trade(order_id, 8000)
    first = file_case(
        client,
        auth,
        {"order_id": order_id, "reason": "not_delivered", "route": "original", "item_ids": [f"{order_id}_i0"]},
        buyer,
    )
    dispatcher.follow_ups.clear()

    second = file_case(
        client,
        auth,
        {"order_id": order_id, "reason": "not_delivered", "route": "original", "item_ids": [f"{order_id}_i1"]},
        buyer,
    )

    assert first["payout"]["status"] == "processing"
    assert second["payout"]["status"] == "pending"  # not sent: WeChat would answer FREQUENCY_LIMITED
    [delay] = [d for payout_id, d in dispatcher.follow_ups if payout_id == second["payout"]["id"]]
    assert 50 < delay <= 60


def test_wechat_refunds_an_order_for_a_year_only_so_the_buyer_is_offered_the_balance(
    client: TestClient, auth: Auth, system: System, wechat: Rig
) -> None:
    push(client, auth, order_payload("ord_old", route="wechat", delivery="failed", paid_ago=timedelta(days=400)))

    answer = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_old", "reason": "not_delivered", "route": "original"},
        headers=auth("buyer", "buyer_1"),
    )
    check = client.post(
        "/v1/orders/ord_old/refund-precheck", json={"reason": "not_delivered"}, headers=auth("buyer", "buyer_1")
    ).json()

    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "gateway_refund_limit"
    assert check["routes"] == ["balance"]


def test_an_alipay_refund_is_refunded_by_its_form_encoded_notice_and_a_replay_changes_nothing(
    client: TestClient, auth: Auth, system: System, alipay: Rig
) -> None:
    case = claim(client, auth, alipay)
    payout_id = case["payout"]["id"]
    alipay.quiet()
    notices = alipay.take_notices()
    assert notices
    headers = {k.lower(): v for k, v in notices[0][0].items()}
    assert headers["content-type"].startswith("application/x-www-form-urlencoded")

    replies = [client.post("/v1/notify/alipay", content=body, headers=headers) for headers, body in notices * 2]

    assert {r.text for r in replies} == {"success"}
    assert status_of(system, payout_id) is PayoutStatus.SUCCEEDED
    assert alipay.sandbox.paid_count(payout_id) == 1
    assert ledger_total(system.engine) == 0


def test_reconciliation_finds_the_days_refunds_in_each_bill_and_lists_what_differs(
    client: TestClient, auth: Auth, system: System, alipay: Rig
) -> None:
    cases = [claim(client, auth, alipay, fen=fen) for fen in (1000, 2000)]
    for case in cases:
        confirming.follow_up(system.ctx, case["payout"]["id"])
    day = statement_day(system.ctx.clock.now())

    [clean] = reconcile(system.ctx, SYSTEM, day)
    assert (clean.our_count, clean.their_count, clean.mismatches) == (2, 2, ())
    assert clean.our_total.fen == clean.their_total.fen == 3000

    # A refund made at the gateway that no payout of ours asked for (someone used its console).
    alipay.sandbox.add_trade("tx_stray", "ord_stray", Money(500))
    alipay.gateway.refund(RefundRequest("po_stray", "ord_stray", "tx_stray", Money(500), Money(500)))
    [found] = reconcile(system.ctx, SYSTEM, day)

    assert [(m.kind, m.refund_no) for m in found.mismatches] == [(MismatchKind.UNKNOWN_TO_US, "po_stray")]
    assert found.their_count == 3


def test_a_resend_refused_fails_the_payout_only_when_the_gateway_still_has_nothing(
    client: TestClient, auth: Auth, system: System, alipay: Rig
) -> None:
    from tuika_dev.sandbox.alipay import Fault

    alipay.sandbox.fail_next(Fault.ERROR_500)  # the first call never reaches Alipay's books
    case = claim(client, auth, alipay)
    payout_id = case["payout"]["id"]
    assert status_of(system, payout_id) is PayoutStatus.PROCESSING
    alipay.sandbox.fail_next(Fault.CLOSED)  # by the time it is sent again, the trade is closed

    confirming.follow_up(system.ctx, payout_id)  # nothing under the number: sent again, refused

    assert status_of(system, payout_id) is PayoutStatus.FAILED
    assert alipay.sandbox.paid_count(payout_id) == 0
    moved = stuck_refunds.redirect_to_balance(system.ctx, Actor(case["buyer"], Role.BUYER), payout_id)
    assert status_of(system, moved.id) is PayoutStatus.SUCCEEDED  # paid once the redirect committed
    assert ledger_total(system.engine) == 0
