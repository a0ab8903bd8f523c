"""The contract of API v1 as /openapi.json states it, held against the routes and what the app really answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from tests.support.api import manual_review_case
from tests.support.factories import PROBLEM_KEYS, assert_problem, order_payload, png_bytes
from tuika.app import create_app
from tuika.bootstrap import build
from tuika.http import deps
from tuika.settings import Settings

Auth = Callable[..., dict[str, str]]
PROBLEM = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"
MAX_BYTES = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings with a small upload limit, so a 413 is cheap to provoke."""
    return Settings(
        demo=True, data_dir=tmp_path / "data", database_url=db_url, evidence_max_bytes=MAX_BYTES, ocr_engine="off"
    )


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """Return one app for the tests that only read its routes and its document."""
    where = tmp_path_factory.mktemp("contract")
    settings = Settings(
        demo=True, data_dir=where / "data", database_url=f"sqlite:///{where / 'tuika.db'}", ocr_engine="off"
    )
    system = build(settings, migrate=True)
    yield create_app(system)
    system.engine.dispose()


@pytest.fixture(scope="module")
def document(app: FastAPI) -> dict[str, Any]:
    with TestClient(app) as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


# ---------------------------------------------------------------- what the dependencies imply


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _walk(sub)


def implied(route: Any) -> set[int]:
    """Return the error statuses a route's own parameters and dependencies can answer, read off its dependant."""
    parts = list(_walk(route.dependant))
    statuses = {500}
    if any(d.call is deps.actor for d in parts):
        statuses.add(401)
    if any(d.path_params for d in parts):
        statuses.add(404)
    if any(d.query_params or d.header_params or d.cookie_params for d in parts):
        statuses.add(422)
    bodies = [f for d in parts for f in d.body_params]
    if bodies:
        statuses |= {400, 413, 422}
    if any(isinstance(f.field_info, params.File) for f in bodies):
        statuses.add(415)
    return statuses


def documented_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    """Return (method, path, route) of every operation the document should hold."""
    found = []
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            found += [(method.lower(), context.path_format, context) for method in sorted(context.methods)]
    return found


def error_statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"] if int(status) >= 400}


def test_every_operation_documents_the_errors_its_dependencies_imply(app: FastAPI, document: dict[str, Any]) -> None:
    routes = documented_routes(app)
    assert len(routes) == 53
    missing = {
        f"{method.upper()} {path}": sorted(implied(route) - error_statuses(document["paths"][path][method]))
        for method, path, route in routes
    }
    assert {op: gap for op, gap in missing.items() if gap} == {}
    documented = {(method, path) for path, ops in document["paths"].items() for method in ops}
    assert documented == {(method, path) for method, path, _ in routes}


