"""The contract of API v1 as /openapi.json states it, held against the routes and what the app really answers."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from tests.factories import assert_problem
from tuika.api.app import create_app
from tuika.bootstrap import build
from tuika.settings import Settings


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
