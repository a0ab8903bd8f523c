"""Finance reads balances and holds in a real browser, on a desktop and a phone: from the figures to a claim on hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import DESKTOP, PHONE, no_sideways_scroll, open_page
from tests.browser.test_finance_page import admin_link
from tests.services.test_balances import claim, decide, fund, merchants_fault, publish_fault_fees
from tests.support.api import Auth, manual_review_case
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def test_finance_goes_from_the_balances_to_a_merchants_claims_on_hold_and_on_to_one_of_them(
    browser: Browser, api: TestClient, auth: Auth, system: System, live: str, shots: Path
) -> None:
    publish_fault_fees(api, auth)
    fund(api, auth, "merchant", "merchant_1", 30_000, "BANK-P-001")
    fund(api, auth, "supplier", "supplier_2", 20_000, "BANK-P-002")
    held = claim(api, auth, "ord_pb1", 4200, merchant_name="金卡优选旗舰店", supplier_name="华东卡密供应")
    claim(api, auth, "ord_pb2", 1500)
    claim(api, auth, "ord_pb3", 9000, merchant="merchant_2", merchant_name="星辰数码专营店")
    decide(api, auth, merchants_fault(api, auth, "ord_pb4", 8000), "approve", "merchant_confirmed_fault")
    decide(
        api, auth, manual_review_case(api, auth, "ord_pb5", amount_fen=60_000), "approve", "supplier_confirmed_fault"
    )
    number = spaced_number(api.get(f"/v1/refund-cases/{held}", headers=auth("admin", "root")).json()["number"])
    page = open_page(browser, DESKTOP)
    page.goto(admin_link(system, live))

    page.get_by_role("navigation", name="工作台").get_by_role("link", name="余额与冻结").click()

    assert page.url == f"{live}/console/finance/balances"
    expect(page.locator("h1")).to_have_text("余额与冻结")
    rows = page.locator("[data-test=merchant-row]")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("[data-test=name]")).to_contain_text("星辰数码专营店")
    mine = page.locator("[data-party='merchant_1']")
    expect(mine.locator("[data-test=held]")).to_have_text("¥57.00 · 2 笔申请")
    expect(mine.locator("[data-test=settlement]")).to_have_text("−¥137.00")
    expect(mine.locator("[data-test=deposit]")).to_have_text("¥297.00")
    expect(mine.locator("[data-test=recovered]")).to_have_text("¥80.00")
    expect(mine.locator("[data-test=fault-fees]")).to_have_text("¥3.00")
    page.screenshot(path=shots / "merchants.png", full_page=True)
    axe.check(page)
    page.get_by_text("各项说明").click()
    expect(page.get_by_text("结算调整：退卡申请对商家待结算款的增减")).to_be_visible()
    page.screenshot(path=shots / "merchants-explained.png", full_page=True)
    axe.check(page)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "merchants-phone.png", full_page=True)
    axe.check(page)

    mine.get_by_role("link", name="查看冻结中的 2 笔申请").click()

    assert page.url == f"{live}/console/finance/balances/merchants/merchant_1"
    expect(page.locator("h1")).to_contain_text("冻结款：金卡优选旗舰店")
    holds = page.locator("[data-test=hold-row]")
    expect(holds.locator("[data-test=amount]")).to_have_text(["¥42.00", "¥15.00"])
    expect(holds.first.locator("[data-test=stage]")).to_have_text("人工复核中")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "holds-phone.png", full_page=True)
    axe.check(page)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=shots / "holds.png", full_page=True)
    axe.check(page)

    page.get_by_role("link", name=f"退款编号 {number}").click()

    assert page.url == f"{live}/console/cases/{held}"

    page.goto(f"{live}/console/finance/balances/suppliers")
    owing = page.locator("[data-party='supplier_1']")
    expect(page.locator("[data-test=supplier-row]").first).to_have_attribute("data-party", "supplier_1")
    expect(owing.locator("[data-test=name]")).to_contain_text("华东卡密供应")
    expect(owing.locator("[data-test=deposit]")).to_have_text("−¥605.00（欠款）")
    page.screenshot(path=shots / "suppliers.png", full_page=True)
    axe.check(page)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "suppliers-phone.png", full_page=True)
    axe.check(page)

    page.goto(f"{live}/console/finance/balances?lang=en")
    expect(page.locator("h1")).to_have_text("Balances and holds")
    expect(page.locator("[data-party='merchant_1'] [data-test=held]")).to_have_text("¥57.00 · 2 claims")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "merchants-en-phone.png", full_page=True)
    axe.check(page)
