"""A merchant in a real browser: its claims ticking, one read in full, an accept and a contest by clicking."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import text

from tests.browser import axe
from tests.browser.pages import DESKTOP, no_sideways_scroll
from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import order_payload, png_bytes
from tuika.bootstrap import System
from tuika.http.auth import sign_in_token

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

# A phone as merchants hold them now, taller than the buyer pages' smallest.
PHONE = {"width": 390, "height": 844}
MerchantLink = Callable[..., str]
# What no merchant page may show: the buyers, and what the anti-fraud review made of them.
WITHHELD = ("buyer_1", "buyer_9", "evidence_reused", "截图已用于其他申请")


@pytest.fixture
def merchant(system: System, live: str) -> MerchantLink:
    """Return the platform's sign-in link for a merchant."""

    def link(subject: str = "merchant_1") -> str:
        token = sign_in_token(system.settings.secret_key, "merchant", subject, datetime.now(UTC))
        return f"{live}/sso?token={token}"

    return link


def open_at(browser: Browser, size: dict[str, int]) -> Page:
    return browser.new_context(viewport=size, locale="zh-CN").new_page()


def staff_case(api: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_9"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def reused_claim(api: TestClient, auth: Auth) -> str:
    """Return a claim on merchant_1's goods whose screenshot another buyer used first."""
    shot = png_bytes(color="maroon")
    push(api, auth, order_payload("ord_mp0", buyer="buyer_9", merchant_id="merchant_2"))
    body = {"order_id": "ord_mp0", "reason": "card_invalid", "evidence_ids": [upload(api, auth, "buyer_9", shot)]}
    file_case(api, auth, body, "buyer_9")
    push(api, auth, order_payload("ord_mp1", title="腾讯视频VIP月卡"))
    body = {
        "order_id": "ord_mp1",
        "reason": "card_invalid",
        "description": "兑换时提示卡密已被使用",
        "evidence_ids": [upload(api, auth, "buyer_1", shot)],
    }
    return str(file_case(api, auth, body)["id"])


def no_secrets(page: Page) -> None:
    shown = page.content()
    for secret in WITHHELD:
        assert secret not in shown, secret


def test_on_a_phone_the_merchant_sees_its_claims_tick_and_accepts_one_by_clicking(
    browser: Browser, api: TestClient, auth: Auth, merchant: MerchantLink, live: str, shots: Path
) -> None:
    reused = reused_claim(api, auth)
    plain = manual_review_case(api, auth, "ord_mp2", amount_fen=5000)
    push(api, auth, order_payload("ord_mp3", delivery="failed"))
    file_case(api, auth, {"order_id": "ord_mp3", "reason": "not_delivered", "route": "balance"})
    page = open_at(browser, PHONE)

    page.goto(merchant())

    assert page.url == f"{live}/merchant"
    expect(page.locator("h1")).to_have_text("针对我商品的退卡申请")
    week = page.locator("[data-test=period-7]")
    expect(week.locator("[data-test=orders]")).to_have_text("3")
    expect(week.locator("[data-test=rate]")).to_have_text("33.3%")
    expect(week.locator("[data-test=reasons]")).to_contain_text("卡密无效 2 件")
    rows = page.locator("[data-test=waiting] [data-test=claim]")
    expect(rows).to_have_count(2)
    countdown = rows.first.locator("[data-test=countdown]")
    before = countdown.inner_text()
    assert re.fullmatch(r"剩余 0:5\d:\d\d", before), before
    page.wait_for_timeout(1500)
    assert countdown.inner_text() != before
    expect(page.locator("[data-test=others] [data-test=claim]")).to_contain_text("已退款")
    no_secrets(page)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "claims-phone.png", full_page=True)
    axe.check(page)

    page.locator(f"[data-case='{reused}'] a").click()
    expect(page.locator("h1")).to_have_text("卡密无效 · 腾讯视频VIP月卡")
    expect(page.locator("[data-test=order]")).to_contain_text("ABCD-****-****-NPQR")
    expect(page.locator("[data-test=claim]")).to_contain_text("兑换时提示卡密已被使用")
    expect(page.locator("[data-test=deadline]")).to_contain_text("逾期未答复将视为同意退款")
    image = page.locator("[data-test=evidence] img").first
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") == 320
    no_secrets(page)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "case-phone.png", full_page=True)
    axe.check(page)

    page.get_by_text("同意退款", exact=True).click()
    page.get_by_label("说明（必填）").fill("核实卡密确有问题，同意退款")
    page.screenshot(path=shots / "case-phone-accepting.png", full_page=True)
    page.get_by_role("button", name="提交").click()

    page.wait_for_url(f"{live}/merchant/cases/{reused}")
    expect(page.locator("[data-test=flash]")).to_contain_text("您已同意退款")
    expect(page.locator("[data-test=answer-form]")).to_have_count(0)
    expect(page.locator("[data-test=said]")).to_contain_text("核实卡密确有问题，同意退款")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "case-phone-accepted.png", full_page=True)
    axe.check(page)
    case = staff_case(api, auth, reused)
    assert case["merchant"]["answer"] == "accept"
    assert case["status"] in ("approved", "refunding", "refunded")

    page.get_by_role("link", name="全部退卡申请").click()
    expect(page.locator("[data-test=waiting] [data-test=claim]")).to_have_count(1)
    expect(page.locator(f"[data-case='{plain}']")).to_be_visible()
    page.screenshot(path=shots / "claims-phone-after.png", full_page=True)
    axe.check(page)