# Honest per operation: 403 only where the use case checks the role, 404 where it looks
# something up, 409 where the state can refuse, 400 and 422 only where there is input to refuse.
EXPECTED_ERRORS: dict[str, list[int]] = {
    "GET /healthz": [500],
    "POST /v1/evidence": [400, 401, 403, 413, 415, 422, 500],
    "GET /v1/evidence/{evidence_id}": [401, 404, 500],
    "GET /v1/evidence/{evidence_id}/content": [401, 404, 500],
    "GET /v1/ledger/accounts/{account}": [401, 403, 404, 422, 500],
    "POST /v1/policies": [400, 401, 403, 413, 422, 500],
    "POST /v1/ledger/deposits": [400, 401, 403, 409, 413, 422, 500],
    "GET /v1/ledger/balances": [401, 403, 422, 500],
    "GET /v1/ledger/balances/{party}": [401, 403, 404, 422, 500],
    "POST /v1/orders": [400, 401, 403, 409, 413, 422, 500],
    "GET /v1/orders": [401, 403, 422, 500],
    "GET /v1/orders/{order_id}": [401, 404, 500],
    "GET /v1/orders/{order_id}/refund-policy": [401, 404, 500],
    "POST /v1/orders/{order_id}/refund-precheck": [400, 401, 404, 413, 422, 500],
    "POST /v1/orders/{order_id}/items/{item_id}/reveal": [401, 404, 500],
    "POST /v1/refund-cases": [400, 401, 403, 404, 409, 413, 422, 500],
    "GET /v1/refund-cases": [401, 403, 422, 500],
    "GET /v1/refund-cases/{case_id}": [401, 404, 500],
    "POST /v1/refund-cases/{case_id}/withdraw": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/refund-cases/{case_id}/appeal": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/refund-cases/{case_id}/contest": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/refund-cases/{case_id}/merchant-responses": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/refund-cases/{case_id}/replacement": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/merchant/replacement-stock": [400, 401, 403, 409, 413, 422, 500],
    "GET /v1/merchant/replacement-stock": [401, 403, 500],
    "POST /v1/refund-cases/{case_id}/evidence": [400, 401, 403, 404, 409, 413, 422, 500],
    "POST /v1/refund-cases/{case_id}/decisions": [400, 401, 403, 404, 409, 413, 422, 500],
    "GET /v1/review-queue": [401, 403, 422, 500],
    "POST /v1/payouts/{payout_id}/redirect-to-balance": [401, 403, 404, 409, 500],
    "POST /v1/payouts/{payout_id}/resolve-abnormal": [401, 403, 404, 409, 500],
    "POST /v1/finance/alerts/{alert_id}/resolve": [400, 401, 403, 404, 409, 413, 422, 500],
    "GET /v1/finance/refunds": [401, 403, 500],
    "GET /v1/admin/events": [401, 403, 422, 500],
    "GET /v1/admin/events/{event_id}": [401, 403, 404, 500],
    "POST /v1/admin/events/{event_id}/retry": [401, 403, 404, 500],
    "GET /v1/events": [401, 403, 422, 500],
    "GET /v1/inbox": [401, 403, 422, 500],
    "POST /v1/inbox/read-all": [401, 403, 500],
    "POST /v1/inbox/{message_id}/read": [401, 403, 404, 500],
    "GET /v1/me/notifications": [401, 403, 500],
    "PATCH /v1/me/notifications": [400, 401, 403, 413, 422, 500],
    "GET /v1/devices": [401, 403, 500],
    "POST /v1/devices": [400, 401, 403, 413, 422, 500],
    "DELETE /v1/devices/{device_id}": [401, 403, 404, 500],
    "GET /v1/webhook-endpoints": [401, 403, 500],
    "POST /v1/webhook-endpoints": [400, 401, 403, 409, 413, 422, 500],
    "GET /v1/webhook-endpoints/{endpoint_id}": [401, 403, 404, 500],
    "PATCH /v1/webhook-endpoints/{endpoint_id}": [400, 401, 403, 404, 413, 422, 500],
    "DELETE /v1/webhook-endpoints/{endpoint_id}": [401, 403, 404, 500],
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": [400, 401, 403, 404, 413, 422, 500],
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries": [401, 403, 404, 422, 500],
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}": [401, 403, 404, 500],
    "POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry": [401, 403, 404, 409, 500],
}


def test_each_operation_documents_exactly_the_errors_it_can_answer(document: dict[str, Any]) -> None:
    found = {
        f"{method.upper()} {path}": sorted(error_statuses(operation))
        for path, ops in document["paths"].items()
        for method, operation in ops.items()
    }
    assert found == EXPECTED_ERRORS


def test_every_error_response_is_a_problem_and_nothing_else(document: dict[str, Any]) -> None:
    wrong = [
        (method, path, status, response)
        for path, ops in document["paths"].items()
        for method, operation in ops.items()
        for status, response in operation["responses"].items()
        if int(status) >= 400 and response.get("content") != {PROBLEM: {"schema": {"$ref": PROBLEM_REF}}}
    ]
    assert wrong == []
    assert all(
        response["description"]
        for ops in document["paths"].values()
        for operation in ops.values()
        for response in operation["responses"].values()
    )
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert "ValidationError" not in schemas
    assert "HTTPValidationError" not in str(document)


def test_the_problem_schema_names_every_member_the_errors_carry(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]
    assert problem["type"] == "object"
    assert problem["required"] == ["type", "title", "title_zh", "status", "detail", "code"]
    assert sorted(problem["properties"]) == sorted(
        [
            *PROBLEM_KEYS,
            "errors",
            "unknown",
            "route",
            "fields",
            "items",
            "item_ids",
            "item",
            "paid",
            "total",
            "old",
            "new",
            "supplier",
        ]
    )
    issue = document["components"]["schemas"]["ValidationIssue"]
    assert issue["required"] == ["loc", "msg", "msg_zh", "type"]
    assert problem["properties"]["errors"]["items"] == {
        "anyOf": [{"$ref": "#/components/schemas/ValidationIssue"}, {"type": "string"}]
    }


