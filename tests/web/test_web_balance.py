"""The balance page over HTTP: each refund named by its product, its claim a click away, the memo readable."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.support.api import file_case, push
from tests.support.factories import order_payload
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.ledger import Entry, Posting, buyer_account
from tuika.domain.money import Money

Auth = Callable[..., dict[str, str]]


def visible(html: str) -> str:
    """Return a page's text as a person reads it: no tags, no attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def test_each_refund_is_named_by_its_product_and_links_its_claim(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_b1", delivery="failed", amount_fen=3050))
    push(client, auth, order_payload("ord_b2", delivery="failed", title="", sku="QQ-VIP-30"))
    first = file_case(client, auth, {"order_id": "ord_b1", "reason": "not_delivered", "route": "balance"})
    second = file_case(client, auth, {"order_id": "ord_b2", "reason": "not_delivered", "route": "balance"})
    sign_in(client, system)

    page = client.get("/balance")

    assert page.status_code == 200
    text = visible(page.text)
    assert "京东E卡 100元 退款" in text
    assert "QQ-VIP-30 退款" in text  # no title from the platform: the SKU it did send
    for case in (first, second):
        assert f'<a href="/cases/{case["id"]}" title="退卡申请 {case["id"]}">查看退卡申请</a>' in page.text
    assert not re.search(r"\b(rc|ord|po)_", text), "an id is shown as text"
    english = visible(client.get("/balance?lang=en").text)
    assert "Refund: 京东E卡 100元" in english
    assert "Refund: QQ-VIP-30" in english


def test_the_ledgers_memo_names_the_product_first_and_keeps_the_claim(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_b3", delivery="failed"))
    case = file_case(client, auth, {"order_id": "ord_b3", "reason": "not_delivered", "route": "balance"})

    account = client.get("/v1/ledger/accounts/buyer:buyer_1", headers=auth("buyer", "buyer_1")).json()

    assert [e["memo"] for e in account["entries"]] == [f"京东E卡 100元 退款（退卡申请 {case['id']}）"]


def test_an_older_memo_and_a_movement_of_no_claim_still_read_right(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_b4", delivery="failed"))
    case = file_case(client, auth, {"order_id": "ord_b4", "reason": "not_delivered", "route": "balance"})
    older = Posting(
        f"退款 {case['id']} 订单 ord_b4",
        (Entry(buyer_account("buyer_1"), Money(100)), Entry("platform:clearing", Money(-100))),
    )
    stranger = Posting(
        "退款 rc_someone_elses 订单 ord_x",
        (Entry(buyer_account("buyer_1"), Money(200)), Entry("platform:clearing", Money(-200))),
    )
    with system.ctx.uow() as uow:
        uow.ledger.post(older, "refund", system.ctx.clock.now())
        uow.ledger.post(stranger, "refund", system.ctx.clock.now())
        uow.commit()
    sign_in(client, system)

    text = visible(client.get("/balance").text)

    assert text.count("京东E卡 100元 退款") == 2  # the memo written before products were named, too
    assert "余额调整" in text  # a claim that is not this buyer's names nothing of it
    assert "rc_someone_elses" not in client.get("/balance").text
