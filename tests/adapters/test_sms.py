"""AliyunSmsNotifier through the real SDK against the sandbox SMS service, over HTTP on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import httpx
import pytest

from tuika.adapters.notify.sms import AliyunSmsNotifier
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed
from tuika_dev.sandbox.sms import Call, SandboxSms, SentSms

PHONE = "13812345678"
MASKED = "138****5678"
TEMPLATE = "SMS_480001"
TEXT = "您的退款单${no}已受理,预计${days}个工作日内到账。"
PARAMS = {"no": "RC-2024-0007", "days": "3"}

MakeNotifier = Callable[..., AliyunSmsNotifier]


class FakeClock:
    """Wall time that moves only when a test says so; starts now, for the SDK's real x-acs-date."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Iterator[SandboxSms]:
    with SandboxSms("LTAI5tTest", "test-secret", ("退卡",), clock=clock) as running:
        running.add_template(TEMPLATE, TEXT)
        yield running


@pytest.fixture
def make_notifier(sandbox: SandboxSms) -> MakeNotifier:
    def make(**overrides: object) -> AliyunSmsNotifier:
        options: dict[str, object] = {
            "endpoint": sandbox.endpoint,
            "protocol": "http",
            "connect_timeout_s": 1.0,
            "read_timeout_s": 1.0,
            **overrides,
        }
        key_id = str(options.pop("key_id", "LTAI5tTest"))
        secret = str(options.pop("secret", "test-secret"))
        sign = str(options.pop("sign_name", "退卡"))
        return AliyunSmsNotifier(key_id, secret, sign, **options)  # type: ignore[arg-type]

    return make


def message(message_id: str = "msg_1", address: str = PHONE, **overrides: object) -> Outgoing:
    fields: dict[str, object] = {"title": "退款受理", "body": "…", "template": TEMPLATE, "params": PARAMS, **overrides}
    return Outgoing(message_id, address, **fields)  # type: ignore[arg-type]


def failure(notifier: AliyunSmsNotifier, outgoing: Outgoing) -> SendFailed:
    with pytest.raises(SendFailed) as raised:
        notifier.send(outgoing)
    return raised.value


# --- taken ---


def test_an_accepted_message_is_recorded_with_its_params_and_out_id(
    sandbox: SandboxSms, make_notifier: MakeNotifier, clock: FakeClock
) -> None:
    notifier = make_notifier()

    biz_id = notifier.send(message())

    assert notifier.channel is SendChannel.SMS
    assert biz_id.endswith("^0")
    assert sandbox.messages == [
        SentSms(
            phone=PHONE,
            sign_name="退卡",
            template_code=TEMPLATE,
            params=PARAMS,
            out_id="msg_1",
            biz_id=biz_id,
            text="【退卡】您的退款单RC-2024-0007已受理,预计3个工作日内到账。",
            received_at=datetime.fromtimestamp(clock.now, UTC),
        )
    ]
    assert sandbox.calls == [Call(200, "OK", "msg_1")]


def test_params_with_spaces_plus_signs_and_chinese_survive_signing(
    sandbox: SandboxSms, make_notifier: MakeNotifier
) -> None:
    params = {"no": "RC 1+2&3=4/测试~", "days": "三"}

    make_notifier().send(message(params=params))

    assert [m.params for m in sandbox.messages] == [params]


def test_a_second_send_of_one_message_gets_the_same_biz_id_and_one_record(
    sandbox: SandboxSms, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()

    first, second = notifier.send(message()), notifier.send(message())

    assert first == second
    assert len(sandbox.messages) == 1


# --- refused by the gateway: the signature and the key ---


def test_a_wrong_secret_is_refused_as_a_signature_mismatch(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(secret="not-the-secret"), message())

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.REFUSED, "SignatureDoesNotMatch", False)
    assert sandbox.calls == [Call(400, "SignatureDoesNotMatch")]
    assert sandbox.messages == []


def test_an_unknown_key_id_is_refused(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(key_id="LTAI5tNobody"), message())

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "InvalidAccessKeyId.NotFound")
    assert sandbox.calls == [Call(404, "InvalidAccessKeyId.NotFound")]
    assert sandbox.messages == []


# --- refused by the SMS service ---


def test_a_message_without_a_template_is_refused_before_anything_is_sent(
    sandbox: SandboxSms, make_notifier: MakeNotifier
) -> None:
    failed = failure(make_notifier(), message(template=None))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "no_template")
    assert sandbox.calls == []


def test_an_unknown_template_is_refused(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(), message(template="SMS_999999"))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "isv.SMS_TEMPLATE_ILLEGAL")
    assert sandbox.messages == []


