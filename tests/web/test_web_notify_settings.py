"""The 通知设置 page over HTTP: what it shows, what a save changes, and that a refused form changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.resources import files
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.errors import EmailInvalid, PhoneInvalid, QuietHoursInvalid
from tuika.domain.preferences import Preferences, QuietHours
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor
from tuika.services.notify import preferences
from tuika.web import i18n
from tuika.web.session import CSRF_FIELD

Auth = Callable[..., dict[str, str]]
BUYER = Actor("buyer_1", Role.BUYER)
PAGE = "/messages/settings"
# The whole form as a buyer who changed nothing sends it: every channel on, no quiet hours.
UNCHANGED: dict[str, Any] = {"channel": ["sms", "push", "email"], "quiet_start": "22:00", "quiet_end": "08:00"}


def visible(html: str) -> str:
    """Return a page's text as a person reads it: no tags, no attributes, spaces squeezed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def saved(system: System, buyer: Actor = BUYER) -> Preferences:
    return preferences.read(system.ctx, buyer).preferences


def post(client: TestClient, csrf: str, path: str = PAGE, **form: Any) -> Any:
    return client.post(path, data={CSRF_FIELD: csrf, **form}, follow_redirects=False)


def register(client: TestClient, auth: Auth, token: str, buyer: str = "buyer_1", platform: str = "android") -> str:
    made = client.post("/v1/devices", json={"token": token, "platform": platform}, headers=auth("buyer", buyer))
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def test_a_new_buyer_sees_every_channel_on_the_inbox_fixed_and_nothing_to_send_to(
    client: TestClient, system: System
) -> None:
    sign_in(client, system)

    page = client.get(PAGE)

    assert page.status_code == 200
    html = page.text
    assert re.search(r'<input type="checkbox" id="channel-inbox" checked disabled', html)
    assert 'name="channel" value="inbox"' not in html  # a disabled box is never sent: nothing to turn off
    for name in ("sms", "push", "email"):
        assert re.search(rf'id="channel-{name}" name="channel" value="{name}" checked', html)
    text = visible(html)
    assert "站内信是所有通知的记录，无法关闭。" in text
    # The test system configures no SMS, push or email provider: the page says so, not "on".
    assert text.count("本站暂未开通此渠道，开通前不会发送。") == 3
    assert "到账通知始终即时发送" in text
    assert "手机号 当前： 未填写" in text
    assert "邮箱 当前： 未填写" in text
    assert "免打扰时段 未开启" in text  # the times in the form are only a suggestion
    assert "共 0 台" in text
    assert "还没有登记接收推送的设备。" in text
    assert 'value="zh" checked' in html
    assert 'data-test="notice"' not in html
    assert 'data-test="error"' not in html


def test_saving_the_form_changes_what_it_says_and_comes_back_saying_saved(client: TestClient, system: System) -> None:
    csrf = sign_in(client, system)

    done = post(
        client,
        csrf,
        channel=["push", "email"],
        quiet="on",
        quiet_start="22:30",
        quiet_end="07:00",
        phone="+86 138-0013-8000",
        email=" Player.Lee@QQ.com ",
        language="en",
    )

    assert done.status_code == 303
    assert done.headers["location"] == "/messages/settings?done=saved"
    now = saved(system)
    assert now.off == frozenset({SendChannel.SMS})
    assert now.quiet == QuietHours.parse("22:30", "07:00")
    assert (now.phone_hint, now.email_hint, now.language) == ("138****8000", "Pl****e@qq.com", "en")
    page = client.get(done.headers["location"])
    assert '<p class="card notify-notice" role="status" data-test="notice">已保存</p>' in page.text
    assert re.search(r'id="channel-sms" name="channel" value="sms"(?! checked)', page.text)
    assert 'id="quiet-on" name="quiet" value="on" checked' in page.text
    assert '<span class="tag delivered" data-test="quiet-state">已开启 22:30–07:00</span>' in page.text
    assert 'value="22:30"' in page.text
    assert 'value="07:00"' in page.text
    assert '<strong data-test="phone-hint">138****8000</strong>' in page.text
    assert "13800138000" not in page.text
    assert "Player.Lee" not in page.text
    assert 'value="en" checked' in page.text


