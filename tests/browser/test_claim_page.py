"""A buyer files a claim from the order page: evidence per reason, a live estimate, one case per form."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, push
from tests.support.factories import card_key_for, order_payload
from tests.support.screens import RedeemError
from tuika.settings import Settings

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

SCREENSHOT_INPUT = "#file-card_invalid-error_screenshot"
MAX_BYTES = 512 * 1024


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings with a half-megabyte upload limit, so a too-large file is cheap to make."""
    return Settings(
        demo=True, data_dir=tmp_path / "data", database_url=db_url, evidence_max_bytes=MAX_BYTES, ocr_engine="off"
    )


def screenshot_of(order_id: str, item: int = 0) -> dict[str, Any]:
    """Return a drawn phone screenshot of the redeem error for an order's key, as a file to attach."""
    png = RedeemError(order_id=order_id, card_key=card_key_for(order_id, item)).render()
    return {"name": "redeem-error.png", "mimeType": "image/png", "buffer": png}


def case_of(api: TestClient, auth: Auth, page: Page, live: str, buyer: str = "buyer_1") -> dict[str, Any]:
    """Return, through API v1, the case the page was sent to."""
    expect(page).to_have_url(re.compile(rf"^{re.escape(live)}/cases/rc_\w+$"))
    case_id = page.url.rsplit("/", 1)[-1]
    response = api.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def cases_of(api: TestClient, auth: Auth, buyer: str = "buyer_1") -> list[dict[str, Any]]:
    response = api.get("/v1/refund-cases", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_a_buyer_picks_a_reason_attaches_the_screenshot_it_needs_and_lands_on_the_case(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cw1"))
    page = open_page(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_cw1")

    page.get_by_role("link", name="申请退卡").click()

    expect(page.locator("h1")).to_have_text("申请退卡")
    facts = page.locator("[data-test=facts]")
    for fact in ("ord_cw1", "京东E卡 100元", "¥100.00", "付款时间", "发货时间"):
        expect(facts).to_contain_text(fact)
    estimate = page.locator("[data-test=path]")
    page.get_by_label("卡密无效").check()
    uploads = page.locator("[data-test=upload]:visible")
    expect(uploads).to_have_count(1)
    expect(uploads).to_have_attribute("data-kind", "error_screenshot")
    expect(uploads.get_by_label("激活/充值失败截图")).to_have_attribute("accept", "image/*")
    expect(uploads.get_by_role("img")).to_have_attribute("src", "/static/examples/error_screenshot.svg")
    expect(estimate).to_have_text("请先补充所需凭证")
    page.screenshot(path=shots / "claim-card-invalid.png", full_page=True)
    axe.check(page)

    # A mistake is claimable before delivery only, and the order says it was delivered.
    expect(page.get_by_label("误拍")).to_be_disabled()
    expect(page.locator("[data-reason=mistaken_purchase]")).to_contain_text("本订单已发货，此项仅限发货前申请。")
    page.screenshot(path=shots / "claim-mistaken.png", full_page=True)
    axe.check(page)

    page.locator(SCREENSHOT_INPUT).set_input_files(screenshot_of("ord_cw1"))
    expect(estimate).to_have_text("需人工复核，预计 2 小时内")
    expect(page.locator("[data-test=estimate]")).to_contain_text("¥100.00")
    page.get_by_label("补充说明（选填）").fill("兑换时提示卡密已被使用")
    page.screenshot(path=shots / "claim-attached.png", full_page=True)
    axe.check(page)

    # A double click sends the form once: the button is disabled as the first click sends it.
    page.get_by_role("button", name="提交申请").dblclick()

    case = case_of(api, auth, page, live)
    assert (case["reason"], case["item_ids"], case["description"]) == (
        "card_invalid",
        ["ord_cw1_i0"],
        "兑换时提示卡密已被使用",
    )
    assert [(e["kind"], e["content_type"]) for e in case["evidence"]] == [("error_screenshot", "image/png")]
    assert len(cases_of(api, auth)) == 1


def test_a_three_key_order_claims_only_the_ticked_keys_and_shows_the_rest_held(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cw2", items=3, amount_fen=15000, delivery="pending"))
    page = open_page(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_cw2/claim")
    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(3)
    for n in range(3):
        expect(boxes.nth(n)).to_be_checked()

    # Not delivered yet: a key cannot have failed, so that reason waits for the delivery.
    expect(page.get_by_label("卡密无效")).to_be_disabled()
    expect(page.locator("[data-reason=card_invalid]")).to_contain_text("商品发货后才能以此原因申请。")
    page.get_by_label("误拍").check()
    expect(page.locator("[data-test=upload]:visible")).to_have_count(0)
    expect(page.get_by_text("该原因无需上传凭证。")).to_be_visible()
    expect(page.locator("[data-reason=mistaken_purchase] [data-test=reason-fee]")).to_have_text("手续费 ¥1.00")
    expect(page.locator("[data-test=path]")).to_have_text("预计秒级自动审核通过")
    expect(page.locator("[data-test=fee]")).to_have_text("¥1.00")
    page.get_by_label("第 2 项").uncheck()
    expect(page.locator("[data-field=refundable]")).to_have_text("100.00")
    expect(page.locator("[data-field=payout]")).to_have_text("99.00")
    page.screenshot(path=shots / "claim-two-of-three.png", full_page=True)
    axe.check(page)
    page.get_by_role("button", name="提交申请").click()

    case = case_of(api, auth, page, live)
    assert (case["reason"], case["item_ids"]) == ("mistaken_purchase", ["ord_cw2_i0", "ord_cw2_i2"])
    page.goto(f"{live}/orders/ord_cw2/claim")
    expect(page.get_by_label("第 1 项")).to_be_disabled()
    expect(page.get_by_label("第 3 项")).to_be_disabled()
    expect(page.get_by_label("第 2 项")).to_be_checked()
    expect(page.get_by_text("已申请退卡，不能重复申请。")).to_have_count(2)
    expect(page.get_by_role("link", name="查看退卡进度")).to_have_count(2)
    expect(page.get_by_role("link", name="查看退卡进度").first).to_have_attribute("href", f"/cases/{case['id']}")
    page.screenshot(path=shots / "claim-held.png", full_page=True)
    axe.check(page)


def test_on_a_phone_in_english_the_form_fits_and_speaks_english(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cw3", items=2))
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_cw3/claim")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "claim-phone-zh.png", full_page=True)

    page.get_by_role("link", name="English").click()

    expect(page.locator("h1")).to_have_text("Apply for a refund")
    expect(page.get_by_role("group", name="Reason")).to_be_visible()
    expect(page.get_by_label("Card key invalid")).to_be_checked()
    expect(page.get_by_label("Screenshot of the failed activation or top-up")).to_be_visible()
    expect(page.get_by_label("Your platform balance")).to_be_checked()
    expect(page.get_by_label("The way you paid (Alipay)")).to_be_disabled()
    expect(page.locator("[data-test=path]")).to_have_text("Add the required evidence first")
    page.get_by_label("Wrong item").check()
    expect(page.locator("[data-test=upload]:visible")).to_have_count(2)
    expect(page.locator("[data-test=path]")).to_have_text("Add the required evidence first")
    expect(page.locator("[data-field=missing]")).to_have_text(
        "Still needed: Order screenshot, Screenshot of what you received"
    )
    no_sideways_scroll(page)
    page.screenshot(path=shots / "claim-phone-en.png", full_page=True)
    axe.check(page)

    # The server checks again: sent without its screenshot, the claim comes back with the reason.
    page.get_by_label("Card key invalid").check()
    page.get_by_role("button", name="Submit claim").click()
    expect(page.get_by_role("alert")).to_contain_text("Please attach: Screenshot of the failed activation or top-up")
    expect(page.get_by_label("Card key invalid")).to_be_checked()
    no_sideways_scroll(page)
    page.screenshot(path=shots / "claim-phone-en-problem.png", full_page=True)
    axe.check(page)
    assert cases_of(api, auth) == []


def test_without_javascript_every_reasons_evidence_shows_and_the_form_still_files(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cw4"))
    page = open_page(browser)
    # The form's only script never arrives, as in a browser without JavaScript; axe still runs.
    page.route("**/static/claim.js", lambda route: route.abort())
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_cw4/claim")

    groups = page.locator("[data-group]:visible")
    expect(groups).to_have_count(4)  # card_invalid, not_delivered, wrong_item, other need evidence
    expect(page.locator("[data-test=path]")).to_have_text("请先补充所需凭证")
    # The browser's own input is the control: the large labels, the camera and the preview need the script.
    expect(page.locator(SCREENSHOT_INPUT)).to_be_visible()
    assert page.eval_on_selector(SCREENSHOT_INPUT, "input => input.getBoundingClientRect().width") > 100
    expect(page.locator("[data-picker]:visible, [data-camera]:visible, [data-preview]:visible")).to_have_count(0)
    page.screenshot(path=shots / "claim-no-script.png", full_page=True)
    axe.check(page)
    page.locator(SCREENSHOT_INPUT).set_input_files(screenshot_of("ord_cw4"))
    page.get_by_role("button", name="提交申请").click()

    case = case_of(api, auth, page, live)
    assert [e["kind"] for e in case["evidence"]] == ["error_screenshot"]


def test_a_file_too_large_or_not_an_image_is_explained_before_anything_is_sent(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_cw5"))
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_cw5/claim")
    file_input = page.locator(SCREENSHOT_INPUT)
    message = page.locator("#file-card_invalid-error_screenshot-msg")

    file_input.set_input_files({"name": "huge.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"\0" * MAX_BYTES})
    expect(message).to_have_text("图片超过 0.5 MB，请换一张较小的图片。")
    expect(page.locator("[data-test=path]")).to_have_text("请先补充所需凭证")
    page.screenshot(path=shots / "claim-too-big.png", full_page=True)
    axe.check(page)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="提交申请").click()
    expect(message).to_have_text("图片超过 0.5 MB，请换一张较小的图片。")  # the same page, not one sent back
    assert posts == []
    file_input.set_input_files({"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a picture"})
    expect(message).to_have_text("请选择图片文件（PNG、JPEG 或 WebP）。")
    file_input.set_input_files(screenshot_of("ord_cw5"))
    expect(message).to_be_hidden()
    expect(page.locator("[data-test=path]")).to_have_text("需人工复核，预计 2 小时内")
    assert cases_of(api, auth) == []
