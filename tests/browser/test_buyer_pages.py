"""A buyer signs in from the platform's link and reads their orders, in Chinese and in English."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, push
from tests.support.factories import card_key_for, order_payload
from tests.support.suppliers import FakeSupplier

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
WARNING = "查看卡密后将无法无理由退款"


def test_a_buyer_signs_in_sees_only_their_orders_and_reveals_a_key(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web1", items=2))
    push(api, auth, order_payload("ord_web2", kind="direct_topup", delivery="failed"))
    push(api, auth, order_payload("ord_theirs", buyer="buyer_2"))
    page = open_page(browser)

    page.goto(sso("buyer_1"))

    assert page.url == f"{live}/"
    expect(page.locator("h1")).to_have_text("我的订单")
    orders = page.locator("[data-test=order]")
    expect(orders).to_have_count(2)
    expect(page.get_by_text("ord_theirs")).to_have_count(0)
    expect(page.get_by_text("发货失败")).to_have_count(1)
    page.screenshot(path=shots / "orders.png", full_page=True)
    axe.check(page)

    page.get_by_text("ord_web1").click()
    key = page.locator("code.key").first
    expect(key).to_have_text("ABCD-****-****-NPQR")
    assert card_key_for("ord_web1") not in page.content()  # the key is asked for, never sent ahead
    expect(page.get_by_role("link", name="退卡政策")).to_be_visible()
    expect(page.get_by_role("link", name="申请退卡")).to_be_visible()
    expect(page.get_by_role("button", name="复制 卡密 1")).to_be_hidden()
    page.get_by_role("button", name="查看卡密").first.click()
    expect(key).to_have_text(card_key_for("ord_web1"))
    expect(page.get_by_role("button", name="复制 卡密 1")).to_be_visible()
    page.screenshot(path=shots / "order.png", full_page=True)
    axe.check(page)
    page.get_by_role("button", name="隐藏卡密").first.click()
    expect(key).to_have_text("ABCD-****-****-NPQR")
    expect(page.get_by_role("button", name="复制 卡密 1")).to_be_hidden()
    assert card_key_for("ord_web1") not in page.content()  # hidden again, it has left the page


def test_the_warning_beside_a_reveal_goes_once_the_key_is_seen_and_the_page_says_when(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    sso: Callable[[str], str],
    live: str,
    shots: Path,
    supplier: FakeSupplier,
) -> None:
    push(api, auth, order_payload("ord_web9", items=2))
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_web9")
    first, second = page.locator("[data-test=item]").nth(0), page.locator("[data-test=item]").nth(1)
    button = first.get_by_role("button", name="查看卡密")

    expect(first.get_by_text(WARNING)).to_be_visible()
    expect(button).to_have_accessible_description(re.compile(WARNING))
    expect(first.locator("[data-test=seen]")).to_be_hidden()
    no_sideways_scroll(page)
    page.screenshot(path=shots / "order-warned-phone.png", full_page=True)
    axe.check(page)
    button.click()

    expect(first.locator("code.key")).to_have_text(card_key_for("ord_web9", 0))
    expect(first.get_by_text(WARNING)).to_be_hidden()
    expect(first.locator("[data-test=seen]")).to_have_text(
        re.compile(r"^已于 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 查看过卡密$")
    )
    expect(second.get_by_text(WARNING)).to_be_visible()  # the other key is still unseen
    page.screenshot(path=shots / "order-seen-phone.png", full_page=True)
    axe.check(page)


def test_a_revealed_key_is_copied_with_one_tap_and_the_page_says_so(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web6", items=2))
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live)
    page = context.new_page()
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_web6")
    second = page.locator("[data-test=item]").nth(1)

    second.get_by_role("button", name="查看卡密").click()
    expect(second.locator("code.key")).to_have_text(card_key_for("ord_web6", 1))
    second.get_by_role("button", name="复制 卡密 2").click()

    said = second.get_by_role("status")
    expect(said).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == card_key_for("ord_web6", 1)
    assert page.locator("[data-test=item]").first.get_by_role("status").inner_text() == ""
    no_sideways_scroll(page)
    page.screenshot(path=shots / "order-copied-phone.png", full_page=True)
    axe.check(page)
    expect(said).to_have_text("")  # the word goes after a moment


def test_without_the_clipboard_api_the_key_is_selected_for_copying_by_hand(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web7"))
    page = open_page(browser)
    # As on a page served over plain HTTP or in an old browser: no Clipboard API, and no copy command.
    page.add_init_script("delete Navigator.prototype.clipboard; document.execCommand = () => false;")
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_web7?lang=en")

    page.get_by_role("button", name="Show key").click()
    page.get_by_role("button", name="Copy Card key").click()

    expect(page.get_by_role("status")).to_have_text("The key is selected: press and hold, or press Ctrl+C, to copy it")
    assert page.evaluate("window.getSelection().toString()") == card_key_for("ord_web7")
    page.screenshot(path=shots / "order-select-en.png", full_page=True)
    axe.check(page)


def test_without_javascript_the_reveal_button_shows_the_page_with_that_key(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web8", items=2))
    page = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False).new_page()
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_web8")

    page.get_by_role("button", name="查看卡密").nth(1).click()

    keys = page.locator("code.key")
    expect(keys.nth(1)).to_have_text(card_key_for("ord_web8", 1))
    expect(keys.nth(0)).to_have_text("ABCD-****-****-NPQR")
    page.screenshot(path=shots / "order-no-script.png", full_page=True)
    page.get_by_role("link", name="隐藏卡密").click()
    expect(keys.nth(1)).to_have_text("ABCD-****-****-NPQR")


def test_the_session_cookie_is_httponly_and_another_buyers_order_is_not_found(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str
) -> None:
    push(api, auth, order_payload("ord_web3", buyer="buyer_2"))
    page = open_page(browser)
    page.goto(sso("buyer_1"))

    [cookie] = [c for c in page.context.cookies() if c["name"] == "tuika_session"]
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Lax")
    assert page.evaluate("document.cookie").find("tuika_session") == -1
    response = page.goto(f"{live}/orders/ord_web3")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("alert")).to_have_text("未找到该订单")


def test_a_bad_link_signs_nobody_in(browser: Browser, live: str) -> None:
    page = open_page(browser)

    response = page.goto(f"{live}/sso?token=not-a-token")

    assert response is not None
    assert response.status == 401
    expect(page.get_by_role("alert")).to_contain_text("登录链接无效或已过期")
    assert [c for c in page.context.cookies() if c["name"] == "tuika_session"] == []
    assert page.goto(f"{live}/").status == 401  # type: ignore[union-attr]


def test_the_english_switch_sticks_and_a_phone_screen_does_not_scroll_sideways(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web4", items=3))
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))

    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("My orders")
    page.goto(f"{live}/orders/ord_web4")  # no ?lang: the cookie remembers
    expect(page.get_by_role("link", name="Apply for a refund")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    no_sideways_scroll(page)
    page.screenshot(path=shots / "order-phone-en.png", full_page=True)
    axe.check(page)
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("link", name="申请退卡")).to_be_visible()


def test_the_policy_is_a_checklist_with_this_orders_own_deadline(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_web5"))  # paid an hour ago, delivered a minute later
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_web5")

    page.get_by_role("link", name="退卡政策").click()

    expect(page.locator("h1")).to_have_text("本订单的退卡政策")
    expect(page.locator("[data-test=policy-title]")).to_have_text("依据《卡盟标准退卡政策》")
    expect(page.locator("[data-test=policy-since]")).to_have_text(
        re.compile(r"^自 \d{4}-\d{2}-\d{2} \d{2}:\d{2} 起施行$")
    )
    invalid = page.locator("[data-test=rule][data-reason=card_invalid]")
    expect(invalid).to_contain_text("卡密无效")
    expect(invalid.locator("[data-test=badge]")).to_have_text("✓ 可申请")
    expect(invalid).to_contain_text("激活/充值失败截图")
    expect(invalid.locator("[data-test=fee]")).to_have_text("免手续费")
    # 72 h from delivery, 59 minutes ago; 24 h from payment, an hour ago (give or take a tick).
    expect(invalid.locator("[data-test=window]")).to_contain_text(re.compile(r"还剩 2 天 2[23] 小时"))
    late = page.locator("[data-test=rule][data-reason=not_delivered] [data-test=window]")
    expect(late).to_contain_text(re.compile(r"还剩 (23 小时|22 小时 5\d 分钟)"))
    # A mistake is claimable before delivery only: this order was delivered.
    mistaken = page.locator("[data-test=rule][data-reason=mistaken_purchase]")
    expect(mistaken.locator("[data-test=badge]")).to_have_text("不适用于本订单")
    expect(mistaken).to_contain_text("本订单已发货，此项仅限发货前申请。")
    expect(mistaken).to_contain_text("¥1.00")
    expect(mistaken.get_by_role("link")).to_have_count(0)
    expect(page.get_by_role("note")).to_contain_text("卡密发货后请尽快使用")
    moments = page.locator("[data-test=moments] li")
    labels = [m.split("\n")[-1] for m in moments.all_inner_texts()]
    assert labels[:3] == ["付款时间", "发货时间", "现在"], labels
    assert any(re.fullmatch(r"「卡密无效/已被使用」申请截止 · 还剩 2 天 2[23] 小时", label) for label in labels), labels
    assert not any("误拍" in label for label in labels), labels
    no_sideways_scroll(page)
    page.screenshot(path=shots / "policy-phone.png", full_page=True)
    axe.check(page)

    page.get_by_role("link", name="申请退卡", exact=True).click()

    assert page.url == f"{live}/orders/ord_web5/claim"
