"""Balances and holds per merchant and supplier through API v1: finance lists them, a merchant reads its own."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import Auth, manual_review_case
from tests.support.factories import assert_problem

LIST = "/v1/ledger/balances"


def test_finance_lists_the_merchants_the_most_held_first_and_pages_through_them(client: TestClient, auth: Auth) -> None:
    small = manual_review_case(client, auth, "ord_ab1", amount_fen=1200)
    large = manual_review_case(client, auth, "ord_ab2", amount_fen=3400)
    funded = client.post(
        "/v1/ledger/deposits",
        json={"party": "merchant", "party_id": "merchant_2", "amount_fen": 50000, "reference": "BANK-AB-1"},
        headers=auth("admin", "finance_1"),
    )
    assert funded.status_code == 201, funded.text
    finance = auth("admin", "finance_1")

    first = client.get(LIST, params={"party": "merchant", "limit": 1}, headers=finance)
    second = client.get(LIST, params={"party": "merchant", "limit": 1, "offset": 1}, headers=finance)

    assert first.status_code == 200, first.text
    assert first.json() == {
        "party": "merchant",
        "items": [
            {
                "party": "merchant",
                "party_id": "merchant_1",
                "name": "",
                "deposit_fen": 0,
                "paid_in_fen": 0,
                "recovered_fen": 0,
                "fault_fees_fen": 0,
                "settlement_fen": -4600,
                "held_fen": 4600,
                "open_holds": 2,
            }
        ],
        "total": 2,
        "next_offset": 1,
    }
    assert [(b["party_id"], b["deposit_fen"], b["held_fen"]) for b in second.json()["items"]] == [
        ("merchant_2", 50000, 0)
    ]
    assert second.json()["next_offset"] is None

    one = client.get(f"{LIST}/merchant:merchant_1", headers=finance).json()
    assert [(h["case_id"], h["amount_fen"], h["status"]) for h in one["holds"]] == [
        (large, 3400, "manual_review"),
        (small, 1200, "manual_review"),
    ]
    assert (one["held_fen"], one["open_holds"], one["holds_next_offset"]) == (4600, 2, None)
    assert all(len(h["number"]) == 14 for h in one["holds"])


def test_suppliers_come_owing_most_first_with_no_settlement_or_holds(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_ab3", amount_fen=10000)
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text

    page = client.get(LIST, params={"party": "supplier"}, headers=auth("admin", "finance_1")).json()
    one = client.get(f"{LIST}/supplier:supplier_1", headers=auth("admin", "finance_1")).json()

    assert [(b["party_id"], b["deposit_fen"], b["recovered_fen"]) for b in page["items"]] == [
        ("supplier_1", -10000, 10000)
    ]
    assert (one["settlement_fen"], one["held_fen"], one["open_holds"], one["holds"]) == (None, None, None, [])


def test_a_merchant_reads_its_own_balances_and_no_other_partys(client: TestClient, auth: Auth) -> None:
    manual_review_case(client, auth, "ord_ab4", amount_fen=2500)
    merchant = auth("merchant", "merchant_1")

    own = client.get(f"{LIST}/merchant:merchant_1", headers=merchant)

    assert own.status_code == 200, own.text
    assert (own.json()["held_fen"], own.json()["open_holds"], len(own.json()["holds"])) == (2500, 1, 1)
    assert_problem(client.get(f"{LIST}/merchant:merchant_2", headers=merchant), 404, "not_found")
    assert_problem(client.get(f"{LIST}/supplier:supplier_1", headers=merchant), 404, "not_found")
    assert_problem(client.get(LIST, params={"party": "merchant"}, headers=merchant), 403, "forbidden")
    # A merchant the ledger never named reads zeros of itself; finance is told there is no such party.
    quiet = client.get(f"{LIST}/merchant:merchant_9", headers=auth("merchant", "merchant_9")).json()
    assert (quiet["held_fen"], quiet["deposit_fen"], quiet["holds"]) == (0, 0, [])
    assert_problem(client.get(f"{LIST}/merchant:merchant_9", headers=auth("admin", "finance_1")), 404, "not_found")


def test_other_roles_are_forbidden_and_bad_input_is_a_problem(client: TestClient, auth: Auth) -> None:
    for role in ("buyer", "agent", "arbitrator", "platform"):
        assert_problem(client.get(LIST, params={"party": "merchant"}, headers=auth(role, "x")), 403, "forbidden")
        assert_problem(client.get(f"{LIST}/merchant:merchant_1", headers=auth(role, "x")), 403, "forbidden")
    finance = auth("admin", "finance_1")

    missing = assert_problem(client.get(LIST, headers=finance), 422, "validation_failed")
    wrong = assert_problem(client.get(LIST, params={"party": "buyer"}, headers=finance), 422, "validation_failed")
    too_many = assert_problem(
        client.get(LIST, params={"party": "merchant", "limit": 201}, headers=finance), 422, "validation_failed"
    )

    assert [e["loc"] for e in missing["errors"]] == [["query", "party"]]
    assert [e["loc"] for e in wrong["errors"]] == [["query", "party"]]
    assert [e["loc"] for e in too_many["errors"]] == [["query", "limit"]]
    for name in ("buyer:buyer_1", "merchant_1", "merchant:", "merchant:a%20b"):
        assert_problem(client.get(f"{LIST}/{name}", headers=finance), 422, "invalid_input")
    assert_problem(client.get(LIST, params={"party": "merchant"}), 401, "token_missing")
