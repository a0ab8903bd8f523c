"""A buyer reads what tuika told them of their claims, with the unread count in the menu."""

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


def test_a_refunded_claim_is_told_step_by_step_and_read_with_one_button(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_msg1", delivery="failed", amount_fen=3050))
    case = file_case(api, auth, {"order_id": "ord_msg1", "reason": "not_delivered", "route": "balance"})
    assert case["status"] == "refunded"
    page = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    page.goto(sso("buyer_1"))

    # Received, approved, arrived: three unread, counted in the menu on every page.
    expect(page.locator("[data-test=unread]")).to_have_text("3")
    page.get_by_role("link", name="消息").click()

    expect(page.locator("h1")).to_have_text("消息")
    shown = page.locator("[data-test=message]")
    expect(shown).to_have_count(3)
    assert [m.get_attribute("data-moment") for m in shown.all()] == ["refund_arrived", "approved", "claim_received"]
    arrived = shown.first
    expect(arrived).to_contain_text("退款已到账")
    expect(arrived).to_contain_text("¥30.50 已退回平台余额")
    expect(arrived.locator("[data-test=new]")).to_have_text("未读")
    expect(arrived.get_by_role("link", name="查看退卡申请")).to_have_attribute("href", f"/cases/{case['id']}")
    expect(page.locator("main")).not_to_contain_text("rc_")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "messages-phone.png", full_page=True)
    axe.check(page)

    # The claim's page links to its own messages.
    page.goto(f"{live}/cases/{case['id']}")
    page.locator("[data-test=case-messages]").click()
    expect(page.locator("[data-test=one-case]")).to_contain_text("这笔退卡申请的消息")
    expect(page.locator("[data-test=message]")).to_have_count(3)

    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator("[data-test=new]")).to_have_count(0)
    expect(page.locator("[data-test=unread]")).to_have_count(0)
    expect(page.get_by_role("button", name="全部标为已读")).to_have_count(0)

    page.goto(f"{live}/messages?lang=en")
    expect(page.locator("[data-test=message]").first).to_contain_text("Your refund has arrived")
    expect(page.locator("[data-test=message]").first).to_contain_text("¥30.50 of refund")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=shots / "messages-desktop-en.png", full_page=True)
    axe.check(page)


def test_a_buyer_with_no_claims_is_told_what_will_come_here(
    browser: Browser, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    page = browser.new_page()
    page.goto(sso("buyer_9"))
    page.goto(f"{live}/messages")

    expect(page.locator("[data-test=no-messages]")).to_contain_text("每一步进展都会在这里通知您")
    expect(page.locator("[data-test=unread]")).to_have_count(0)
    page.screenshot(path=shots / "messages-empty.png", full_page=True)
    axe.check(page)
