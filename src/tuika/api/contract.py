"""What /openapi.json promises about errors: one Problem schema, and per operation the statuses it can answer.

An operation's error statuses come from two places. What its use case raises is named on the
route, ``responses=answers(Forbidden, Conflict)``, and ``errors.status_of`` gives each its status.
What its own parameters imply is read off the route when the document is built: a bearer token
(401), a path id the use case looks up (404), a body (400 when unreadable, 413 past the size
limit, 422), query or header parameters (422). Any operation can fail unexpectedly (500). Nothing else is documented.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any, Final

from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts

from tuika.http import deps
from tuika.http.errors import PROBLEM, status_of

Responses = dict[int | str, dict[str, Any]]

_SCHEMAS: Final = "#/components/schemas/"
_DESCRIPTIONS: Final = {
    400: "The body could not be read: JSON that is not UTF-8, or broken multipart (body_unreadable)",
    401: "No bearer token, or one that is invalid or expired (token_missing, token_invalid, token_expired)",
    403: "The caller's role may not do this (forbidden)",
    404: "Not found, or not the caller's to see (not_found)",
    409: "The current state refuses it; `code` says why",
    413: "The body or the file is too large (body_too_large, evidence_too_large)",
    415: "Not a PNG, JPEG or WebP image (evidence_type_not_allowed)",
    422: "The input is invalid: validation_failed with `errors`, or the code of the rule it breaks",
    500: "Internal error, logged (internal_error)",
}


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


ISSUE: Final[dict[str, Any]] = {
    "title": "ValidationIssue",
    "type": "object",
    "required": ["loc", "msg", "msg_zh", "type"],
    "properties": {
        "loc": _strings("Where: body, query, path or header, then the field's path"),
        "msg": {"type": "string", "description": "What is wrong, in English"},
        "msg_zh": {"type": "string", "description": "What is wrong, in Chinese (zh-CN)"},
        "type": {"type": "string", "description": "Stable kind, such as missing, extra_forbidden or datetime_iso8601"},
    },
}
PROBLEM_SCHEMA: Final[dict[str, Any]] = {
    "title": "Problem",
    "description": "Every error of API v1: RFC 9457 problem details, in English and Chinese, with a stable code.",
    "type": "object",
    "required": ["type", "title", "title_zh", "status", "detail", "code"],
    "properties": {
        "type": {
            "type": "string",
            "pattern": "^urn:tuika:problem:[a-z0-9_]+$",
            "description": "urn:tuika:problem:<code>",
        },
        "title": {"type": "string", "description": "What went wrong, in English"},
        "title_zh": {"type": "string", "description": "What went wrong, in Chinese (zh-CN)"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "This occurrence, in English: the field, the id or the limit"},
        "code": {"type": "string", "pattern": "^[a-z0-9_]+$", "description": "Stable; see docs/api.md"},
        "errors": {
            "type": "array",
            "items": {"anyOf": [{"$ref": _SCHEMAS + "ValidationIssue"}, {"type": "string"}]},
            "description": "validation_failed: each invalid input; policy_invalid: each broken rule, as text",
        },
        "unknown": _strings("unknown_items, invalid_input: the item ids or reason codes not known"),
        "route": {"type": "string", "description": "route_unavailable: the payment route with no gateway"},
        "fields": _strings("order_has_claims: the order's fields that can no longer change"),
        "items": _strings("items_already_claimed: the items already in another claim"),
        "item_ids": _strings("invalid_input: the item ids as sent, one of them twice"),
        "item": {"type": "string", "description": "over_refund: the item whose refunds would pass its price"},
        "paid": {"type": "integer", "description": "over_refund: fen paid for the order"},
        "total": {"type": "integer", "description": "over_refund: fen refunded with this refund"},
        "old": {"type": "string", "description": "illegal_transition: the case's status"},
        "new": {"type": "string", "description": "illegal_transition: the status asked for"},
        "supplier": {"type": "string", "description": "supplier_unavailable: the supplier that did not answer"},
    },
}
BEARER: Final = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def problem_response(status: int) -> dict[str, Any]:
    """Return the OpenAPI response of an error status: a problem, described."""
    return {"description": _DESCRIPTIONS[status], "content": {PROBLEM: {"schema": {"$ref": _SCHEMAS + "Problem"}}}}


def answers(*raised: type[Exception]) -> Responses:
    """Return an operation's ``responses=`` for the errors its use case raises, one problem per status."""
    return {status: problem_response(status) for status in sorted({status_of(kind) for kind in raised})}


def _parts(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _parts(sub)


def implied(route: RouteContext) -> set[int]:
    """Return the error statuses a route's own parameters and dependencies imply."""
    parts = list(_parts(route.dependant))
    statuses = {500}
    if any(part.call is deps.actor for part in parts):
        statuses.add(401)
    if any(part.path_params for part in parts):
        statuses.add(404)
    if any(part.query_params or part.header_params or part.cookie_params for part in parts):
        statuses.add(422)
    bodies = [field for part in parts for field in part.body_params]
    if bodies:
        statuses |= {400, 413, 422}
    if any(isinstance(field.field_info, params.File) for field in bodies):
        statuses.add(415)
    return statuses


def _declared(route: RouteContext) -> set[int]:
    return {int(status) for status in route.responses if str(status).isdigit() and int(status) >= 400}


def _rewrite(app: FastAPI, document: dict[str, Any]) -> None:
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
            continue
        statuses = sorted(implied(route) | _declared(route))
        for method in route.methods or ():
            operation = document["paths"][route.path_format][method.lower()]
            # FastAPI's own 422 (HTTPValidationError) goes too: this app answers validation as a problem.
            kept = {k: v for k, v in operation["responses"].items() if not (k.isdigit() and int(k) >= 400)}
            operation["responses"] = kept | {str(status): problem_response(status) for status in statuses}
            if 401 in statuses:
                operation["security"] = [{"bearer": []}]
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(Problem=copy.deepcopy(PROBLEM_SCHEMA), ValidationIssue=copy.deepcopy(ISSUE))
    components["securitySchemes"] = {"bearer": dict(BEARER)}


def install(app: FastAPI) -> None:
    """Have the app's OpenAPI document name every operation's problems and the bearer scheme."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI keeps the document it built and builds it anew only when routes change.
        document = generate()
        if "Problem" not in document.get("components", {}).get("schemas", {}):
            _rewrite(app, document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
