"""A gateway speaks only for its own refunds, and a refund whose outcome is in doubt waits for finance.

Two ways the books could pay a buyer twice, each closed here: a correctly signed notice from
one channel naming a payout of another (the bank "failing" an Alipay refund that Alipay then
pays), and a gateway that contradicts a failure we recorded (the bank finding it paid after
all) while the buyer sends the "failed" refund to the balance.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import InlineRelay
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, ledger_total, order_payload
from tests.support.rigs import FakeClock, Rig, alipay_rig, bank_sandbox_and_gateway
from tuika.adapters.gateways.bank import BankCardGateway
from tuika.bootstrap import System
from tuika.domain.gateway import RefundRequest
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute
from tuika_dev.sandbox.bank import BankSandbox, FailCode

_n = itertools.count()


class Bank:
    """The bank sandbox and tuika's bank adapter on one fake clock, its notices posted into the app."""

    def __init__(self, sandbox: BankSandbox, gateway: BankCardGateway, clock: FakeClock) -> None:
        self.sandbox, self.gateway, self.clock = sandbox, gateway, clock

    def settle(self) -> None:
        self.clock.next_business_day()
        self.sandbox.settle_due()


@pytest.fixture
def channels(system: System, client: TestClient, tmp_path: Path) -> Iterator[tuple[Rig, Bank]]:
    """Alipay (its notices kept for the test) and the bank (its notices posted at once), both configured."""
    clock = FakeClock()
    with alipay_rig(tmp_path) as alipay, bank_sandbox_and_gateway(clock) as (sandbox, gateway):
        system.ctx.gateways = {PayoutRoute.ALIPAY: alipay.gateway, PayoutRoute.BANK_CARD: gateway}
        sandbox.set_notify(
            lambda headers, body: client.post("/v1/notify/bank_card", content=body, headers=headers).status_code
        )
        yield alipay, Bank(sandbox, gateway, clock)


def claim(
    client: TestClient, auth: Auth, route: str, trade: Callable[[str, int], None], fen: int = 5000
) -> dict[str, Any]:
    """File a claim on a failed delivery paid by ``route`` (its gateway told of the trade), by the original route."""
    n = next(_n)
    order_id, buyer = f"ord_ch{n}", f"buyer_ch{n}"
    push(client, auth, order_payload(order_id, buyer=buyer, route=route, delivery="failed", amount_fen=fen))
    trade(order_id, fen)
    case = file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
    case["buyer"] = buyer
    return case


def read_case(client: TestClient, auth: Auth, case: dict[str, Any]) -> dict[str, Any]:
    return dict(client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", case["buyer"])).json())


def alerts(client: TestClient, auth: Auth) -> list[dict[str, Any]]:
    return list(client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()["alerts"])


def to_balance(client: TestClient, auth: Auth, case: dict[str, Any], payout_id: str) -> Any:
    return client.post(f"/v1/payouts/{payout_id}/redirect-to-balance", headers=auth("buyer", case["buyer"]))


def test_a_bank_notice_naming_an_alipay_payout_changes_nothing_and_alipay_still_settles_it(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank]
) -> None:
    alipay, bank = channels
    case = claim(client, auth, "alipay", alipay.add_trade)
    payout_id = case["payout"]["id"]
    assert case["payout"]["status"] == "processing"

    # A refund at the bank under the Alipay payout's number, failing: the bank's notice about it
    # is genuine and correctly signed, but the payout is not the bank's.
    bank.sandbox.add_trade("tx_stranger", "ord_stranger", Money(5000))
    bank.sandbox.fail_card("tx_stranger", FailCode.ACCOUNT_FROZEN)
    bank.gateway.refund(
        RefundRequest(payout_id, "ord_stranger", "tx_stranger", Money(5000), Money(5000), "退卡 stranger")
    )
    bank.settle()

    # Acknowledged, so the bank stops resending what a person must look at anyway.
    assert [(d.status, d.http_status) for d in bank.sandbox.deliveries] == [("FAILED", 200)]
    assert read_case(client, auth, case)["payout"]["status"] == "processing"
    assert [(a["payout_id"], a["provider"], a["kind"]) for a in alerts(client, auth)] == [
        (payout_id, "bank_card", "wrong_channel")
    ]
    refused = to_balance(client, auth, case, payout_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "payout_not_redirectable")

    # Alipay's own word settles its payout; the buyer is paid once, by Alipay, and not by the balance.
    alipay.settle()
    for headers, body in alipay.take_notices():
        assert client.post("/v1/notify/alipay", content=body, headers=headers).status_code == 200
    done = read_case(client, auth, case)
    assert (done["status"], done["payout"]["status"]) == ("refunded", "succeeded")
    assert alipay.sandbox.paid_count(payout_id) == 1
    assert to_balance(client, auth, case, payout_id).status_code == 409
    balances = account_balances(system.engine)
    assert balances.get(f"buyer:{case['buyer']}", 0) == 0
    assert balances["gateway:alipay:clearing"] == 5000
    assert ledger_total(system.engine) == 0


