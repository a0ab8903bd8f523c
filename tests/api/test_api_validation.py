"""Validation through API v1: problem+json everywhere, refused bodies store nothing, paging, filters, policies."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable, Iterator
from datetime import datetime
from importlib.resources import files
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import InlineRelay
from tests.support.api import file_case, manual_review_case, push
from tests.support.factories import assert_problem, card_key_for, count_rows, order_payload
from tuika.bootstrap import System
from tuika.services.review.machine import machine_review

Auth = Callable[..., dict[str, str]]


def default_policy() -> dict[str, Any]:
    text = files("tuika.policies").joinpath("default.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


# ---------------------------------------------------------------- problem+json


def test_every_error_is_problem_json(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_v1")
    buyer = auth("buyer", "buyer_1")
    for response, status, code in [
        (client.get("/v1/orders"), 401, "token_missing"),
        (client.get("/v1/orders", headers={"Authorization": "Bearer x"}), 401, "token_invalid"),
        (client.get("/v1/review-queue", headers=buyer), 403, "forbidden"),
        (client.get("/v1/orders/ord_nope", headers=buyer), 404, "not_found"),
        (client.get("/v1/no-such-endpoint", headers=buyer), 404, "route_not_found"),
        (client.delete("/v1/orders/ord_v1", headers=buyer), 405, "method_not_allowed"),
        (client.post(f"/v1/refund-cases/{case_id}/appeal", headers=buyer), 409, "appeal_not_allowed"),
        (client.post("/v1/orders", content=b"{", headers=auth("platform", "p")), 422, "validation_failed"),
        (client.get("/v1/orders?limit=0", headers=buyer), 422, "validation_failed"),
        (client.get("/v1/ledger/accounts/nobody", headers=auth("admin", "root")), 422, "invalid_input"),
        (
            client.post("/v1/evidence", files={"file": ("a.txt", b"hi", "text/plain")}, headers=buyer),
            415,
            "evidence_type_not_allowed",
        ),
    ]:
        assert_problem(response, status, code)


def test_a_validation_problem_lists_each_error(client: TestClient, auth: Auth) -> None:
    body = order_payload("ord_v2", amount_fen=-5, surprise=1)
    response = client.post("/v1/orders", json=body, headers=auth("platform", "host"))
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["title"] == "The request is invalid"
    assert problem["title_zh"] == "请求参数校验失败"
    assert sorted((e["loc"], e["type"], e["msg_zh"]) for e in problem["errors"]) == [
        (["body", "amount_fen"], "greater_than_equal", "应大于或等于 1"),
        (["body", "surprise"], "extra_forbidden", "不允许的字段"),
    ]


# ---------------------------------------------------------------- orders


def _naive(body: dict[str, Any]) -> None:
    body["paid_at"] = body["paid_at"][:19]


def _drop_delivered_at(body: dict[str, Any]) -> None:
    body["delivery"]["delivered_at"] = None


def _drop_card_key(body: dict[str, Any]) -> None:
    del body["items"][1]["card_key"]


def _duplicate_items(body: dict[str, Any]) -> None:
    body["items"][1]["id"] = body["items"][0]["id"]


BAD_ORDERS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("unknown field", lambda b: b.update(coupon="FREE")),
    ("unknown nested field", lambda b: b["payment"].update(fee=1)),
    ("naive paid_at", _naive),
    ("negative amount", lambda b: b.update(amount_fen=-1)),
    ("zero amount", lambda b: b.update(amount_fen=0)),
    ("duplicate item ids", _duplicate_items),
    ("delivered without delivered_at", _drop_delivered_at),
    ("delivered card_key without card_key", _drop_card_key),
    ("unknown product kind", lambda b: b.update(product_kind="gift")),
    ("no items", lambda b: b.update(items=[])),
    ("delivered before paid", lambda b: b["delivery"].update(delivered_at="2000-01-01T00:00:00+00:00")),
]


@pytest.mark.parametrize("mutate", [m for _, m in BAD_ORDERS], ids=[n for n, _ in BAD_ORDERS])
def test_bad_order_bodies_are_refused_and_nothing_is_stored(
    client: TestClient, auth: Auth, system: System, mutate: Callable[[dict[str, Any]], None]
) -> None:
    body = order_payload("ord_bad", items=2)
    mutate(body)
    response = client.post("/v1/orders", json=body, headers=auth("platform", "host"))
    assert_problem(response, 422, "validation_failed")
    assert count_rows(system.engine, "orders") == 0
    assert count_rows(system.engine, "order_items") == 0
    assert_problem(client.get("/v1/orders/ord_bad", headers=auth("admin", "root")), 404, "not_found")


TIME_EN = "Input should be an ISO 8601 date and time with a UTC offset, such as 2025-01-01T08:00:00+08:00"
TIME_ZH = "应为带时区偏移的 ISO 8601 时间字符串，例如 2025-01-01T08:00:00+08:00"
TIME_FIELDS: list[tuple[str, ...]] = [("paid_at",), ("delivery", "delivered_at"), ("items", "0", "activated_at")]
NOT_TIMES: list[object] = [
    0,
    1700000000,
    1.5,
    True,
    False,
    "",
    "0",
    "1700000000",
    "2025-01-01T08:00:00",
    "2025-01-01",
    "2025-01-01 08:00:00+08:00",
    "2025-01-01T08:00:00+0800",
    "2025-01-01T08:00:00+08:00\n",
    [],
    {},
]


def _set(body: dict[str, Any], where: tuple[str, ...], value: object) -> None:
    target: Any = body
    for step in where[:-1]:
        target = target[int(step)] if isinstance(target, list) else target[step]
    target[where[-1]] = value


TIME_CASES = {
    ("paid_at",): NOT_TIMES,
    ("delivery", "delivered_at"): [0, 1.5, True, "", "2025-01-01T08:00:00"],
    ("items", "0", "activated_at"): [0, 1.5, True, "", "2025-01-01T08:00:00"],
}


@pytest.mark.parametrize("where", list(TIME_CASES), ids=[".".join(w) for w in TIME_CASES])
def test_a_time_that_is_not_an_iso_8601_string_is_refused_and_nothing_is_stored(
    client: TestClient, auth: Auth, system: System, where: tuple[str, ...]
) -> None:
    for value in TIME_CASES[where]:
        body = order_payload("ord_t1")
        _set(body, where, value)
        response = client.post("/v1/orders", json=body, headers=auth("platform", "host"))
        problem = assert_problem(response, 422, "validation_failed")
        issue = {"loc": ["body", *where], "msg": TIME_EN, "msg_zh": TIME_ZH, "type": "datetime_iso8601"}
        assert (value, problem["errors"]) == (value, [issue])
        assert problem["detail"] == f"body.{'.'.join(where)}: {TIME_EN}"
    assert count_rows(system.engine, "orders") == 0
    assert count_rows(system.engine, "order_items") == 0
    assert_problem(client.get("/v1/orders/ord_t1", headers=auth("admin", "root")), 404, "not_found")


def test_an_update_with_a_numeric_time_leaves_the_stored_order_as_it_was(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_t2"))
    before = client.get("/v1/orders/ord_t2", headers=auth("admin", "root")).json()
    body = order_payload("ord_t2", paid_at=0)
    assert_problem(client.post("/v1/orders", json=body, headers=auth("platform", "host")), 422, "validation_failed")
    assert client.get("/v1/orders/ord_t2", headers=auth("admin", "root")).json() == before


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("2025-01-01T08:00:00+08:00", "2025-01-01T00:00:00Z"),
        ("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("2025-01-01t00:00:00z", "2025-01-01T00:00:00Z"),
        ("2024-12-31T16:00:00.250-08:00", "2025-01-01T00:00:00.250000Z"),
        ("2025-01-01T00:00+00:00", "2025-01-01T00:00:00Z"),
    ],
)
def test_iso_8601_times_with_an_offset_are_taken_and_shown_back_in_utc(
    client: TestClient, auth: Auth, sent: str, shown: str
) -> None:
    body = order_payload("ord_t3", paid_at=sent)
    body["delivery"]["delivered_at"] = "2025-01-01T00:01:00Z"
    body["items"][0]["activated_at"] = sent
    push(client, auth, body)
    order = client.get("/v1/orders/ord_t3", headers=auth("buyer", "buyer_1")).json()
    assert (order["paid_at"], order["delivery"]["delivered_at"]) == (shown, "2025-01-01T00:01:00Z")
    assert order["items"][0]["activated_at"] == shown


TIME_NAMES = {"at", "as_of", "deadline", "expected_by"}
UTC_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")


def _times(value: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _times(member, f"{where}.{key}")
    elif isinstance(value, list):
        for n, member in enumerate(value):
            yield from _times(member, f"{where}[{n}]")
    elif value is not None and (where.rsplit(".", 1)[-1] in TIME_NAMES or where.endswith("_at")):
        yield where, value


def test_every_time_an_answer_gives_is_iso_8601_in_utc(client: TestClient, auth: Auth) -> None:
    case_id = manual_review_case(client, auth, "ord_t4")
    agent, buyer = auth("agent", "agent_1"), auth("buyer", "buyer_1")
    answers = [
        client.get(f"/v1/refund-cases/{case_id}", headers=agent).json(),
        client.get("/v1/refund-cases", headers=agent).json(),
        client.get("/v1/orders/ord_t4", headers=buyer).json(),
        client.get("/v1/orders/ord_t4/refund-policy", headers=buyer).json(),
        client.post("/v1/orders/ord_t4/refund-precheck", json={"reason": "card_invalid"}, headers=buyer).json(),
    ]
    found = [time for answer in answers for time in _times(answer)]
    assert {where.rsplit(".", 1)[-1] for where, _ in found} >= {
        "created_at",
        "updated_at",
        "due_at",
        "expected_by",
        "at",
        "paid_at",
        "delivered_at",
        "as_of",
        "deadline",
        "window_starts_at",
    }
    assert [
        (where, value) for where, value in found if not isinstance(value, str) or not UTC_TIME.fullmatch(value)
    ] == []


def test_the_document_says_which_times_it_takes(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model, name in (("OrderIn", "paid_at"), ("DeliveryIn", "delivered_at"), ("ItemIn", "activated_at")):
        field = schemas[model]["properties"][name]
        shape = field if "anyOf" not in field else field["anyOf"][0]
        assert (shape["type"], shape["format"]) == ("string", "date-time"), model
        assert "ISO 8601" in shape["description"], model


def test_a_bad_update_leaves_the_stored_order_as_it_was(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_v3", items=2, amount_fen=3000))
    before = client.get("/v1/orders/ord_v3", headers=auth("buyer", "buyer_1")).json()
    body = order_payload("ord_v3", items=2, amount_fen=-3000)
    assert_problem(client.post("/v1/orders", json=body, headers=auth("platform", "host")), 422, "validation_failed")
    assert client.get("/v1/orders/ord_v3", headers=auth("buyer", "buyer_1")).json() == before


def test_an_order_upsert_creates_then_updates(client: TestClient, auth: Auth, system: System) -> None:
    platform = auth("platform", "host")
    first = client.post(
        "/v1/orders", json=order_payload("ord_u1", delivery="pending", title="旧标题"), headers=platform
    )
    assert (first.status_code, first.json()) == (201, {"id": "ord_u1", "created": True, "warnings": []})
    pending = client.get("/v1/orders/ord_u1", headers=auth("buyer", "buyer_1")).json()
    assert pending["delivery"] == {"status": "pending", "delivered_at": None}

    delivered = order_payload("ord_u1", items=2, title="京东E卡 100元（已发货）")
    second = client.post("/v1/orders", json=delivered, headers=platform)
    assert (second.status_code, second.json()) == (200, {"id": "ord_u1", "created": False, "warnings": []})

    shown = client.get("/v1/orders/ord_u1", headers=auth("buyer", "buyer_1")).json()
    assert shown["title"] == "京东E卡 100元（已发货）"
    assert shown["delivery"]["status"] == "delivered"
    assert shown["delivery"]["delivered_at"] is not None
    assert [(i["id"], i["card_key"], i["amount_fen"]) for i in shown["items"]] == [
        ("ord_u1_i0", "ABCD-****-****-NPQR", 5000),
        ("ord_u1_i1", "ABCD-****-****-NPQR", 5000),
    ]
    revealed = [
        client.post(f"/v1/orders/ord_u1/items/{i}/reveal", headers=auth("buyer", "buyer_1")).json()["card_key"]
        for i in ("ord_u1_i0", "ord_u1_i1")
    ]
    assert revealed == [card_key_for("ord_u1", 0), card_key_for("ord_u1", 1)]
    assert count_rows(system.engine, "orders") == 1
    assert count_rows(system.engine, "order_items") == 2


# ---------------------------------------------------------------- paging and filters


def test_orders_are_paged_with_limit_and_cursor(client: TestClient, auth: Auth) -> None:
    ids = [f"ord_p{n}" for n in range(1, 8)]
    for order_id in reversed(ids):
        push(client, auth, order_payload(order_id))
    push(client, auth, order_payload("ord_p0_other", buyer="buyer_2"))

    for headers, scope in ((auth("buyer", "buyer_1"), ""), (auth("agent", "agent_1"), "&buyer_id=buyer_1")):
        pages, cursor = [], None
        while True:
            query = "?limit=3" + scope + (f"&cursor={cursor}" if cursor else "")
            page = client.get(f"/v1/orders{query}", headers=headers).json()
            pages.append([o["id"] for o in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == [ids[0:3], ids[3:6], ids[6:7]]

    first = client.get("/v1/orders?limit=3", headers=auth("buyer", "buyer_1")).json()
    assert first["next_cursor"] == "ord_p3"
    last = client.get("/v1/orders?limit=3&cursor=ord_p6", headers=auth("buyer", "buyer_1")).json()
    assert ([o["id"] for o in last["items"]], last["next_cursor"]) == (["ord_p7"], None)
    assert_problem(client.get("/v1/orders?limit=201", headers=auth("buyer", "buyer_1")), 422, "validation_failed")


def test_agents_filter_orders_by_buyer_kind_and_status(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_f1", buyer="buyer_1", kind="card_key"))
    push(client, auth, order_payload("ord_f2", buyer="buyer_1", kind="direct_topup", delivery="failed"))
    push(client, auth, order_payload("ord_f3", buyer="buyer_2", kind="direct_topup"))
    push(client, auth, order_payload("ord_f4", buyer="buyer_2", kind="membership", delivery="pending"))
    push(client, auth, order_payload("ord_f5", buyer="buyer_3", kind="manual_topup", delivery="failed"))
    agent = auth("agent", "agent_1")

    def ids(query: str, headers: dict[str, str] = agent) -> list[str]:
        response = client.get(f"/v1/orders{query}", headers=headers)
        assert response.status_code == 200, response.text
        return [o["id"] for o in response.json()["items"]]

    assert ids("") == ["ord_f1", "ord_f2", "ord_f3", "ord_f4", "ord_f5"]
    assert ids("?buyer_id=buyer_2") == ["ord_f3", "ord_f4"]
    assert ids("?product_kind=direct_topup") == ["ord_f2", "ord_f3"]
    assert ids("?status=failed") == ["ord_f2", "ord_f5"]
    assert ids("?status=pending") == ["ord_f4"]
    assert ids("?buyer_id=buyer_1&product_kind=direct_topup&status=failed") == ["ord_f2"]
    assert ids("?buyer_id=buyer_9") == []
    assert ids("?product_kind=card_key", auth("admin", "root")) == ["ord_f1"]
    # A buyer's filter never widens past their own orders.
    assert ids("?buyer_id=buyer_2", auth("buyer", "buyer_1")) == ["ord_f1", "ord_f2"]
    assert_problem(client.get("/v1/orders?product_kind=gift", headers=agent), 422, "validation_failed")
    assert_problem(client.get("/v1/orders?status=lost", headers=agent), 422, "validation_failed")


def test_agents_filter_cases_by_status(client: TestClient, auth: Auth) -> None:
    waiting = manual_review_case(client, auth, "ord_c1")
    push(client, auth, order_payload("ord_c2", delivery="failed"))
    refunded = client.post(
        "/v1/refund-cases", json={"order_id": "ord_c2", "reason": "not_delivered"}, headers=auth("buyer", "buyer_1")
    ).json()["id"]
    agent = auth("agent", "agent_1")

    def ids(query: str) -> list[str]:
        return [c["id"] for c in client.get(f"/v1/refund-cases{query}", headers=agent).json()["items"]]

    assert ids("?status=manual_review") == [waiting]
    assert ids("?status=refunded") == [refunded]
    assert ids("?status=refunded&status=manual_review") == sorted([waiting, refunded])
    assert ids("?status=arbitration") == []
    assert_problem(client.get("/v1/refund-cases?status=lost", headers=agent), 422, "validation_failed")


# ---------------------------------------------------------------- claims and decisions


def test_unknown_items_in_a_claim_are_refused(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_v4", items=2))
    buyer = auth("buyer", "buyer_1")
    body = {"order_id": "ord_v4", "reason": "card_invalid", "item_ids": ["ord_v4_i0", "ord_v9_i0", "zzz"]}
    problem = assert_problem(client.post("/v1/refund-cases", json=body, headers=buyer), 422, "unknown_items")
    assert problem["unknown"] == ["ord_v9_i0", "zzz"]
    check = client.post(
        "/v1/orders/ord_v4/refund-precheck", json={"reason": "card_invalid", "item_ids": ["x"]}, headers=buyer
    )
    assert assert_problem(check, 422, "unknown_items")["unknown"] == ["x"]
    twice = {"order_id": "ord_v4", "reason": "card_invalid", "item_ids": ["ord_v4_i0", "ord_v4_i0"]}
    assert_problem(client.post("/v1/refund-cases", json=twice, headers=buyer), 422, "invalid_input")
    assert count_rows(system.engine, "cases") == 0
    assert count_rows(system.engine, "case_items") == 0


def test_unknown_reason_codes_in_a_decision_are_refused(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_v1")
    agent = auth("agent", "agent_1")
    before = client.get(f"/v1/refund-cases/{case_id}", headers=agent).json()

    bad = {"action": "approve", "reason_codes": ["goodwill", "because_i_said_so"], "note": ""}
    problem = assert_problem(
        client.post(f"/v1/refund-cases/{case_id}/decisions", json=bad, headers=agent), 422, "invalid_input"
    )
    assert problem["unknown"] == ["because_i_said_so"]
    for body in (
        {"action": "approve", "reason_codes": []},
        {"action": "manual_review", "reason_codes": ["goodwill"]},
        {"action": "approve", "reason_codes": ["goodwill"], "extra": True},
    ):
        response = client.post(f"/v1/refund-cases/{case_id}/decisions", json=body, headers=agent)
        assert_problem(response, 422, "validation_failed")

    assert client.get(f"/v1/refund-cases/{case_id}", headers=agent).json() == before
    assert count_rows(system.engine, "decisions") == 1
    assert count_rows(system.engine, "payouts") == 0


@pytest.mark.parametrize("key", ["   ", "\t"])
def test_a_blank_idempotency_key_is_refused(client: TestClient, auth: Auth, system: System, key: str) -> None:
    push(client, auth, order_payload("ord_v5", delivery="failed"))
    response = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_v5", "reason": "not_delivered"},
        headers=auth("buyer", "buyer_1", **{"Idempotency-Key": key}),
    )
    assert_problem(response, 422, "invalid_input")
    assert count_rows(system.engine, "cases") == 0
    assert count_rows(system.engine, "idempotency_keys") == 0


def test_an_overlong_idempotency_key_is_refused(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_v5", delivery="failed"))
    response = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_v5", "reason": "not_delivered"},
        headers=auth("buyer", "buyer_1", **{"Idempotency-Key": "k" * 201}),
    )
    assert_problem(response, 422, "validation_failed")
    assert count_rows(system.engine, "cases") == 0


def test_the_original_route_is_unavailable_until_a_gateway_is_configured(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_r1", delivery="failed", route="alipay", amount_fen=3000))
    buyer = auth("buyer", "buyer_1")
    check = client.post("/v1/orders/ord_r1/refund-precheck", json={"reason": "not_delivered"}, headers=buyer).json()
    assert check["routes"] == ["balance"]

    original = {"order_id": "ord_r1", "reason": "not_delivered", "route": "original"}
    problem = assert_problem(client.post("/v1/refund-cases", json=original, headers=buyer), 422, "route_unavailable")
    assert problem["route"] == "alipay"
    assert count_rows(system.engine, "cases") == 0

    balance = file_case(client, auth, {**original, "route": "balance"})
    assert (balance["route"], balance["status"]) == ("balance", "refunded")
    assert balance["payout"]["route"] == "balance"
    assert client.get("/v1/ledger/accounts/buyer:buyer_1", headers=buyer).json()["balance_fen"] == 3000


# ---------------------------------------------------------------- policies


def test_a_published_policy_applies_to_new_cases_while_older_ones_keep_theirs(
    client: TestClient, auth: Auth, system: System, dispatcher: InlineRelay
) -> None:
    buyer = auth("buyer", "buyer_1")
    push(client, auth, order_payload("ord_pol1", delivery="pending"))
    push(client, auth, order_payload("ord_pol2", delivery="pending"))
    # Filed under version 1, judged only after version 2 is out.
    dispatcher.run = False
    old = client.post("/v1/refund-cases", json={"order_id": "ord_pol1", "reason": "mistaken_purchase"}, headers=buyer)
    assert (old.json()["status"], old.json()["policy_version"], old.json()["fee_fen"]) == ("submitted", 1, 100)

    document = default_policy()
    document["title"] = "卡盟标准退卡政策 v2"
    rule = next(r for r in document["card_key"] if r["reason"] == "mistaken_purchase")
    rule["fee"] = {"kind": "actual_cost", "fen": 250}
    rule["auto_approve_max_fen"] = 0
    publishing = system.ctx.clock.now()
    published = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
    assert (published.status_code, published.json()) == (201, {"version": 2, "title": "卡盟标准退卡政策 v2"})

    dispatcher.run = True
    machine_review(system.ctx, old.json()["id"])
    kept = client.get(f"/v1/refund-cases/{old.json()['id']}", headers=buyer).json()
    assert (kept["status"], kept["policy_version"], kept["fee_fen"]) == ("refunded", 1, 100)
    assert kept["payout"]["amount_fen"] == 9900

    new = file_case(client, auth, {"order_id": "ord_pol2", "reason": "mistaken_purchase"})
    assert (new["status"], new["policy_version"], new["fee_fen"]) == ("manual_review", 2, 250)
    assert [c["code"] for c in new["reason_codes"]] == ["amount_above_auto_limit", "buyer_fault_fee"]

    shown = client.get("/v1/orders/ord_pol2/refund-policy", headers=buyer).json()
    assert (shown["policy_version"], shown["title"]) == (2, "卡盟标准退卡政策 v2")
    # In force from its publication: the version a buyer reads is dated.
    assert datetime.fromisoformat(shown["in_force_since"]) >= publishing
    fee = next(r["fee"] for r in shown["rules"] if r["reason"] == "mistaken_purchase")
    assert (fee["kind"], fee["fen"]) == ("actual_cost", 250)
    precheck = client.post("/v1/orders/ord_pol2/refund-precheck", json={"reason": "not_delivered"}, headers=buyer)
    assert precheck.json()["policy_version"] == 2
    assert count_rows(system.engine, "policies") == 2


def _without_title(doc: dict[str, Any]) -> None:
    del doc["title"]


def _unknown_top_level(doc: dict[str, Any]) -> None:
    doc["gift_card"] = []


def _missing_reason(doc: dict[str, Any]) -> None:
    doc["card_key"] = [r for r in doc["card_key"] if r["reason"] != "other"]


def _bad_fee(doc: dict[str, Any]) -> None:
    doc["card_key"][0]["fee"] = {"kind": "whatever"}


def _negative_window(doc: dict[str, Any]) -> None:
    doc["card_key"][0]["window_hours"] = -1


def _duplicate_reason(doc: dict[str, Any]) -> None:
    doc["card_key"].append(copy.deepcopy(doc["card_key"][0]))


def _anchor_that_never_comes(doc: dict[str, Any]) -> None:
    doc["direct_topup"][0]["anchor"] = "activated_at"  # a top-up is never activated


BAD_POLICIES = [
    _without_title,
    _unknown_top_level,
    _missing_reason,
    _bad_fee,
    _negative_window,
    _duplicate_reason,
    _anchor_that_never_comes,
]


@pytest.mark.parametrize("mutate", BAD_POLICIES, ids=[f.__name__.strip("_") for f in BAD_POLICIES])
def test_an_invalid_policy_is_refused_and_no_version_is_published(
    client: TestClient, auth: Auth, system: System, mutate: Callable[[dict[str, Any]], None]
) -> None:
    push(client, auth, order_payload("ord_pol3"))
    document = default_policy()
    mutate(document)
    response = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
    problem = assert_problem(response, 422, "policy_invalid")
    assert problem["errors"]
    assert count_rows(system.engine, "policies") == 1
    shown = client.get("/v1/orders/ord_pol3/refund-policy", headers=auth("buyer", "buyer_1")).json()
    assert shown["policy_version"] == 1
    # The next valid publication still gets version 2.
    again = client.post("/v1/policies", json={"document": default_policy()}, headers=auth("admin", "root"))
    assert again.json()["version"] == 2


@pytest.mark.parametrize("role", ["buyer", "agent", "arbitrator", "merchant", "platform"])
def test_only_an_admin_publishes_a_policy(client: TestClient, auth: Auth, system: System, role: str) -> None:
    response = client.post("/v1/policies", json={"document": default_policy()}, headers=auth(role, "someone"))
    assert_problem(response, 403, "forbidden")
    assert count_rows(system.engine, "policies") == 1


@pytest.mark.parametrize(
    ("change", "en", "zh"),
    [
        (
            {"delivery": {"status": "delivered", "delivered_at": "2020-01-01T00:00:00Z"}},
            "before paid_at",
            "发货时间早于付款时间",
        ),
        ({"amount_fen": 0}, None, None),
        ({"delivery": {"status": "delivered", "delivered_at": None}}, "is required when", "必须给出发货时间"),
    ],
)
def test_an_inconsistent_order_says_what_is_wrong_in_chinese_too(
    client: TestClient, auth: Auth, change: dict[str, Any], en: str | None, zh: str | None
) -> None:
    body = order_payload("ord_inc1") | change
    refused = client.post("/v1/orders", json=body, headers=auth("platform", "host"))

    assert_problem(refused, 422, "validation_failed")
    [issue] = refused.json()["errors"]
    if en is not None:
        assert en in issue["msg"]
        assert zh in issue["msg_zh"]
    assert issue["msg_zh"] != "取值无效"
    assert client.get("/v1/orders/ord_inc1", headers=auth("admin", "root")).status_code == 404
