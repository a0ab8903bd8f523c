"""An agent works the console in a real browser: the queue ticking, a case read in full, a decision by keyboard."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import card_key_for, order_payload, png_bytes
from tests.support.screens import RedeemError
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.http.auth import sign_in_token

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

StaffLink = Callable[..., str]


@pytest.fixture
def staff(system: System, live: str) -> StaffLink:
    """Return the platform's sign-in link for a member of staff."""

    def link(role: str = "agent", subject: str = "agent_1") -> str:
        token = sign_in_token(system.settings.secret_key, role, subject, datetime.now(UTC))
        return f"{live}/sso?token={token}"

    return link


def api_case(api: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_9"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_an_agent_sees_the_case_tick_in_the_queue_and_approves_it_by_keyboard(
    browser: Browser, api: TestClient, auth: Auth, staff: StaffLink, live: str, shots: Path
) -> None:
    case_id = manual_review_case(api, auth, "ord_bc1", buyer="buyer_2")
    page = open_page(browser)

    page.goto(staff())

    assert page.url == f"{live}/console"
    expect(page.locator("h1")).to_have_text("待办队列")
    row = page.locator(f"[data-case='{case_id}']")
    expect(row).to_contain_text("卡密无效")
    expect(row.locator("[data-test=priority]")).to_have_text("普通")
    countdown = row.locator("[data-test=countdown]")
    before = countdown.inner_text()
    assert re.fullmatch(r"剩余 1:5\d:\d\d", before), before
    page.wait_for_timeout(1500)
    after = countdown.inner_text()
    assert after != before
    assert re.fullmatch(r"剩余 1:5\d:\d\d", after), after
    page.screenshot(path=shots / "queue.png", full_page=True)
    axe.check(page)

    row.get_by_role("link").click()
    expect(page.locator("h1")).to_contain_text("卡密无效")
    expect(page.locator("[data-test=order]")).to_contain_text("ABCD-****-****-NPQR")
    expect(page.locator("[data-test=machine]")).to_contain_text("卡密使用状态待核实")
    expect(page.locator("[data-test=shortcuts]")).to_contain_text("批准退款")
    page.screenshot(path=shots / "case.png", full_page=True)
    axe.check(page)

    page.keyboard.press("?")
    dialog = page.locator("#keys-dialog")
    expect(dialog).to_be_visible()
    page.screenshot(path=shots / "case-shortcuts.png")
    axe.check(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Esc cancels a form; typing in a field is never taken for a shortcut.
    page.keyboard.press("e")
    expect(page.locator("#code-request_evidence")).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.type("ars")
    expect(page.locator("#note-request_evidence")).to_have_value("ars")
    expect(page.locator("#act-approve")).not_to_have_attribute("open", "")
    page.screenshot(path=shots / "case-evidence-form.png", full_page=True)
    axe.check(page)
    page.keyboard.press("Escape")
    expect(page.locator("#act-request_evidence")).not_to_have_attribute("open", "")

    page.keyboard.press("a")
    select = page.locator("#code-approve")
    expect(select).to_be_focused()
    expect(page.locator("#act-approve")).to_have_attribute("open", "")
    page.screenshot(path=shots / "case-approve-open.png", full_page=True)
    axe.check(page)
    page.keyboard.press("ArrowDown")  # the first reason: the evidence confirms the claim
    expect(select).to_have_value("evidence_confirms_claim")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live}/console")
    told = api_case(api, auth, case_id)["number"]
    expect(page.locator("[data-test=flash]")).to_contain_text(f"已批准申请 {told[:6]} {told[6:10]} {told[10:]}")
    expect(page.locator("[data-test=queue-empty]")).to_be_visible()
    page.screenshot(path=shots / "queue-after-approval.png", full_page=True)
    axe.check(page)
    case = api_case(api, auth, case_id)
    assert case["status"] == "refunded"
    [event] = [e for e in case["timeline"] if e["role"] == "agent"]
    assert (event["actor"], [c["code"] for c in event["reason_codes"]]) == ("agent_1", ["evidence_confirms_claim"])

    page.goto(f"{live}/console/cases/{case_id}")
    last = page.locator("[data-test=timeline] [data-test=event]").filter(has_text="agent_1")
    expect(last).to_contain_text("凭证证实问题属实")
    expect(last).not_to_contain_text("evidence_confirms_claim")  # words; the code is data for scripts
    expect(last.locator("[data-code=evidence_confirms_claim]")).to_have_attribute("data-direction", "supports")
    page.screenshot(path=shots / "case-after-approval.png", full_page=True)
    axe.check(page)