def test_the_api_reads_back_what_the_page_saved(client: TestClient, system: System, auth: Auth) -> None:
    csrf = sign_in(client, system)

    post(client, csrf, channel=["push"], quiet="on", quiet_start="23:00", quiet_end="06:30", phone="13912345678")

    read = client.get("/v1/me/notifications", headers=auth("buyer", "buyer_1")).json()
    assert read["channels"] == {"inbox": True, "sms": False, "push": True, "email": False}
    assert read["quiet_hours"] == {"start": "23:00", "end": "06:30"}
    assert read["phone"] == "139****5678"


@pytest.mark.parametrize(
    ("field", "sent", "error"),
    [
        ("phone", {"phone": "12345"}, PhoneInvalid),
        ("phone", {"phone": "010-6552-9988"}, PhoneInvalid),  # a landline: no texts
        ("email", {"email": "wang.lei@"}, EmailInvalid),
        ("email", {"email": '"><b>x</b>@qq.com'}, EmailInvalid),
        ("quiet", {"quiet": "on", "quiet_start": "22:00", "quiet_end": "22:00"}, QuietHoursInvalid),
        ("quiet", {"quiet": "on", "quiet_start": "", "quiet_end": "08:00"}, QuietHoursInvalid),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_field_is_refused_in_its_own_words_and_nothing_changes(
    client: TestClient, system: System, field: str, sent: dict[str, str], error: type[Exception], lang: str
) -> None:
    csrf = sign_in(client, system)
    post(client, csrf, **UNCHANGED, phone="13800138000")
    before = saved(system)
    client.get(f"{PAGE}?lang={lang}")

    # SMS off and English too: none of it is kept, since one field was wrong.
    refused = post(client, csrf, **{"channel": ["push"], "language": "en", **sent})

    assert refused.status_code == 422
    assert saved(system) == before
    said = getattr(error, "title_zh" if lang == "zh" else "title")
    assert f"{i18n.text(lang, 'notify.not_saved')}</strong>：{said}" in refused.text
    assert f'data-test="{field}-error">{said}</span>' in refused.text
    assert 'aria-invalid="true"' in refused.text
    # The form is shown as it was sent, to be corrected, not as it is saved.
    assert re.search(r'id="channel-sms" name="channel" value="sms"(?! checked)', refused.text)
    for value in sent.values():
        if value and value != "on":
            assert f'value="{escape(value)}"' in refused.text
    assert "<b>x</b>" not in refused.text
    assert 'data-test="notice"' not in refused.text


def test_without_the_csrf_token_nothing_is_saved(client: TestClient, system: System) -> None:
    sign_in(client, system)
    before = saved(system)

    refused = client.post(PAGE, data={"phone": "13800138000"}, follow_redirects=False)

    assert refused.status_code == 403
    assert saved(system) == before


def test_quiet_hours_left_unticked_are_turned_off(client: TestClient, system: System) -> None:
    csrf = sign_in(client, system)
    post(client, csrf, **UNCHANGED, quiet="on")
    assert saved(system).quiet == QuietHours.parse("22:00", "08:00")

    post(client, csrf, **UNCHANGED)

    assert saved(system).quiet is None


def test_every_channel_unticked_still_leaves_the_inbox_on(client: TestClient, system: System, auth: Auth) -> None:
    csrf = sign_in(client, system)

    post(client, csrf, quiet_start="22:00", quiet_end="08:00")

    assert saved(system).off == frozenset(SendChannel)
    read = client.get("/v1/me/notifications", headers=auth("buyer", "buyer_1")).json()
    assert read["channels"]["inbox"] is True
    assert re.search(r'id="channel-inbox" checked disabled', client.get(PAGE).text)


def test_an_empty_number_or_mailbox_keeps_the_one_saved_and_remove_forgets_it(
    client: TestClient, system: System
) -> None:
    csrf = sign_in(client, system)
    post(client, csrf, **UNCHANGED, phone="13800138000", email="wang.lei@example.com")

    post(client, csrf, **UNCHANGED, phone="", email="  ")
    assert (saved(system).phone_hint, saved(system).email_hint) == ("138****8000", "w****i@example.com")

    gone = post(client, csrf, f"{PAGE}/phone/remove")
    assert gone.headers["location"] == "/messages/settings?done=phone_removed"
    assert (saved(system).phone_hint, saved(system).phone_sealed) == (None, None)
    assert saved(system).email_hint == "w****i@example.com"
    page = visible(client.get(gone.headers["location"]).text)
    assert "已删除手机号" in page
    assert "尚未填写手机号，不会发送短信。" not in page  # no provider here: that is said instead
    post(client, csrf, f"{PAGE}/email/remove")
    assert saved(system).email_hint is None
    assert post(client, csrf, f"{PAGE}/devices/remove").status_code == 422  # neither phone nor email


def test_devices_are_listed_by_their_ends_and_one_is_removed_but_not_another_buyers(
    client: TestClient, system: System, auth: Auth
) -> None:
    mine = register(client, auth, "1a0018970a8d5e7b2c3")
    register(client, auth, "191e35f7e0ab4c2d9f11", platform="ios")
    theirs = register(client, auth, "0c1d2e3f4a5b6c7d8e9f", buyer="buyer_2")
    csrf = sign_in(client, system)

    text = visible(client.get(PAGE).text)
    assert "共 2 台" in text
    assert "Android · 设备标识末尾 …b2c3" in text  # its last four characters, as the API shows
    assert "iOS · 设备标识末尾 …9f11" in text
    assert "1a0018970a8d5e7b2c3" not in text
    assert re.search(r"最近使用 \d{4}-\d\d-\d\d \d\d:\d\d（北京时间）", text)

    removed = post(client, csrf, f"{PAGE}/devices/{mine}/remove")
    assert removed.headers["location"] == "/messages/settings?done=device_removed"
    assert [d.platform for d in preferences.devices(system.ctx, BUYER)] == ["ios"]
    assert "已移除设备" in visible(client.get(removed.headers["location"]).text)

    refused = post(client, csrf, f"{PAGE}/devices/{theirs}/remove")
    assert refused.status_code == 404
    assert "未找到这台设备" in refused.text
    assert len(preferences.devices(system.ctx, Actor("buyer_2", Role.BUYER))) == 1


def test_the_page_is_for_buyers_and_the_messages_page_links_to_it(client: TestClient, system: System) -> None:
    assert client.get(PAGE).status_code == 401
    sign_in(client, system, "agent_1", "agent")
    assert client.get(PAGE).status_code == 403
    sign_in(client, system)

    messages = client.get("/messages")

    assert '<a href="/messages/settings" data-test="settings-link">通知设置</a>' in messages.text
    assert "Notification settings" in client.get("/messages?lang=en").text


def test_the_page_reads_in_english(client: TestClient, system: System) -> None:
    sign_in(client, system)

    text = visible(client.get(f"{PAGE}?lang=en").text)

    for said in (
        "Notification settings",
        "Inbox on this site",
        "The inbox is the record of every message: it cannot be turned off.",
        "The money-arrived message is always sent at once",
        "Mobile number",
        "Message language",
        "Devices that get pushes",
        "0 in all",
    ):
        assert said in text
    assert not re.search(r"[\u4e00-\u9fff]", text.replace("中文", "")), "Chinese left on the English page"


def test_every_word_the_page_uses_is_in_both_languages() -> None:
    template = files("tuika.web").joinpath("templates/notify_settings.html").read_text(encoding="utf-8")
    # Every whole key it names, in t(…) or in the choice of a channel's note; then the keys it builds.
    used = set(re.findall(r"'((?:notify|messages)\.[a-z_.]*[a-z_])'", template))
    built = {f"notify.done.{d}" for d in ("saved", "phone_removed", "email_removed", "device_removed")}
    built |= {f"notify.channel.{c}" for c in ("inbox", "sms", "push", "email")}
    built |= {f"notify.platform.{p}" for p in ("android", "ios")}
    built |= {f"notify.{k}_{part}" for k in ("phone", "email") for part in ("new", "help", "remove", "remove_note")}
    words = {key: pair for key, pair in i18n.CATALOGUE.items() if key.startswith("notify.")}

    assert len(used) > 30, "the pattern no longer finds the keys"
    assert used | built <= words.keys()
    for key, (zh, en) in words.items():
        assert zh.strip(), key
        assert en.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or zh in ("Android", "iOS", "English"), key
