"""The order page over HTTP: a card key is in no page until its buyer asks for it, with the session's token."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.api import file_case, push
from tests.support.factories import card_key_for, order_payload
from tests.support.web import sign_in
from tuika.bootstrap import System

Auth = Callable[..., dict[str, str]]
JSON = {"Accept": "application/json"}


def test_the_order_page_holds_only_the_masks_of_its_keys(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_o1", items=2))
    sign_in(client, system)

    page = client.get("/orders/ord_o1")

    assert page.status_code == 200
    for n in range(2):
        assert card_key_for("ord_o1", n) not in page.text
    assert page.text.count("ABCD-****-****-NPQR") == 4  # shown, and kept for hiding again, per key
    assert 'action="/orders/ord_o1/keys/ord_o1_i0"' in page.text
    assert 'action="/orders/ord_o1/keys/ord_o1_i1"' in page.text


def test_the_script_gets_the_key_it_asks_for_and_no_cache_keeps_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_o2", items=2))
    token = sign_in(client, system)

    answer = client.post("/orders/ord_o2/keys/ord_o2_i1", headers={**JSON, "X-CSRF-Token": token})

    assert answer.status_code == 200
    assert answer.json()["key"] == card_key_for("ord_o2", 1)
    assert answer.json()["seen"].startswith("已于 ")
    assert answer.headers["cache-control"] == "no-store"


def test_without_the_script_the_page_comes_back_with_that_one_key_shown(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_o3", items=2))
    token = sign_in(client, system)

    page = client.post("/orders/ord_o3/keys/ord_o3_i0", data={"csrf": token})

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert card_key_for("ord_o3", 0) in page.text
    assert card_key_for("ord_o3", 1) not in page.text
    assert 'href="/orders/ord_o3" data-test="hide">隐藏卡密</a>' in page.text


def test_no_key_is_given_without_the_token_to_another_buyer_or_for_what_is_no_key(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_o4"))
    push(client, auth, order_payload("ord_o5", buyer="buyer_2"))
    push(client, auth, order_payload("ord_o6", kind="direct_topup"))
    token = sign_in(client, system)
    key = card_key_for("ord_o4")

    refused = [
        client.post("/orders/ord_o4/keys/ord_o4_i0", headers=JSON),
        client.post("/orders/ord_o4/keys/ord_o4_i0", headers={**JSON, "X-CSRF-Token": "0" * 40}),
        client.post("/orders/ord_o4/keys/ord_o4_i0", data={"csrf": token + "x"}),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert all(key not in r.text for r in refused)
    mine = {**JSON, "X-CSRF-Token": token}
    theirs = client.post("/orders/ord_o5/keys/ord_o5_i0", headers=mine)
    assert (theirs.status_code, theirs.json()) == (404, {"code": "card_key_not_found"})
    assert card_key_for("ord_o5") not in theirs.text
    assert client.post("/orders/ord_o6/keys/ord_o6_i0", headers=mine).status_code == 404
    assert client.post("/orders/ord_o4/keys/ord_o4_i9", headers=mine).status_code == 404
    assert client.post("/orders/ord_o4/keys/ord_o4_i9", data={"csrf": token}).status_code == 404
    assert client.get("/orders/ord_o4/keys/ord_o4_i0").status_code == 405


def test_a_claimed_item_says_so_truly_and_links_its_claim(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_o7", delivery="failed"))
    case = file_case(client, auth, {"order_id": "ord_o7", "reason": "not_delivered", "route": "balance"})
    assert case["status"] == "refunded"
    sign_in(client, system)

    page = client.get("/orders/ord_o7").text

    assert "退卡处理中" not in page  # it is refunded, no longer in progress
    assert f'已申请退卡 · <a href="/cases/{case["id"]}">查看退卡进度</a>' in page
