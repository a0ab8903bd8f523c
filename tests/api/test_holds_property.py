"""Property: whatever claims are filed and however each ends, a merchant's held funds are its open claims' amounts.

Hypothesis draws a story over a few claims on one merchant's goods, each filed to a person:
then rejected, appealed, approved and refunded, withdrawn, or replaced with a new key. After every
step the journal balances, the holds account holds exactly the amounts of the claims still open,
and what left it went back to the settlement (released) or paid a refund on the merchant's fault
(recovered) — never both, never twice.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.support.api import Auth, manual_review_case
from tests.support.factories import account_balances, ledger_total
from tuika.bootstrap import System

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

HELD = "merchant:merchant_1:holds"
SETTLEMENT = "merchant:merchant_1:settlement"
# Where a claim no longer holds its merchant's money: it ended, or its refund was paid.
ENDED = frozenset({"rejected", "withdrawn", "closed", "replaced", "refunded"})
ACTIONS = ["reject", "appeal", "approve", "withdraw", "replace"]
_stories = itertools.count()


def status_of(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("admin", "root"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def act(client: TestClient, auth: Auth, case_id: str, action: str, n: int) -> None:
    """Try ``action`` on a claim; one its state does not take is refused and changes nothing."""
    # An agent reviews, an arbitrator decides an appeal.
    decider = auth("arbitrator", "arb_1") if status_of(client, auth, case_id)["status"] == "arbitration" else None
    decider = decider or auth("agent", "agent_1")
    if action == "reject":
        body = {"action": "reject", "reason_codes": ["evidence_insufficient"], "note": "凭证不足"}
        client.post(f"/v1/refund-cases/{case_id}/decisions", json=body, headers=decider)
    elif action == "approve":
        body = {"action": "approve", "reason_codes": ["evidence_confirms_claim"], "note": "核实属实"}
        client.post(f"/v1/refund-cases/{case_id}/decisions", json=body, headers=decider)
    elif action == "appeal":
        client.post(f"/v1/refund-cases/{case_id}/appeal", json={"note": "不同意"}, headers=auth("buyer", "buyer_1"))
    elif action == "withdraw":
        client.post(f"/v1/refund-cases/{case_id}/withdraw", json={"note": ""}, headers=auth("buyer", "buyer_1"))
    elif action == "replace":
        body = {"action": "replace", "note": "补发", "replacement_card_key": f"SWAP-{n:04d}-{case_id[-6:]}"}
        offered = client.post(
            f"/v1/refund-cases/{case_id}/merchant-responses", json=body, headers=auth("merchant", "merchant_1")
        )
        if offered.status_code == 200:
            client.post(
                f"/v1/refund-cases/{case_id}/replacement", json={"accept": True}, headers=auth("buyer", "buyer_1")
            )


def check_books(client: TestClient, auth: Auth, system: System, filed: dict[str, int], before: int) -> None:
    """Check the books after a step; ``before`` is what was held for earlier stories' claims, which stand still."""
    assert ledger_total(system.engine) == 0
    statuses = {c: status_of(client, auth, c)["status"] for c in filed}
    still_open = sum(amount for c, amount in filed.items() if statuses[c] not in ENDED)
    balances = account_balances(system.engine)
    assert balances.get(HELD, 0) - before == still_open, statuses
    with system.engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, ended_at, outcome FROM case_holds")).all()
    for case_id, ended_at, outcome in rows:
        if case_id not in statuses:
            continue
        ended = statuses[case_id] in ENDED
        assert (ended_at is not None) == ended, (case_id, statuses[case_id])
        if statuses[case_id] == "replaced":
            assert outcome == "released"


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    amounts=st.lists(st.integers(min_value=100, max_value=90_000), min_size=1, max_size=3),
    steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=2)), max_size=8),
)
def test_held_funds_are_the_open_claims_after_every_step(
    client: TestClient, auth: Auth, system: System, amounts: list[int], steps: list[tuple[str, int]]
) -> None:
    story = next(_stories)
    filed: dict[str, int] = {}
    before = account_balances(system.engine).get(HELD, 0)
    for n, amount in enumerate(amounts):
        filed[manual_review_case(client, auth, f"ord_hp{story}_{n}", amount_fen=amount)] = amount
        check_books(client, auth, system, filed, before)
    for n, (action, pick) in enumerate(steps):
        act(client, auth, list(filed)[pick % len(filed)], action, story * 100 + n)
        check_books(client, auth, system, filed, before)
