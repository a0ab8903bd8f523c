"""Refunds by the bank card, end to end through the service, the API and the bank sandbox.

The sandbox and the adapter share a fake clock, moved across T+1; tuika's own clock is real.
Notices reach tuika through ``/v1/notify/bank_card`` exactly as the bank would post them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import InlineRelay
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, count_rows, ledger_total, order_payload, postings
from tests.support.rigs import FakeClock, bank_wired
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.money import Money
from tuika.services.context import Actor
from tuika.services.finance import stuck_refunds
from tuika.services.payouts import applying
from tuika_dev.sandbox.bank import BankSandbox, FailCode, Fault


@pytest.fixture
def banked(system: System, client: TestClient) -> Iterator[tuple[BankSandbox, FakeClock]]:
    with bank_wired(system, client) as pair:
        yield pair


@pytest.fixture
def wired(banked: tuple[BankSandbox, FakeClock]) -> BankSandbox:
    """The bank sandbox tuika's bank-card route is configured with; its notices reach the API."""
    return banked[0]


@pytest.fixture
def clock(banked: tuple[BankSandbox, FakeClock]) -> FakeClock:
    return banked[1]


def claim_by_card(
    client: TestClient, auth: Auth, bank: BankSandbox, order_id: str, fen: int = 5000, fail: FailCode | None = None
) -> dict[str, Any]:
    """Push a card-paid order that failed delivery and claim it by the original route: approved at once."""
    push(client, auth, order_payload(order_id, route="bank_card", delivery="failed", amount_fen=fen))
    bank.add_trade(f"tx_{order_id}", order_id, Money(fen))
    if fail is not None:
        bank.fail_card(f"tx_{order_id}", fail)
    return file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"})


def payout_of(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    return dict(case["payout"])


def test_a_card_refund_is_processing_until_the_bank_settles_then_refunded_once(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock, dispatcher: InlineRelay
) -> None:
    case = claim_by_card(client, auth, wired, "ord_bk1")
    payout = case["payout"]

    assert (case["status"], payout["status"], payout["route"]) == ("refunding", "processing", "bank_card")
    assert payout["voucher"]  # the bank's refund number, given on acceptance
    dispatcher.drain()  # the bank still says processing: nothing moves
    assert payout_of(client, auth, case["id"])["status"] == "processing"

    clock.next_business_day()
    wired.settle_due()  # the bank settles and posts its notice to /v1/notify/bank_card

    done = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", "buyer_1")).json()
    assert (done["status"], done["payout"]["status"]) == ("refunded", "succeeded")
    assert wired.paid_count(payout["id"]) == 1
    assert ledger_total(system.engine) == 0
    assert account_balances(system.engine)["gateway:bank_card:clearing"] == 5000
    # The follow-up still queued finds the refund final and asks nothing more.
    dispatcher.drain()
    assert wired.paid_count(payout["id"]) == 1
    assert postings(system.engine, "refund", "clawback") == 2  # the refund, the supplier's clawback
    assert postings(system.engine, "hold", "release") == 2  # the merchant's money, held then released


def test_without_a_notice_the_follow_up_query_settles_it(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock, dispatcher: InlineRelay
) -> None:
    wired.set_notify(None)
    case = claim_by_card(client, auth, wired, "ord_bk2")
    clock.next_business_day()

    dispatcher.drain()

    assert payout_of(client, auth, case["id"])["status"] == "succeeded"
    assert ledger_total(system.engine) == 0


def test_a_timeout_after_the_bank_accepted_finds_the_same_refund_and_pays_once(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock, dispatcher: InlineRelay
) -> None:
    wired.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)
    case = claim_by_card(client, auth, wired, "ord_bk3")
    payout = case["payout"]
    assert (payout["status"], payout["voucher"]) == ("processing", None)  # we never heard the answer

    dispatcher.drain()  # the query finds the refund under the same number
    clock.next_business_day()
    wired.settle_due()

    assert payout_of(client, auth, case["id"])["status"] == "succeeded"
    assert wired.paid_count(payout["id"]) == 1
    assert len(wired.refunds()) == 1


def test_a_5xx_before_the_bank_did_anything_is_sent_again_under_the_same_number(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock, dispatcher: InlineRelay
) -> None:
    wired.fail_next(Fault.ERROR_500)
    case = claim_by_card(client, auth, wired, "ord_bk4")
    assert wired.refunds() == []

    dispatcher.drain()  # the query finds nothing under the number: sent again, same number

    [held] = wired.refunds()
    assert held.refund_no == case["payout"]["id"]
    clock.next_business_day()
    wired.settle_due()
    assert payout_of(client, auth, case["id"])["status"] == "succeeded"