def test_a_template_the_provider_rejects_is_refused(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    sandbox.reject_template(TEMPLATE)

    failed = failure(make_notifier(), message())

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "isv.SMS_TEMPLATE_ILLEGAL")
    assert sandbox.messages == []


def test_an_unregistered_sign_name_is_refused(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(sign_name="别的签名"), message())

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "isv.SMS_SIGNATURE_ILLEGAL")
    assert sandbox.messages == []


def test_a_missing_template_parameter_is_refused(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    failed = failure(make_notifier(), message(params={"no": "RC-1"}))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "isv.TEMPLATE_MISSING_PARAMETERS")
    assert sandbox.messages == []


@pytest.mark.parametrize("address", ["12345", "23812345678", "1381234567", "+8613812345678x"])
def test_a_number_that_is_not_a_mainland_mobile_is_gone(
    sandbox: SandboxSms, make_notifier: MakeNotifier, address: str
) -> None:
    failed = failure(make_notifier(), message(address=address))

    assert (failed.kind, failed.code) == (FailureKind.ADDRESS_GONE, "isv.MOBILE_NUMBER_ILLEGAL")
    assert sandbox.messages == []


def test_a_number_the_provider_rejects_is_gone(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    sandbox.reject_number(PHONE)

    failed = failure(make_notifier(), message())

    assert (failed.kind, failed.code) == (FailureKind.ADDRESS_GONE, "isv.MOBILE_NUMBER_ILLEGAL")
    assert sandbox.messages == []


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("isv.DAY_LIMIT_CONTROL", FailureKind.THROTTLED),
        ("isv.AMOUNT_NOT_ENOUGH", FailureKind.REFUSED),
        ("isv.MOBILE_COUNT_OVER_LIMIT", FailureKind.REFUSED),
        ("isp.RAM_PERMISSION_DENY", FailureKind.REFUSED),
        ("isp.SYSTEM_ERROR", FailureKind.UNAVAILABLE),
        ("isv.A_CODE_NOBODY_DOCUMENTED", FailureKind.REFUSED),
        ("isp.A_CODE_NOBODY_DOCUMENTED", FailureKind.UNAVAILABLE),
    ],
)
def test_the_service_codes_map_to_what_to_do_next(
    sandbox: SandboxSms, make_notifier: MakeNotifier, code: str, kind: FailureKind
) -> None:
    sandbox.reject_number(PHONE, code)

    failed = failure(make_notifier(), message())

    assert (failed.kind, failed.code) == (kind, code)


# --- throttled ---


def test_the_providers_rate_limit_is_throttled_and_clears(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    sandbox.throttle_next(1)
    notifier = make_notifier()

    failed = failure(notifier, message())
    biz_id = notifier.send(message())

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.THROTTLED, "isv.BUSINESS_LIMIT_CONTROL", True)
    assert [m.biz_id for m in sandbox.messages] == [biz_id]


def test_a_number_sent_too_much_in_a_minute_is_throttled_until_the_minute_passes(
    sandbox: SandboxSms, make_notifier: MakeNotifier, clock: FakeClock
) -> None:
    sandbox.limit_per_minute(2)
    notifier = make_notifier()
    notifier.send(message("msg_1"))
    notifier.send(message("msg_2"))

    failed = failure(notifier, message("msg_3"))
    other = notifier.send(message("msg_4", address="13900001111"))
    clock.now += 61
    later = notifier.send(message("msg_3"))

    assert (failed.kind, failed.code) == (FailureKind.THROTTLED, "isv.BUSINESS_LIMIT_CONTROL")
    assert [m.out_id for m in sandbox.messages] == ["msg_1", "msg_2", "msg_4", "msg_3"]
    assert [m.biz_id for m in sandbox.messages[2:]] == [other, later]


# --- unavailable ---


def test_a_sandbox_answering_503_is_unavailable(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    sandbox.down()

    failed = failure(make_notifier(), message())

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "ServiceUnavailable", True)
    assert sandbox.calls == [Call(503, "ServiceUnavailable")]
    assert sandbox.messages == []


def test_a_refused_connection_is_unavailable(sandbox: SandboxSms, make_notifier: MakeNotifier) -> None:
    notifier = make_notifier()
    sandbox.stop()

    failed = failure(notifier, message())

    assert (failed.kind, failed.code) == (FailureKind.UNAVAILABLE, "unreachable")


