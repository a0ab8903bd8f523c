"""The buyer's policy page over HTTP: each rule's honest state, the fee in words, time left in days, a way to claim."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from tests.support.api import file_case, push
from tests.support.factories import order_payload
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.web import i18n

Auth = Callable[..., dict[str, str]]


def rule(html: str, reason: str) -> str:
    """Return the card of one rule, as the page shows it."""
    found = re.search(
        rf'<section class="card rule [a-z_]+" data-test="rule" data-reason="{reason}".*?</section>', html, re.S
    )
    assert found is not None, f"no rule {reason} on the page"
    return found.group(0)


def badge(card: str) -> str:
    found = re.search(r'data-test="badge">([^<]*)</span>', card)
    assert found is not None
    return found.group(1).strip()


def window(card: str) -> str:
    found = re.search(r'data-test="window">([^<]*)</dd>', card)
    return "" if found is None else found.group(1).strip()


def test_a_delivered_orders_rules_say_open_closed_or_not_for_this_order_with_the_reason(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p1", paid_ago=timedelta(hours=3)))  # delivered a minute after payment
    sign_in(client, system)

    page = client.get("/orders/ord_p1/policy")

    assert page.status_code == 200
    invalid, late, wrong, mistaken, other = (
        rule(page.text, r) for r in ("card_invalid", "not_delivered", "wrong_item", "mistaken_purchase", "other")
    )
    assert [badge(c) for c in (invalid, late, wrong, mistaken, other)] == [
        "✓ 可申请",
        "✓ 可申请",
        "已过期",  # one hour from delivery
        "不适用于本订单",
        "✓ 可申请",
    ]
    assert "本订单已发货，此项仅限发货前申请。" in mistaken
    assert window(mistaken) == ""  # no deadline is shown for a rule the order cannot use
    assert re.fullmatch(r"已截止（\d{4}-\d\d-\d\d \d\d:\d\d）", window(wrong))
    # 72 h from delivery, 2 h 59 min ago; 168 h from payment, 3 h ago (give or take a minute).
    assert re.search(r"· 还剩 2 天 21 小时$", window(invalid)), window(invalid)
    assert re.search(r"· 还剩 (6 天 21 小时|6 天 20 小时)$", window(other)), window(other)
    assert re.search(r"· 还剩 (21 小时|20 小时 59 分钟)$", window(late)), window(late)
    assert "误拍" not in page.text.split('data-test="moments"')[1].split("</ol>")[0]


def test_the_fee_reads_free_or_its_amount_and_the_title_names_the_policy_not_its_version(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p2", delivery="pending"))
    sign_in(client, system)

    page = client.get("/orders/ord_p2/policy")

    fees = re.findall(r'data-test="fee">([^<]*)</dd>', page.text)
    assert fees == ["免手续费", "免手续费", "免手续费", "¥1.00", "免手续费"]
    assert badge(rule(page.text, "mistaken_purchase")) == "✓ 可申请"  # not delivered yet
    waiting = rule(page.text, "card_invalid")  # a key cannot fail before it arrives
    assert (badge(waiting), window(waiting)) == ("发货后可申请", "发货后开始计时")
    assert 'reason=card_invalid"' not in page.text
    assert "依据《卡盟标准退卡政策》" in page.text
    assert not re.search(r"\bv\d+\b|政策版本", page.text)


def test_the_page_ends_with_the_way_to_claim_and_each_open_rule_links_to_its_reason(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p3", paid_ago=timedelta(hours=3)))
    sign_in(client, system)

    page = client.get("/orders/ord_p3/policy").text

    assert re.search(r'<a class="button primary" href="/orders/ord_p3/claim" data-test="apply">申请退卡</a>', page)
    linked = re.findall(r'href="/orders/ord_p3/claim\?reason=([a-z_]+)"', page)
    assert linked == ["card_invalid", "not_delivered", "other"]
    assert page.rindex('data-test="apply"') > page.rindex('data-test="rule"')


def test_with_nothing_left_to_claim_the_page_says_so_instead_of_offering_a_claim(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p4", paid_ago=timedelta(days=10)))
    push(client, auth, order_payload("ord_p5"))
    sign_in(client, system)
    file_case(client, auth, {"order_id": "ord_p5", "reason": "other", "description": "卡密无法使用"})

    closed = client.get("/orders/ord_p4/policy").text
    held = client.get("/orders/ord_p5/policy").text

    assert {badge(rule(closed, r)) for r in ("card_invalid", "not_delivered", "wrong_item", "other")} == {"已过期"}
    assert "本订单目前没有可以申请的退卡项目。" in closed
    assert "本订单的商品都已申请退卡" in held
    for shown in (closed, held):
        assert 'data-test="apply"' not in shown
        assert "/claim" not in shown


def test_the_english_page_says_the_same_in_english(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_p6", paid_ago=timedelta(hours=3)))
    sign_in(client, system)

    page = client.get("/orders/ord_p6/policy?lang=en").text

    mistaken = rule(page, "mistaken_purchase")
    assert [badge(rule(page, r)) for r in ("card_invalid", "wrong_item")] == ["✓ You can claim", "Window closed"]
    assert (badge(mistaken), "This order has been delivered; this applies only before delivery." in mistaken) == (
        "Not for this order",
        True,
    )
    assert re.search(r"· 2 d 21 h left$", window(rule(page, "card_invalid")))
    assert re.findall(r'data-test="fee">([^<]*)</dd>', page)[0] == "No fee"
    assert re.search(r'data-test="apply">Apply for a refund</a>', page)


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (159 * 3600, "还剩 6 天 15 小时", "6 d 15 h left"),
        (159 * 3600 + 1799, "还剩 6 天 15 小时", "6 d 15 h left"),  # minutes are not worth saying beyond a day
        (2 * 86400, "还剩 2 天", "2 d left"),
        (23 * 3600 + 59 * 60, "还剩 23 小时 59 分钟", "23 h 59 min left"),
        (5 * 3600, "还剩 5 小时", "5 h left"),
        (59 * 60 + 1, "还剩 1 小时", "1 h left"),  # rounded up to the minute
        (61, "还剩 2 分钟", "2 min left"),
        (1, "还剩 1 分钟", "1 min left"),  # never "0 minutes" while the window is open
        (-30, "还剩 0 分钟", "0 min left"),
    ],
)
def test_time_left_reads_in_days_and_hours_or_hours_and_minutes(seconds: float, zh: str, en: str) -> None:
    assert (i18n.time_left("zh", seconds), i18n.time_left("en", seconds)) == (zh, en)


def test_in_english_a_rules_evidence_is_listed_with_english_commas(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_p9"))
    sign_in(client, system)

    english = rule(client.get("/orders/ord_p9/policy?lang=en").text, "wrong_item")
    chinese = rule(client.get("/orders/ord_p9/policy?lang=zh").text, "wrong_item")

    assert "Order screenshot, Screenshot of what you received" in english
    assert "、" not in english
    assert "订单截图、实际收到商品的截图" in chinese
