"""Races through API v1 on real threads: one case per key, one payout per case, one refund per item."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import balance, manual_review_case, push
from tests.support.factories import assert_problem, count_rows, ledger_total, order_payload
from tests.support.threads import race
from tuika.bootstrap import System
from tuika.domain.cases import DecisionAction, Role, Route
from tuika.domain.errors import StaleState
from tuika.domain.policy import Reason
from tuika.services.claims import filing
from tuika.services.context import Actor
from tuika.services.review import decisions

Auth = Callable[..., dict[str, str]]
THREADS = 20


def test_twenty_submissions_with_one_key_make_one_case(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_c1", delivery="failed", amount_fen=5000))
    headers = auth("buyer", "buyer_1", **{"Idempotency-Key": "same-key"})
    body = {"order_id": "ord_c1", "reason": "not_delivered", "description": "没到账"}

    responses = race([lambda: client.post("/v1/refund-cases", json=body, headers=headers)] * THREADS)

    assert [r.status_code for r in responses] == [201] * THREADS, [r.text for r in responses if r.status_code != 201]
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 1
    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "idempotency_keys") == 1
    assert count_rows(system.engine, "case_items") == 1
    assert count_rows(system.engine, "payouts") == 1
    case = client.get(f"/v1/refund-cases/{ids.pop()}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "refunded"
    assert balance(client, auth) == 5000
    assert ledger_total(system.engine) == 0


def test_twenty_approvals_of_one_case_make_one_payout(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_c2", amount_fen=8000)

    def approve(n: int) -> Callable[[], Any]:
        return lambda: client.post(
            f"/v1/refund-cases/{case_id}/decisions",
            json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"], "note": f"agent {n}"},
            headers=auth("agent", f"agent_{n}"),
        )

    responses = race([approve(n) for n in range(THREADS)])

    assert Counter(r.status_code for r in responses) == {200: 1, 409: THREADS - 1}
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "case_state_conflict")
    winner = next(r for r in responses if r.status_code == 200).json()
    assert count_rows(system.engine, "payouts") == 1
    assert count_rows(system.engine, "decisions") == 2  # the machine's routing, then the one approval
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert case["status"] == "refunded"
    assert case["decision"]["actor"] == winner["decision"]["actor"]
    assert [e["to_status"] for e in case["timeline"]].count("approved") == 1
    assert balance(client, auth) == 8000
    assert ledger_total(system.engine) == 0


def test_two_claims_on_one_item_race_to_at_most_one_refund(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_c3", items=2, delivery="failed", amount_fen=6000))

    def submit(key: str, items: list[str]) -> Callable[[], Any]:
        body = {"order_id": "ord_c3", "reason": "not_delivered", "item_ids": items}
        return lambda: client.post(
            "/v1/refund-cases", json=body, headers=auth("buyer", "buyer_1", **{"Idempotency-Key": key})
        )

    responses = race([submit("key-a", ["ord_c3_i0"]), submit("key-b", ["ord_c3_i0", "ord_c3_i1"])])

    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert_problem(loser, 409, "items_already_claimed")
    assert loser.json()["items"] == ["ord_c3_i0"]
    winner = next(r for r in responses if r.status_code == 201).json()
    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "payouts") == 1
    assert count_rows(system.engine, "idempotency_keys") == 1
    refunded = 3000 * len(winner["item_ids"])
    assert client.get(f"/v1/refund-cases/{winner['id']}", headers=auth("buyer", "buyer_1")).json()["status"] == (
        "refunded"
    )
    assert balance(client, auth) == refunded
    assert ledger_total(system.engine) == 0


def test_many_claims_on_overlapping_items_never_refund_an_item_twice(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_c4", items=4, delivery="failed", amount_fen=4000))
    item_sets = [[f"ord_c4_i{n % 4}", f"ord_c4_i{(n + 1) % 4}"] for n in range(10)]

    def submit(n: int) -> Callable[[], Any]:
        body = {"order_id": "ord_c4", "reason": "not_delivered", "item_ids": item_sets[n]}
        return lambda: client.post(
            "/v1/refund-cases", json=body, headers=auth("buyer", "buyer_1", **{"Idempotency-Key": f"k{n}"})
        )

    responses = race([submit(n) for n in range(len(item_sets))])

    assert {r.status_code for r in responses} <= {201, 409}
    for response in responses:
        if response.status_code == 409:
            assert_problem(response, 409, "items_already_claimed")
    won = [r.json() for r in responses if r.status_code == 201]
    claimed = [item for case in won for item in case["item_ids"]]
    assert len(claimed) == len(set(claimed))
    # Four items claimed in adjacent pairs: the first winner leaves exactly one disjoint pair free.
    assert len(won) == 2
    assert count_rows(system.engine, "cases") == len(won)
    assert count_rows(system.engine, "payouts") == len(won)
    assert balance(client, auth) == 1000 * len(claimed)
    assert ledger_total(system.engine) == 0


def test_a_withdrawal_racing_an_approval_ends_one_way_only(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_c5", amount_fen=5000)

    def withdraw() -> Any:
        return client.post(f"/v1/refund-cases/{case_id}/withdraw", headers=auth("buyer", "buyer_1"))

    def approve() -> Any:
        return client.post(
            f"/v1/refund-cases/{case_id}/decisions",
            json={"action": "approve", "reason_codes": ["goodwill"]},
            headers=auth("agent", "agent_1"),
        )

    withdrawn, approved = race([withdraw, approve])

    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    if withdrawn.status_code == 200:
        assert_problem(approved, 409, "case_state_conflict")
        assert (case["status"], count_rows(system.engine, "payouts"), balance(client, auth)) == ("withdrawn", 0, 0)
    else:
        assert approved.status_code == 200
        assert_problem(withdrawn, 409, "illegal_transition")
        assert (case["status"], count_rows(system.engine, "payouts"), balance(client, auth)) == ("refunded", 1, 5000)
    assert ledger_total(system.engine) == 0


# ---------------------------------------------------------------- the same races below the HTTP layer


def test_twenty_service_submissions_with_one_key_make_one_case(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_d1", delivery="failed", amount_fen=2500))
    buyer = Actor("buyer_1", Role.BUYER)
    request = filing.ClaimRequest("ord_d1", Reason.NOT_DELIVERED, route=Route.BALANCE)

    cases = race([lambda: filing.submit(system.ctx, buyer, request, "svc-key")] * THREADS)

    assert len({v.case.id for v in cases}) == 1
    assert count_rows(system.engine, "cases") == 1
    assert count_rows(system.engine, "payouts") == 1
    assert balance(client, auth) == 2500
    assert ledger_total(system.engine) == 0


def test_twenty_service_approvals_of_one_case_make_one_payout(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_d2", amount_fen=9000)
    request = decisions.DecisionRequest(DecisionAction.APPROVE, ("supplier_confirmed_fault",))

    def approve(n: int) -> Callable[[], str]:
        def call() -> str:
            try:
                decisions.decide(system.ctx, Actor(f"agent_{n}", Role.AGENT), case_id, request)
            except StaleState as exc:
                return exc.code
            return "ok"

        return call

    outcomes = race([approve(n) for n in range(THREADS)])

    assert Counter(outcomes) == {"ok": 1, "case_state_conflict": THREADS - 1}
    assert count_rows(system.engine, "payouts") == 1
    assert balance(client, auth) == 9000
    assert ledger_total(system.engine) == 0