def test_on_a_desktop_the_merchant_contests_with_an_image_by_clicking(
    browser: Browser, api: TestClient, auth: Auth, merchant: MerchantLink, live: str, shots: Path, tmp_path: Path
) -> None:
    case_id = manual_review_case(api, auth, "ord_md1")
    page = open_at(browser, DESKTOP)
    page.goto(merchant())
    page.screenshot(path=shots / "claims-desktop.png", full_page=True)
    axe.check(page)

    page.locator(f"[data-case='{case_id}'] a").click()
    expect(page.locator("[data-test=answer]")).to_contain_text("请在")
    page.screenshot(path=shots / "case-desktop.png", full_page=True)
    axe.check(page)

    page.get_by_text("不同意，提出申诉", exact=True).click()
    page.get_by_label("说明（必填）").fill("该卡密发货后已被兑换，兑换记录见图")
    proof = tmp_path / "redeemed.png"
    proof.write_bytes(png_bytes(240, 420, color="green"))
    page.get_by_label("图片（可选）").set_input_files(str(proof))
    page.get_by_role("button", name="提交").click()

    page.wait_for_url(f"{live}/merchant/cases/{case_id}")
    expect(page.locator("[data-test=flash]")).to_contain_text("您已提出申诉，申请已转快速仲裁")
    expect(page.locator("[data-test=stage]")).to_have_text("快速仲裁中")
    mine = page.locator("[data-test=said] img")
    expect(mine).to_have_count(1)
    expect(mine).to_have_js_property("complete", True)
    assert mine.evaluate("img => img.naturalWidth") == 240
    # In arbitration a statement is all that is left to say.
    expect(page.locator("[data-test=answer-form]")).to_contain_text("仲裁员和买家都能看到")
    expect(page.locator("[data-test=choose-accept]")).to_have_count(0)
    page.screenshot(path=shots / "case-desktop-contested.png", full_page=True)
    axe.check(page)
    case = staff_case(api, auth, case_id)
    assert (case["status"], case["merchant"]["answer"]) == ("arbitration", "contest")
    assert len(case["merchant"]["responses"][0]["evidence"]) == 1


def test_a_late_answer_is_refused_on_the_page_and_the_pages_read_in_english(
    browser: Browser, api: TestClient, auth: Auth, system: System, merchant: MerchantLink, live: str, shots: Path
) -> None:
    case_id = manual_review_case(api, auth, "ord_ml1")
    page = open_at(browser, PHONE)
    page.goto(merchant())
    page.locator(f"[data-case='{case_id}'] a").click()
    page.get_by_text("不同意，提出申诉", exact=True).click()
    page.get_by_label("说明（必填）").fill("不同意")
    with system.engine.begin() as conn:  # the deadline passes while the merchant types
        moved = text("UPDATE merchant_windows SET respond_by = :at WHERE case_id = :id")
        conn.execute(moved, {"at": datetime.now(UTC) - timedelta(seconds=5), "id": case_id})
    page.get_by_role("button", name="提交").click()

    # Said where the page opens, and beside the form far below it on a phone.
    expect(page.locator("[data-test=refused-top]")).to_be_in_viewport()
    expect(page.locator("[data-test=refused-top]")).to_contain_text("答复期限已过")
    expect(page.locator("[data-test=refused]")).to_contain_text("答复期限已过")
    expect(page.locator("[data-test=choose-contest]")).to_have_count(0)
    expect(page.locator("[data-test=countdown]")).to_contain_text("已超时")
    expect(page.get_by_label("说明（必填）")).to_have_value("不同意")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "case-phone-late.png", full_page=True)
    axe.check(page)
    assert staff_case(api, auth, case_id)["merchant"]["responses"] == []

    page.goto(f"{live}/merchant/cases/{case_id}?lang=en")
    expect(page.locator("[data-test=answer]")).to_contain_text("Your time to answer has passed")
    page.screenshot(path=shots / "case-phone-english.png", full_page=True)
    axe.check(page)

    empty = open_at(browser, PHONE)
    empty.goto(merchant("merchant_5"))
    expect(empty.locator("[data-test=empty]")).to_have_text("目前没有针对您商品的退卡申请。")
    empty.screenshot(path=shots / "claims-phone-empty.png", full_page=True)
    axe.check(empty)
