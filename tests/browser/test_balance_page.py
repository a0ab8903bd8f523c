"""A buyer reads their balance and where each movement came from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import no_sideways_scroll
from tests.support.api import Auth, file_case, push
from tests.support.factories import order_payload

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_a_refund_to_the_balance_shows_as_a_movement_naming_its_claim(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_bal1", delivery="failed", amount_fen=3050))
    case = file_case(api, auth, {"order_id": "ord_bal1", "reason": "not_delivered", "route": "balance"})
    assert case["status"] == "refunded"
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(sso("buyer_1"))

    page.get_by_role("link", name="我的余额").click()

    expect(page.locator("h1")).to_have_text("我的余额")
    expect(page.locator("[data-test=balance]")).to_have_text("¥30.50")
    [movement] = page.locator("[data-test=movement]").all()
    expect(movement).to_contain_text("+¥30.50")
    expect(movement.locator("[data-test=what]")).to_have_text("京东E卡 100元 退款")
    expect(movement).to_contain_text("已存入余额，可立即使用")
    expect(movement).not_to_contain_text("rc_")  # the claim's id is for support: a tooltip, not the text
    link = movement.get_by_role("link", name="查看退卡申请")
    expect(link).to_have_attribute("href", f"/cases/{case['id']}")
    expect(link).to_have_attribute("title", f"退卡申请 {case['id']}")
    about = page.locator("[data-test=about]")
    expect(about.get_by_role("heading")).to_have_text("关于余额退款")
    for said in (
        "不经过支付宝、微信或银行",
        "即可在平台内下单使用",
        "没有支付宝、微信或银行的退款单号",
        "不办理余额提现",
    ):
        expect(about).to_contain_text(said)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "balance-phone.png", full_page=True)
    axe.check(page)
    page.goto(f"{live}/balance?lang=en")
    expect(page.locator("[data-test=movement] [data-test=what]")).to_have_text("Refund: 京东E卡 100元")
    expect(page.locator("[data-test=about]")).to_contain_text("The refund centre does not pay the balance out.")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=shots / "balance-desktop-en.png", full_page=True)
    axe.check(page)


def test_a_buyer_with_no_movements_sees_a_zero_balance(
    browser: Browser, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    page = browser.new_page()
    page.goto(sso("buyer_9"))
    page.goto(f"{live}/balance")

    expect(page.locator("[data-test=balance]")).to_have_text("¥0.00")
    expect(page.get_by_text("暂无余额变动")).to_be_visible()
    page.screenshot(path=shots / "balance-empty.png", full_page=True)
    axe.check(page)
