"""The event feed a host platform polls: every event once, in order, settled, codes as buyers read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import file_case, push, upload
from tests.support.factories import assert_problem, order_payload
from tuika.bootstrap import System

Auth = Callable[..., dict[str, str]]


def _feed(client: TestClient, auth: Auth, **query: Any) -> Any:
    response = client.get("/v1/events", params=query, headers=auth("platform", "host"))
    assert response.status_code == 200, response.text
    return response.json()


def test_the_feed_serves_each_event_once_in_order_page_by_page(client: TestClient, auth: Auth, system: System) -> None:
    system.ctx.events = replace(system.ctx.events, feed_settle=timedelta(0))
    push(client, auth, order_payload("ord_fd1", delivery="failed", amount_fen=3000))
    filed = file_case(client, auth, {"order_id": "ord_fd1", "reason": "not_delivered", "route": "balance"})

    everything = _feed(client, auth, limit=500)["items"]
    types = [e["type"] for e in everything]
    assert types[0] == "order.synced"
    assert {"case.submitted", "case.decided", "payout.opened", "payout.settled"} <= set(types)
    assert [e["id"] for e in everything] == sorted(e["id"] for e in everything)

    seen: list[str] = []
    after = None
    while True:
        page = _feed(client, auth, limit=3, **({"after": after} if after else {}))
        seen += [e["id"] for e in page["items"]]
        if not page["items"]:
            break
        after = page["next_after"]
    assert seen == [e["id"] for e in everything]
    # Nothing new: the cursor stays where it was.
    assert _feed(client, auth, after=after)["next_after"] == after

    decided = _feed(client, auth, types=["case.decided"])["items"]
    assert [(e["subject"], e["payload"]["to"]) for e in decided] == [(filed["id"], "approved")]


def test_an_event_is_served_only_once_it_has_settled(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_fd2"))

    # Just written: an earlier id may still be committing elsewhere, so the feed waits for it.
    assert _feed(client, auth)["items"] == []
    system.ctx.events = replace(system.ctx.events, feed_settle=timedelta(0))
    assert [e["type"] for e in _feed(client, auth)["items"]] == ["order.synced"]


def test_the_feed_carries_no_anti_fraud_signal_and_only_partners_read_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    system.ctx.events = replace(system.ctx.events, feed_settle=timedelta(0))
    push(client, auth, order_payload("ord_fd3"))
    case = file_case(
        client, auth, {"order_id": "ord_fd3", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"], "note": "n"},
        headers=auth("agent", "agent_1"),
    )

    [decided] = _feed(client, auth, types=["case.decided"])["items"]
    assert "suspected_fraud" not in decided["payload"]["codes"]
    assert "not_approved_after_review" in decided["payload"]["codes"]
    for role, subject in (("buyer", "buyer_1"), ("merchant", "merchant_1"), ("agent", "agent_1")):
        assert_problem(client.get("/v1/events", headers=auth(role, subject)), 403, "forbidden")
    assert client.get("/v1/events", headers=auth("admin", "root")).status_code == 200
    bad = client.get("/v1/events", params={"types": ["case.exploded"]}, headers=auth("platform", "host"))
    assert_problem(bad, 422, "validation_failed")
