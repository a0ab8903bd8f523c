"""The pages and the reveal log: the order page warns before a key loses its instant refund, logs each reveal as
the API does, and staff read the log on the case."""

from __future__ import annotations

import hashlib
import re

from fastapi.testclient import TestClient

from tests.support.api import Auth, manual_review_case, push
from tests.support.factories import card_key_for, order_payload
from tests.support.suppliers import FakeSupplier
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.web.session import SESSION

WARNING = "查看卡密后将无法无理由退款"
JSON = {"Accept": "application/json"}


def test_the_order_page_warns_beside_each_key_a_reveal_would_cost_its_instant_refund(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_wr1", items=2))
    token = sign_in(client, system)

    before = client.get("/orders/ord_wr1").text
    answer = client.post("/orders/ord_wr1/keys/ord_wr1_i0", headers={**JSON, "X-CSRF-Token": token})
    after = client.get("/orders/ord_wr1").text

    assert before.count(WARNING) == 2
    assert 'aria-describedby="key-1-label key-1-warn"' in before
    assert answer.json()["key"] == card_key_for("ord_wr1", 0)
    assert after.count(WARNING) == 1  # the key seen has nothing left to lose
    assert 'aria-describedby="key-1-label"' in after
    assert answer.json()["seen"] in after
    assert client.get("/orders/ord_wr1?lang=en").text.count("it can no longer be refunded without a reason") == 1


def test_no_warning_where_nothing_is_lost(client: TestClient, auth: Auth, system: System) -> None:
    # No supplier to say a key is unused: no key is refunded unrevealed, so revealing loses nothing.
    push(client, auth, order_payload("ord_wr2"))
    sign_in(client, system)

    assert WARNING not in client.get("/orders/ord_wr2").text


def test_a_reveal_on_the_page_is_logged_with_its_page_session_ip_and_agent(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_wr3"))
    token = sign_in(client, system)
    session = hashlib.sha256(client.cookies[SESSION].encode()).hexdigest()[:32]

    shown = client.post("/orders/ord_wr3/keys/ord_wr3_i0", data={"csrf": token}, headers={"User-Agent": "Firefox/140"})
    staff = client.get("/v1/orders/ord_wr3", headers=auth("arbitrator", "arb_1")).json()

    assert card_key_for("ord_wr3") in shown.text
    assert "已于 " in shown.text  # the page says the key is seen now
    assert [(r["channel"], r["session"], r["ip"], r["user_agent"]) for r in staff["reveals"]] == [
        ("page", session, "testclient", "Firefox/140")
    ]


def test_staff_read_each_reveal_on_the_case_and_whether_each_key_was_seen(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_wr4", items=2)
    shown = client.post(
        "/v1/orders/ord_wr4/items/ord_wr4_i1/reveal", headers={**auth("buyer", "buyer_1"), "User-Agent": "Shop/2.1"}
    )
    assert shown.status_code == 200
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{case_id}").text

    assert "卡密查看记录" in page
    [line] = re.findall(r'<li data-test="reveal">(.*?)</li>', page, flags=re.S)
    words = re.sub(r"<[^>]*>", "", line)
    assert re.fullmatch(
        r"\S+ \S+ · ord_wr4_i1 · 平台订单页（API） · 会话 [0-9a-f]{12} · IP testclient\s*Shop/2\.1", words
    )
    seen = re.findall(r'<span data-test="seen">(.*?)</span>', page)
    assert [s.split(" ")[0] for s in seen] == ["买家未查看", "买家首次查看于"]
    assert card_key_for("ord_wr4", 1) not in page


def test_the_policy_page_says_until_when_a_key_never_viewed_is_refunded_at_once(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_wr5"))
    sign_in(client, system)

    page = client.get("/orders/ord_wr5/policy").text

    # Both reasons of no fault are open on a delivered order while its key was never viewed.
    assert page.count('data-test="unrevealed"') == 2
    assert 'data-reason="mistaken_purchase" data-state="open"' in page
    api = client.get("/v1/orders/ord_wr5/refund-policy", headers=auth("buyer", "buyer_1")).json()
    assert api["unrevealed_refund"]["reasons"] == ["mistaken_purchase", "other"]
    assert {r["reason"]: r["unrevealed_until"] is not None for r in api["rules"]} == {
        "card_invalid": False,
        "not_delivered": False,
        "wrong_item": False,
        "mistaken_purchase": True,
        "other": True,
    }
