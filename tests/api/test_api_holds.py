"""An open claim holds its amount from the merchant's settlement: released when it ends, recovered on its fault."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import account_balances, assert_problem, ledger_total, order_payload, png_bytes
from tuika.bootstrap import System

HELD = "merchant:merchant_1:holds"
SETTLEMENT = "merchant:merchant_1:settlement"


def decide(client: TestClient, auth: Auth, case_id: str, action: str, code: str, role: str = "agent") -> None:
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": action, "reason_codes": [code]},
        headers=auth(role, f"{role}_1"),
    )
    assert decided.status_code == 200, decided.text


def held(system: System) -> tuple[int, int]:
    balances = account_balances(system.engine)
    assert ledger_total(system.engine) == 0
    return balances.get(HELD, 0), balances.get(SETTLEMENT, 0)


def test_an_open_claim_holds_its_amount_and_the_merchant_reads_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    manual_review_case(client, auth, "ord_h1", amount_fen=4200)
    manual_review_case(client, auth, "ord_h2", amount_fen=1800)

    assert held(system) == (6000, -6000)
    merchant = auth("merchant", "merchant_1")
    statement = client.get(f"/v1/ledger/accounts/{HELD}", headers=merchant).json()
    assert statement["balance_fen"] == 6000
    assert all("冻结" in e["memo"] for e in statement["entries"])
    assert_problem(client.get(f"/v1/ledger/accounts/{HELD}", headers=auth("merchant", "merchant_2")), 404, "not_found")


def test_finance_reads_any_merchants_holds_a_buyer_none_and_the_reviewers_are_forbidden(
    client: TestClient, auth: Auth, system: System
) -> None:
    manual_review_case(client, auth, "ord_h7", amount_fen=2600)

    statement = client.get(f"/v1/ledger/accounts/{HELD}", headers=auth("admin", "finance_1"))

    assert statement.status_code == 200, statement.text
    assert (statement.json()["balance_fen"], len(statement.json()["entries"])) == (2600, 1)
    assert_problem(client.get(f"/v1/ledger/accounts/{HELD}", headers=auth("buyer", "buyer_1")), 404, "not_found")
    for role in ("agent", "arbitrator", "platform"):
        assert_problem(client.get(f"/v1/ledger/accounts/{HELD}", headers=auth(role, "x")), 403, "forbidden")


def test_a_rejection_releases_the_hold_and_an_appeal_holds_it_again(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_h3", amount_fen=5000)
    decide(client, auth, case_id, "reject", "evidence_insufficient")
    assert held(system) == (0, 0)

    appealed = client.post(
        f"/v1/refund-cases/{case_id}/appeal", json={"note": "卡密确实无效"}, headers=auth("buyer", "buyer_1")
    )
    assert appealed.status_code == 200, appealed.text
    assert held(system) == (5000, -5000)

    decide(client, auth, case_id, "reject", "evidence_insufficient", role="arbitrator")
    assert held(system) == (0, 0)


def test_a_withdrawn_claim_releases_the_hold(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_h4", amount_fen=3000)

    withdrawn = client.post(f"/v1/refund-cases/{case_id}/withdraw", headers=auth("buyer", "buyer_1"))

    assert withdrawn.status_code == 200, withdrawn.text
    assert held(system) == (0, 0)


def test_a_refund_on_the_suppliers_fault_releases_the_merchants_hold(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_h5", amount_fen=10000)

    decide(client, auth, case_id, "approve", "supplier_confirmed_fault")

    assert held(system) == (0, 0)
    assert account_balances(system.engine)["supplier:supplier_1:deposit"] == -10000


def test_a_refund_on_the_merchants_fault_is_recovered_from_the_hold_not_its_deposit(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_h6", amount_fen=8000, paid_ago=timedelta(minutes=20)))
    shots = [
        upload(client, auth, data=png_bytes(color="gray"), kind="order_screenshot"),
        upload(client, auth, data=png_bytes(color="silver"), kind="received_item_screenshot"),
    ]
    case = file_case(client, auth, {"order_id": "ord_h6", "reason": "wrong_item", "evidence_ids": shots})
    assert (case["liable"], case["status"]) == ("merchant", "manual_review")
    assert held(system) == (8000, -8000)
    decide(client, auth, case["id"], "approve", "merchant_confirmed_fault")
    refunded = client.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", "buyer_1")).json()
    assert refunded["status"] == "refunded", refunded

    # What was held pays it: the merchant's settlement is 80 yuan short, its deposit untouched.
    assert held(system) == (0, -8000)
    balances = account_balances(system.engine)
    assert balances.get("merchant:merchant_1:deposit", 0) == 0
    assert balances["platform:clearing"] == 0
