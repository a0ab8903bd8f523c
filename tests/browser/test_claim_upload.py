"""The claim form's upload control and its submit bar, on a phone and on a desktop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from tests.browser import axe
from tests.browser.pages import DESKTOP, PHONE, no_sideways_scroll, open_page
from tests.browser.test_claim_page import MAX_BYTES, SCREENSHOT_INPUT, case_of, screenshot_of
from tests.support.api import Auth, push
from tests.support.factories import order_payload
from tuika.settings import Settings

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CAMERA_INPUT = SCREENSHOT_INPUT + "-camera"
UPLOAD = "[data-test=upload][data-kind=error_screenshot]"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings with the claim page tests' half-megabyte upload limit."""
    return Settings(
        demo=True, data_dir=tmp_path / "data", database_url=db_url, evidence_max_bytes=MAX_BYTES, ocr_engine="off"
    )


def phone(browser: Browser) -> Page:
    """Return a page as a phone opens it: narrow, touch first, in Chinese."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True, is_mobile=True)
    return context.new_page()


def chosen_name(page: Page, selector: str) -> str:
    """Return the name of the file an input holds, '' for none."""
    return str(page.eval_on_selector(selector, "input => input.files.length ? input.files[0].name : ''"))


def box_of(page: Page, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not on the page"
    return dict(found)


def test_on_a_phone_a_photo_taken_is_previewed_can_be_removed_and_is_what_is_sent(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up1"))
    page = phone(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up1/claim")
    upload = page.locator(UPLOAD)
    estimate = page.locator("[data-test=path]")

    camera = upload.get_by_text("拍照", exact=True)
    album = upload.get_by_text("从相册选择", exact=True)
    expect(camera).to_be_visible()
    expect(album).to_be_visible()
    expect(upload.get_by_text("选择图片", exact=True)).to_be_hidden()
    assert page.get_attribute(CAMERA_INPUT, "capture") == "environment"
    assert page.get_attribute(CAMERA_INPUT, "accept") == "image/*"
    assert page.get_attribute(CAMERA_INPUT, "name") is None  # only the input it is moved into is sent
    for target in (upload.locator(".pick-camera"), upload.locator(".pick-main")):  # large enough for a thumb
        found = target.bounding_box()
        assert found is not None
        assert found["height"] >= 48
        assert found["width"] >= 120
    expect(upload.locator("[data-preview]")).to_be_hidden()
    no_sideways_scroll(page)
    upload.scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload-phone-empty.png")
    axe.check(page)

    page.locator(CAMERA_INPUT).set_input_files(screenshot_of("ord_up1"))

    preview = upload.locator("[data-preview]")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("redeem-error.png")
    expect(preview).to_contain_text("KB")
    thumb = preview.get_by_role("img", name="所选图片的缩略图")
    expect(thumb).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
    assert (chosen_name(page, SCREENSHOT_INPUT), chosen_name(page, CAMERA_INPUT)) == ("redeem-error.png", "")
    expect(camera).to_be_hidden()
    expect(upload.locator("[data-said]")).to_have_text("已选择：redeem-error.png")
    expect(estimate).to_have_text("需人工复核，预计 2 小时内")
    expect(upload.get_by_text("换一张", exact=True)).to_have_attribute("for", SCREENSHOT_INPUT.removeprefix("#"))
    no_sideways_scroll(page)
    upload.scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload-phone-chosen.png")
    axe.check(page)

    page.get_by_role("button", name="移除 激活/充值失败截图").click()

    expect(preview).to_be_hidden()
    expect(camera).to_be_visible()
    assert chosen_name(page, SCREENSHOT_INPUT) == ""
    expect(upload.locator("[data-said]")).to_have_text("已移除所选图片")
    expect(estimate).to_have_text("请先补充所需凭证")

    # Chosen again, it is what the claim carries.
    page.locator(CAMERA_INPUT).set_input_files(screenshot_of("ord_up1"))
    expect(estimate).to_have_text("需人工复核，预计 2 小时内")
    page.get_by_role("button", name="提交申请").click()
    case = case_of(api, auth, page, live)
    assert [(e["kind"], e["content_type"]) for e in case["evidence"]] == [("error_screenshot", "image/png")]


def test_a_refused_file_is_previewed_with_its_reason_and_can_be_replaced(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up2"))
    page = phone(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up2/claim")
    upload = page.locator(UPLOAD)

    big = {"name": "huge.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"\0" * MAX_BYTES}
    page.locator(SCREENSHOT_INPUT).set_input_files(big)

    expect(upload.locator("[data-preview]")).to_contain_text("huge.png")
    expect(upload.locator(".file-msg")).to_have_text("图片超过 0.5 MB，请换一张较小的图片。")
    expect(upload.locator("[data-said]")).to_have_text("已选择：huge.png 图片超过 0.5 MB，请换一张较小的图片。")
    expect(page.locator("[data-test=path]")).to_have_text("请先补充所需凭证")
    upload.scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload-phone-too-big.png")
    axe.check(page)

    # 换一张 is a label of the same input: choosing through it replaces the file.
    with page.expect_file_chooser() as chooser:
        upload.get_by_text("换一张", exact=True).click()
    chooser.value.set_files(screenshot_of("ord_up2"))

    expect(upload.locator("[data-preview]")).to_contain_text("redeem-error.png")
    expect(upload.locator(".file-msg")).to_be_hidden()
    expect(page.locator("[data-test=path]")).to_have_text("需人工复核，预计 2 小时内")


def test_on_a_desktop_one_large_button_chooses_a_file_and_the_keyboard_opens_it(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up3"))
    page = open_page(browser, DESKTOP)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up3/claim")
    upload = page.locator(UPLOAD)

    expect(upload.get_by_text("选择图片", exact=True)).to_be_visible()
    expect(upload.get_by_text("拍照", exact=True)).to_be_hidden()
    expect(upload.get_by_text("从相册选择", exact=True)).to_be_hidden()
    page.screenshot(path=shots / "upload-desktop-empty.png", full_page=True)

    # The input itself keeps the focus and the keys: Space opens the file chooser.
    page.focus(SCREENSHOT_INPUT)
    outline = page.eval_on_selector(f"{UPLOAD} .pick-main", "label => getComputedStyle(label).outlineStyle")
    assert outline == "solid"
    # Pressed on the input itself, so the key lands on it even if the page moved the focus since.
    with page.expect_file_chooser() as chooser:
        page.locator(SCREENSHOT_INPUT).press("Space")
    chooser.value.set_files(screenshot_of("ord_up3"))

    expect(upload.locator("[data-preview]")).to_contain_text("redeem-error.png")
    expect(upload.get_by_role("img", name="所选图片的缩略图")).to_be_visible()
    page.screenshot(path=shots / "upload-desktop-chosen.png", full_page=True)
    axe.check(page)


def test_in_english_the_upload_control_speaks_english(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up4"))
    page = phone(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up4/claim?lang=en")
    upload = page.locator(UPLOAD)

    expect(upload.get_by_text("Take a photo", exact=True)).to_be_visible()
    expect(upload.get_by_text("Choose from the album", exact=True)).to_be_visible()
    page.locator(SCREENSHOT_INPUT).set_input_files(screenshot_of("ord_up4"))
    expect(upload.get_by_text("Replace", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Remove Screenshot of the failed activation or top-up")).to_be_visible()
    expect(upload.locator("[data-said]")).to_have_text("Chosen: redeem-error.png")
    no_sideways_scroll(page)
    upload.scroll_into_view_if_needed()
    page.screenshot(path=shots / "upload-phone-en.png")
    axe.check(page)


def test_on_a_phone_the_submit_button_stays_on_screen_and_covers_no_field(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up5", items=2))
    page = phone(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up5/claim")
    bar = "[data-test=submit-bar]"
    summary = page.locator("[data-summary]")
    height = PHONE["height"]

    # At the top of the form, far from its end, the button is already on screen.
    assert box_of(page, "#claim-description")["y"] > height
    button = box_of(page, "#claim-submit")
    assert button["y"] > 0
    assert button["y"] + button["height"] <= height
    expect(summary).to_have_text("请先补充所需凭证", use_inner_text=True)
    page.screenshot(path=shots / "submit-bar-phone-top.png")
    page.locator(SCREENSHOT_INPUT).set_input_files(screenshot_of("ord_up5"))
    expect(summary).to_contain_text("需人工复核，预计 2 小时内")
    expect(summary).to_contain_text("预计退回 ¥")
    axe.check(page)

    # A field reached from the keyboard is scrolled clear of the bar, not under it.
    page.focus("#claim-description")
    field = box_of(page, "#claim-description")
    assert field["y"] + field["height"] <= box_of(page, bar)["y"]
    page.screenshot(path=shots / "submit-bar-phone-field.png")

    # Scrolled to the end, the bar sits in its place after the estimate, over nothing.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    estimate = box_of(page, "[data-test=estimate]")
    assert estimate["y"] + estimate["height"] <= box_of(page, bar)["y"]
    no_sideways_scroll(page)
    page.screenshot(path=shots / "submit-bar-phone-end.png")


def test_a_long_estimate_leaves_the_bar_with_the_amount_alone(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    push(api, auth, order_payload("ord_up6", delivery="pending"))
    page = phone(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up6/claim?lang=en")
    summary = page.locator("[data-summary]")
    page.get_by_label("Bought by mistake").check()

    expect(page.locator("[data-test=path]")).to_have_text("Expected to be approved automatically within seconds")
    # The whole sentence does not fit beside nothing on a 360 px line: the amount still does.
    expect(summary.locator("[data-summary-path]")).to_be_hidden()
    expect(summary).to_be_visible()
    expect(summary.locator("[data-summary-payout]")).to_have_text("You get back ¥99.00")
    page.screenshot(path=shots / "submit-bar-phone-long.png")


def test_on_a_desktop_the_submit_button_stays_in_the_flow(
    browser: Browser, api: TestClient, auth: Auth, sso: Callable[[str], str], live: str
) -> None:
    push(api, auth, order_payload("ord_up7", items=2))
    page = open_page(browser, DESKTOP)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/orders/ord_up7/claim")

    assert page.eval_on_selector("[data-test=submit-bar]", "bar => getComputedStyle(bar).position") == "static"
    expect(page.locator("[data-summary]")).to_be_hidden()
    estimate = box_of(page, "[data-test=estimate]")
    assert box_of(page, "#claim-submit")["y"] >= estimate["y"] + estimate["height"]