def test_after_a_decision_the_next_case_opens_with_a_word_on_the_last(
    browser: Browser, api: TestClient, auth: Auth, system: System, staff: StaffLink, live: str, shots: Path
) -> None:
    first = manual_review_case(api, auth, "ord_bn1")
    push(api, auth, order_payload("ord_bn2", merchant_name="星云数码卡券专营店"))
    body = {
        "order_id": "ord_bn2",
        "reason": "card_invalid",
        "evidence_ids": [upload(api, auth, data=png_bytes(color="teal"))],
    }
    second = file_case(api, auth, body)["id"]
    with system.engine.begin() as conn:  # the first is due first
        conn.execute(
            text("UPDATE cases SET due_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC) + timedelta(minutes=30), "id": first},
        )
    page = open_page(browser)
    page.goto(staff())
    page.locator(f"[data-case='{first}'] a").click()
    # The keys work once the case page and its script are loaded, not while the queue still shows.
    page.wait_for_url(f"{live}/console/cases/{first}")
    page.wait_for_load_state("load")

    page.keyboard.press("r")
    page.locator("#code-reject").select_option("evidence_insufficient")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live}/console/cases/{second}")
    flash = page.locator("[data-test=flash]")
    told = api_case(api, auth, first)["number"]
    expect(flash).to_have_text(f"✓ 已驳回申请 {told[:6]} {told[6:10]} {told[10:]}。已打开队列中的下一件。 查看上一件")
    expect(page.locator("[data-test=order] [data-test=merchant]")).to_have_text("星云数码卡券专营店 merchant_1")
    expect(page.locator("[data-test=form-approve]")).to_be_attached()
    page.screenshot(path=shots / "next-case.png", full_page=True)
    axe.check(page)
    assert api_case(api, auth, first)["status"] == "rejected"

    page.keyboard.press("e")
    page.locator("#code-request_evidence").select_option("evidence_unreadable")
    page.locator("#note-request_evidence").fill("请上传清晰的报错截图")
    page.keyboard.press("Enter")

    page.wait_for_url(f"{live}/console")
    told = api_case(api, auth, second)["number"]
    expect(page.locator("[data-test=flash]")).to_contain_text(
        f"已请买家为申请 {told[:6]} {told[6:10]} {told[10:]} 补充材料"
    )
    expect(page.locator("[data-test=queue-empty]")).to_be_visible()
    page.screenshot(path=shots / "queue-emptied.png", full_page=True)
    axe.check(page)


def test_a_reused_screenshot_is_a_warning_that_names_the_first_case(
    browser: Browser, api: TestClient, auth: Auth, staff: StaffLink, live: str, shots: Path
) -> None:
    shot = png_bytes(color="navy")
    cases = []
    for order_id, buyer in (("ord_br1", "buyer_1"), ("ord_br2", "buyer_2")):
        push(api, auth, order_payload(order_id, buyer=buyer, delivery="failed", amount_fen=1000))
        body = {"order_id": order_id, "reason": "not_delivered", "evidence_ids": [upload(api, auth, buyer, shot)]}
        cases.append(file_case(api, auth, body, buyer))
    first, again = cases
    assert (first["status"], again["status"]) == ("refunded", "manual_review")
    page = open_page(browser)
    page.goto(staff())

    page.goto(f"{live}/console/cases/{again['id']}")

    warning = page.locator("[data-test=warnings] [data-code=evidence_reused]")
    expect(warning).to_contain_text("截图已用于其他申请")
    expect(warning.locator("[data-test=other-case]")).to_have_text(first["id"])
    expect(page.locator("[data-test=signals]")).to_contain_text(first["id"])
    page.screenshot(path=shots / "case-reused.png", full_page=True)
    axe.check(page)
    warning.locator("[data-test=other-case]").click()
    expect(page.locator("[data-test=order]")).to_contain_text("ord_br1")


