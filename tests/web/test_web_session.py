"""Sign-in links, the session cookie, CSRF on sign-out, and who reaches which page.

A link signs in once, within its short lifetime; the session it opens lives on the server, so
signing out ends it everywhere; a link for someone else never replaces a session without asking.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from httpx import Response

from tests.support.api import Auth, push
from tests.support.factories import count_rows, order_payload
from tests.support.threads import race
from tests.support.web import link, sign_in
from tuika.app import create_app
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.clock import FixedClock
from tuika.domain.errors import LinkUsed
from tuika.domain.sessions import SignInLink
from tuika.http.auth import issue_token, new_token_id
from tuika.services.signin import sessions
from tuika.services.upkeep.sweep import sweep
from tuika.web.session import CSRF_HEADER, SESSION


def csrf_of(client: TestClient) -> str:
    page = client.get("/balance")
    marker = 'name="csrf" value="'
    start = page.text.index(marker) + len(marker)
    return page.text[start : page.text.index('"', start)]


def test_a_buyer_link_lands_on_the_orders_a_staff_link_on_the_console_a_merchant_link_on_its_claims(
    client: TestClient, system: System
) -> None:
    assert client.get(link(system, "buyer_1"), follow_redirects=False).headers["location"] == "/"
    client.cookies.clear()
    assert client.get(link(system, "agent_1", "agent"), follow_redirects=False).headers["location"] == "/console"
    client.cookies.clear()
    assert client.get(link(system, "m_1", "merchant"), follow_redirects=False).headers["location"] == "/merchant"
    client.cookies.clear()
    refused = client.get(link(system, "host", "platform"), follow_redirects=False)
    assert refused.status_code == 403
    assert SESSION not in refused.cookies


def test_an_expired_link_signs_nobody_in(client: TestClient, system: System) -> None:
    old = issue_token(
        system.settings.secret_key, "buyer", "buyer_1", 60, datetime.now(UTC) - timedelta(hours=1), jti=new_token_id()
    )

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


def fresh(system: System) -> TestClient:
    """Return another browser: a client with no cookies of its own."""
    return TestClient(create_app(system), raise_server_exceptions=False)


def shown_orders(client: TestClient) -> list[str]:
    """Return which of the two test orders the signed-in buyer's order list shows."""
    page = client.get("/")
    assert page.status_code == 200, page.text
    return [order_id for order_id in ("ord_s1", "ord_s2") if order_id in page.text]


def assert_refused(response: Response, client: TestClient, expected: str) -> None:
    """Assert the link was refused with ``expected`` on the page and signed nobody in."""
    assert response.status_code == 401
    assert expected in response.text
    assert SESSION not in response.cookies
    assert SESSION not in client.cookies
    assert client.get("/balance").status_code == 401


def test_a_link_signs_in_once_and_a_second_use_is_refused(client: TestClient, system: System) -> None:
    once = link(system, "buyer_1")
    assert client.get(once, follow_redirects=False).status_code == 303

    other = fresh(system)
    again = other.get(once, follow_redirects=False)

    assert_refused(again, other, "这个登录链接已经用过了")
    assert count_rows(system.engine, "web_sessions") == 1
    assert count_rows(system.engine, "sign_in_links") == 1


def test_a_link_without_an_id_is_refused(client: TestClient, system: System) -> None:
    token = issue_token(system.settings.secret_key, "buyer", "buyer_1", 300, datetime.now(UTC))

    response = client.get(f"/sso?token={token}", follow_redirects=False)

    assert_refused(response, client, "这个登录链接不是一次性链接")
    assert count_rows(system.engine, "web_sessions") == 0
    assert count_rows(system.engine, "sign_in_links") == 0


def test_a_link_that_lives_longer_than_allowed_is_refused(client: TestClient, system: System) -> None:
    allowed = system.settings.sign_in_link_max_s
    token = issue_token(system.settings.secret_key, "buyer", "buyer_1", allowed + 1, datetime.now(UTC), jti="long-1")

    response = client.get(f"/sso?token={token}", follow_redirects=False)

    assert_refused(response, client, f"有效期超过 {allowed // 60} 分钟")
    assert count_rows(system.engine, "sign_in_links") == 0
    right = issue_token(system.settings.secret_key, "buyer", "buyer_1", allowed, datetime.now(UTC), jti="long-2")
    assert client.get(f"/sso?token={right}", follow_redirects=False).status_code == 303


def test_the_cookie_names_a_session_not_the_token(client: TestClient, system: System) -> None:
    token = link(system, "buyer_1").split("token=", 1)[1]

    cookie = client.get(f"/sso?token={token}", follow_redirects=False).cookies[SESSION]

    assert cookie != token
    assert "." not in cookie  # not a JWT
    assert len(cookie) >= 40


def test_a_copied_cookie_is_signed_out_with_its_session(client: TestClient, system: System) -> None:
    token = sign_in(client, system, "buyer_1")
    copied = client.cookies[SESSION]
    elsewhere = fresh(system)
    elsewhere.cookies.set(SESSION, copied)
    assert elsewhere.get("/balance").status_code == 200

    assert client.post("/signout", data={"csrf": token}).status_code == 200

    reused = elsewhere.get("/balance")
    assert reused.status_code == 401
    assert "请从平台进入退卡中心" in reused.text
    assert elsewhere.post("/signout", data={"csrf": token}).status_code == 200  # harmless, still signed out
    assert elsewhere.get("/").status_code == 401


