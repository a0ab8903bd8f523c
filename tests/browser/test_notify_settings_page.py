"""A buyer sets how they are reached, from the 消息 page: channels, quiet hours, a number, devices.

The site here sends on all three channels, as the demo does: the senders point at the SMS,
JPush and SMTP sandboxes, so the page has no "not offered" notes to show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import DESKTOP, PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.errors import PhoneInvalid
from tuika.domain.preferences import QuietHours
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor
from tuika.services.notify import preferences
from tuika.services.notify.writing import default_plan
from tuika.settings import Settings
from tuika_dev.sandbox.channels import Channels, start

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

BUYER = Actor("buyer_1", Role.BUYER)


@pytest.fixture
def channels() -> Iterator[Channels]:
    running = start(default_plan())
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, channels: Channels) -> Settings:
    """The test settings, with the three senders pointed at their sandboxes."""
    return Settings(demo=True, data_dir=tmp_path / "data", database_url=db_url, ocr_engine="off", **channels.settings)


def test_a_buyer_turns_sms_off_sets_quiet_hours_and_a_number_and_finds_them_kept(
    browser: Browser, api: TestClient, auth: Auth, system: System, sso: Callable[[str], str], live: str, shots: Path
) -> None:
    made = api.post(
        "/v1/devices", json={"token": "1a0018970a8d5e7b2c3", "platform": "android"}, headers=auth("buyer", "buyer_1")
    )
    assert made.status_code == 201, made.text
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.get_by_role("link", name="消息").first.click()

    page.get_by_role("link", name="通知设置").click()

    expect(page.locator("h1")).to_have_text("通知设置")
    expect(page.get_by_label("站内信")).to_be_checked()
    expect(page.get_by_label("站内信")).to_be_disabled()
    expect(page.locator("[data-test=channels]")).to_contain_text("站内信是所有通知的记录，无法关闭。")
    # A site that sends SMS, but no number yet: the page says nothing is sent there.
    expect(page.locator("[data-test=channel-sms-note]")).to_have_text("尚未填写手机号，不会发送短信。")
    expect(page.locator("[data-test=channel-push-note]")).to_have_count(0)  # the device above
    expect(page.locator("[data-test=devices-count]")).to_have_text("共 1 台")
    page.screenshot(path=shots / "settings-new-phone.png", full_page=True)

    page.get_by_label("短信").uncheck()
    page.get_by_label("开启免打扰").check()
    page.get_by_label("开始").fill("23:00")
    page.get_by_label("结束").fill("07:30")
    page.get_by_role("textbox", name="手机号", exact=True).fill("138 0013 8000")
    page.get_by_role("button", name="保存设置").click()

    expect(page.locator("[data-test=notice]")).to_have_text("已保存")
    expect(page).to_have_url(f"{live}/messages/settings?done=saved")
    expect(page.get_by_label("短信")).not_to_be_checked()
    expect(page.get_by_label("App 推送")).to_be_checked()
    expect(page.get_by_label("开启免打扰")).to_be_checked()
    expect(page.locator("[data-test=quiet-state]")).to_have_text("已开启 23:00–07:30")
    expect(page.get_by_label("开始")).to_have_value("23:00")
    expect(page.get_by_label("结束")).to_have_value("07:30")
    expect(page.locator("[data-test=phone-hint]")).to_have_text("138****8000")
    expect(page.get_by_label("新手机号")).to_have_value("")
    expect(page.locator("[data-test=channel-sms-note]")).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text("13800138000")
    expect(page.locator("[data-test=arrived-always]")).to_contain_text("到账通知始终即时发送")
    saved = preferences.read(system.ctx, BUYER)
    assert saved.preferences.off == frozenset({SendChannel.SMS})
    assert saved.preferences.quiet == QuietHours.parse("23:00", "07:30")
    assert saved.preferences.phone_hint == "138****8000"
    assert saved.devices == 1
    no_sideways_scroll(page)
    page.screenshot(path=shots / "settings-saved-phone.png", full_page=True)
    axe.check(page)

    # The device's own row: its platform, when it was last seen, the end of its id; then removed.
    device = page.locator("[data-test=device]")
    expect(device).to_contain_text("Android · 设备标识末尾 …b2c3")
    expect(device).to_contain_text("（北京时间）")
    device.get_by_role("button", name="移除 Android …b2c3").click()
    expect(page.locator("[data-test=notice]")).to_have_text("已移除设备")
    expect(page.locator("[data-test=devices-count]")).to_have_text("共 0 台")
    expect(page.locator("[data-test=channel-push-note]")).to_have_text("还没有登记的设备，不会发送推送。")
    assert preferences.devices(system.ctx, BUYER) == []

    page.goto(f"{live}/messages/settings?lang=en")
    page.set_viewport_size(DESKTOP)
    expect(page.locator("h1")).to_have_text("Notification settings")
    expect(page.get_by_label("Text message (SMS)")).not_to_be_checked()
    page.screenshot(path=shots / "settings-desktop-en.png", full_page=True)
    axe.check(page)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_number_that_is_not_a_mainland_mobile_is_refused_and_nothing_changes(
    browser: Browser, system: System, sso: Callable[[str], str], live: str, shots: Path, lang: str
) -> None:
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/messages/settings?lang={lang}")
    before = preferences.read(system.ctx, BUYER)

    page.locator("[data-test=channel-sms]").uncheck()
    page.locator("[data-test=quiet-on]").check()
    page.locator("#phone-new").fill("12345")
    page.locator("[data-test=save]").click()

    said = PhoneInvalid.title_zh if lang == "zh" else PhoneInvalid.title
    error = page.locator("[data-test=error]")
    expect(error).to_contain_text(said)
    expect(error).to_contain_text("未保存" if lang == "zh" else "Not saved")
    expect(page.locator("[data-test=phone-error]")).to_have_text(said)
    expect(page.locator("#phone-new")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone-new")).to_have_value("12345")  # kept, to be corrected
    expect(page.locator("[data-test=notice]")).to_have_count(0)
    assert preferences.read(system.ctx, BUYER) == before
    no_sideways_scroll(page)
    page.screenshot(path=shots / f"settings-bad-phone-{lang}.png", full_page=True)
    axe.check(page)

    # Nothing was kept: the page as saved still has SMS on and no quiet hours.
    page.goto(f"{live}/messages/settings")
    expect(page.locator("[data-test=channel-sms]")).to_be_checked()
    expect(page.locator("[data-test=quiet-on]")).not_to_be_checked()
    expect(page.locator("[data-test=quiet-state]")).to_have_text("未开启" if lang == "zh" else "Off")
    expect(page.locator("[data-test=phone-hint]")).to_have_text("未填写" if lang == "zh" else "None")


def test_the_inbox_checkbox_cannot_be_turned_off(
    browser: Browser, api: TestClient, auth: Auth, system: System, sso: Callable[[str], str], live: str
) -> None:
    page = open_page(browser)
    page.goto(sso("buyer_1"))
    page.goto(f"{live}/messages/settings")
    inbox = page.get_by_label("站内信")

    inbox.click(force=True)  # a click on a disabled box does nothing
    page.get_by_text("站内信", exact=True).click(force=True)  # nor does one on its label
    for name in ("短信", "App 推送", "邮件"):
        page.get_by_label(name).uncheck()
    page.get_by_role("button", name="保存设置").click()

    expect(page.locator("[data-test=notice]")).to_have_text("已保存")
    expect(page.get_by_label("站内信")).to_be_checked()
    expect(page.get_by_label("站内信")).to_be_disabled()
    assert preferences.read(system.ctx, BUYER).preferences.off == frozenset(SendChannel)
    read = api.get("/v1/me/notifications", headers=auth("buyer", "buyer_1")).json()
    assert read["channels"] == {"inbox": True, "sms": False, "push": False, "email": False}