def test_an_overdue_case_is_red_and_says_so(
    browser: Browser, api: TestClient, auth: Auth, system: System, staff: StaffLink, shots: Path
) -> None:
    late = manual_review_case(api, auth, "ord_bo1")
    fresh = manual_review_case(api, auth, "ord_bo2")
    with system.engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET due_at = :at WHERE id = :id"),
            {"at": datetime.now(UTC) - timedelta(minutes=5), "id": late},
        )
    page = open_page(browser)

    page.goto(staff())

    rows = page.locator("[data-test=queue-case]")
    expect(rows.first).to_have_attribute("data-case", late)
    countdown = rows.first.locator("[data-test=countdown]")
    expect(countdown).to_contain_text(re.compile(r"已超时 0:0[56]:\d\d"))
    expect(rows.first.locator("[data-test=priority]")).to_have_text("紧急")
    assert countdown.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"
    expect(rows.nth(1)).to_have_attribute("data-case", fresh)
    expect(rows.nth(1).locator("[data-test=countdown]")).to_contain_text("剩余")
    page.screenshot(path=shots / "queue-overdue.png", full_page=True)
    axe.check(page)


@pytest.fixture
def reading(system: System) -> Iterator[FakeSupplier]:
    """Turn the bundled OCR on, with a supplier that calls every key invalid."""
    from tuika.adapters.ocr.paddle import PaddleOcr

    supplier = FakeSupplier()
    system.ctx.ocr, system.ctx.supplier = PaddleOcr(), supplier
    yield supplier
    system.ctx.ocr, system.ctx.supplier = None, None


