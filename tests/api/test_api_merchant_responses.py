"""The merchant answers a claim on its goods: accept, contest, a statement; silence past the deadline is consent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.test_api_validation import default_policy
from tests.support.api import Auth, buyer_case, card_claim, file_case, manual_review_case, push, upload
from tests.support.factories import assert_problem, order_payload, png_bytes
from tuika.bootstrap import System
from tuika.domain.clock import FixedClock
from tuika.services.context import Context
from tuika.services.upkeep.sweep import sweep


def answer(
    client: TestClient,
    auth: Auth,
    case_id: str,
    action: str,
    note: str = "已核对发货记录",
    merchant: str = "merchant_1",
    **extra: Any,
) -> Response:
    response: Response = client.post(
        f"/v1/refund-cases/{case_id}/merchant-responses",
        json={"action": action, "note": note, **extra},
        headers=auth("merchant", merchant),
    )
    return response


def merchant_upload(client: TestClient, auth: Auth, merchant: str = "merchant_1") -> str:
    response = client.post(
        "/v1/evidence",
        files={"file": ("shipped.png", png_bytes(color="green"), "image/png")},
        headers=auth("merchant", merchant),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def staff_case(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_1"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def fraud_flagged_case(client: TestClient, auth: Auth) -> str:
    """Return a claim a person reviews because its screenshot is behind another buyer's claim too."""
    shot = png_bytes(color="purple")
    card_claim(client, auth, "ord_mf0", "buyer_8", shot)
    case = card_claim(client, auth, "ord_mf1", "buyer_1", shot)
    assert case["status"] == "manual_review"
    assert "evidence_reused" in [c["code"] for c in case["reason_codes"]]
    return str(case["id"])


def later(system: System, by: timedelta) -> Context:
    """Return the system's context as it is ``by`` from now: its clock moved on, nothing else."""
    return replace(system.ctx, clock=FixedClock(datetime.now(UTC) + by))


def test_a_claim_a_person_reviews_is_put_to_the_merchant_with_an_hour_to_answer(client: TestClient, auth: Auth) -> None:
    before = datetime.now(UTC)
    case_id = manual_review_case(client, auth, "ord_mr1")

    seen = client.get(f"/v1/refund-cases/{case_id}", headers=auth("merchant", "merchant_1")).json()

    respond_by = datetime.fromisoformat(seen["merchant"]["respond_by"])
    assert before + timedelta(minutes=59) < respond_by <= datetime.now(UTC) + timedelta(hours=1)
    assert (seen["merchant"]["answer"], seen["merchant"]["responses"]) == (None, [])
    # The buyer and the agent see the same deadline: who waits for whom is no secret.
    assert buyer_case(client, auth, case_id)["merchant"]["respond_by"] == seen["merchant"]["respond_by"]


