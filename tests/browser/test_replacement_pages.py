"""New keys instead of the money in a real browser: the merchant offers one, the buyer takes it on a phone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import DESKTOP, no_sideways_scroll
from tests.support.api import Auth, manual_review_case
from tuika.bootstrap import System
from tuika.http.auth import sign_in_token

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

PHONE = {"width": 360, "height": 780}
NEW_KEY = "SWAP-7K2M-Q9XR-4D8P"


def link_for(system: System, live: str, role: str, subject: str) -> str:
    token = sign_in_token(system.settings.secret_key, role, subject, datetime.now(UTC))
    return f"{live}/sso?token={token}"


def test_the_merchant_offers_a_key_and_the_buyer_takes_it_on_a_phone(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    system: System,
    live: str,
    shots: Path,
    sso: Callable[[str], str],
) -> None:
    case_id = manual_review_case(api, auth, "ord_bx1")
    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    desk.goto(link_for(system, live, "merchant", "merchant_1"))
    desk.goto(f"{live}/merchant/cases/{case_id}")

    desk.get_by_text("补发新卡密", exact=True).click()
    desk.get_by_label("第 1 件的新卡密").fill(NEW_KEY)
    desk.get_by_label("说明（必填）").fill("库存中的新卡密已核实可用，为您补发")
    desk.screenshot(path=shots / "merchant-replacing.png", full_page=True)
    axe.check(desk)
    desk.get_by_role("button", name="提交").click()
    desk.wait_for_url(f"{live}/merchant/cases/{case_id}")
    expect(desk.locator("[data-test=flash]")).to_contain_text("已向买家提供补发")
    assert NEW_KEY not in desk.content()
    desk.screenshot(path=shots / "merchant-replaced.png", full_page=True)

    phone = browser.new_context(viewport=PHONE, locale="zh-CN").new_page()
    phone.goto(sso("buyer_1"))
    phone.goto(f"{live}/cases/{case_id}")
    offer = phone.locator("[data-test=offer]")
    expect(offer).to_contain_text("商家为您补发了新卡密")
    expect(offer).to_contain_text("库存中的新卡密已核实可用")
    expect(offer.locator("code")).to_contain_text("SWAP")
    assert NEW_KEY not in phone.content()
    no_sideways_scroll(phone)
    phone.screenshot(path=shots / "buyer-offer-phone.png", full_page=True)
    axe.check(phone)

    phone.locator("[data-test=offer-accept]").click()
    phone.wait_for_url(f"{live}/cases/{case_id}")
    expect(phone.locator("[data-test=offer-outcome]")).to_contain_text("您已接受补发")
    expect(phone.locator("[data-test=offer-accept]")).to_have_count(0)
    no_sideways_scroll(phone)
    phone.screenshot(path=shots / "buyer-replaced-phone.png", full_page=True)
    axe.check(phone)

    phone.get_by_role("link", name="查看订单中的新卡密").click()
    phone.get_by_role("button", name="查看卡密").first.click()
    expect(phone.locator("body")).to_contain_text(NEW_KEY)
    phone.screenshot(path=shots / "buyer-order-new-key-phone.png", full_page=True)
