"""A buyer follows a claim on its page: stages, voucher, more evidence, withdrawal, appeal, live updates."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, file_case, manual_review_case, push
from tests.support.factories import order_payload, png_bytes
from tuika.domain.ids import spaced_number

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CURRENT = "[aria-current=step] .case-step-label"


def api_case(api: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def approve(api: TestClient, auth: Auth, case_id: str) -> None:
    decided = api.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"], "note": "核实无误"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text


def test_a_refund_to_the_balance_shows_refunded_with_its_voucher_and_history(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cp1", delivery="failed", amount_fen=5000))
    case = file_case(api, auth, {"order_id": "ord_cp1", "reason": "not_delivered", "route": "balance"})
    assert case["status"] == "refunded"
    page = open_page(browser)
    page.goto(sso("buyer_1"))

    page.goto(f"{live}/cases/{case['id']}")

    expect(page.locator(CURRENT)).to_have_text("已退款")
    expect(page.locator("[data-test=steps] li")).to_have_count(5)
    expect(page.locator("[data-test=steps] li.todo")).to_have_count(0)
    voucher = page.locator("[data-test=voucher]")
    expect(voucher.get_by_role("heading")).to_have_text("退款凭证")
    expect(voucher.locator("[data-test=voucher-amount]")).to_have_text("50.00")
    expect(voucher.locator("[data-test=voucher-id]")).to_have_text(spaced_number(case["number"]))
    expect(voucher.locator("[data-test=voucher-balance]")).to_have_attribute("href", "/balance")
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text("已到账")
    expect(voucher).to_contain_text("平台余额")
    events = page.locator("[data-test=event]")
    expect(events).to_have_count(5)
    expect(events.first).to_contain_text("买家")
    expect(events.last).to_contain_text("退款处理中 → 已退款")
    expect(page.locator("[data-test=decision]")).to_contain_text("系统自动审核通过")
    # The refund number a buyer reads out to support, grouped, with a button that copies it.
    number = api.get(f"/v1/refund-cases/{case['id']}", headers=auth("buyer", "buyer_1")).json()["number"]
    expect(page.locator("[data-test=case-number]")).to_have_text(f"{number[:6]} {number[6:10]} {number[10:]}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="复制退款编号").click()
    expect(page.locator("[data-copied]")).to_have_text("已复制")
    assert page.evaluate("navigator.clipboard.readText()") == number
    page.screenshot(path=shots / "refunded.png", full_page=True)
    axe.check(page)

    page.get_by_role("navigation").get_by_role("link", name="我的退卡").click()
    listed = page.locator("[data-test=case]")
    expect(listed).to_have_count(1)
    expect(listed.locator("[data-test=case-stage]")).to_have_text("已退款")
    expect(listed).to_contain_text("¥50.00")
    page.screenshot(path=shots / "my-cases.png", full_page=True)
    axe.check(page)
    listed.click()
    expect(page.locator(CURRENT)).to_have_text("已退款")


def test_more_evidence_is_uploaded_from_the_page_on_a_phone(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path, tmp_path: Path
) -> None:
    push(api, auth, order_payload("ord_cp2"))
    case_id = file_case(api, auth, {"order_id": "ord_cp2", "reason": "card_invalid"})["id"]
    assert api_case(api, auth, case_id)["status"] == "awaiting_evidence"
    screenshot = tmp_path / "activation-failed.png"
    screenshot.write_bytes(png_bytes(color="black"))
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/cases/{case_id}")

    expect(page.locator(CURRENT)).to_have_text("待补充材料")
    expect(page.locator("[data-test=asked]")).to_contain_text("请补充：激活/充值失败截图")
    expect(page.locator("[data-test=expected]")).to_contain_text("预计")
    todo = page.locator("[data-test=steps] li.todo .case-step-label")
    expect(todo).to_have_text(["材料审核中", "审核通过", "退款处理中", "已退款"])
    no_sideways_scroll(page)
    page.screenshot(path=shots / "awaiting-evidence-phone.png", full_page=True)
    axe.check(page)

    page.get_by_label("选择图片").set_input_files(screenshot)
    page.get_by_label("补充说明（选填）").fill("这是激活失败的截图")
    page.get_by_role("button", name="上传并提交").click()

    expect(page.locator(CURRENT)).to_have_text("人工复核中")
    shot = page.locator("[data-test=shot]")
    expect(shot).to_have_count(1)
    expect(shot).to_contain_text("激活/充值失败截图")
    image = shot.locator("img")
    expect(image).to_have_attribute("alt", "凭证截图 1：激活/充值失败截图")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('[data-test=shot] img').naturalWidth === 320")
    expect(page.locator("[data-test=event]").nth(3)).to_contain_text("这是激活失败的截图")
    assert [e["kind"] for e in api_case(api, auth, case_id)["evidence"]] == ["error_screenshot"]
    no_sideways_scroll(page)
    page.screenshot(path=shots / "evidence-added-phone.png", full_page=True)
    axe.check(page)


def test_withdrawing_asks_for_confirmation_in_a_dialog(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    case_id = manual_review_case(api, auth, "ord_cp3")
    page = open_page(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/cases/{case_id}")
    dialog = page.get_by_role("dialog")

    opener = page.get_by_role("button", name="撤回申请")
    opener.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("确认撤回这个退卡申请？")
    page.screenshot(path=shots / "withdraw-dialog.png", full_page=True)
    axe.check(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert api_case(api, auth, case_id)["status"] == "manual_review"

    opener.click()
    dialog.get_by_label("撤回原因（选填）").fill("已经自己解决了")
    dialog.get_by_role("button", name="确认撤回").click()

    expect(page.locator(CURRENT)).to_have_text("已撤回")
    expect(page.locator("[data-test=steps] li.todo")).to_have_count(0)
    expect(page.get_by_role("button", name="撤回申请")).to_have_count(0)
    expect(page.locator("[data-test=event]").last).to_contain_text("已经自己解决了")
    assert api_case(api, auth, case_id)["status"] == "withdrawn"
    page.screenshot(path=shots / "withdrawn.png", full_page=True)
    axe.check(page)


def test_a_rejection_is_appealed_to_arbitration_in_english_on_a_phone(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cp4"))
    case_id = file_case(api, auth, {"order_id": "ord_cp4", "reason": "mistaken_purchase"})["id"]
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/cases/{case_id}")
    expect(page.locator(CURRENT)).to_have_text("已驳回")
    expect(page.locator("[data-test=decision]")).to_contain_text("商品已发货，不符合未发货条件")
    page.screenshot(path=shots / "rejected-phone.png", full_page=True)
    axe.check(page)

    page.get_by_role("link", name="English").click()
    expect(page.locator(CURRENT)).to_have_text("Rejected")
    page.get_by_label("Why the decision is wrong").fill("I bought it before it was delivered")
    page.get_by_role("button", name="Send the appeal").click()

    expect(page.locator(CURRENT)).to_have_text("Fast arbitration")
    expect(page.locator("[data-test=expected]")).to_contain_text("Expected by")
    expect(page.get_by_role("button", name="Send the appeal")).to_have_count(0)
    expect(page.locator("[data-test=event]").last).to_contain_text("Appeal by the buyer")
    assert api_case(api, auth, case_id)["appealed"] is True
    no_sideways_scroll(page)
    page.screenshot(path=shots / "appealed-phone-en.png", full_page=True)
    axe.check(page)
    page.get_by_role("link", name="中文").click()
    expect(page.locator(CURRENT)).to_have_text("快速仲裁中")


def test_the_page_follows_an_agents_decision_without_a_reload(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    quiet = manual_review_case(api, auth, "ord_cp5")
    typing = manual_review_case(api, auth, "ord_cp6")
    page = open_page(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/cases/{quiet}")
    expect(page.locator(CURRENT)).to_have_text("人工复核中")
    page.screenshot(path=shots / "manual-review.png", full_page=True)
    axe.check(page)

    approve(api, auth, quiet)

    expect(page.locator(CURRENT)).to_have_text("已退款", timeout=10_000)
    expect(page.locator("[data-test=voucher-amount]")).to_have_text("100.00")
    page.screenshot(path=shots / "refunded-live.png", full_page=True)

    # A half-written note is not thrown away: the page offers to refresh instead.
    page.goto(f"{live}/cases/{typing}")
    page.locator("[data-test=add-evidence] summary").click()
    note = page.get_by_label("补充说明（选填）")
    note.fill("我还想补充一张")
    approve(api, auth, typing)
    refresh = page.get_by_role("button", name="有新进展，点击刷新")
    expect(refresh).to_be_visible(timeout=10_000)
    expect(note).to_have_value("我还想补充一张")
    expect(page.locator(CURRENT)).to_have_text("人工复核中")
    page.screenshot(path=shots / "news-while-typing.png", full_page=True)
    axe.check(page)
    refresh.click()
    expect(page.locator(CURRENT)).to_have_text("已退款")
