"""A merchant contests a claim under review: it goes to arbitration, with a one-hour SLA."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.api import Auth, buyer_case, card_claim, manual_review_case
from tests.support.factories import assert_problem, png_bytes


def contest(client: TestClient, auth: Auth, case_id: str, merchant: str = "merchant_1") -> Response:
    response: Response = client.post(
        f"/v1/refund-cases/{case_id}/contest", json={"note": "卡密发货时有效"}, headers=auth("merchant", merchant)
    )
    return response


def test_the_orders_merchant_contests_and_an_arbitrator_decides_within_the_hour(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mc1")

    response = contest(client, auth, case_id)

    assert response.status_code == 200, response.text
    case = response.json()
    assert case["status"] == "arbitration"
    last = case["timeline"][-1]
    assert (last["role"], last["actor"], last["note"]) == ("merchant", "merchant_1", "卡密发货时有效")
    assert [c["code"] for c in last["reason_codes"]] == ["merchant_disputes"]
    sla = datetime.fromisoformat(case["due_at"]) - datetime.fromisoformat(last["at"])
    assert sla == timedelta(hours=1)
    queue = client.get("/v1/review-queue", headers=auth("arbitrator", "arb_1")).json()["items"]
    assert [c["id"] for c in queue] == [case_id]


def test_another_merchant_cannot_see_or_contest_the_case(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mc2")

    assert_problem(contest(client, auth, case_id, "merchant_2"), 404, "not_found")
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "manual_review"


def test_only_a_merchant_contests_and_only_while_a_person_reviews(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mc3")
    as_buyer = client.post(f"/v1/refund-cases/{case_id}/contest", headers=auth("buyer", "buyer_1"))
    assert_problem(as_buyer, 403, "forbidden")

    assert contest(client, auth, case_id).status_code == 200
    again = contest(client, auth, case_id)
    problem = assert_problem(again, 409, "contest_not_allowed")
    assert problem["detail"] == f"case {case_id} is arbitration"


def test_the_contest_answers_with_the_case_as_the_merchant_reads_it_not_as_staff_do(
    client: TestClient, auth: Auth
) -> None:
    # A screenshot already behind another buyer's claim: staff see why it went to a person.
    shot = png_bytes(color="olive")
    card_claim(client, auth, "ord_mc4", "buyer_1", shot)
    staff = card_claim(client, auth, "ord_mc5", "buyer_2", shot)
    assert staff["status"] == "manual_review"
    assert "evidence_reused" in [c["code"] for c in staff["reason_codes"]]

    response = contest(client, auth, staff["id"])

    assert response.status_code == 200, response.text
    seen = response.json()
    assert "buyer_2" not in response.text
    assert "evidence_reused" not in response.text
    assert seen["buyer_id"] == "bu***_2"
    buyer = buyer_case(client, auth, staff["id"], "buyer_2")
    assert seen["findings"] == buyer["findings"]
    assert seen["reason_codes"] == buyer["reason_codes"]
    assert [e["reason_codes"] for e in seen["timeline"]] == [e["reason_codes"] for e in buyer["timeline"]]
