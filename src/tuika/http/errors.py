"""The only place that maps an error to an HTTP status: RFC 9457 problem+json, zh-CN and en."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from tuika.domain.errors import (
    BodyTooLarge,
    CardKeyUnreadable,
    CipherError,
    Conflict,
    EvidenceAnimated,
    EvidenceCorrupt,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTooLargeDecoded,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
    Forbidden,
    InvalidInput,
    LedgerUnbalanced,
    NotFound,
    SignInRefused,
    SupplierUnavailable,
    TokenRejected,
    TuikaError,
)
from tuika.http.issues import issue

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

# First match wins, so a narrower kind comes before the kind it narrows (evidence before InvalidInput).
_STATUS: list[tuple[type[TuikaError], int]] = [
    (TokenRejected, 401),
    (SignInRefused, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (BodyTooLarge, 413),
    (EvidenceTooLarge, 413),
    (EvidenceTypeNotAllowed, 415),
    (EvidenceAnimated, 415),
    (EvidenceTooManyPixels, 422),
    (EvidenceTooLargeDecoded, 422),
    (EvidenceCorrupt, 422),
    (InvalidInput, 422),
    (LedgerUnbalanced, 500),
    (CardKeyUnreadable, 500),
    # Review catches it and hands the case to a person; it is never an answer of its own.
    (SupplierUnavailable, 500),
]


_HTTP_CODES = {
    # FastAPI and Starlette answer 400 only for a body they cannot read: JSON that is not
    # UTF-8, or broken multipart. JSON that is text but does not parse is a 422 validation_failed.
    400: ("body_unreadable", "The request body could not be read", "无法读取请求体"),
    404: ("route_not_found", "No such endpoint", "接口不存在"),
    405: ("method_not_allowed", "Method not allowed", "不支持该请求方法"),
    413: ("body_too_large", "The request body is too large", "请求体过大"),
}


def problem(status: int, code: str, title: str, title_zh: str, detail: str, **extra: Any) -> JSONResponse:
    """Return a problem+json response."""
    body = {
        "type": f"urn:tuika:problem:{code}",
        "title": title,
        "title_zh": title_zh,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def status_for(exc: Exception) -> int:
    """Return the HTTP status of a known error."""
    return status_of(type(exc))


def status_of(error: type[Exception]) -> int:
    """Return the HTTP status of a kind of error."""
    for kind, status in _STATUS:
        if issubclass(error, kind):
            return status
    return 500


def allowed_methods(request: Request) -> str:
    """Return the methods the app takes at this request's path, as a 405's ``Allow`` lists them (RFC 9110)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        # A path may be served by several routes, one per method; each alone knows only its own.
        taken = getattr(route, "methods", None)
        if taken and route.matches(request.scope)[0] is not Match.NONE:
            methods |= taken
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    """Register the handlers that turn errors into problems."""

    @app.exception_handler(TuikaError)
    async def _domain(request: Request, exc: TuikaError) -> JSONResponse:
        extra = {k: v for k, v in exc.facts.items() if isinstance(v, str | int | list)}
        return problem(status_for(exc), exc.code, exc.title, exc.title_zh, exc.detail, **extra)

    @app.exception_handler(TokenRejected)
    async def _token(request: Request, exc: TokenRejected) -> JSONResponse:
        return problem(401, exc.code, exc.title, exc.title_zh, str(exc) or exc.title)

    @app.exception_handler(EvidenceRejected)
    async def _evidence(request: Request, exc: EvidenceRejected) -> JSONResponse:
        return problem(status_for(exc), exc.code, exc.title, exc.title_zh, str(exc) or exc.title)

    @app.exception_handler(CipherError)
    async def _cipher(request: Request, exc: CipherError) -> JSONResponse:
        log.error("a card key or account could not be decrypted: %s", type(exc).__name__)
        told = CardKeyUnreadable
        return problem(
            status_of(told),
            told.code,
            told.title,
            told.title_zh,
            "Check TUIKA_CARD_KEYS: a key id used by stored data is missing",
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [issue(e) for e in exc.errors()]
        detail = "; ".join(".".join(e["loc"]) + ": " + str(e["msg"]) for e in errors)
        return problem(422, "validation_failed", "The request is invalid", "请求参数校验失败", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, title, title_zh = _HTTP_CODES.get(exc.status_code, ("http_error", "Request failed", "请求失败"))
        response = problem(exc.status_code, code, title, title_zh, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            # Static files name their own methods; routes get the union of every route at the path.
            response.headers["Allow"] = allowed_methods(request) or response.headers.get("Allow", "")
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "internal_error", "Internal error", "服务器内部错误", "The error was logged")
