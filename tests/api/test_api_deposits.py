"""An admin funds a supplier's or merchant's deposit once per bank reference; refunds on its fault come out of it."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.api import Auth, manual_review_case
from tests.support.factories import assert_problem
from tests.support.threads import race


def fund(client: TestClient, auth: Auth, role: str = "admin", **body: Any) -> Response:
    sent = {"party": "supplier", "party_id": "supplier_1", "amount_fen": 500000, "reference": "BANK-20261207-001"}
    sent.update(body)
    response: Response = client.post("/v1/ledger/deposits", json=sent, headers=auth(role, "root"))
    return response


def balance(client: TestClient, auth: Auth, account: str) -> int:
    found = client.get(f"/v1/ledger/accounts/{account}", headers=auth("admin", "root"))
    assert found.status_code == 200, found.text
    return int(found.json()["balance_fen"])


def test_a_deposit_is_funded_once_per_reference_and_a_refund_on_the_suppliers_fault_comes_out_of_it(
    client: TestClient, auth: Auth
) -> None:
    first = fund(client, auth)
    again = fund(client, auth)

    assert (first.status_code, first.json()) == (
        201,
        {"account": "supplier:supplier_1:deposit", "balance_fen": 500000, "created": True},
    )
    assert (again.status_code, again.json()["created"], again.json()["balance_fen"]) == (200, False, 500000)
    assert balance(client, auth, "platform:deposits") == -500000

    case_id = manual_review_case(client, auth, "ord_dp1", amount_fen=10000)
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text

    assert balance(client, auth, "supplier:supplier_1:deposit") == 490000
    entries = client.get("/v1/ledger/accounts/supplier:supplier_1:deposit", headers=auth("admin", "root")).json()
    assert [e["amount_fen"] for e in entries["entries"]] == [-10000, 500000]
    assert "保证金充值（BANK-20261207-001）" in [e["memo"] for e in entries["entries"]]


def test_the_same_reference_for_another_amount_or_party_is_refused(client: TestClient, auth: Auth) -> None:
    assert fund(client, auth).status_code == 201

    assert_problem(fund(client, auth, amount_fen=400000), 409, "conflict")
    assert_problem(fund(client, auth, party="merchant", party_id="merchant_1"), 409, "conflict")
    assert balance(client, auth, "supplier:supplier_1:deposit") == 500000


def test_two_requests_at_once_with_one_reference_fund_once(client: TestClient, auth: Auth) -> None:
    answers = race(
        [lambda: fund(client, auth, reference="BANK-RACE"), lambda: fund(client, auth, reference="BANK-RACE")]
    )

    assert sorted(a.status_code for a in answers) == [200, 201]
    assert balance(client, auth, "supplier:supplier_1:deposit") == 500000


def test_bad_deposits_are_refused_and_post_nothing(client: TestClient, auth: Auth) -> None:
    for body, status, code in (
        ({"party": "buyer"}, 422, "validation_failed"),
        ({"amount_fen": 0}, 422, "validation_failed"),
        ({"amount_fen": -100}, 422, "validation_failed"),
        ({"amount_fen": 10_000_000_001}, 422, "validation_failed"),
        ({"amount_fen": "500"}, 422, "validation_failed"),
        ({"reference": ""}, 422, "validation_failed"),
        ({"reference": "has space"}, 422, "validation_failed"),
        ({"party_id": "a" * 65}, 422, "validation_failed"),
        ({"extra": 1}, 422, "validation_failed"),
        # The party named twice, or half of it: refused, not guessed.
        ({"party": "supplier:supplier_1"}, 422, "validation_failed"),
        ({"party": "merchant:"}, 422, "validation_failed"),
        ({"party": "buyer:buyer_1", "party_id": None}, 422, "validation_failed"),
        ({"party": "merchant", "party_id": None}, 422, "validation_failed"),
    ):
        assert_problem(fund(client, auth, **body), status, code)
    for role in ("agent", "merchant", "buyer", "platform"):
        assert_problem(fund(client, auth, role=role), 403, "forbidden")
    assert balance(client, auth, "platform:deposits") == 0


def test_the_party_may_be_named_as_its_account_is(client: TestClient, auth: Auth) -> None:
    sent = {"party": "merchant:merchant_7", "amount_fen": 120000, "reference": "BANK-20261208-M7"}

    funded = client.post("/v1/ledger/deposits", json=sent, headers=auth("admin", "root"))

    assert funded.status_code == 201, funded.text
    assert funded.json()["account"] == "merchant:merchant_7:deposit"
    assert balance(client, auth, "merchant:merchant_7:deposit") == 120000


def test_a_merchant_reads_its_own_deposit_statement_and_no_other(client: TestClient, auth: Auth) -> None:
    assert fund(client, auth, party="merchant", party_id="merchant_1", reference="BANK-M1").status_code == 201
    merchant = auth("merchant", "merchant_1")

    mine = client.get("/v1/ledger/accounts/merchant:merchant_1:deposit", headers=merchant)
    assert (mine.status_code, mine.json()["balance_fen"]) == (200, 500000)
    for other in ("merchant:merchant_2:deposit", "supplier:supplier_1:deposit", "platform:fee_income"):
        assert_problem(client.get(f"/v1/ledger/accounts/{other}", headers=merchant), 404, "not_found")