def test_an_order_push_documents_both_its_answers(document: dict[str, Any]) -> None:
    responses = document["paths"]["/v1/orders"]["post"]["responses"]
    synced = {"application/json": {"schema": {"$ref": "#/components/schemas/OrderSynced"}}}
    assert (responses["200"]["content"], responses["201"]["content"]) == (synced, synced)
    assert (responses["200"]["description"], responses["201"]["description"]) == (
        "The order was known and is updated",
        "The order was new and is stored",
    )


def test_authenticated_operations_name_the_bearer_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    for path, ops in document["paths"].items():
        for operation in ops.values():
            expected = [{"bearer": []}] if "401" in operation["responses"] else None
            assert operation.get("security") == expected, path


# ---------------------------------------------------------------- real answers against the schema


def conforms(value: Any, schema: dict[str, Any], document: dict[str, Any], where: str = "") -> list[str]:
    """Return how ``value`` breaks ``schema`` (the subset of JSON Schema the document uses); empty if it conforms."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/components/schemas/")
        return conforms(value, document["components"]["schemas"][name], document, where)
    if "anyOf" in schema:
        fits = any(not conforms(value, option, document, where) for option in schema["anyOf"])
        return [] if fits else [f"{where}: {value!r} fits none of {schema['anyOf']}"]
    kinds = {"string": str, "integer": int, "array": list, "object": dict, "boolean": bool}
    kind = schema.get("type")
    if kind is not None and (not isinstance(value, kinds[kind]) or (kind == "integer" and isinstance(value, bool))):
        return [f"{where}: {value!r} is not {kind}"]
    broken = []
    if "pattern" in schema and not re.search(schema["pattern"], value):
        broken.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if "minimum" in schema and value < schema["minimum"]:
        broken.append(f"{where}: {value!r} < {schema['minimum']}")
    if "maximum" in schema and value > schema["maximum"]:
        broken.append(f"{where}: {value!r} > {schema['maximum']}")
    if kind == "array":
        for n, item in enumerate(value):
            broken += conforms(item, schema.get("items", {}), document, f"{where}[{n}]")
    if kind == "object":
        properties = schema.get("properties", {})
        broken += [f"{where}: {name} is missing" for name in schema.get("required", []) if name not in value]
        if schema.get("additionalProperties") is False:
            broken += [f"{where}: {name} is not documented" for name in value if name not in properties]
        for name, member in value.items():
            if name in properties:
                broken += conforms(member, properties[name], document, f"{where}.{name}")
    return broken


def test_real_error_answers_fit_the_documented_problem(
    client: TestClient, auth: Auth, document: dict[str, Any]
) -> None:
    case_id = manual_review_case(client, auth, "ord_k1")
    buyer, platform = auth("buyer", "buyer_1"), auth("platform", "host")
    late = order_payload("ord_k2", paid_at=0)
    samples: list[tuple[Any, int, str, str | None, set[str]]] = [
        (client.get("/v1/orders"), 401, "token_missing", "get /v1/orders", set()),
        (client.get("/v1/review-queue", headers=buyer), 403, "forbidden", "get /v1/review-queue", set()),
        (client.get("/v1/orders/ord_nope", headers=buyer), 404, "not_found", "get /v1/orders/{order_id}", set()),
        (client.delete("/v1/orders", headers=buyer), 405, "method_not_allowed", None, set()),
        (
            client.post(f"/v1/refund-cases/{case_id}/appeal", headers=buyer),
            409,
            "appeal_not_allowed",
            "post /v1/refund-cases/{case_id}/appeal",
            set(),
        ),
        (
            client.post("/v1/evidence", files={"file": ("e.png", png_bytes() + b"\0" * MAX_BYTES)}, headers=buyer),
            413,
            "evidence_too_large",
            "post /v1/evidence",
            set(),
        ),
        (
            client.post("/v1/evidence", files={"file": ("e.png", b"\0" * (2 * MAX_BYTES))}, headers=buyer),
            413,
            "body_too_large",
            "post /v1/evidence",
            set(),
        ),
        (
            client.post("/v1/evidence", files={"file": ("a.txt", b"hi", "text/plain")}, headers=buyer),
            415,
            "evidence_type_not_allowed",
            "post /v1/evidence",
            set(),
        ),
        (
            client.post(
                "/v1/orders", content=b'{"id": "\xff"}', headers={**platform, "Content-Type": "application/json"}
            ),
            400,
            "body_unreadable",
            "post /v1/orders",
            set(),
        ),
        (
            client.post("/v1/orders", json=late, headers=platform),
            422,
            "validation_failed",
            "post /v1/orders",
            {"errors"},
        ),
        (
            client.post(
                "/v1/orders/ord_k1/refund-precheck", json={"reason": "card_invalid", "item_ids": ["x"]}, headers=buyer
            ),
            422,
            "unknown_items",
            "post /v1/orders/{order_id}/refund-precheck",
            {"unknown"},
        ),
        (
            client.get("/v1/ledger/accounts/nobody", headers=auth("admin", "root")),
            422,
            "invalid_input",
            "get /v1/ledger/accounts/{account}",
            set(),
        ),
        (
            client.get("/v1/ledger/balances/merchant:", headers=auth("admin", "root")),
            422,
            "invalid_input",
            "get /v1/ledger/balances/{party}",
            set(),
        ),
        (
            client.get("/v1/ledger/balances", params={"party": "buyer"}, headers=auth("admin", "root")),
            422,
            "validation_failed",
            "get /v1/ledger/balances",
            {"errors"},
        ),
    ]
    schema = {"$ref": PROBLEM_REF}
    for response, status, code, operation, extra in samples:
        body = assert_problem(response, status, code)
        assert conforms(body, schema, document) == [], body
        assert set(body) == PROBLEM_KEYS | extra, body
        if operation is not None:
            method, path = operation.split(" ")
            assert str(status) in document["paths"][path][method]["responses"], operation


def test_a_validation_issue_fits_its_documented_shape(client: TestClient, auth: Auth, document: dict[str, Any]) -> None:
    response = client.post("/v1/orders", json=order_payload("ord_k3", amount_fen=-5), headers=auth("platform", "p"))
    problem = assert_problem(response, 422, "validation_failed")
    assert problem["errors"] == [
        {
            "loc": ["body", "amount_fen"],
            "msg": "Input should be greater than or equal to 1",
            "msg_zh": "应大于或等于 1",
            "type": "greater_than_equal",
        }
    ]
    assert conforms(problem, {"$ref": PROBLEM_REF}, document) == []


# ---------------------------------------------------------------- 405 and Allow


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/v1/orders", "GET, POST"),
        ("HEAD", "/v1/orders", "GET, POST"),
        ("PATCH", "/v1/refund-cases", "GET, POST"),
        ("PUT", "/v1/orders/ord_1", "GET"),
        ("GET", "/v1/refund-cases/rc_1/appeal", "POST"),
        ("GET", "/v1/notify/alipay", "POST"),
        ("POST", "/healthz", "GET"),
        ("POST", "/openapi.json", "GET, HEAD"),
        ("DELETE", "/static/console.css", "GET, HEAD"),
        ("PUT", "/orders/ord_1/claim", "GET, POST"),
    ],
)
def test_a_method_not_allowed_names_the_methods_the_path_takes(
    app: FastAPI, method: str, path: str, allow: str
) -> None:
    with TestClient(app) as client:
        response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    if method != "HEAD":
        assert_problem(response, 405, "method_not_allowed")


def test_every_path_answers_405_with_its_own_allow(app: FastAPI) -> None:
    contexts = [c for c in iter_route_contexts(app.routes) if getattr(c, "methods", None)]
    wrong = {}
    with TestClient(app) as client:
        for context in contexts:
            path = re.sub(r"\{[^}]+\}", "x", context.path_format)
            takes = set().union(*(c.methods for c in contexts if c.path_regex.match(path)))
            method = next(m for m in ("PATCH", "PUT", "DELETE") if m not in takes)
            response = client.request(method, path)
            if (response.status_code, response.headers.get("allow")) != (405, ", ".join(sorted(takes))):
                wrong[f"{method} {path}"] = (response.status_code, response.headers.get("allow"))
    assert wrong == {}