def test_a_session_lasts_its_own_lifetime_not_the_links(client: TestClient, system: System) -> None:
    sign_in(client, system, "buyer_1")
    signed_at = datetime.now(UTC)
    lifetime = timedelta(hours=system.settings.session_hours)

    system.ctx.clock = FixedClock(signed_at + lifetime - timedelta(minutes=1))
    assert client.get("/balance").status_code == 200
    system.ctx.clock = FixedClock(signed_at + lifetime + timedelta(minutes=1))
    expired = client.get("/balance")

    assert expired.status_code == 401
    assert "请从平台进入退卡中心" in expired.text


def test_a_link_for_someone_else_asks_before_switching_and_changes_nothing(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_s1", buyer="buyer_1"))
    push(client, auth, order_payload("ord_s2", buyer="buyer_2"))
    token = sign_in(client, system, "buyer_1")
    cookie = client.cookies[SESSION]
    attackers = link(system, "buyer_2")

    asked = client.get(attackers, follow_redirects=False)

    assert asked.status_code == 200
    assert "你已以买家「bu***_1」身份登录，是否切换为买家「bu***_2」？" in asked.text
    assert f'name="csrf" value="{token}"' in asked.text
    assert '<a class="button primary" href="/" data-test="stay">留在当前账号</a>' in asked.text
    assert "buyer_2" not in asked.text
    assert SESSION not in asked.cookies
    assert client.cookies[SESSION] == cookie
    assert shown_orders(client) == ["ord_s1"]
    assert count_rows(system.engine, "sign_in_links") == 1  # only buyer_1's own link

    switch = {"token": attackers.split("token=", 1)[1]}
    assert client.post("/sso", data=switch, follow_redirects=False).status_code == 403
    assert client.post("/sso", data={**switch, "csrf": "0" * 40}, follow_redirects=False).status_code == 403
    forged = fresh(system).post("/sso", data={**switch, "csrf": token}, follow_redirects=False)
    assert forged.status_code == 403  # the CSRF token is worth nothing without its session
    assert shown_orders(client) == ["ord_s1"]
    assert count_rows(system.engine, "sign_in_links") == 1

    switched = client.post("/sso", data={**switch, "csrf": token}, follow_redirects=False)

    assert switched.status_code == 303
    assert switched.headers["location"] == "/"
    assert shown_orders(client) == ["ord_s2"]
    left_behind = fresh(system)
    left_behind.cookies.set(SESSION, cookie)
    assert left_behind.get("/").status_code == 401  # the old session ended with the switch
    assert count_rows(system.engine, "sign_in_links") == 2


def test_a_link_for_the_same_person_goes_home_without_a_second_session(client: TestClient, system: System) -> None:
    sign_in(client, system, "agent_1", "agent")
    cookie = client.cookies[SESSION]

    response = client.get(link(system, "agent_1", "agent"), follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/console"
    assert SESSION not in response.cookies
    assert client.cookies[SESSION] == cookie
    assert count_rows(system.engine, "web_sessions") == 1


def test_a_used_link_is_refused_even_to_someone_signed_in(client: TestClient, system: System) -> None:
    used = link(system, "buyer_2")
    assert fresh(system).get(used, follow_redirects=False).status_code == 303
    sign_in(client, system, "buyer_1")

    response = client.get(used, follow_redirects=False)

    assert response.status_code == 401
    assert "这个登录链接已经用过了" in response.text
    assert "是否切换" not in response.text


def test_a_link_used_twice_at_once_opens_exactly_one_session(system: System) -> None:
    now = datetime.now(UTC)
    shared = SignInLink("buyer_1", Role.BUYER, "race-1", now, now + timedelta(minutes=10))

    def attempt() -> str:
        try:
            sessions.open_session(system.ctx, shared)
        except LinkUsed:
            return "refused"
        return "opened"

    outcomes = race([attempt] * 8)

    assert sorted(outcomes) == ["opened"] + ["refused"] * 7
    assert count_rows(system.engine, "web_sessions") == 1
    assert count_rows(system.engine, "sign_in_links") == 1


def test_the_sweep_deletes_ended_sessions_and_links_past_their_expiry(client: TestClient, system: System) -> None:
    sign_in(client, system, "buyer_1")
    sign_in(fresh(system), system, "buyer_2")
    now = datetime.now(UTC)

    assert sweep(system.ctx).sessions == 0
    system.ctx.clock = FixedClock(now + timedelta(seconds=system.settings.sign_in_link_max_s + 1))
    report = sweep(system.ctx)
    assert (report.sessions, report.links) == (0, 2)
    assert count_rows(system.engine, "web_sessions") == 2
    system.ctx.clock = FixedClock(now + timedelta(hours=system.settings.session_hours, seconds=1))
    report = sweep(system.ctx)

    assert (report.sessions, report.links) == (2, 0)
    assert count_rows(system.engine, "web_sessions") == 0
    assert count_rows(system.engine, "sign_in_links") == 0


def test_a_token_with_an_id_is_still_a_bearer_token_for_the_api_any_number_of_times(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_s1", buyer="buyer_1"))
    token = link(system, "buyer_1").split("token=", 1)[1]

    answers = [client.get("/v1/orders", headers={"Authorization": f"Bearer {token}"}) for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 200]
    assert count_rows(system.engine, "sign_in_links") == 0


def test_a_cookie_from_before_sessions_were_kept_holding_the_token_signs_nobody_in(
    client: TestClient, system: System
) -> None:
    # Before the upgrade the cookie was the platform's token itself; it names no session row.
    client.cookies.set(SESSION, issue_token(system.settings.secret_key, "buyer", "buyer_1", 3600, datetime.now(UTC)))

    response = client.get("/balance")

    assert response.status_code == 401
    assert "请从平台进入退卡中心" in response.text