def test_a_notice_naming_a_balance_payout_changes_nothing(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank]
) -> None:
    _, bank = channels
    n = next(_n)
    push(client, auth, order_payload(f"ord_chb{n}", buyer=f"buyer_chb{n}", delivery="failed", amount_fen=3000))
    case = file_case(
        client, auth, {"order_id": f"ord_chb{n}", "reason": "not_delivered", "route": "balance"}, f"buyer_chb{n}"
    )
    payout_id = case["payout"]["id"]
    assert case["payout"]["status"] == "succeeded"

    bank.sandbox.add_trade("tx_stranger_b", "ord_stranger_b", Money(3000))
    bank.sandbox.fail_card("tx_stranger_b", FailCode.CARD_CANCELLED)
    bank.gateway.refund(RefundRequest(payout_id, "ord_stranger_b", "tx_stranger_b", Money(3000), Money(3000), "x"))
    bank.settle()

    assert [(a["payout_id"], a["kind"]) for a in alerts(client, auth)] == [(payout_id, "wrong_channel")]
    after = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", f"buyer_chb{n}")).json()
    assert (after["status"], after["payout"]["status"]) == ("refunded", "succeeded")
    assert ledger_total(system.engine) == 0


def bank_refund_that_failed(
    client: TestClient, auth: Auth, bank: Bank, dispatcher: InlineRelay
) -> tuple[dict[str, Any], str]:
    """A card refund the bank reports failed: the case offers the balance."""

    def failing_card(order_id: str, fen: int) -> None:
        bank.sandbox.add_trade(f"tx_{order_id}", order_id, Money(fen))
        bank.sandbox.fail_card(f"tx_{order_id}", FailCode.ACCOUNT_FROZEN)

    case = claim(client, auth, "bank_card", failing_card)
    payout_id = case["payout"]["id"]
    bank.settle()
    assert read_case(client, auth, case)["payout"]["status"] == "failed"
    return case, payout_id


def test_a_failed_refund_the_bank_then_calls_paid_cannot_go_to_the_balance_until_finance_resolves_it(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank], dispatcher: InlineRelay
) -> None:
    _, bank = channels
    case, payout_id = bank_refund_that_failed(client, auth, bank, dispatcher)

    bank.sandbox.correct(payout_id, "SETTLED")  # the bank finds it paid the card after all
    bank.settle()
    [alert] = alerts(client, auth)
    assert (alert["payout_id"], alert["kind"], alert["resolved_at"]) == (payout_id, "state_contradiction", None)

    refused = to_balance(client, auth, case, payout_id)
    assert (refused.status_code, refused.json()["code"]) == (409, "payout_outcome_disputed")
    assert account_balances(system.engine).get(f"buyer:{case['buyer']}", 0) == 0
    queue = client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()
    assert [p["id"] for p in queue["failed"]] == []  # not offered to finance's balance button either
    assert [p["id"] for p in queue["disputed"]] == [payout_id]

    resolved = client.post(
        f"/v1/finance/alerts/{alert['id']}/resolve",
        json={"note": "银行对账单显示已退回原卡"},
        headers=auth("admin", "finance_1"),
    )
    assert resolved.status_code == 200, resolved.text
    assert (resolved.json()["outcome"], resolved.json()["resolved_by"]) == ("paid_by_gateway", "finance_1")

    done = read_case(client, auth, case)
    assert (done["status"], done["payout"]["status"]) == ("refunded", "succeeded")
    assert to_balance(client, auth, case, payout_id).status_code == 409
    balances = account_balances(system.engine)
    assert balances.get(f"buyer:{case['buyer']}", 0) == 0
    assert balances["gateway:bank_card:clearing"] == 5000
    assert bank.sandbox.paid_count(payout_id) == 1
    assert ledger_total(system.engine) == 0
    assert client.get("/v1/finance/refunds", headers=auth("admin", "finance_1")).json()["disputed"] == []