@pytest.mark.ocr
def test_the_fields_read_are_boxed_on_the_screenshot_green_and_red(
    browser: Browser, api: TestClient, auth: Auth, staff: StaffLink, live: str, shots: Path, reading: FakeSupplier
) -> None:
    body = order_payload("ord_bx1", amount_fen=10000, merchant_name="金卡优选旗舰店", supplier_name="天虹卡业供应链")
    push(api, auth, body)
    delivered = datetime.fromisoformat(body["delivery"]["delivered_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    screen = RedeemError(
        order_id="ord_bx1", card_key=card_key_for("ord_bx1"), amount="500.00", time=f"{delivered:%Y-%m-%d %H:%M:%S}"
    )
    claim = {"order_id": "ord_bx1", "reason": "card_invalid", "evidence_ids": [upload(api, auth, data=screen.render())]}
    case = file_case(api, auth, claim)
    assert case["status"] == "manual_review"  # the amount on the screen is not the order's
    page = open_page(browser)
    page.goto(staff())

    page.goto(f"{live}/console/cases/{case['id']}")

    shot = page.locator("[data-test=shot]").first
    boxes = shot.locator("[data-test=box]")
    listed = shot.locator("[data-test=mark]")
    expect(shot.locator("img")).to_have_js_property("complete", True)
    shot.screenshot(path=shots / "case-ocr-boxes.png")
    page.screenshot(path=shots / "case-ocr.png", full_page=True)
    assert boxes.count() >= 4
    verdicts = {(b.get_attribute("data-field"), b.get_attribute("data-verdict")) for b in boxes.all()}
    # The product name says 100元, the order's amount; the tampered 500.00 is the one in red.
    assert {("order_number", "match"), ("card_key", "match"), ("amount", "mismatch"), ("time", "match")} <= verdicts
    # The same fields in words, each with its verdict, for whoever cannot tell green from red.
    expect(listed.filter(has_text="500.00")).to_contain_text("不符")
    expect(listed.filter(has_text="ord_bx1")).to_contain_text("一致")
    expect(shot.locator(".legend")).to_contain_text("红框：与订单不符")
    # The boxes sit on the image: the overlay covers it exactly, each box inside it.
    image = shot.locator("img").bounding_box()
    overlay = shot.locator("svg").bounding_box()
    assert image is not None
    assert overlay is not None
    assert [round(v) for v in overlay.values()] == [round(v) for v in image.values()]
    for each in boxes.all():
        box = each.bounding_box()
        assert box is not None
        assert image["x"] <= box["x"] <= box["x"] + box["width"] <= image["x"] + image["width"] + 1
        assert image["y"] <= box["y"] <= box["y"] + box["height"] <= image["y"] + image["height"] + 1
    amount = shot.locator("[data-test=box][data-field=amount][data-verdict=mismatch]").bounding_box()
    assert amount is not None
    assert 0.38 < (amount["y"] - image["y"]) / image["height"] < 0.46  # the 金额 row, 545 px down 1280
    axe.check(page)
    # The supplier's word settles the key; the contradicting amount is left for the person to check.
    suggestion = page.locator("[data-test=suggestion]")
    expect(suggestion).to_contain_text("建议： 批准退款 · 供货商确认问题")
    expect(suggestion).to_contain_text("决定前请核对： ✗ 存疑或不利：截图内容与订单信息不符")
    machine = page.locator("[data-test=machine]")
    expect(machine.locator("[data-test=summary]")).to_have_text("可以批准，但请先核对下列疑点。")
    # The supplier's word for the buyer is green and ticked, the doubt red and crossed: not two alarms.
    confirmed = machine.locator("[data-test=machine-reasons] [data-code=supplier_card_invalid]")
    doubt = machine.locator("[data-test=machine-reasons] [data-code=ocr_contradicts_order]")
    expect(confirmed).to_have_text("✓ 支持申请：供货商确认卡密无效")
    expect(doubt).to_have_text("✗ 存疑或不利：截图内容与订单信息不符")
    assert confirmed.evaluate("el => getComputedStyle(el).color") == "rgb(10, 122, 59)"
    assert doubt.evaluate("el => getComputedStyle(el).color") == "rgb(180, 35, 24)"
    expect(page.locator("[data-test=order] [data-test=merchant]")).to_have_text("金卡优选旗舰店 merchant_1")
    expect(page.locator("[data-test=evidence]")).not_to_contain_text("paddle")
    suggestion.get_by_role("button", name="采纳建议").click()
    expect(page.locator("#code-approve")).to_be_focused()
    expect(page.locator("#code-approve")).to_have_value("supplier_confirmed_fault")


def test_a_buyer_is_turned_away_from_the_console(
    browser: Browser, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    page = open_page(browser)
    page.goto(sso("buyer_1"))

    response = page.goto(f"{live}/console")

    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("alert")).to_have_text("仅客服与仲裁人员可进入工作台。")
    page.screenshot(path=shots / "buyer-refused.png", full_page=True)
    axe.check(page)


def test_on_a_phone_in_english_the_queue_fits_and_a_bad_filter_is_explained(
    browser: Browser, api: TestClient, auth: Auth, staff: StaffLink, live: str, shots: Path
) -> None:
    case_id = manual_review_case(api, auth, "ord_bp1", amount_fen=12345)
    page = open_page(browser, PHONE)
    page.goto(staff("arbitrator", "arb_1"))

    page.get_by_role("link", name="English").click()

    expect(page.locator("h1")).to_have_text("Review queue")
    expect(page.locator("[data-test=countdown]")).to_contain_text(re.compile(r"1:5\d:\d\d left"))
    expect(page.locator("[data-test=tab-arbitration]")).to_have_text("Arbitration")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "queue-phone-en.png", full_page=True)
    axe.check(page)

    page.get_by_label("Minimum amount (yuan)").fill("abc")
    page.get_by_label("Maximum amount (yuan)").fill("200")
    page.get_by_role("button", name="Filter").click()

    expect(page.get_by_role("alert")).to_contain_text("Enter an amount as a number")
    expect(page.get_by_label("Minimum amount (yuan)")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"[data-case='{case_id}']")).to_be_visible()  # the good filter still holds
    no_sideways_scroll(page)
    page.screenshot(path=shots / "queue-phone-bad-filter.png", full_page=True)
    axe.check(page)

    page.locator(f"[data-case='{case_id}'] a").click()
    expect(page.locator("h1")).to_contain_text("Invalid card key")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "case-phone-en.png", full_page=True)
    axe.check(page)
