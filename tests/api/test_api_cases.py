"""Refund cases through API v1: idempotency, withdrawal, appeal, evidence requests, escalation, partial claims, fees."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import balance, file_case, push
from tests.support.factories import (
    account_balances,
    assert_problem,
    count_rows,
    ledger_total,
    order_payload,
    png_bytes,
    postings,
)
from tuika.bootstrap import System

Auth = Callable[..., dict[str, str]]


def upload(client: TestClient, auth: Auth, buyer: str = "buyer_1", color: str = "white") -> str:
    response = client.post(
        "/v1/evidence",
        files={"file": ("e.png", png_bytes(color=color), "image/png")},
        data={"kind": "error_screenshot"},
        headers=auth("buyer", buyer),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def claim(client: TestClient, auth: Auth, body: dict[str, Any], buyer: str = "buyer_1", key: str | None = None) -> Any:
    extra = {} if key is None else {"Idempotency-Key": key}
    return client.post("/v1/refund-cases", json=body, headers=auth("buyer", buyer, **extra))


def card_invalid(
    client: TestClient, auth: Auth, order_id: str, items: list[str] | None = None, buyer: str = "buyer_1"
) -> dict[str, Any]:
    """File a card_invalid claim with a screenshot; it lands in manual review."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "reason": "card_invalid",
        "evidence_ids": [upload(client, auth, buyer)],
    }
    if items is not None:
        body["item_ids"] = items
    case = file_case(client, auth, body, buyer)
    assert case["status"] == "manual_review"
    return case


def decide(client: TestClient, auth: Auth, case_id: str, role: str, action: str, *codes: str) -> Any:
    return client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": action, "reason_codes": list(codes), "note": f"{role} {action}"},
        headers=auth(role, f"{role}_1"),
    )


def get_case(client: TestClient, auth: Auth, case_id: str, buyer: str = "buyer_1") -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def statuses(case: dict[str, Any]) -> list[str]:
    return [e["to_status"] for e in case["timeline"]]


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# ---------------------------------------------------------------- idempotency