def test_a_dispute_the_gateway_settles_as_not_paid_lets_the_buyer_take_the_balance(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank], dispatcher: InlineRelay
) -> None:
    _, bank = channels
    case, payout_id = bank_refund_that_failed(client, auth, bank, dispatcher)
    bank.sandbox.correct(payout_id, "SETTLED")
    bank.settle()
    bank.sandbox.correct(payout_id, "FAILED")  # and then the issuer sends it back (退票)
    [alert] = alerts(client, auth)

    resolved = client.post(
        f"/v1/finance/alerts/{alert['id']}/resolve", json={"note": "已与银行核实"}, headers=auth("admin", "finance_1")
    )
    assert (resolved.status_code, resolved.json()["outcome"]) == (200, "not_paid"), resolved.text
    again = client.post(
        f"/v1/finance/alerts/{alert['id']}/resolve", json={"note": "again"}, headers=auth("admin", "finance_1")
    )
    assert (again.status_code, again.json()["code"]) == (409, "alert_already_resolved")

    sent = to_balance(client, auth, case, payout_id)
    assert sent.status_code == 200, sent.text
    done = read_case(client, auth, case)
    assert done["status"] == "refunded"
    assert account_balances(system.engine)[f"buyer:{case['buyer']}"] == 5000
    assert bank.sandbox.paid_count(payout_id) == 0
    assert ledger_total(system.engine) == 0


def test_a_dispute_stays_open_while_the_gateway_cannot_be_asked(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank], dispatcher: InlineRelay
) -> None:
    from tuika_dev.sandbox.bank import Fault

    _, bank = channels
    case, payout_id = bank_refund_that_failed(client, auth, bank, dispatcher)
    bank.sandbox.correct(payout_id, "SETTLED")
    bank.settle()
    [alert] = alerts(client, auth)

    bank.sandbox.fail_next(Fault.ERROR_500)
    busy = client.post(
        f"/v1/finance/alerts/{alert['id']}/resolve", json={"note": "核实"}, headers=auth("admin", "finance_1")
    )

    assert (busy.status_code, busy.json()["code"]) == (409, "gateway_unavailable")
    [still] = alerts(client, auth)
    assert still["resolved_at"] is None
    assert read_case(client, auth, case)["payout"]["status"] == "failed"
    assert to_balance(client, auth, case, payout_id).json()["code"] == "payout_outcome_disputed"


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "validation_failed"), ({"note": "  "}, "validation_failed"), ({"note": "x" * 501}, "validation_failed")],
)
def test_resolving_needs_a_note_and_finance(
    client: TestClient, auth: Auth, system: System, channels: tuple[Rig, Bank], body: dict[str, str], code: str
) -> None:
    answer = client.post("/v1/finance/alerts/al_nothing/resolve", json=body, headers=auth("admin", "finance_1"))
    assert (answer.status_code, answer.json()["code"]) == (422, code)
    for role in ("buyer", "agent", "merchant", "platform"):
        refused = client.post("/v1/finance/alerts/al_nothing/resolve", json={"note": "x"}, headers=auth(role, "u"))
        assert refused.status_code == 403, (role, refused.text)
    missing = client.post("/v1/finance/alerts/al_nothing/resolve", json={"note": "x"}, headers=auth("admin", "f"))
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