def test_a_bank_side_failure_can_go_to_the_balance_once_by_the_buyer(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock
) -> None:
    case = claim_by_card(client, auth, wired, "ord_bk5", fail=FailCode.CARD_CANCELLED)
    clock.next_business_day()
    wired.settle_due()
    failed = payout_of(client, auth, case["id"])
    assert failed["status"] == "failed"
    assert "CARD_CANCELLED" in failed["failure"]

    moved = client.post(f"/v1/payouts/{failed['id']}/redirect-to-balance", headers=auth("buyer", "buyer_1"))
    again = client.post(f"/v1/payouts/{failed['id']}/redirect-to-balance", headers=auth("admin", "finance_1"))

    assert moved.status_code == 200, moved.text
    assert again.status_code == 409
    assert again.json()["code"] == "payout_already_redirected"
    done = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", "buyer_1")).json()
    assert done["status"] == "refunded"
    assert account_balances(system.engine)["buyer:buyer_1"] == 5000
    assert ledger_total(system.engine) == 0
    assert "gateway:bank_card:clearing" not in account_balances(system.engine)


def test_finance_sees_the_failed_refund_until_it_is_redirected(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock
) -> None:
    case = claim_by_card(client, auth, wired, "ord_bk6", fail=FailCode.ACCOUNT_FROZEN)
    clock.next_business_day()
    wired.settle_due()

    queue = client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()
    assert [p["id"] for p in queue["failed"]] == [case["payout"]["id"]]
    assert client.get("/v1/finance/refunds", headers=auth("buyer", "buyer_1")).status_code == 403

    stuck_refunds.redirect_to_balance(system.ctx, Actor("finance_1", Role.ADMIN), case["payout"]["id"])

    assert client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()["failed"] == []


def test_a_duplicate_notice_is_answered_but_applied_once(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock
) -> None:
    wired.fail_next(Fault.DUPLICATE_NOTICE)
    case = claim_by_card(client, auth, wired, "ord_bk7")
    clock.next_business_day()
    wired.settle_due()

    assert payout_of(client, auth, case["id"])["status"] == "succeeded"
    assert count_rows(system.engine, "gateway_notices") == 1
    assert [d.http_status for d in wired.deliveries] == [200, 200]  # both answered success
    assert ledger_total(system.engine) == 0


def test_a_forged_notice_is_refused_and_changes_nothing(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock
) -> None:
    case = claim_by_card(client, auth, wired, "ord_bk8")
    wired.fail_next(Fault.BAD_SIGNATURE)
    wired.set_notify(None)
    clock.next_business_day()
    captured: list[tuple[dict[str, str], bytes]] = []
    wired.set_notify(lambda headers, body: captured.append((headers, body)) or 200)
    wired.settle_due()
    [(headers, body)] = captured

    answer = client.post("/v1/notify/bank_card", content=body, headers=headers)

    assert answer.status_code == 400
    assert count_rows(system.engine, "gateway_notices") == 0
    assert payout_of(client, auth, case["id"])["status"] == "processing"


def test_a_notice_contradicting_a_settled_refund_raises_an_alert_and_changes_nothing(
    client: TestClient, auth: Auth, system: System, wired: BankSandbox, clock: FakeClock
) -> None:
    from tuika.domain.gateway import RefundAnswer, RefundState

    case = claim_by_card(client, auth, wired, "ord_bk9")
    clock.next_business_day()
    wired.settle_due()
    payout_id = case["payout"]["id"]

    applying.apply(
        system.ctx, RefundAnswer(payout_id, RefundState.FAILED, Money(5000)), provider="bank_card", source="query"
    )
    applying.apply(
        system.ctx, RefundAnswer(payout_id, RefundState.SUCCEEDED, Money(4000)), provider="bank_card", source="query"
    )

    assert payout_of(client, auth, case["id"])["status"] == "succeeded"
    alerts = client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()["alerts"]
    assert sorted(a["kind"] for a in alerts) == ["amount_mismatch", "state_contradiction"]
    assert ledger_total(system.engine) == 0
    assert postings(system.engine, "refund", "clawback") == 2