def test_an_answer_slower_than_the_timeout_is_unavailable_and_a_retry_is_the_same_message(
    sandbox: SandboxSms, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier(read_timeout_s=0.3)
    sandbox.slow(2.0)

    failed = failure(notifier, message())
    sandbox.slow(0)
    biz_id = notifier.send(message())

    assert (failed.kind, failed.code) == (FailureKind.UNAVAILABLE, "timeout")
    # The sandbox took the first try but answered too late; OutId makes the retry the same message.
    assert [(m.out_id, m.biz_id) for m in sandbox.messages] == [("msg_1", biz_id)]


# --- the number is never shown ---


def test_the_number_never_appears_unmasked_in_logs_or_failures(
    sandbox: SandboxSms, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = make_notifier(read_timeout_s=0.3)
    failures: list[SendFailed] = []
    notifier.send(message("msg_ok"))
    sandbox.throttle_next(1)
    failures.append(failure(notifier, message("msg_throttled")))
    sandbox.reject_template(TEMPLATE)
    failures.append(failure(notifier, message("msg_template")))
    failures.append(failure(make_notifier(secret="wrong"), message("msg_signature")))
    sandbox.slow(2.0)
    failures.append(failure(notifier, message("msg_slow")))
    sandbox.slow(0)
    sandbox.stop()
    failures.append(failure(notifier, message("msg_down")))

    shown = caplog.text + "".join(str(f) + f.detail + "".join(traceback.format_exception(f)) for f in failures)
    assert PHONE not in shown
    assert MASKED in caplog.text
    assert [f.code for f in failures] == [
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "SignatureDoesNotMatch",
        "timeout",
        "unreachable",
    ]


# --- the sandbox checks what it is sent ---


def _signed(
    secret: str,
    signed_params: Mapping[str, str],
    sent_params: Mapping[str, str],
    host: str,
    *,
    nonce: str | None = None,
) -> tuple[str, dict[str, str]]:
    """Sign ``signed_params`` with ACS3-HMAC-SHA256, as the provider's documentation says; send ``sent_params``."""
    headers = {
        "host": host,
        "x-acs-action": "SendSms",
        "x-acs-version": "2017-05-25",
        "x-acs-date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "x-acs-signature-nonce": nonce or uuid.uuid4().hex,
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
    }
    names = sorted(headers)
    query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(signed_params.items()))
    canonical = "\n".join(
        [
            "POST",
            "/",
            query,
            "".join(f"{n}:{headers[n]}\n" for n in names),
            ";".join(names),
            hashlib.sha256(b"").hexdigest(),
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"ACS3-HMAC-SHA256 Credential=LTAI5tTest,SignedHeaders={';'.join(names)},Signature={signature}"
    )
    return "/?" + urlencode(dict(sent_params)), headers


SEND = {
    "PhoneNumbers": PHONE,
    "SignName": "退卡",
    "TemplateCode": TEMPLATE,
    "TemplateParam": '{"no":"RC-1","days":"3"}',
    "OutId": "raw_1",
}


def test_a_request_signed_by_hand_is_taken(sandbox: SandboxSms) -> None:
    target, headers = _signed("test-secret", SEND, SEND, sandbox.endpoint)

    answer = httpx.post(sandbox.base_url + target, headers=headers)

    assert (answer.status_code, answer.json()["Code"]) == (200, "OK")
    assert [m.out_id for m in sandbox.messages] == ["raw_1"]


@pytest.mark.parametrize(
    "changed",
    [{"PhoneNumbers": "13900001111"}, {"TemplateParam": '{"no":"RC-2","days":"3"}'}, {"OutId": "raw_2"}],
)
def test_a_param_changed_after_signing_is_refused(sandbox: SandboxSms, changed: dict[str, str]) -> None:
    target, headers = _signed("test-secret", SEND, {**SEND, **changed}, sandbox.endpoint)

    answer = httpx.post(sandbox.base_url + target, headers=headers)

    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert sandbox.messages == []


def test_a_body_added_after_signing_is_refused(sandbox: SandboxSms) -> None:
    target, headers = _signed("test-secret", SEND, SEND, sandbox.endpoint)

    answer = httpx.post(sandbox.base_url + target, headers=headers, content=b"PhoneNumbers=13900001111")

    assert (answer.status_code, answer.json()["Code"]) == (400, "SignatureDoesNotMatch")
    assert sandbox.messages == []


def test_a_replayed_request_is_refused(sandbox: SandboxSms) -> None:
    target, headers = _signed("test-secret", SEND, SEND, sandbox.endpoint, nonce="nonce-1")
    httpx.post(sandbox.base_url + target, headers=headers)

    again = httpx.post(sandbox.base_url + target, headers=headers)

    assert (again.status_code, again.json()["Code"]) == (400, "SignatureNonceUsed")
    assert len(sandbox.messages) == 1


def test_a_request_without_an_acs3_signature_is_refused(sandbox: SandboxSms) -> None:
    answer = httpx.post(sandbox.base_url + "/?" + urlencode(SEND), headers={"x-acs-action": "SendSms"})

    assert (answer.status_code, answer.json()["Code"]) == (400, "IncompleteSignature")
    assert sandbox.messages == []
