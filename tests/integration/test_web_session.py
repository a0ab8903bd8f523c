"""Sign-in links, the session cookie, CSRF on sign-out, and who reaches which page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.integration.web import sign_in
from tuika.api.auth import issue_token
from tuika.bootstrap import System
from tuika.web.session import CSRF_HEADER, SESSION


def csrf_of(client: TestClient) -> str:
    page = client.get("/balance")
    marker = 'name="csrf" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def test_a_buyer_link_lands_on_the_orders_and_a_staff_link_on_the_console(client: TestClient, system: System) -> None:
    now = datetime.now(UTC)
    buyer = issue_token(system.settings.secret_key, "buyer", "buyer_1", 600, now)
    agent = issue_token(system.settings.secret_key, "agent", "agent_1", 600, now)
    merchant = issue_token(system.settings.secret_key, "merchant", "m_1", 600, now)

    assert client.get(f"/sso?token={buyer}", follow_redirects=False).headers["location"] == "/"
    assert client.get(f"/sso?token={agent}", follow_redirects=False).headers["location"] == "/console"
    refused = client.get(f"/sso?token={merchant}", follow_redirects=False)
    assert refused.status_code == 403


def test_an_expired_link_signs_nobody_in(client: TestClient, system: System) -> None:
    old = issue_token(system.settings.secret_key, "buyer", "buyer_1", 60, datetime.now(UTC) - timedelta(hours=1))

    response = client.get(f"/sso?token={old}", follow_redirects=False)

    assert response.status_code == 401
    assert SESSION not in response.cookies
    assert "登录链接无效或已过期" in response.text


def test_the_pages_turn_away_a_visitor_with_no_session(client: TestClient) -> None:
    for path in ("/", "/balance", "/orders/ord_x", "/orders/ord_x/policy"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert "请从平台进入退卡中心" in response.text


def test_a_staff_session_is_not_a_buyer_session(client: TestClient, system: System) -> None:
    sign_in(client, system, "agent_1", "agent")

    for path in ("/balance", "/"):
        refused = client.get(path)
        assert refused.status_code == 403
        assert "客服工作台" in refused.text


def test_signing_out_needs_the_csrf_token_and_then_ends_the_session(client: TestClient, system: System) -> None:
    sign_in(client, system, "buyer_1", "buyer")
    token = csrf_of(client)

    assert client.post("/signout").status_code == 403
    assert client.post("/signout", data={"csrf": "0" * 40}).status_code == 403
    assert client.post("/signout", headers={CSRF_HEADER: token + "x"}).status_code == 403
    assert client.get("/balance").status_code == 200

    done = client.post("/signout", data={"csrf": token})

    assert done.status_code == 200
    assert "已退出" in done.text
    assert client.get("/balance").status_code == 401


def test_the_csrf_token_belongs_to_one_session(client: TestClient, system: System) -> None:
    sign_in(client, system, "buyer_1", "buyer")
    first = csrf_of(client)
    sign_in(client, system, "buyer_2", "buyer")

    assert client.post("/signout", data={"csrf": first}).status_code == 403
    assert client.post("/signout", data={"csrf": csrf_of(client)}).status_code == 200