def test_the_same_key_and_body_give_the_same_case_and_response(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_i1", delivery="failed", amount_fen=5000))
    body = {"order_id": "ord_i1", "reason": "not_delivered", "description": "没到账"}
    first = claim(client, auth, body, key="key-1")
    again = claim(client, auth, body, key="key-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["location"] == first.headers["location"] == f"/v1/refund-cases/{first.json()['id']}"
    # The first answer shows the case as filed; a replay shows the same case as it is now.
    assert first.json()["status"] == "submitted"
    assert again.json() == get_case(client, auth, first.json()["id"])
    assert again.json()["status"] == "refunded"
    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "payouts") == 1
    assert balance(client, auth) == 5000


def test_the_same_key_with_another_body_is_a_conflict(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_i2", items=2))
    push(client, auth, order_payload("ord_i3", delivery="failed"))
    evidence = upload(client, auth)
    first = claim(
        client, auth, {"order_id": "ord_i2", "reason": "card_invalid", "evidence_ids": [evidence]}, key="key-2"
    )
    assert first.status_code == 201
    before = get_case(client, auth, first.json()["id"])

    for other in (
        {"order_id": "ord_i2", "reason": "card_invalid", "evidence_ids": [evidence], "description": "另一个"},
        {"order_id": "ord_i2", "reason": "card_invalid", "evidence_ids": [evidence], "item_ids": ["ord_i2_i0"]},
        {"order_id": "ord_i2", "reason": "other", "evidence_ids": [evidence]},
        {"order_id": "ord_i3", "reason": "not_delivered"},
    ):
        problem = assert_problem(claim(client, auth, other, key="key-2"), 409, "idempotency_key_reused")
        assert problem["detail"] == "Idempotency-Key 'key-2' was used for another request"

    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "idempotency_keys") == 1
    assert get_case(client, auth, first.json()["id"]) == before


def test_buyers_use_the_same_key_independently(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_i4", buyer="buyer_1", delivery="failed", amount_fen=1000))
    push(client, auth, order_payload("ord_i5", buyer="buyer_2", delivery="failed", amount_fen=2000))
    one = claim(client, auth, {"order_id": "ord_i4", "reason": "not_delivered"}, "buyer_1", key="shared")
    two = claim(client, auth, {"order_id": "ord_i5", "reason": "not_delivered"}, "buyer_2", key="shared")
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["id"] != two.json()["id"]
    assert (one.json()["buyer_id"], two.json()["buyer_id"]) == ("buyer_1", "buyer_2")
    # Each key replays only its own buyer's case.
    replay = claim(client, auth, {"order_id": "ord_i5", "reason": "not_delivered"}, "buyer_2", key="shared")
    assert replay.json() == get_case(client, auth, two.json()["id"], "buyer_2")
    assert count_rows(system.engine, "cases") == 2
    assert count_rows(system.engine, "idempotency_keys") == 2
    assert (balance(client, auth, "buyer_1"), balance(client, auth, "buyer_2")) == (1000, 2000)


def test_a_refused_claim_does_not_burn_its_key(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_i6", items=2))
    body = {"order_id": "ord_i6", "reason": "card_invalid", "item_ids": ["ord_i6_i9"]}
    assert_problem(claim(client, auth, body, key="key-6"), 422, "unknown_items")
    assert count_rows(system.engine, "idempotency_keys") == 0
    fixed = claim(client, auth, {**body, "item_ids": ["ord_i6_i1"]}, key="key-6")
    assert fixed.status_code == 201
    assert fixed.json()["item_ids"] == ["ord_i6_i1"]


# ---------------------------------------------------------------- withdraw


def test_withdrawing_before_approval_frees_the_items(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_w1", items=2, amount_fen=20000))
    case = card_invalid(client, auth, "ord_w1", ["ord_w1_i0"])
    held = client.get("/v1/orders/ord_w1", headers=auth("buyer", "buyer_1")).json()["items"]
    assert [i["claim_id"] for i in held] == [case["id"], None]

    withdrawn = client.post(
        f"/v1/refund-cases/{case['id']}/withdraw", json={"note": "找到问题了"}, headers=auth("buyer", "buyer_1")
    )
    assert withdrawn.status_code == 200
    body = withdrawn.json()
    assert body["status"] == "withdrawn"
    assert statuses(body) == ["submitted", "reviewing", "manual_review", "withdrawn"]
    last = body["timeline"][-1]
    assert (last["role"], last["actor"], last["note"]) == ("buyer", "buyer_1", "找到问题了")
    assert [c["code"] for c in last["reason_codes"]] == ["withdrawn_by_buyer"]
    assert body["stage"]["expected_by"] is None
    assert client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"] == []
    freed = client.get("/v1/orders/ord_w1", headers=auth("buyer", "buyer_1")).json()["items"]
    assert [i["claim_id"] for i in freed] == [None, None]

    again = card_invalid(client, auth, "ord_w1", ["ord_w1_i0"])
    assert again["id"] != case["id"]
    assert count_rows(system.engine, "payouts") == 0
    # A withdrawn case stays withdrawn.
    assert_problem(
        client.post(f"/v1/refund-cases/{case['id']}/withdraw", headers=auth("buyer", "buyer_1")),
        409,
        "illegal_transition",
    )


def test_withdrawing_after_the_refund_is_refused(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_w2", delivery="failed", amount_fen=3000))
    case = file_case(client, auth, {"order_id": "ord_w2", "reason": "not_delivered"})
    assert case["status"] == "refunded"
    response = client.post(f"/v1/refund-cases/{case['id']}/withdraw", headers=auth("buyer", "buyer_1"))
    problem = assert_problem(response, 409, "illegal_transition")
    assert problem["detail"] == "refunded → withdrawn is not allowed"
    assert get_case(client, auth, case["id"]) == case
    assert balance(client, auth) == 3000
    assert count_rows(system.engine, "payouts") == 1


# ---------------------------------------------------------------- reject, appeal, arbitration


def test_a_rejection_is_appealed_once_to_an_arbitrator_who_approves(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_a1", amount_fen=8000))
    case_id = card_invalid(client, auth, "ord_a1")["id"]
    rejected = decide(client, auth, case_id, "agent", "reject", "card_used_by_buyer")
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["decision"]["tier"]) == ("rejected", "agent")

    appealed = client.post(
        f"/v1/refund-cases/{case_id}/appeal", json={"note": "卡密确实无效"}, headers=auth("buyer", "buyer_1")
    )
    assert appealed.status_code == 200
    body = appealed.json()
    assert (body["status"], body["appealed"], body["stage"]["key"]) == ("arbitration", True, "arbitration")
    assert at(body["due_at"]) == at(body["timeline"][-1]["at"]) + timedelta(hours=1)
    assert [c["code"] for c in body["timeline"][-1]["reason_codes"]] == ["buyer_appeal"]

    arbitration_queue = client.get("/v1/review-queue", headers=auth("arbitrator", "arb_1")).json()["items"]
    assert [(c["id"], c["status"]) for c in arbitration_queue] == [(case_id, "arbitration")]
    assert client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"] == []

    approved = decide(client, auth, case_id, "arbitrator", "approve", "evidence_confirms_claim")
    assert approved.status_code == 200
    done = get_case(client, auth, case_id)
    assert done["status"] == "refunded"
    assert statuses(done) == [
        "submitted",
        "reviewing",
        "manual_review",
        "rejected",
        "arbitration",
        "approved",
        "refunding",
        "refunded",
    ]
    assert (done["decision"]["tier"], done["decision"]["actor"]) == ("arbitrator", "arbitrator_1")
    assert [d["action"] for d in done["decisions"]] == ["manual_review", "reject", "approve"]
    assert (done["payout"]["amount_fen"], done["payout"]["status"]) == (8000, "succeeded")
    assert balance(client, auth) == 8000

    second = client.post(f"/v1/refund-cases/{case_id}/appeal", headers=auth("buyer", "buyer_1"))
    assert_problem(second, 409, "appeal_not_allowed")
    assert get_case(client, auth, case_id) == done
    assert count_rows(system.engine, "payouts") == 1


def test_a_rejection_upheld_in_arbitration_cannot_be_appealed_again(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_a2"))
    case_id = card_invalid(client, auth, "ord_a2")["id"]
    assert decide(client, auth, case_id, "agent", "reject", "evidence_insufficient").status_code == 200
    assert client.post(f"/v1/refund-cases/{case_id}/appeal", headers=auth("buyer", "buyer_1")).status_code == 200
    upheld = decide(client, auth, case_id, "arbitrator", "reject", "card_used_by_buyer")
    assert (upheld.status_code, upheld.json()["status"], upheld.json()["appealed"]) == (200, "rejected", True)

    again = client.post(f"/v1/refund-cases/{case_id}/appeal", headers=auth("buyer", "buyer_1"))
    assert_problem(again, 409, "appeal_not_allowed")
    assert get_case(client, auth, case_id)["status"] == "rejected"
    assert client.get("/v1/review-queue", headers=auth("arbitrator", "arb_1")).json()["items"] == []
    assert count_rows(system.engine, "payouts") == 0
    assert balance(client, auth) == 0


def test_only_a_rejected_case_can_be_appealed(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_a3"))
    case = card_invalid(client, auth, "ord_a3")
    problem = assert_problem(
        client.post(f"/v1/refund-cases/{case['id']}/appeal", headers=auth("buyer", "buyer_1")),
        409,
        "appeal_not_allowed",
    )
    assert problem["detail"] == f"case {case['id']} is manual_review"
    assert get_case(client, auth, case["id"]) == case


# ---------------------------------------------------------------- evidence requests and escalation


def test_an_evidence_request_waits_48h_then_the_new_evidence_sends_it_back_to_review(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_e1"))
    case_id = card_invalid(client, auth, "ord_e1")["id"]
    asked = decide(client, auth, case_id, "agent", "request_evidence", "evidence_insufficient")
    assert asked.status_code == 200
    body = asked.json()
    assert (body["status"], body["stage"]["key"], body["stage"]["expected_seconds"]) == (
        "awaiting_evidence",
        "awaiting_evidence",
        48 * 3600,
    )
    assert at(body["due_at"]) == at(body["timeline"][-1]["at"]) + timedelta(hours=48)
    assert body["stage"]["expected_by"] == body["due_at"]
    assert client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"] == []

    more = upload(client, auth, color="black")
    added = client.post(
        f"/v1/refund-cases/{case_id}/evidence",
        json={"evidence_ids": [more], "note": "补充截图"},
        headers=auth("buyer", "buyer_1"),
    )
    assert added.status_code == 200
    back = get_case(client, auth, case_id)
    assert back["status"] == "manual_review"
    assert statuses(back) == [
        "submitted",
        "reviewing",
        "manual_review",
        "awaiting_evidence",
        "reviewing",
        "manual_review",
    ]
    assert back["timeline"][4]["note"] == "补充截图"
    assert more in [e["id"] for e in back["evidence"]]
    assert len(back["evidence"]) == 2
    assert at(back["due_at"]) == at(back["timeline"][-1]["at"]) + timedelta(hours=2)
    queue = client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"]
    assert [c["id"] for c in queue] == [case_id]
    assert count_rows(system.engine, "payouts") == 0


def test_escalation_goes_to_arbitration_with_a_one_hour_sla(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_x1", amount_fen=7000))
    case_id = card_invalid(client, auth, "ord_x1")["id"]
    escalated = decide(client, auth, case_id, "agent", "escalate", "escalated_by_agent")
    assert escalated.status_code == 200
    body = escalated.json()
    assert (body["status"], body["stage"]["key"], body["stage"]["expected_seconds"]) == (
        "arbitration",
        "arbitration",
        3600,
    )
    assert at(body["due_at"]) == at(body["timeline"][-1]["at"]) + timedelta(hours=1)
    assert body["appealed"] is False

    for action in ("approve", "reject", "escalate", "request_evidence"):
        assert_problem(decide(client, auth, case_id, "agent", action, "goodwill"), 403, "forbidden")
    assert get_case(client, auth, case_id)["status"] == "arbitration"
    assert count_rows(system.engine, "payouts") == 0

    approved = decide(client, auth, case_id, "arbitrator", "approve", "supplier_confirmed_fault")
    assert approved.status_code == 200
    done = get_case(client, auth, case_id)
    assert (done["status"], done["payout"]["amount_fen"], done["decision"]["tier"]) == ("refunded", 7000, "arbitrator")
    assert balance(client, auth) == 7000
    # Nothing is left to decide.
    assert_problem(decide(client, auth, case_id, "arbitrator", "approve", "goodwill"), 409, "case_state_conflict")


def test_the_review_queue_is_ordered_by_deadline(client: TestClient, auth: Auth) -> None:
    ids = []
    for n in range(3):
        push(client, auth, order_payload(f"ord_q{n}"))
        ids.append(card_invalid(client, auth, f"ord_q{n}")["id"])
    # The last one escalated: due in 1 h, before the others' 2 h.
    assert decide(client, auth, ids[2], "agent", "escalate", "escalated_by_agent").status_code == 200

    agent_queue = client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"]
    assert [c["id"] for c in agent_queue] == ids[:2]
    arbitrator_queue = client.get("/v1/review-queue", headers=auth("arbitrator", "arb_1")).json()["items"]
    assert [c["id"] for c in arbitrator_queue] == [ids[2], ids[0], ids[1]]
    due = [at(c["due_at"]) for c in arbitrator_queue]
    assert due == sorted(due)
    assert [c["status"] for c in arbitrator_queue] == ["arbitration", "manual_review", "manual_review"]
    assert not any(c["overdue"] for c in arbitrator_queue)
    admin_queue = client.get("/v1/review-queue?limit=2", headers=auth("admin", "root")).json()["items"]
    assert [c["id"] for c in admin_queue] == [ids[2], ids[0]]


# ---------------------------------------------------------------- items and amounts


def test_a_partial_claim_refunds_exactly_the_claimed_items_share(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p1", items=3, amount_fen=10000))
    order = client.get("/v1/orders/ord_p1", headers=auth("buyer", "buyer_1")).json()
    assert [i["amount_fen"] for i in order["items"]] == [3334, 3333, 3333]

    first = card_invalid(client, auth, "ord_p1", ["ord_p1_i0"])
    assert (first["refundable_fen"], first["payout_fen"], first["item_ids"]) == (3334, 3334, ["ord_p1_i0"])
    third = card_invalid(client, auth, "ord_p1", ["ord_p1_i2"])
    assert (third["refundable_fen"], third["payout_fen"]) == (3333, 3333)
    for case in (first, third):
        assert decide(client, auth, case["id"], "agent", "approve", "supplier_confirmed_fault").status_code == 200

    assert [get_case(client, auth, c["id"])["payout"]["amount_fen"] for c in (first, third)] == [3334, 3333]
    assert balance(client, auth) == 6667
    with system.engine.connect() as conn:
        shares = conn.execute(text("SELECT case_id, item_amounts FROM payouts")).all()
    assert sorted((case_id, dict(_json(amounts))) for case_id, amounts in shares) == sorted(
        [(first["id"], {"ord_p1_i0": 3334}), (third["id"], {"ord_p1_i2": 3333})]
    )
    items = client.get("/v1/orders/ord_p1", headers=auth("buyer", "buyer_1")).json()["items"]
    assert [i["claim_id"] for i in items] == [first["id"], None, third["id"]]
    # The remaining item is still claimable, for its own share only.
    check = client.post(
        "/v1/orders/ord_p1/refund-precheck",
        json={"reason": "card_invalid", "item_ids": ["ord_p1_i1"]},
        headers=auth("buyer", "buyer_1"),
    ).json()
    assert check["refundable_fen"] == 3333
    assert ledger_total(system.engine) == 0


def _json(value: Any) -> dict[str, int]:
    return value if isinstance(value, dict) else json.loads(value)


def test_an_item_in_an_open_claim_cannot_be_claimed_again(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_h1", items=3, amount_fen=9000))
    first = card_invalid(client, auth, "ord_h1", ["ord_h1_i0", "ord_h1_i1"])

    for items, taken in (
        (["ord_h1_i1"], ["ord_h1_i1"]),
        (["ord_h1_i1", "ord_h1_i2"], ["ord_h1_i1"]),
        (None, ["ord_h1_i0", "ord_h1_i1"]),
    ):
        body: dict[str, Any] = {"order_id": "ord_h1", "reason": "other", "description": "再试一次"}
        if items is not None:
            body["item_ids"] = items
        assert assert_problem(claim(client, auth, body), 409, "items_already_claimed")["items"] == taken
    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "case_items") == 2
    # The free item is claimable.
    last = claim(client, auth, {"order_id": "ord_h1", "reason": "other", "item_ids": ["ord_h1_i2"]})
    assert last.status_code == 201
    assert get_case(client, auth, first["id"])["status"] == "manual_review"


def test_a_re_push_cannot_drop_an_item_held_by_an_open_claim(client: TestClient, auth: Auth, system: System) -> None:
    # BUG: the upsert deletes the claimed item; approving the claim then fails with 500 (KeyError).
    push(client, auth, order_payload("ord_h2", items=2, amount_fen=10000))
    case = card_invalid(client, auth, "ord_h2", ["ord_h2_i1"])
    before = client.get("/v1/orders/ord_h2", headers=auth("buyer", "buyer_1")).json()

    shrunk = client.post("/v1/orders", json=order_payload("ord_h2", items=1), headers=auth("platform", "host"))
    assert shrunk.status_code == 409, shrunk.text  # the exact code is the fix's to name
    assert_problem(shrunk, 409, shrunk.json()["code"])
    assert client.get("/v1/orders/ord_h2", headers=auth("buyer", "buyer_1")).json() == before

    approved = decide(client, auth, case["id"], "agent", "approve", "supplier_confirmed_fault")
    assert approved.status_code == 200, approved.text
    assert get_case(client, auth, case["id"])["status"] == "refunded"
    assert balance(client, auth) == 5000


def test_a_re_push_cannot_lower_the_amount_below_what_was_refunded(
    client: TestClient, auth: Auth, system: System
) -> None:
    # BUG: the upsert accepts it; the order then shows 100 fen paid and 10000 fen refunded.
    push(client, auth, order_payload("ord_h3", delivery="failed", amount_fen=10000))
    assert file_case(client, auth, {"order_id": "ord_h3", "reason": "not_delivered"})["status"] == "refunded"
    before = client.get("/v1/orders/ord_h3", headers=auth("buyer", "buyer_1")).json()

    lowered = client.post(
        "/v1/orders", json=order_payload("ord_h3", delivery="failed", amount_fen=100), headers=auth("platform", "host")
    )
    assert lowered.status_code == 409, lowered.text  # the exact code is the fix's to name
    assert_problem(lowered, 409, lowered.json()["code"])
    assert client.get("/v1/orders/ord_h3", headers=auth("buyer", "buyer_1")).json() == before
    with system.engine.connect() as conn:
        paid = conn.execute(text("SELECT amount_fen FROM orders WHERE id = 'ord_h3'")).scalar_one()
        refunded = conn.execute(
            text("SELECT SUM(amount_fen + fee_fen) FROM payouts WHERE order_id = 'ord_h3'")
        ).scalar_one()
    assert refunded <= paid


def test_a_mistaken_purchase_before_delivery_is_refunded_less_the_fee(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_m1", delivery="pending", amount_fen=10000))
    check = client.post(
        "/v1/orders/ord_m1/refund-precheck", json={"reason": "mistaken_purchase"}, headers=auth("buyer", "buyer_1")
    ).json()
    assert (check["path"], check["refundable_fen"], check["fee_fen"], check["payout_fen"]) == (
        "auto_approve",
        10000,
        100,
        9900,
    )

    case = file_case(client, auth, {"order_id": "ord_m1", "reason": "mistaken_purchase"})
    assert (case["status"], case["liable"], case["fee_fen"], case["payout_fen"]) == ("refunded", "buyer", 100, 9900)
    assert (case["decision"]["tier"], case["payout"]["amount_fen"], case["payout"]["fee_fen"]) == ("auto", 9900, 100)
    assert [c["code"] for c in case["decision"]["reason_codes"]] == [
        "policy_refundable",
        "not_delivered_on_record",
        "buyer_fault_fee",
        "auto_approved",
    ]

    admin = auth("admin", "root")
    fee_income = client.get("/v1/ledger/accounts/platform:fee_income", headers=admin).json()
    assert fee_income["balance_fen"] == 100
    assert [e["amount_fen"] for e in fee_income["entries"]] == [100]
    assert balance(client, auth) == 9900
    assert account_balances(system.engine) == {
        "platform:clearing": -10000,
        "buyer:buyer_1": 9900,
        "platform:fee_income": 100,
        # Held from the merchant while the claim was open, released when it was refunded on no fault of its.
        "merchant:merchant_1:holds": 0,
        "merchant:merchant_1:settlement": 0,
    }
    shown = {
        name: client.get(f"/v1/ledger/accounts/{name}", headers=admin).json()["balance_fen"]
        for name in ("platform:clearing", "buyer:buyer_1", "platform:fee_income")
    }
    assert sum(shown.values()) == 0
    assert ledger_total(system.engine) == 0


def test_a_mistaken_purchase_after_delivery_is_rejected_and_pays_nothing(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_m2", amount_fen=10000))
    case = file_case(client, auth, {"order_id": "ord_m2", "reason": "mistaken_purchase"})
    assert case["status"] == "rejected"
    assert [c["code"] for c in case["reason_codes"]] == ["already_delivered"]
    assert case["payout"] is None
    assert count_rows(system.engine, "payouts") == 0
    assert postings(system.engine, "refund", "clawback") == 0
    assert account_balances(system.engine) == {"merchant:merchant_1:holds": 0, "merchant:merchant_1:settlement": 0}


def test_the_precheck_stops_asking_for_evidence_the_buyer_will_attach(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_pe1"))
    url, buyer = "/v1/orders/ord_pe1/refund-precheck", auth("buyer", "buyer_1")

    bare = client.post(url, json={"reason": "card_invalid"}, headers=buyer).json()
    shown = client.post(
        url, json={"reason": "card_invalid", "evidence_kinds": ["error_screenshot"]}, headers=buyer
    ).json()
    wrong = client.post(url, json={"reason": "card_invalid", "evidence_kinds": ["selfie"]}, headers=buyer)

    assert bare["path"] == "request_evidence"
    assert shown["path"] != "request_evidence"
    assert "evidence_missing" not in [c["code"] for c in shown["reason_codes"]]
    assert_problem(wrong, 422, "validation_failed")


def test_the_machines_request_for_evidence_names_the_kinds_in_words_not_codes(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_ask1"))
    case_id = file_case(client, auth, {"order_id": "ord_ask1", "reason": "card_invalid"})["id"]

    for role, who in (("buyer", "buyer_1"), ("agent", "agent_1")):
        case = client.get(f"/v1/refund-cases/{case_id}", headers=auth(role, who)).json()
        assert case["status"] == "awaiting_evidence"
        notes = [e["note"] for e in case["timeline"]] + [d["note"] for d in case.get("decisions", [])]
        assert "请补充：激活/使用失败截图" in notes
        assert not [n for n in notes if "error_screenshot" in n]