def test_the_merchant_accepts_and_the_refund_goes_ahead(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mr2")

    accepted = answer(client, auth, case_id, "accept", "确认该卡密无效，同意退款")

    assert accepted.status_code == 200, accepted.text
    case = accepted.json()
    assert case["status"] in ("approved", "refunding", "refunded")
    assert case["merchant"]["answer"] == "accept"
    assert case["merchant"]["respond_by"] is None
    [said] = case["merchant"]["responses"]
    assert (said["action"], said["note"]) == ("accept", "确认该卡密无效，同意退款")
    staff = staff_case(client, auth, case_id)
    assert staff["payout"] is not None
    merchant_decision = staff["decisions"][-1]
    assert (merchant_decision["tier"], merchant_decision["action"]) == ("merchant", "approve")
    assert [c["code"] for c in merchant_decision["reason_codes"]] == ["merchant_confirmed_fault"]
    # Answered once: it cannot take it back by contesting now.
    assert_problem(answer(client, auth, case_id, "contest"), 409, "merchant_response_not_allowed")


def test_the_merchant_contests_with_its_evidence_which_the_arbitrator_and_the_buyer_see(
    client: TestClient, auth: Auth
) -> None:
    case_id = manual_review_case(client, auth, "ord_mr3")
    shot = merchant_upload(client, auth)

    contested = answer(client, auth, case_id, "contest", "发货后买家已成功兑换，见截图", evidence_ids=[shot])

    assert contested.status_code == 200, contested.text
    assert contested.json()["status"] == "arbitration"
    queue = client.get("/v1/review-queue", headers=auth("arbitrator", "arb_1")).json()["items"]
    assert case_id in [c["id"] for c in queue]
    for reader in (staff_case(client, auth, case_id), buyer_case(client, auth, case_id)):
        [said] = reader["merchant"]["responses"]
        assert said["note"] == "发货后买家已成功兑换，见截图"
        assert [e["id"] for e in said["evidence"]] == [shot]
        # The merchant's file backs its answer; it is not the buyer's evidence.
        assert shot not in [e["id"] for e in reader["evidence"]]
    for role, subject in (("buyer", "buyer_1"), ("arbitrator", "arb_1"), ("merchant", "merchant_1")):
        shown = client.get(f"/v1/evidence/{shot}/content", headers=auth(role, subject))
        assert shown.status_code == 200, (role, shown.text)
    assert_problem(client.get(f"/v1/evidence/{shot}/content", headers=auth("buyer", "buyer_2")), 404, "not_found")


def test_a_statement_answers_nothing_the_clock_runs_on(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mr4")

    said = answer(client, auth, case_id, "statement", "库存批次已下架，正在向供货商核实")

    assert said.status_code == 200, said.text
    case = said.json()
    assert case["status"] == "manual_review"
    assert case["merchant"]["answer"] is None
    assert case["merchant"]["respond_by"] is not None
    last = case["timeline"][-1]
    assert (last["role"], last["note"]) == ("merchant", "库存批次已下架，正在向供货商核实")
    assert [c["code"] for c in last["reason_codes"]] == ["merchant_statement"]
    # It still answers afterwards, and may add to it while an arbitrator decides.
    assert answer(client, auth, case_id, "contest").status_code == 200
    assert answer(client, auth, case_id, "statement", "补充：兑换记录见附件").status_code == 200
    assert len(staff_case(client, auth, case_id)["merchant"]["responses"]) == 3


def test_bad_answers_are_refused_and_change_nothing(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_mr5")
    buyers_file = upload(client, auth, "buyer_1")
    too_many = [merchant_upload(client, auth) for _ in range(10)]

    refusals = [
        (answer(client, auth, case_id, "refund"), 422, "validation_failed"),
        (answer(client, auth, case_id, "accept", note=""), 422, "validation_failed"),
        (answer(client, auth, case_id, "accept", note="   "), 422, "validation_failed"),
        (answer(client, auth, case_id, "accept", note="x" * 2001), 422, "validation_failed"),
        (answer(client, auth, case_id, "contest", evidence_ids=too_many), 422, "validation_failed"),
        (answer(client, auth, case_id, "contest", evidence_ids=[buyers_file]), 404, "not_found"),
        (answer(client, auth, case_id, "contest", evidence_ids=["ev_nope"]), 404, "not_found"),
        (answer(client, auth, case_id, "accept", merchant="merchant_2"), 404, "not_found"),
        (answer(client, auth, "rc_nope", "accept"), 404, "not_found"),
    ]
    as_buyer = client.post(
        f"/v1/refund-cases/{case_id}/merchant-responses",
        json={"action": "accept", "note": "我自己同意"},
        headers=auth("buyer", "buyer_1"),
    )
    refusals.append((as_buyer, 403, "forbidden"))

    for response, status, code in refusals:
        problem = assert_problem(response, status, code)
        assert problem["title_zh"]
    case = staff_case(client, auth, case_id)
    assert case["status"] == "manual_review"
    assert case["merchant"]["responses"] == []
    assert case["merchant"]["respond_by"] is not None


def test_no_answer_once_the_claim_is_past_the_merchant(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_mr6", delivery="failed"))
    refunded = file_case(client, auth, {"order_id": "ord_mr6", "reason": "not_delivered", "route": "balance"})
    assert refunded["status"] == "refunded"

    problem = assert_problem(answer(client, auth, refunded["id"], "contest"), 409, "merchant_response_not_allowed")

    assert problem["title_zh"] == "商家仅可在人工复核阶段、答复期限内对申请作出一次答复"
    assert staff_case(client, auth, refunded["id"])["merchant"] == {
        "respond_by": None,
        "answer": None,
        "answered_at": None,
        "responses": [],
    }


def test_a_silent_merchant_is_taken_to_have_accepted_once_and_told(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_mr7")

    assert sweep(later(system, timedelta(minutes=59))).merchant_timeouts == 0
    first = sweep(later(system, timedelta(minutes=61)))
    again = sweep(later(system, timedelta(minutes=62)))

    assert (first.merchant_timeouts, again.merchant_timeouts) == (1, 0)
    case = staff_case(client, auth, case_id)
    assert case["status"] in ("approved", "refunding", "refunded")
    assert case["payout"] is not None
    assert case["merchant"]["answer"] == "timeout"
    assert [c["code"] for c in case["decisions"][-1]["reason_codes"]] == ["merchant_timeout"]
    lines = [line for line in case["timeline"] if [c["code"] for c in line["reason_codes"]] == ["merchant_timeout"]]
    assert len(lines) == 1
    assert lines[0]["reason_codes"][0]["zh"] == "商家未在答复期限内处理，视为同意退款"
    assert_problem(answer(client, auth, case_id, "contest"), 409, "merchant_response_not_allowed")
    inbox = client.get("/v1/inbox", headers=auth("merchant", "merchant_1")).json()["items"]
    told = [m for m in inbox if m["case_id"] == case_id and "视为同意" in m["body"]]
    assert len(told) == 1, [m["body"] for m in inbox]


def test_a_merchants_silence_does_not_waive_the_fraud_checks(client: TestClient, auth: Auth, system: System) -> None:
    case_id = fraud_flagged_case(client, auth)

    # The first buyer's claim, on the same screenshot, waits for a person too.
    assert sweep(later(system, timedelta(minutes=61))).merchant_timeouts == 2

    case = staff_case(client, auth, case_id)
    assert case["status"] == "manual_review"
    assert case["payout"] is None
    assert case["merchant"]["answer"] == "timeout"
    assert [c["code"] for c in case["timeline"][-1]["reason_codes"]] == ["merchant_timeout"]
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text


def test_a_case_a_person_decided_first_keeps_its_course(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_mr8")
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "reject", "reason_codes": ["evidence_insufficient"]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text

    assert sweep(later(system, timedelta(minutes=61))).merchant_timeouts == 1

    case = staff_case(client, auth, case_id)
    assert case["status"] == "rejected"
    assert case["payout"] is None
    assert "merchant_timeout" not in str(case["timeline"])


def test_a_policy_that_sets_the_merchants_time_gives_it_that_time(client: TestClient, auth: Auth) -> None:
    document = default_policy()
    document["merchant_response_minutes"] = 20
    published = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
    assert published.status_code == 201, published.text
    before = datetime.now(UTC)

    case_id = manual_review_case(client, auth, "ord_mrp1")

    respond_by = datetime.fromisoformat(staff_case(client, auth, case_id)["merchant"]["respond_by"])
    assert before + timedelta(minutes=19) < respond_by <= datetime.now(UTC) + timedelta(minutes=20)
