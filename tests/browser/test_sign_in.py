"""Signing in with a link in a real browser: someone else's link asks first, a link works once, signing out ends it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, push
from tests.support.factories import order_payload

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_a_link_for_someone_else_asks_first_and_staying_keeps_the_buyer_signed_in(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_mine", buyer="buyer_alice"))
    push(api, auth, order_payload("ord_bobs", buyer="buyer_bob"))
    page = open_page(browser)
    page.goto(sso("buyer_alice"))
    someone_elses = sso("buyer_bob")

    page.goto(someone_elses)

    assert page.url == someone_elses  # no redirect: nothing happened yet
    expect(page.locator("h1")).to_have_text("切换账号")
    expect(page.locator("[data-test=switch-question]")).to_have_text(
        "你已以买家「bu***ce」身份登录，是否切换为买家「bu***ob」？"
    )
    expect(page.locator("[data-test=switch]")).to_contain_text("如果不是你本人刚从平台打开的，请留在当前账号")
    expect(page.get_by_text("buyer_bob")).to_have_count(0)
    page.screenshot(path=shots / "switch.png", full_page=True)
    axe.check(page)

    page.get_by_role("link", name="留在当前账号").click()

    assert page.url == f"{live}/"
    expect(page.get_by_text("ord_mine")).to_have_count(1)
    expect(page.get_by_text("ord_bobs")).to_have_count(0)

    page.goto(someone_elses)  # asking used nothing: the same link still asks
    page.get_by_role("button", name="退出当前账号并切换").click()

    assert page.url == f"{live}/"
    expect(page.get_by_text("ord_bobs")).to_have_count(1)
    expect(page.get_by_text("ord_mine")).to_have_count(0)
    page.screenshot(path=shots / "switched.png", full_page=True)


def test_the_question_reads_in_english_on_a_phone(
    browser: Browser, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_alice"))
    page.goto(f"{sso('buyer_bob')}&lang=en")

    expect(page.locator("h1")).to_have_text("Switch account")
    expect(page.locator("[data-test=switch-question]")).to_have_text(
        "You are signed in as buyer “bu***ce”. Switch to buyer “bu***ob”?"
    )
    expect(page.get_by_role("link", name="Stay signed in as I am")).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=shots / "switch-phone-en.png", full_page=True)
    axe.check(page)


def test_a_link_works_once_and_signing_out_ends_the_session_for_a_copied_cookie(
    browser: Browser, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    page = open_page(browser)
    once = sso("buyer_alice")
    page.goto(once)
    [cookie] = [c for c in page.context.cookies() if c["name"] == "tuika_session"]
    elsewhere = open_page(browser)
    elsewhere.context.add_cookies([cookie])
    assert elsewhere.goto(f"{live}/balance").status == 200  # type: ignore[union-attr]

    again = open_page(browser)
    response = again.goto(once)
    assert response is not None
    assert response.status == 401
    expect(again.get_by_role("alert")).to_have_text("这个登录链接已经用过了：每个链接只能登录一次。请从平台重新进入。")
    again.screenshot(path=shots / "used-link.png", full_page=True)
    axe.check(again)

    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("alert")).to_have_text("已退出。")
    expect(page.get_by_role("button", name="退出")).to_have_count(0)

    reused = elsewhere.goto(f"{live}/balance")
    assert reused is not None
    assert reused.status == 401
    expect(elsewhere.get_by_role("alert")).to_have_text("请从平台进入退卡中心。")
