"""Webhook endpoints through API v1, and real deliveries to a receiver that verifies them as docs/webhooks.md says."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from standardwebhooks import WebhookVerificationError

from tests.support.api import file_case, push
from tests.support.factories import assert_problem, order_payload
from tests.support.receiver import Receiver, snippet
from tuika.bootstrap import System
from tuika.domain.clock import FixedClock
from tuika.http.auth import issue_token
from tuika.services.webhooks.sending import send_endpoint

Auth = Callable[..., dict[str, str]]
HOST = ("platform", "host")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _make(client: TestClient, auth: Auth, url: str, who: tuple[str, str] = HOST, **body: Any) -> dict[str, Any]:
    response = client.post("/v1/webhook-endpoints", json={"url": url, **body}, headers=auth(*who))
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def _deliveries(client: TestClient, auth: Auth, endpoint_id: str, who: tuple[str, str] = HOST) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params={"limit": 100}, headers=auth(*who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_an_endpoint_is_made_with_a_secret_shown_once_and_managed_by_its_owner_only(
    client: TestClient, auth: Auth, receiver: Receiver
) -> None:
    made = _make(client, auth, receiver.url, description="售后", types=["case.decided"])
    assert made["secret"].startswith("whsec_")
    assert (made["types"], made["enabled"], made["signing_secrets"]) == (["case.decided"], True, 1)

    read = client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).json()
    assert "secret" not in read
    assert read["deliveries"] == {"pending": 0, "delivered": 0, "failed": 0}
    listed = client.get("/v1/webhook-endpoints", headers=auth(*HOST)).json()["items"]
    assert [e["id"] for e in listed] == [made["id"]]

    # Another platform's token, and a merchant, see nothing of it; a buyer has no endpoints at all.
    assert_problem(
        client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth("platform", "other")), 404, "not_found"
    )
    assert client.get("/v1/webhook-endpoints", headers=auth("platform", "other")).json()["items"] == []
    assert_problem(
        client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=auth("merchant", "merchant_1")), 404, "not_found"
    )
    assert_problem(client.get("/v1/webhook-endpoints", headers=auth("buyer", "buyer_1")), 403, "forbidden")

    patched = client.patch(
        f"/v1/webhook-endpoints/{made['id']}", json={"enabled": False, "types": []}, headers=auth(*HOST)
    ).json()
    assert (patched["enabled"], patched["disabled_reason"], patched["types"]) == (False, "owner", [])
    assert client.delete(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).status_code == 204
    assert_problem(client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)), 404, "not_found")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"url": "ftp://hooks.example.com/x"}, "webhook_url_refused"),
        ({"url": "https://user:pw@hooks.example.com/x"}, "webhook_url_refused"),
        ({"url": "https://hooks.example.com/x", "types": ["case.decided", "case.exploded"]}, "webhook_types_unknown"),
        ({"url": "https://hooks.example.com/x", "secret": "mine"}, "validation_failed"),
        ({"url": "https://hooks.example.com/x", "description": "x" * 201}, "validation_failed"),
    ],
)
def test_bad_endpoints_are_refused_and_nothing_is_made(
    client: TestClient, auth: Auth, body: dict[str, Any], code: str
) -> None:
    assert_problem(client.post("/v1/webhook-endpoints", json=body, headers=auth(*HOST)), 422, code)
    assert client.get("/v1/webhook-endpoints", headers=auth(*HOST)).json()["items"] == []


def test_private_addresses_are_refused_outside_the_demo(client: TestClient, auth: Auth, system: System) -> None:
    system.ctx.webhooks = _rules(system, allow_private=False)
    for url in (
        "http://127.0.0.1:9000/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest",
        "http://[::1]/x",
        "http://localhost/x",
        "http://[::ffff:192.168.0.1]/x",
        "http://100.64.0.9/x",
    ):
        body = assert_problem(
            client.post("/v1/webhook-endpoints", json={"url": url}, headers=auth(*HOST)), 422, "webhook_url_refused"
        )
        assert body["title_zh"] == "回调地址必须是公网上的 http(s) 地址"
    assert client.get("/v1/webhook-endpoints", headers=auth(*HOST)).json()["items"] == []


def _rules(system: System, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(system.ctx.webhooks, **changes)


def test_a_claim_reaches_the_platform_signed_once_per_event_as_the_documented_snippets_verify(
    client: TestClient, auth: Auth, system: System, receiver: Receiver
) -> None:
    made = _make(client, auth, receiver.url)
    push(client, auth, order_payload("ord_wh1", delivery="failed", amount_fen=3000))
    filed = file_case(client, auth, {"order_id": "ord_wh1", "reason": "not_delivered", "route": "balance"})

    report = send_endpoint(system.ctx, made["id"])
    assert report.delivered == report.tried > 0
    with system.ctx.read() as uow:
        events = [e for e, _ in uow.events.search(limit=500)]
    assert sorted(r.headers["webhook-id"] for r in receiver.received) == sorted(e.id for e in events)

    for verify in (snippet("verify-with-package"), snippet("verify-by-hand")):
        for got in receiver.received:
            event = verify(made["secret"], dict(got.headers), got.body)
            assert event["id"] == got.headers["webhook-id"]
    bodies = [json.loads(r.body) for r in receiver.received]
    decided = next(b for b in bodies if b["type"] == "case.decided")
    assert (decided["subject"], decided["payload"]["to"], decided["payload"]["buyer_id"]) == (
        filed["id"],
        "approved",
        "buyer_1",
    )
    assert receiver.received[0].headers["content-type"] == "application/json"

    # Sending again sends nothing: each event went once.
    assert send_endpoint(system.ctx, made["id"]).tried == 0
    listed = _deliveries(client, auth, made["id"])
    assert {d["state"] for d in listed} == {"delivered"}
    assert len(listed) == len(events)
    detail = client.get(f"/v1/webhook-endpoints/{made['id']}/deliveries/{listed[0]['id']}", headers=auth(*HOST)).json()
    assert [(t["status"], t["response"], t["manual"]) for t in detail["tries"]] == [(200, "ok", False)]
    assert json.loads(detail["body"])["id"] == detail["event_id"]


def test_a_tampered_body_or_a_stale_timestamp_is_refused_by_both_snippets(
    client: TestClient, auth: Auth, system: System, receiver: Receiver
) -> None:
    made = _make(client, auth, receiver.url, types=["order.synced"])
    push(client, auth, order_payload("ord_wh2"))
    send_endpoint(system.ctx, made["id"])
    (got,) = receiver.received
    headers = dict(got.headers)
    tampered = got.body.replace(b'"amount_fen":', b'"amount_fen":1')
    stale = {**headers, "webhook-timestamp": str(int(datetime.now(UTC).timestamp()) - 6 * 60)}
    package, by_hand = snippet("verify-with-package"), snippet("verify-by-hand")
    for bad_headers, body in ((headers, tampered), (stale, got.body)):
        with pytest.raises(WebhookVerificationError):
            package(made["secret"], bad_headers, body)
        with pytest.raises(ValueError, match=r"signature|timestamp"):
            by_hand(made["secret"], bad_headers, body)
    with pytest.raises(WebhookVerificationError):
        package("whsec_" + "A" * 32, headers, got.body)


def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(
    client: TestClient, auth: Auth, system: System, receiver: Receiver
) -> None:
    made = _make(client, auth, receiver.url, types=["order.synced"])
    rotated = client.post(
        f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={"overlap_s": 3600}, headers=auth(*HOST)
    )
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["secret"] != made["secret"]
    assert new["signing_secrets"] == 2
    push(client, auth, order_payload("ord_wh3"))
    send_endpoint(system.ctx, made["id"])
    verify = snippet("verify-by-hand")
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split()) == 2
    for secret in (made["secret"], new["secret"]):
        verify(secret, dict(got.headers), got.body)

    now = client.post(
        f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={"overlap_s": 0}, headers=auth(*HOST)
    ).json()
    assert now["signing_secrets"] == 1
    push(client, auth, order_payload("ord_wh4"))
    send_endpoint(system.ctx, made["id"])
    last = receiver.received[-1]
    verify(now["secret"], dict(last.headers), last.body)
    with pytest.raises(ValueError, match="signature"):
        verify(new["secret"], dict(last.headers), last.body)
    assert_problem(
        client.post(
            f"/v1/webhook-endpoints/{made['id']}/rotate-secret", json={"overlap_s": 90000}, headers=auth(*HOST)
        ),
        422,
        "validation_failed",
    )


def test_a_failing_endpoint_is_retried_with_backoff_and_redelivered_by_hand(
    client: TestClient, auth: Auth, system: System, receiver: Receiver
) -> None:
    # A little ahead of the wall clock, so the tokens the client signs meanwhile are not from the future.
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    system.ctx.clock = clock
    made = _make(client, auth, receiver.url, types=["order.synced"])
    receiver.status, receiver.answer = 500, "服务器错误 upstream down".encode()
    push(client, auth, order_payload("ord_wh5"))
    send_endpoint(system.ctx, made["id"])
    (first,) = _deliveries(client, auth, made["id"])
    assert (first["state"], first["attempts"], first["last_status"]) == ("pending", 1, 500)
    assert datetime.fromisoformat(first["next_try_at"]) - clock.now() == timedelta(seconds=5)
    # Not due yet: nothing is sent.
    assert send_endpoint(system.ctx, made["id"]).tried == 0
    endpoint = client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).json()
    assert endpoint["failing_since"] is not None
    assert endpoint["deliveries"]["pending"] == 1

    clock.set(clock.now() + timedelta(seconds=6))
    send_endpoint(system.ctx, made["id"])
    (second,) = _deliveries(client, auth, made["id"])
    assert second["attempts"] == 2
    assert datetime.fromisoformat(second["next_try_at"]) - clock.now() == timedelta(seconds=30)

    receiver.status = 204
    retried = client.post(f"/v1/webhook-endpoints/{made['id']}/deliveries/{first['id']}/retry", headers=auth(*HOST))
    assert retried.status_code == 200, retried.text
    tries = retried.json()["tries"]
    assert [(t["status"], t["manual"]) for t in tries] == [(500, False), (500, False), (204, True)]
    assert tries[0]["response"] == "服务器错误 upstream down"
    assert retried.json()["state"] == "delivered"
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1
    assert len(receiver.received) == 3
    assert client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).json()["failing_since"] is None


def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_told(
    client: TestClient, system: System, receiver: Receiver
) -> None:
    start = datetime.now(UTC)
    clock = FixedClock(start)
    system.ctx.clock = clock

    def auth(role: str, subject: str) -> dict[str, str]:
        # Tokens as of the test's clock, which runs a day ahead.
        token = issue_token(system.settings.secret_key, role, subject, 3600, clock.now())
        return {"Authorization": f"Bearer {token}"}

    made = _make(client, auth, receiver.url, types=["order.synced"])
    receiver.status = 503
    push(client, auth, order_payload("ord_wh6"))
    for hours in (0, 6, 12, 18, 23):
        clock.set(start + timedelta(hours=hours, seconds=1))
        send_endpoint(system.ctx, made["id"])
        assert client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).json()["enabled"] is True
    clock.set(start + timedelta(hours=24, minutes=1))
    # The delivery's 24 hours are over too: this try is its last.
    push(client, auth, order_payload("ord_wh7"))
    report = send_endpoint(system.ctx, made["id"])
    assert report.disabled == 1
    endpoint = client.get(f"/v1/webhook-endpoints/{made['id']}", headers=auth(*HOST)).json()
    assert (endpoint["enabled"], endpoint["disabled_reason"]) == (False, "failing")
    inbox = client.get("/v1/inbox", headers=auth(*HOST)).json()
    (told,) = inbox["items"]
    assert told["title"] == "回调地址已停用"
    assert receiver.url in told["body"]
    assert "24 小时" in told["body"]
    assert told["title_en"] == "Webhook endpoint disabled"
    # Disabled: nothing more is tried, and a redelivery is refused until its owner enables it.
    tried = len(receiver.received)
    clock.set(clock.now() + timedelta(hours=5))
    assert send_endpoint(system.ctx, made["id"]).tried == 0
    delivery = _deliveries(client, auth, made["id"])[0]
    assert_problem(
        client.post(f"/v1/webhook-endpoints/{made['id']}/deliveries/{delivery['id']}/retry", headers=auth(*HOST)),
        409,
        "webhook_delivery_not_retryable",
    )
    assert len(receiver.received) == tried
    receiver.status = 200
    client.patch(f"/v1/webhook-endpoints/{made['id']}", json={"enabled": True}, headers=auth(*HOST))
    send_endpoint(system.ctx, made["id"])
    states = sorted(d["state"] for d in _deliveries(client, auth, made["id"]))
    assert states == ["delivered", "failed"]


def test_a_merchant_hears_only_of_its_own_orders_without_the_buyer(
    client: TestClient, auth: Auth, system: System, receiver: Receiver
) -> None:
    merchant = ("merchant", "merchant_1")
    made = _make(client, auth, receiver.url, who=merchant, types=["case.submitted"])
    push(client, auth, order_payload("ord_wh8", delivery="failed"))
    push(client, auth, {**order_payload("ord_wh9", delivery="failed"), "merchant_id": "merchant_2"})
    file_case(client, auth, {"order_id": "ord_wh8", "reason": "not_delivered", "route": "balance"})
    file_case(client, auth, {"order_id": "ord_wh9", "reason": "not_delivered", "route": "balance"})
    send_endpoint(system.ctx, made["id"])
    (got,) = receiver.received
    body = json.loads(got.body)
    assert body["payload"]["order_id"] == "ord_wh8"
    assert "buyer_id" not in body["payload"]
    assert len(_deliveries(client, auth, made["id"], who=merchant)) == 1
