"""Steps through API v1 that many integration tests take: push an order, upload, file a case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.support.factories import order_payload, png_bytes

Auth = Callable[..., dict[str, str]]


def push(client: TestClient, auth: Auth, body: dict[str, Any]) -> None:
    """Push a new order as the host platform."""
    response = client.post("/v1/orders", json=body, headers=auth("platform", "host"))
    assert response.status_code == 201, response.text


def upload(
    client: TestClient, auth: Auth, buyer: str = "buyer_1", data: bytes | None = None, kind: str = "error_screenshot"
) -> str:
    """Upload a screenshot as a buyer and return its evidence id."""
    response = client.post(
        "/v1/evidence",
        files={"file": ("e.png", data or png_bytes(), "image/png")},
        data={"kind": kind},
        headers=auth("buyer", buyer),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def balance(client: TestClient, auth: Auth, buyer: str = "buyer_1") -> int:
    """Return a buyer's platform balance in fen."""
    return int(client.get(f"/v1/ledger/accounts/buyer:{buyer}", headers=auth("buyer", buyer)).json()["balance_fen"])


def manual_review_case(
    client: TestClient,
    auth: Auth,
    order_id: str,
    *,
    buyer: str = "buyer_1",
    items: int = 1,
    amount_fen: int = 10000,
    item_ids: list[str] | None = None,
) -> str:
    """Return the id of a card_invalid case, with its screenshot, waiting for an agent."""
    push(client, auth, order_payload(order_id, buyer=buyer, items=items, amount_fen=amount_fen))
    body: dict[str, Any] = {
        "order_id": order_id,
        "reason": "card_invalid",
        "evidence_ids": [upload(client, auth, buyer)],
    }
    if item_ids is not None:
        body["item_ids"] = item_ids
    case = file_case(client, auth, body, buyer)
    assert case["status"] == "manual_review", case
    return str(case["id"])


def card_claim(
    client: TestClient, auth: Auth, order_id: str, buyer: str = "buyer_1", shot: bytes | None = None, **order: Any
) -> dict[str, Any]:
    """Push a card-key order and claim ``card_invalid`` on it with one screenshot; return the case as staff read it."""
    push(client, auth, order_payload(order_id, buyer=buyer, **order))
    body = {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [upload(client, auth, buyer, shot)]}
    return file_case(client, auth, body, buyer)


def file_case(
    client: TestClient, auth: Auth, body: dict[str, Any], buyer: str = "buyer_1", key: str | None = None
) -> dict[str, Any]:
    """File a claim and return the case as staff read it after the (inline) review.

    The 201 shows the case as filed: the review is queued after the commit, so the
    answer never waits for it. Staff see every finding and reason; the buyer's own view
    withholds the anti-fraud signals (``buyer_case``).
    """
    extra = {} if key is None else {"Idempotency-Key": key}
    created = client.post("/v1/refund-cases", json=body, headers=auth("buyer", buyer, **extra))
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "submitted", created.text
    now = client.get(created.headers["location"], headers=auth("admin", "case_reader"))
    assert now.status_code == 200, now.text
    return dict(now.json())


def buyer_case(client: TestClient, auth: Auth, case_id: str, buyer: str = "buyer_1") -> dict[str, Any]:
    """Return a case as its buyer reads it through API v1."""
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())
