"""JPushNotifier against the sandbox JPush, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tuika.adapters.notify.push import (
    BATCH_PATH,
    BATCH_RETRY_S,
    CID_LIFETIME_S,
    CID_PATH,
    PUSH_PATH,
    JPushNotifier,
    sendno,
)
from tuika.bootstrap import notifiers
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed
from tuika.settings import Settings
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


def batches_sent(sandbox: SandboxPush) -> list[int]:
    """Return how many entries each batch request held, oldest first."""
    return [r.entries for r in sandbox.requests if r.path == BATCH_PATH]


def phones(sandbox: SandboxPush, count: int, prefix: str = "1a00189700") -> list[str]:
    """Register ``count`` devices with the sandbox; return their registration ids."""
    ids = [f"{prefix}{n:06d}" for n in range(count)]
    for reg_id in ids:
        sandbox.register(reg_id)
    return ids


def to_each(ids: list[str], tag: str = "m") -> list[Outgoing]:
    return [Outgoing(f"msg_{tag}{n}", reg_id, "退款已受理", f"第 {n} 条") for n, reg_id in enumerate(ids)]


def took(sandbox: SandboxPush) -> dict[str, list[str]]:
    """Return the registration ids each message id was pushed to, as the sandbox recorded them."""
    found: dict[str, list[str]] = {}
    for push in sandbox.pushes:
        found.setdefault(str(push.extras["message_id"]), []).append(push.registration_id)
    return found


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


# --- a pass's pushes together: JPush's batch single push ---


def test_a_pass_of_single_device_messages_is_one_request_and_each_arrives_once(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    messages = to_each(phones(sandbox, 5))

    outcomes = make_notifier().send_all(messages)

    assert batches_sent(sandbox) == [5]
    assert pushes_sent(sandbox) == []
    assert took(sandbox) == {m.message_id: [m.address] for m in messages}
    by_message = {str(p.extras["message_id"]): p.msg_id for p in sandbox.pushes}
    assert outcomes == [by_message[m.message_id] for m in messages]
    assert {p.sendno for p in sandbox.pushes} == {sendno(m.message_id) for m in messages}


def test_an_unknown_registration_id_in_a_batch_fails_only_its_own_message_as_address_gone(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    first, last = phones(sandbox, 2)
    messages = to_each([first, "unknown-device", last])

    sent, gone, other = make_notifier().send_all(messages)

    assert batches_sent(sandbox) == [3]
    assert isinstance(gone, SendFailed)
    assert (gone.kind, gone.code, gone.retry) == (FailureKind.ADDRESS_GONE, "1011", False)
    assert "cannot find user" in gone.detail
    assert took(sandbox) == {"msg_m0": [first], "msg_m2": [last]}
    assert [p.msg_id for p in sandbox.pushes] == [sent, other]


def test_a_batch_jpush_took_before_the_timeout_is_retried_with_its_cids_and_sent_nothing_twice(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    ids = phones(sandbox, 5)
    notifier.send_all(to_each(ids[:2], "warm"))  # fetch the cids first
    messages = to_each(ids[2:])
    sandbox.fail_next(Fault.SLOW)

    timed_out = notifier.send_all(messages)
    retried = notifier.send_all(messages)

    assert all(
        isinstance(o, SendFailed) and (o.kind, o.code) == (FailureKind.UNAVAILABLE, "timeout") for o in timed_out
    )
    # JPush took the slow batch; the retry carries the same cids, so each is answered the first result.
    assert batches_sent(sandbox) == [2, 3, 3]
    assert {m: ids for m, ids in took(sandbox).items() if not m.startswith("msg_warm")} == {
        m.message_id: [m.address] for m in messages
    }
    assert sandbox.repeats == 3
    by_message = {str(p.extras["message_id"]): p.msg_id for p in sandbox.pushes}
    assert retried == [by_message[m.message_id] for m in messages]


@pytest.mark.parametrize(
    ("fault", "kind", "code"),
    [(Fault.DOWN, FailureKind.UNAVAILABLE, "1000"), (Fault.THROTTLE, FailureKind.THROTTLED, "2002")],
)
def test_a_whole_batch_failing_fails_every_message_and_a_later_pass_sends_each_once(
    sandbox: SandboxPush, make_notifier: MakeNotifier, fault: Fault, kind: FailureKind, code: str
) -> None:
    notifier = make_notifier()
    ids = phones(sandbox, 4)
    notifier.send_all(to_each(ids[:1], "warm"))  # fetch the cids first
    messages = to_each(ids[1:])
    sandbox.fail_next(fault)

    failed = notifier.send_all(messages)

    assert [(o.kind, o.code, o.retry) for o in failed if isinstance(o, SendFailed)] == [(kind, code, True)] * 3
    assert list(took(sandbox)) == ["msg_warm0"]

    later = notifier.send_all(messages)

    assert all(isinstance(o, str) for o in later)
    assert {m: ids for m, ids in took(sandbox).items() if m != "msg_warm0"} == {
        m.message_id: [m.address] for m in messages
    }


def test_a_batch_that_cannot_reach_jpush_fails_every_message_as_unavailable(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    ids = phones(sandbox, 3)
    notifier.send_all(to_each(ids[:1], "warm"))
    sandbox.stop()

    failed = notifier.send_all(to_each(ids[1:]))

    assert [(o.kind, o.code) for o in failed if isinstance(o, SendFailed)] == [
        (FailureKind.UNAVAILABLE, "transport")
    ] * 2


def test_messages_to_several_devices_keep_their_own_push_beside_the_batch(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    phone, tablet, alone, other = phones(sandbox, 4)
    messages = [
        Outgoing("msg_two", f"{phone},{tablet}", "t", "b"),
        Outgoing("msg_alone", alone, "t", "b"),
        Outgoing("msg_half", f"{other},unknown-device", "t", "b"),
        Outgoing("msg_other", other, "t", "b"),
    ]

    outcomes = make_notifier().send_all(messages)

    assert batches_sent(sandbox) == [2]
    assert pushes_sent(sandbox) == [200, 200]
    assert took(sandbox) == {
        "msg_two": [phone, tablet],
        "msg_alone": [alone],
        "msg_half": [other],
        "msg_other": [other],
    }
    by_message = {str(p.extras["message_id"]): p.msg_id for p in sandbox.pushes}
    assert outcomes == [by_message[m.message_id] for m in messages]


def test_a_message_first_pushed_alone_and_retried_in_a_batch_keeps_its_cid(
    sandbox: SandboxPush, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    first, second = phones(sandbox, 2)
    notifier.send(Outgoing("msg_warm", first, "t", "b"))
    lone = Outgoing("msg_lone", first, "t", "b")
    sandbox.fail_next(Fault.SLOW)
    failure(notifier, lone)

    outcomes = notifier.send_all([lone, Outgoing("msg_next", second, "t", "b")])

    assert batches_sent(sandbox) == [2]
    assert took(sandbox) == {"msg_warm": [first], "msg_lone": [first], "msg_next": [second]}
    assert sandbox.repeats == 1
    assert outcomes[0] == next(p.msg_id for p in sandbox.pushes if p.extras["message_id"] == "msg_lone")


def test_the_batch_size_caps_the_entries_of_a_request(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    messages = to_each(phones(sandbox, 250))

    outcomes = make_notifier(batch=100).send_all(messages)

    assert batches_sent(sandbox) == [100, 100, 50]
    assert all(isinstance(o, str) for o in outcomes)
    assert took(sandbox) == {m.message_id: [m.address] for m in messages}


def test_a_batch_of_one_is_pushed_on_its_own(sandbox: SandboxPush, make_notifier: MakeNotifier) -> None:
    messages = to_each(phones(sandbox, 3))

    make_notifier(batch=1).send_all(messages)
    make_notifier().send_all(messages[:1])

    assert batches_sent(sandbox) == []
    assert pushes_sent(sandbox) == [200] * 4


def test_the_batch_setting_reaches_the_notifier(sandbox: SandboxPush) -> None:
    settings = Settings(
        push_app_key=sandbox.app_key,
        push_master_secret=sandbox.master_secret,
        push_url=sandbox.base_url,
        push_batch=2,
    )
    notifier = notifiers(settings)[SendChannel.PUSH]
    messages = to_each(phones(sandbox, 5))

    try:
        notifier.send_all(messages)
    finally:
        assert isinstance(notifier, JPushNotifier)
        notifier.close()

    assert batches_sent(sandbox) == [2, 2]
    assert pushes_sent(sandbox) == [200]


@pytest.mark.parametrize("batch", [0, 1001])
def test_a_batch_size_jpush_would_not_take_is_refused(batch: int) -> None:
    with pytest.raises(ValueError, match="batch must be from 1 to 1000"):
        JPushNotifier("a" * 24, "s", batch=batch)


def test_an_app_jpush_refuses_the_batch_to_is_pushed_one_by_one_and_asked_again_an_hour_later(
    make_notifier: MakeNotifier,
) -> None:
    clock = FakeMonotonic()
    with SandboxPush(vip=False) as jpush:
        notifier = make_notifier(
            base_url=jpush.base_url, app_key=jpush.app_key, master_secret=jpush.master_secret, monotonic=clock
        )
        ids = phones(jpush, 6)

        first = notifier.send_all(to_each(ids[:3], "a"))
        second = notifier.send_all(to_each(ids[3:5], "b"))
        clock.now += BATCH_RETRY_S
        third = notifier.send_all(to_each([ids[5], ids[0]], "c"))

        refused = [(r.status, r.code) for r in jpush.requests if r.path == BATCH_PATH]
        # Refused on the first pass and again an hour later; not asked on the pass between.
        assert refused == [(403, 2006)] * 2
        assert pushes_sent(jpush) == [200] * 7
        assert all(isinstance(o, str) for o in [*first, *second, *third])
        assert took(jpush) == {
            "msg_a0": [ids[0]],
            "msg_a1": [ids[1]],
            "msg_a2": [ids[2]],
            "msg_b0": [ids[3]],
            "msg_b1": [ids[4]],
            "msg_c0": [ids[5]],
            "msg_c1": [ids[0]],
        }


def test_a_host_without_the_batch_endpoint_gets_single_pushes() -> None:
    paths: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        if request.url.path == CID_PATH:
            return httpx.Response(200, json={"cidlist": [f"{'a' * 24}-cid{n}" for n in range(10)]})
        if request.url.path == BATCH_PATH:
            return httpx.Response(404, text="Not Found")
        return httpx.Response(200, json={"sendno": "1", "msg_id": f"{len(paths)}"})

    notifier = JPushNotifier("a" * 24, "s", transport=httpx.MockTransport(answer))

    outcomes = notifier.send_all([Outgoing("msg_a", "dev_a", "t", "b"), Outgoing("msg_b", "dev_b", "t", "b")])

    assert paths == [CID_PATH, BATCH_PATH, PUSH_PATH, PUSH_PATH]
    assert outcomes == ["3", "4"]


@pytest.mark.parametrize(
    ("entry", "outcome"),
    [
        ({"msg_id": 134123478}, "134123478"),
        ({"msg_id": "134123478"}, "134123478"),
        ({"msg_id": 134123478, "error": {"code": 1011, "message": "no target"}}, (FailureKind.ADDRESS_GONE, "1011")),
        ({"error": {"code": 2002, "message": "rate"}}, (FailureKind.THROTTLED, "2002")),
        ({"error": {"code": 1030, "message": "internal timeout"}}, (FailureKind.UNAVAILABLE, "1030")),
        ({"error": {"code": 1009, "message": "unsupported key"}}, (FailureKind.REFUSED, "1009")),
        ({"error": {"message": "no code"}}, (FailureKind.UNAVAILABLE, "bad_answer")),
        ({}, (FailureKind.UNAVAILABLE, "bad_answer")),
        (None, (FailureKind.UNAVAILABLE, "bad_answer")),
    ],
)
def test_each_batch_entry_maps_to_its_own_outcome(entry: object, outcome: object) -> None:
    cids = [f"{'a' * 24}-cid{n}" for n in range(10)]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == CID_PATH:
            return httpx.Response(200, json={"cidlist": cids})
        pushlist = json.loads(request.content)["pushlist"]
        assert list(pushlist) == cids[:2]
        body: dict[str, object] = {cids[1]: {"msg_id": 7}}
        if entry is not None:
            body[cids[0]] = entry
        return httpx.Response(200, json=body)

    notifier = JPushNotifier("a" * 24, "s", transport=httpx.MockTransport(answer))

    mine, other = notifier.send_all([Outgoing("msg_a", "dev_a", "t", "b"), Outgoing("msg_b", "dev_b", "t", "b")])

    assert other == "7"
    assert (mine if isinstance(mine, str) else (mine.kind, mine.code)) == outcome


def test_a_batch_refused_for_its_credentials_is_every_entrys_refusal() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == CID_PATH:
            return httpx.Response(200, json={"cidlist": [f"{'a' * 24}-cid{n}" for n in range(10)]})
        return httpx.Response(401, json={"error": {"code": 1004, "message": "Authen failed"}})

    notifier = JPushNotifier("a" * 24, "s", transport=httpx.MockTransport(answer))

    outcomes = notifier.send_all([Outgoing("msg_a", "dev_a", "t", "b"), Outgoing("msg_b", "dev_b", "t", "b")])

    assert [(o.kind, o.code) for o in outcomes if isinstance(o, SendFailed)] == [(FailureKind.REFUSED, "1004")] * 2


def test_a_batch_entry_names_its_target_and_no_audience() -> None:
    entry = JPushNotifier("a" * 24, "s").entry(MESSAGE)

    assert entry["target"] == DEVICE
    assert "audience" not in entry
    assert "cid" not in entry
    assert set(entry) == {"platform", "target", "notification", "options"}


# --- the sandbox checks a batch as JPush does ---


def _issued_cids(sandbox: SandboxPush, count: int) -> list[str]:
    answer = httpx.get(
        sandbox.base_url + CID_PATH, params={"count": count}, auth=(sandbox.app_key, sandbox.master_secret)
    )
    return list(answer.json()["cidlist"])


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda entry: entry.update(platform=["android", "symbian"]), 1003),
        (lambda entry: entry.pop("target"), 1002),
        (lambda entry: entry.update(target=[DEVICE]), 1003),
        (lambda entry: entry.update(audience={"registration_id": [DEVICE]}), 1009),
        (lambda entry: entry.pop("notification"), 1002),
        (lambda entry: entry["options"].update(time_to_live=-1), 1003),
    ],
)
def test_the_sandbox_refuses_a_batch_entry_jpush_would_refuse_and_takes_the_others(
    sandbox: SandboxPush, change: Callable[[dict[str, Any]], object], code: int
) -> None:
    bad_cid, good_cid = _issued_cids(sandbox, 2)
    bad = JPushNotifier("a" * 24, "s").entry(MESSAGE)
    change(bad)
    good = JPushNotifier("a" * 24, "s").entry(Outgoing("msg_good", DEVICE, "t", "b"))

    answer = httpx.post(
        sandbox.base_url + BATCH_PATH,
        content=json.dumps({"pushlist": {bad_cid: bad, good_cid: good}}),
        auth=(sandbox.app_key, sandbox.master_secret),
    )

    assert answer.status_code == 200
    assert answer.json()[bad_cid]["error"]["code"] == code
    assert [p.extras["message_id"] for p in sandbox.pushes] == ["msg_good"]
    assert answer.json()[good_cid] == {"msg_id": int(sandbox.pushes[0].msg_id)}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 1002),
        ({"pushlist": {}}, 1003),
        ({"pushlist": [{"target": DEVICE}]}, 1003),
        ({"pushlist": {f"cid{n}": {} for n in range(1001)}}, 1003),
    ],
)
def test_the_sandbox_refuses_a_batch_jpush_would_refuse_whole(
    sandbox: SandboxPush, body: dict[str, object], code: int
) -> None:
    answer = httpx.post(
        sandbox.base_url + BATCH_PATH, content=json.dumps(body), auth=(sandbox.app_key, sandbox.master_secret)
    )

    assert (answer.status_code, answer.json()["error"]["code"]) == (400, code)
    assert sandbox.pushes == []


def test_the_sandbox_refuses_an_entry_whose_cid_it_never_issued(sandbox: SandboxPush) -> None:
    entry = JPushNotifier("a" * 24, "s").entry(MESSAGE)

    answer = httpx.post(
        sandbox.base_url + BATCH_PATH,
        content=json.dumps({"pushlist": {"never-issued": entry}}),
        auth=(sandbox.app_key, sandbox.master_secret),
    )

    assert answer.json() == {"never-issued": {"error": {"code": 1003, "message": "cid is invalid or expired"}}}
    assert sandbox.pushes == []


def test_the_sandbox_checks_a_batchs_credentials(sandbox: SandboxPush) -> None:
    (cid,) = _issued_cids(sandbox, 1)
    body = {"pushlist": {cid: JPushNotifier("a" * 24, "s").entry(MESSAGE)}}

    answer = httpx.post(sandbox.base_url + BATCH_PATH, content=json.dumps(body), auth=(sandbox.app_key, "wrong"))

    assert (answer.status_code, answer.json()["error"]["code"]) == (401, 1004)
    assert sandbox.pushes == []
