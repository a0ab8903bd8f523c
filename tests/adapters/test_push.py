"""JPushNotifier against the sandbox JPush, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tuika.adapters.notify.push import CID_LIFETIME_S, CID_PATH, PUSH_PATH, JPushNotifier, sendno
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed
from tuika_dev.sandbox.push import Fault, SandboxPush

DEVICE = "1a0018970a8f3bd2f2b"
LINK = "https://tuika.example/cases/rc_7Q2M"
MESSAGE = Outgoing("msg_01J9Z", DEVICE, "退款已受理", "您的退款申请 rc_7Q2M 已受理", link=LINK)

MakeNotifier = Callable[..., JPushNotifier]


class FakeMonotonic:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[SandboxPush]:
    with SandboxPush(slow_s=1.0) as running:
        running.register(DEVICE)
        yield running


@pytest.fixture
def make_notifier(sandbox: SandboxPush) -> Iterator[MakeNotifier]:
    made: list[JPushNotifier] = []

    def make(**overrides: Any) -> JPushNotifier:
        options: dict[str, Any] = {"base_url": sandbox.base_url, "timeout_s": 0.3}
        options.update(overrides)
        app_key = options.pop("app_key", sandbox.app_key)
        notifier = JPushNotifier(app_key, options.pop("master_secret", sandbox.master_secret), **options)
        made.append(notifier)
        return notifier

    yield make
    for notifier in made:
        notifier.close()


def failure(notifier: JPushNotifier, message: Outgoing = MESSAGE) -> SendFailed:
    with pytest.raises(SendFailed) as raised:
        notifier.send(message)
    return raised.value


def pushes_sent(sandbox: SandboxPush) -> list[int]:
    return [r.status for r in sandbox.requests if r.path == PUSH_PATH]


# --- taken ---


def test_an_accepted_push_is_recorded_with_its_words_and_extras(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()

    msg_id = notifier.send(MESSAGE)

    assert notifier.channel is SendChannel.PUSH
    [push] = sandbox.pushes
    assert push.msg_id == msg_id
    assert (push.registration_id, push.title, push.alert) == (DEVICE, "退款已受理", "您的退款申请 rc_7Q2M 已受理")
    assert push.extras == {"message_id": "msg_01J9Z", "link": LINK}
    assert push.sendno == sendno("msg_01J9Z")
    assert push.received_at.tzinfo is not None


def test_a_message_without_a_link_carries_only_its_id() -> None:
    body = JPushNotifier("a" * 24, "s").payload(Outgoing("msg_2", DEVICE, "t", "b"))

    notification = body["notification"]
    assert isinstance(notification, dict)
    assert notification["android"]["extras"] == {"message_id": "msg_2"}
    assert notification["ios"]["extras"] == {"message_id": "msg_2"}
    assert body["audience"] == {"registration_id": [DEVICE]}
    assert "cid" not in body


def test_the_sendno_is_stable_for_a_message_and_differs_between_messages() -> None:
    assert sendno("msg_1") == sendno("msg_1")
    assert sendno("msg_1") != sendno("msg_2")
    assert 0 <= sendno("msg_1") <= 0x7FFF_FFFF


def test_cids_are_fetched_ten_at_a_time(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    notifier = make_notifier()

    for n in range(11):
        notifier.send(Outgoing(f"msg_{n}", DEVICE, "t", "b"))

    assert [r.path for r in sandbox.requests].count(CID_PATH) == 2
    assert len(sandbox.pushes) == 11


# --- refused ---


def test_a_wrong_master_secret_is_refused_and_nothing_is_pushed(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    failed = failure(make_notifier(master_secret="not-the-secret"))

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.REFUSED, "1004", False)
    assert sandbox.pushes == []


def test_a_malformed_app_key_is_refused(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(app_key="not-an-app-key"))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "1008")
    assert sandbox.pushes == []


def test_a_notification_past_jpushs_size_limit_is_refused(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    long = Outgoing("msg_long", DEVICE, "t", "退" * 1400)

    failed = failure(make_notifier(), long)

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "1005")
    assert sandbox.pushes == []


# --- the address ---


def test_an_unknown_registration_id_is_an_address_gone(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(), Outgoing("msg_3", "unknown-device", "t", "b"))

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.ADDRESS_GONE, "1011", False)
    assert "cannot find user" in failed.detail
    assert sandbox.pushes == []


def test_a_rejected_registration_id_is_an_address_gone(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    sandbox.reject(DEVICE)

    failed = failure(make_notifier())

    assert (failed.kind, failed.code) == (FailureKind.ADDRESS_GONE, "1011")
    assert sandbox.pushes == []


# --- try again later ---


def test_throttled_then_taken_once_the_quota_is_back(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    notifier = make_notifier()
    notifier.send(Outgoing("msg_warm", DEVICE, "t", "b"))  # fetch the cids first
    sandbox.throttle(2)

    first, second = failure(notifier), failure(notifier)
    msg_id = notifier.send(MESSAGE)

    assert (first.kind, first.code, first.retry) == (FailureKind.THROTTLED, "2002", True)
    assert "the quota resets in" in first.detail
    assert second.kind is FailureKind.THROTTLED
    assert [p.msg_id for p in sandbox.pushes][-1] == msg_id
    assert len(sandbox.pushes) == 2


def test_a_503_is_unavailable_and_nothing_is_pushed(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    notifier = make_notifier()
    notifier.send(Outgoing("msg_warm", DEVICE, "t", "b"))
    sandbox.fail_next(Fault.DOWN)

    failed = failure(notifier)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "1000", True)
    assert len(sandbox.pushes) == 1


def test_a_refused_connection_is_unavailable(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    notifier = make_notifier()
    sandbox.stop()

    failed = failure(notifier)

    assert (failed.kind, failed.code) == (FailureKind.UNAVAILABLE, "transport")


def test_a_cid_that_cannot_be_fetched_is_unavailable_and_nothing_is_pushed(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    sandbox.fail_next(Fault.DOWN)

    failed = failure(make_notifier())

    assert failed.kind is FailureKind.UNAVAILABLE
    assert pushes_sent(sandbox) == []


def test_slow_past_the_timeout_is_unavailable_and_the_retry_is_not_pushed_twice(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    notifier.send(Outgoing("msg_warm", DEVICE, "t", "b"))
    sandbox.fail_next(Fault.SLOW)

    failed = failure(notifier)
    msg_id = notifier.send(MESSAGE)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "timeout", True)
    # JPush took the slow push; the retry's cid is the same, so it answers the first result.
    assert [p.msg_id for p in sandbox.pushes if p.extras["message_id"] == "msg_01J9Z"] == [msg_id]


def test_a_retry_from_another_process_may_push_once_more(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    first = make_notifier()
    first.send(Outgoing("msg_warm", DEVICE, "t", "b"))
    sandbox.fail_next(Fault.SLOW)
    failure(first)

    make_notifier().send(MESSAGE)  # a new process knows no cid for the message

    assert len([p for p in sandbox.pushes if p.extras["message_id"] == "msg_01J9Z"]) == 2


def test_a_cid_past_its_lifetime_is_replaced(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    clock = FakeMonotonic()
    notifier = make_notifier(monotonic=clock)
    notifier.send(MESSAGE)
    clock.now += CID_LIFETIME_S

    notifier.send(MESSAGE)

    assert len(sandbox.pushes) == 2
    assert [r.path for r in sandbox.requests].count(CID_PATH) == 2


# --- JPush's codes, as the client reads them ---


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (400, {"error": {"code": 1011, "message": "cannot find user"}, "msg_id": 1}, FailureKind.ADDRESS_GONE, "1011"),
        (401, {"error": {"code": 1004, "message": "Authen failed"}}, FailureKind.REFUSED, "1004"),
        (400, {"error": {"code": 1003, "message": "bad value"}}, FailureKind.REFUSED, "1003"),
        (403, {"error": {"code": 2008, "message": "broadcast rate"}}, FailureKind.THROTTLED, "2008"),
        (403, {"error": {"code": 2005, "message": "daily volume"}}, FailureKind.THROTTLED, "2005"),
        (429, {}, FailureKind.THROTTLED, "http_429"),
        (400, {"error": {"code": 1030, "message": "internal timeout"}}, FailureKind.UNAVAILABLE, "1030"),
        (502, {}, FailureKind.UNAVAILABLE, "http_502"),
        (200, {"sendno": "1"}, FailureKind.UNAVAILABLE, "bad_answer"),
    ],
)
def test_each_answer_maps_to_a_failure_kind(status: int, body: dict[str, object], kind: FailureKind, code: str) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == CID_PATH:
            return httpx.Response(200, json={"cidlist": ["a" * 24 + "-cid"]})
        return httpx.Response(status, json=body)

    notifier = JPushNotifier("a" * 24, "s", transport=httpx.MockTransport(answer))

    failed = failure(notifier)

    assert (failed.kind, failed.code) == (kind, code)


# --- the sandbox checks the body as JPush does ---


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        (lambda body: body.update(platform=["android", "symbian"]), 400, 1003),
        (lambda body: body.pop("audience"), 400, 1002),
        (lambda body: body.update(audience={"registration_id": DEVICE}), 400, 1003),
        (lambda body: body.pop("notification"), 400, 1002),
        (lambda body: body["options"].update(time_to_live=-1), 400, 1003),
        (lambda body: body.update(cid="never-issued"), 400, 1003),
    ],
)
def test_the_sandbox_refuses_a_body_jpush_would_refuse(
    sandbox: SandboxPush, change: Callable[[dict[str, object]], object], status: int, code: int
) -> None:
    body = JPushNotifier("a" * 24, "s").payload(MESSAGE)
    change(body)

    answer = httpx.post(
        sandbox.base_url + PUSH_PATH, content=json.dumps(body), auth=(sandbox.app_key, sandbox.master_secret)
    )

    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert sandbox.pushes == []


def test_the_sandbox_reports_its_rate_limit_on_every_answer(sandbox: SandboxPush) -> None:
    answer = httpx.get(sandbox.base_url + CID_PATH, auth=(sandbox.app_key, sandbox.master_secret))

    assert answer.status_code == 200
    assert answer.headers["X-Rate-Limit-Limit"] == "600"
    assert answer.headers["X-Rate-Limit-Remaining"] == "599"
    assert 0 < int(answer.headers["X-Rate-Limit-Reset"]) <= 60
