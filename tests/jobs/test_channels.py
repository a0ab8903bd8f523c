"""SMS, app push and email for real: the senders against the providers' sandboxes, their faults, a sender dying.

Each test's system points its senders at a fresh Alibaba Cloud SMS sandbox, JPush sandbox and
SMTP server on loopback (``tuika_dev.sandbox.channels``), as the demo does. The passes are
driven by hand (``send_channel``), as the worker's loop would run them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import file_case, push, upload
from tests.support.factories import assert_problem, order_payload
from tuika.bootstrap import System
from tuika.domain.clock import FixedClock
from tuika.domain.notifications import Channel
from tuika.domain.sending import SendChannel, SendState
from tuika.http.auth import issue_token
from tuika.jobs.sending import SendLoop
from tuika.services.context import Context
from tuika.services.notify import sending
from tuika.services.notify.sending import send_channel
from tuika.services.notify.writing import default_plan
from tuika.settings import Settings
from tuika_dev.sandbox.channels import SIGN_NAME, Channels, start
from tuika_dev.sandbox.push import BATCH_PATH, PUSH_PATH

Auth = Callable[..., dict[str, str]]
PHONE = "13912345678"
MAILBOX = "wang.lei@example.com"
DEVICE = "1a0018970a8d5e7b2c3"


@pytest.fixture
def channels() -> Iterator[Channels]:
    running = start(default_plan())
    yield running
    running.stop()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, channels: Channels) -> Settings:
    """The test settings, with the three senders pointed at their sandboxes."""
    return Settings(
        demo=True,
        data_dir=tmp_path / "data",
        database_url=db_url,
        ocr_engine="off",
        public_url="https://shop.example.com",
        **channels.settings,
    )


def _drain(ctx: Context, *only: SendChannel) -> dict[SendChannel, int]:
    """Run passes on each channel until none finds anything due; return how many each handled."""
    handled: dict[SendChannel, int] = {}
    for channel in only or tuple(SendChannel):
        while (report := send_channel(ctx, channel)).handled:
            handled[channel] = handled.get(channel, 0) + report.handled
    return handled


def _messages(system: System, case_id: str, channel: Channel | None = None) -> list[Any]:
    with system.ctx.read() as uow:
        found = uow.sends.of_case(case_id)
    return [m for m in found if channel is None or m.channel is channel]


def _messages_sent(system: System, channel: Channel) -> int:
    with system.ctx.read() as uow:
        return uow.sends.counts(channel).get((channel, SendState.SENT), 0)


def _reachable_buyer(client: TestClient, auth: Auth, order_id: str, buyer: str = "buyer_1") -> None:
    """Push an order with the buyer's number and mailbox, and register the buyer's phone for push."""
    push(client, auth, order_payload(order_id, buyer=buyer, buyer_contact={"phone": f"+86 {PHONE}", "email": MAILBOX}))
    made = client.post("/v1/devices", json={"token": DEVICE, "platform": "android"}, headers=auth("buyer", buyer))
    assert made.status_code in (200, 201), made.text


def _approved_claim(client: TestClient, auth: Auth, order_id: str, buyer: str = "buyer_1") -> str:
    case = file_case(
        client,
        auth,
        {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [upload(client, auth, buyer=buyer)]},
        buyer=buyer,
    )
    assert case["status"] == "manual_review"
    decided = client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "approve", "reason_codes": ["evidence_confirms_claim"], "note": "ok"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text
    return str(case["id"])


def test_a_refund_reaches_the_buyer_by_text_push_and_email_each_once_with_the_voucher_and_a_link(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    channels.push.register(DEVICE)
    _reachable_buyer(client, auth, "ord_ch1")
    case_id = _approved_claim(client, auth, "ord_ch1")

    handled = _drain(system.ctx)
    assert handled == {SendChannel.SMS: 1, SendChannel.PUSH: 4, SendChannel.EMAIL: 1}

    # The text: the plan's refund_arrived text under the account's sign, to the buyer's number.
    (sms,) = channels.sms.messages
    assert (sms.phone, sms.sign_name) == (PHONE, SIGN_NAME)
    assert re.fullmatch(r"【卡盟退卡】退款¥100\.00已退回平台余额，退款编号\d{14}。", sms.text), sms.text
    # Pushes: received, sent to a person, approved, the money back; each names its message.
    pushes = channels.push.pushes
    assert [p.title for p in pushes] == ["已收到退卡申请", "退卡申请转人工复核", "退卡申请已通过", "退款已到账"]
    assert {p.registration_id for p in pushes} == {DEVICE}
    assert all(str(p.extras["link"]) == f"https://shop.example.com/cases/{case_id}" for p in pushes)
    # The email: both parts, the voucher, the case's page on the public site.
    (mail,) = channels.smtp.messages
    assert mail.rcpt_to == (MAILBOX,)
    assert mail.subject == "退款已到账：¥100.00"
    assert mail.text is not None
    assert mail.html is not None
    assert "退款凭证：见余额明细" in mail.text
    assert f"https://shop.example.com/cases/{case_id}" in mail.html

    sent = [m for m in _messages(system, case_id) if m.channel is not Channel.INBOX]
    assert {m.status for m in sent} == {SendState.SENT}
    assert all(m.provider_id and m.attempts == 1 and m.sent_at is not None for m in sent)
    # Nothing a buyer reads carries their number, their id or a card key.
    for text in [sms.text, mail.text, *(p.alert for p in pushes)]:
        assert PHONE not in text
        assert "buyer_1" not in text
        assert "ord_ch1" not in text


def test_a_merchant_is_emailed_the_claim_to_answer_with_a_link_to_it_on_its_own_pages(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    shop = "shop.owner@example.com"
    merchant = auth("merchant", "merchant_1")
    assert client.patch("/v1/me/notifications", json={"email": shop}, headers=merchant).status_code == 200
    push(client, auth, order_payload("ord_chm1"))
    case = file_case(
        client, auth, {"order_id": "ord_chm1", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    assert case["status"] == "manual_review"

    assert _drain(system.ctx, SendChannel.EMAIL) == {SendChannel.EMAIL: 2}

    page = f"https://shop.example.com/merchant/cases/{case['id']}"
    mails = {m.subject: m for m in channels.smtp.messages}
    answer = next(m for subject, m in mails.items() if subject.startswith("请在"))
    assert answer.rcpt_to == (shop,)
    assert answer.text is not None
    assert answer.html is not None
    assert f"查看并答复：{page}" in answer.text
    assert f'<a href="{page}">{page}</a>' in answer.html
    assert all(page in (m.text or "") for m in mails.values())


def test_each_buyers_pushes_go_to_every_device_of_theirs_and_to_no_one_elses(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    tablet, other = "1a0018970a8d5e7b2c4", "1a0018970a8d5e7b2c5"
    for token in (DEVICE, tablet, other):
        channels.push.register(token)
    _reachable_buyer(client, auth, "ord_chd1")
    second = client.post("/v1/devices", json={"token": tablet, "platform": "ios"}, headers=auth("buyer", "buyer_1"))
    assert second.status_code in (200, 201), second.text
    push(client, auth, order_payload("ord_chd2", buyer="buyer_2"))
    mine = client.post("/v1/devices", json={"token": other, "platform": "android"}, headers=auth("buyer", "buyer_2"))
    assert mine.status_code in (200, 201), mine.text
    first_case = _approved_claim(client, auth, "ord_chd1")
    second_case = _approved_claim(client, auth, "ord_chd2", "buyer_2")

    # Both buyers' pushes are in the one pass, which reads every buyer's devices together.
    _drain(system.ctx, SendChannel.PUSH)

    by_case: dict[str, set[str]] = {}
    for sent in channels.push.pushes:
        by_case.setdefault(str(sent.extras["link"]).rsplit("/", 1)[-1], set()).add(sent.registration_id)
    assert by_case == {first_case: {DEVICE, tablet}, second_case: {other}}
    # The buyer with one phone had theirs in one batch request; each of the other's went on its own.
    posted = [(r.path, r.entries) for r in channels.push.requests if r.method == "POST"]
    assert sorted(posted) == [(PUSH_PATH, 0)] * 4 + [(BATCH_PATH, 4)]
    assert {m.status for m in _messages(system, first_case, Channel.PUSH)} == {SendState.SENT}
    assert {m.status for m in _messages(system, second_case, Channel.PUSH)} == {SendState.SENT}


def test_channels_turned_off_get_no_messages_and_the_inbox_cannot_be_turned_off(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    channels.push.register(DEVICE)
    _reachable_buyer(client, auth, "ord_ch2")
    buyer = auth("buyer", "buyer_1")
    changed = client.patch("/v1/me/notifications", json={"channels": {"sms": False, "email": False}}, headers=buyer)
    assert changed.status_code == 200, changed.text
    assert changed.json()["channels"] == {"inbox": True, "sms": False, "push": True, "email": False}
    assert_problem(
        client.patch("/v1/me/notifications", json={"channels": {"inbox": False}}, headers=buyer),
        422,
        "inbox_always_on",
    )

    case_id = _approved_claim(client, auth, "ord_ch2")
    _drain(system.ctx)

    assert channels.sms.messages == []
    assert channels.smtp.messages == []
    assert len(channels.push.pushes) == 4
    assert {m.channel for m in _messages(system, case_id) if m.recipient.value == "buyer"} == {
        Channel.INBOX,
        Channel.PUSH,
    }


def test_quiet_hours_hold_what_can_wait_until_morning_and_the_money_arrived_goes_at_once(
    client: TestClient, system: System, channels: Channels
) -> None:
    # 23:30 in Beijing, tonight; the client's tokens are signed on the same clock.
    night = datetime.now(UTC).replace(hour=15, minute=30, second=0, microsecond=0)
    if night < datetime.now(UTC):
        night += timedelta(days=1)
    clock = FixedClock(night)
    system.ctx.clock = clock

    def auth(role: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(system.settings.secret_key, role, subject, 3600, clock.now())}"}

    channels.push.register(DEVICE)
    _reachable_buyer(client, auth, "ord_ch3")
    quiet = client.patch(
        "/v1/me/notifications",
        json={"quiet_hours": {"start": "22:00", "end": "08:00"}},
        headers=auth("buyer", "buyer_1"),
    )
    assert quiet.json()["quiet_hours"] == {"start": "22:00", "end": "08:00"}

    case_id = _approved_claim(client, auth, "ord_ch3")
    _drain(system.ctx)

    # Only the urgent one went: the refund arrived, on every channel.
    assert [p.title for p in channels.push.pushes] == ["退款已到账"]
    assert len(channels.sms.messages) == len(channels.smtp.messages) == 1
    held = [m for m in _messages(system, case_id, Channel.PUSH) if m.status is SendState.PENDING]
    morning = night.replace(hour=0, minute=0) + timedelta(days=1)  # 08:00 in Beijing
    assert [m.moment.value for m in held] == ["claim_received", "sent_to_person", "approved"]
    assert {m.next_try_at for m in held} == {morning}

    clock.set(morning)
    _drain(system.ctx, SendChannel.PUSH)
    assert len(channels.push.pushes) == 4


def test_a_buyer_who_reads_english_is_sent_english_from_the_english_template(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    channels.push.register(DEVICE)
    _reachable_buyer(client, auth, "ord_ch4")
    client.patch("/v1/me/notifications", json={"language": "en"}, headers=auth("buyer", "buyer_1"))
    _approved_claim(client, auth, "ord_ch4")
    _drain(system.ctx)

    (sms,) = channels.sms.messages
    assert sms.template_code == "SMS_TUIKA_REFUND_ARRIVED_EN"
    assert sms.text.startswith("【卡盟退卡】Refund ")
    assert "is back in your platform balance" in sms.text
    assert channels.push.pushes[-1].title == "Refund arrived"
    assert channels.smtp.messages[0].subject == "Your refund has arrived: ¥100.00"


def test_a_rate_limited_text_waits_and_goes_later_once(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    system.ctx.clock = clock
    _reachable_buyer(client, auth, "ord_ch5")
    channels.sms.throttle_next(1)
    case_id = _approved_claim(client, auth, "ord_ch5")

    _drain(system.ctx, SendChannel.SMS)
    (text,) = _messages(system, case_id, Channel.SMS)
    assert (text.status, text.attempts) == (SendState.PENDING, 1)
    assert text.last_error is not None
    assert "LIMIT" in text.last_error.upper()
    assert text.next_try_at == clock.now() + timedelta(minutes=1)
    assert channels.sms.messages == []

    clock.set(clock.now() + timedelta(minutes=1))
    _drain(system.ctx, SendChannel.SMS)
    assert len(channels.sms.messages) == 1
    assert _messages(system, case_id, Channel.SMS)[0].status is SendState.SENT


def test_a_device_the_provider_no_longer_knows_is_removed_and_its_push_given_up(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    _reachable_buyer(client, auth, "ord_ch6")  # never registered with JPush: JPush answers 1011
    case_id = _approved_claim(client, auth, "ord_ch6")
    _drain(system.ctx, SendChannel.PUSH)

    pushes = _messages(system, case_id, Channel.PUSH)
    # Sent in one pass, one batch request, every push is answered that the device is gone, and given up.
    assert len(pushes) > 1
    assert [r.entries for r in channels.push.requests if r.path == BATCH_PATH] == [len(pushes)]
    assert {m.status for m in pushes} == {SendState.FAILED}
    assert all("1011" in (m.last_error or "") for m in pushes)
    assert client.get("/v1/devices", headers=auth("buyer", "buyer_1")).json()["items"] == []
    assert client.get("/v1/me/notifications", headers=auth("buyer", "buyer_1")).json()["devices"] == 0


def test_a_mailbox_the_server_says_does_not_exist_is_forgotten(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    _reachable_buyer(client, auth, "ord_ch7")
    channels.smtp.reject_next(MAILBOX)
    case_id = _approved_claim(client, auth, "ord_ch7")
    _drain(system.ctx, SendChannel.EMAIL)

    (mail,) = _messages(system, case_id, Channel.EMAIL)
    assert mail.status is SendState.FAILED
    assert MAILBOX not in (mail.last_error or "")
    read = client.get("/v1/me/notifications", headers=auth("buyer", "buyer_1")).json()
    assert (read["email"], read["phone"]) == (None, "139****5678")


def test_a_provider_down_for_a_day_has_the_message_given_up_not_lost(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    system.ctx.clock = clock
    _reachable_buyer(client, auth, "ord_ch8")
    channels.smtp.stop()
    case_id = _approved_claim(client, auth, "ord_ch8")
    tries = 0
    while True:
        _drain(system.ctx, SendChannel.EMAIL)
        (mail,) = _messages(system, case_id, Channel.EMAIL)
        if mail.status is not SendState.PENDING:
            break
        tries += 1
        assert mail.next_try_at is not None
        clock.set(mail.next_try_at)
    assert mail.status is SendState.FAILED
    assert mail.last_error is not None
    assert mail.last_error.startswith("connect")
    assert 10 < mail.attempts < 40


def test_a_sender_that_dies_after_the_provider_took_a_push_sends_it_once_more_and_jpush_drops_it(
    client: TestClient, auth: Auth, system: System, channels: Channels, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(datetime.now(UTC) + timedelta(minutes=1))
    system.ctx.clock = clock
    channels.push.register(DEVICE)
    _reachable_buyer(client, auth, "ord_ch9")
    case_id = _approved_claim(client, auth, "ord_ch9")

    def dies(*_: object, **__: object) -> None:
        raise SystemExit("the worker was killed")

    # The provider takes every push of the pass; the process dies before it stores how they went.
    monkeypatch.setattr(sending, "_finish", dies)
    with pytest.raises(SystemExit):
        send_channel(system.ctx, SendChannel.PUSH)
    monkeypatch.undo()
    assert len(channels.push.pushes) == 4
    assert {m.status for m in _messages(system, case_id, Channel.PUSH)} == {SendState.PENDING}

    # Nothing is taken while the dead sender's lease lasts; then all are sent again, with their ids.
    assert _drain(system.ctx, SendChannel.PUSH) == {}
    clock.set(clock.now() + system.ctx.sending.lease)
    assert _drain(system.ctx, SendChannel.PUSH) == {SendChannel.PUSH: 4}
    # JPush took each cid once: the buyer's phone buzzed four times, not eight.
    assert len(channels.push.pushes) == 4
    assert channels.push.repeats == 4
    assert {m.status for m in _messages(system, case_id, Channel.PUSH)} == {SendState.SENT}


def test_bad_contacts_and_devices_are_refused_and_change_nothing(
    client: TestClient, auth: Auth, system: System
) -> None:
    buyer = auth("buyer", "buyer_1")
    assert_problem(client.patch("/v1/me/notifications", json={"phone": "12345"}, headers=buyer), 422, "phone_invalid")
    assert_problem(
        client.patch("/v1/me/notifications", json={"email": "a@qq.com\r\nBcc: x@y.z"}, headers=buyer),
        422,
        "email_invalid",
    )
    bad_quiet = client.patch(
        "/v1/me/notifications", json={"quiet_hours": {"start": "22:00", "end": "22:00"}}, headers=buyer
    )
    assert_problem(bad_quiet, 422, "quiet_hours_invalid")
    assert client.get("/v1/me/notifications", headers=buyer).json()["updated_at"] is None
    assert client.post("/v1/devices", json={"token": "a b", "platform": "android"}, headers=buyer).status_code == 422
    assert client.post("/v1/devices", json={"token": "abc", "platform": "symbian"}, headers=buyer).status_code == 422
    assert (
        client.post("/v1/devices", json={"token": "abc", "platform": "ios"}, headers=auth("agent", "a")).status_code
        == 403
    )
    # An order whose buyer contact is no number is refused whole: no order, no contact.
    refused = client.post(
        "/v1/orders",
        json=order_payload("ord_bad", buyer_contact={"phone": "110"}),
        headers=auth("platform", "host"),
    )
    assert_problem(refused, 422, "phone_invalid")
    assert client.get("/v1/orders/ord_bad", headers=auth("platform", "host")).status_code == 404


def test_the_platform_fills_only_what_the_buyer_has_not_set_and_another_buyer_cannot_touch_a_device(
    client: TestClient, auth: Auth, system: System
) -> None:
    buyer = auth("buyer", "buyer_1")
    client.patch("/v1/me/notifications", json={"phone": "13800000001"}, headers=buyer)
    push(client, auth, order_payload("ord_fill", buyer_contact={"phone": PHONE, "email": MAILBOX}))
    read = client.get("/v1/me/notifications", headers=buyer).json()
    assert (read["phone"], read["email"]) == ("138****0001", "w****i@example.com")

    made = client.post("/v1/devices", json={"token": DEVICE, "platform": "ios"}, headers=buyer).json()
    again = client.post("/v1/devices", json={"token": DEVICE, "platform": "ios"}, headers=buyer)
    assert again.status_code == 200
    assert again.json()["id"] == made["id"]
    other = auth("buyer", "buyer_2")
    assert_problem(client.delete(f"/v1/devices/{made['id']}", headers=other), 404, "not_found")
    # The same phone signed in as another buyer: the device moves to them.
    moved = client.post("/v1/devices", json={"token": DEVICE, "platform": "ios"}, headers=other)
    assert moved.status_code == 200
    assert client.get("/v1/devices", headers=buyer).json()["items"] == []
    assert client.delete(f"/v1/devices/{made['id']}", headers=other).status_code == 204
    assert client.get("/v1/devices", headers=other).json()["items"] == []


def test_the_worker_loop_sends_each_channel_by_itself(
    client: TestClient, auth: Auth, system: System, channels: Channels
) -> None:
    channels.push.register(DEVICE)
    channels.smtp.stall_next(2.0)  # a slow mail server
    loop = SendLoop(lambda: system.ctx, every=0.02)
    loop.start()
    try:
        _reachable_buyer(client, auth, "ord_ch10")
        _approved_claim(client, auth, "ord_ch10")
        until = time.monotonic() + 30
        while len(channels.push.pushes) < 4 or not channels.sms.messages:
            assert time.monotonic() < until, "timed out"
            time.sleep(0.02)
        # The pushes and the text did not wait for the mail server, whose answer is still to come.
        assert channels.smtp.messages == [] or _messages_sent(system, Channel.EMAIL) == 0
        while not _messages_sent(system, Channel.EMAIL):
            assert time.monotonic() < until, "timed out"
            time.sleep(0.02)
    finally:
        loop.stop()
    assert len(channels.push.pushes) == 4
    assert len(channels.sms.messages) == len(channels.smtp.messages) == 1
