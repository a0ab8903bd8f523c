"""SMS through Alibaba Cloud's SMS service (dysmsapi, ``SendSms``), with its official SDK.

A message goes out from a registered template under the account's sign name; the message's id
goes with it as ``OutId``, the provider's trace key, so a resend after a crash can be told
apart in the provider's records (the provider does not refuse a repeated ``OutId``: it is the
outbox, calling once per message and again only after a failure, that keeps sends rare).

The provider answers a business refusal with HTTP 200 and its own ``Code`` (``isv.*``, ``isp.*``);
its gateway answers a bad signature or an unknown key with HTTP 4xx, which the SDK raises.
Every answer but ``OK`` becomes ``SendFailed`` with the provider's code. The phone number is
never written out in full: log lines and failure details show it as ``138****5678``.

>>> notifier = AliyunSmsNotifier("LTAI…", "secret", "退卡")  # doctest: +SKIP
>>> notifier.send(Outgoing("msg_1", "13800138000", "", "", "SMS_1", {"no": "RC1"}))  # doctest: +SKIP
'9006197469364984^0'
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Final

from alibabacloud_dysmsapi20170525 import models as sms_models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from darabonba.exceptions import UnretryableException
from darabonba.runtime import RuntimeOptions

from tuika.domain.masking import mask_account
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed, one_by_one

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT: Final = "dysmsapi.aliyuncs.com"

_U, _T, _R, _G = FailureKind.UNAVAILABLE, FailureKind.THROTTLED, FailureKind.REFUSED, FailureKind.ADDRESS_GONE

# The provider's documented codes (help.aliyun.com "API错误码", document 101346), by what to do next.
CODES: Final[Mapping[str, FailureKind]] = {
    # Rate limits: per number and sign (minute, hour, day), the account's own daily and monthly
    # caps, and the API gateway's flow control. A later try can pass.
    "isv.BUSINESS_LIMIT_CONTROL": _T,
    "isv.DAY_LIMIT_CONTROL": _T,
    "isv.MONTH_LIMIT_CONTROL": _T,
    "isv.BUSINESS_LIMIT_HOUR": _T,
    "isv.BUSINESS_LIMIT_DAY": _T,
    "BUSINESS_LIMIT_CONTROL_MINUTE": _T,
    "BUSINESS_LIMIT_CONTROL_PHONE": _T,
    "Throttling": _T,
    "Throttling.User": _T,
    "Throttling.Api": _T,
    # The number itself is wrong: sending to it again can never work.
    "isv.MOBILE_NUMBER_ILLEGAL": _G,
    # This request is wrong and stays wrong: the template, the sign, the parameters, or the
    # account (no balance, no product, no permission) until a person fixes it.
    "isv.MOBILE_COUNT_OVER_LIMIT": _R,
    "isv.SMS_TEMPLATE_ILLEGAL": _R,
    "isv.SMS_SIGNATURE_ILLEGAL": _R,
    "isv.SMS_SIGN_ILLEGAL": _R,
    "isv.SIGN_STATE_ILLEGAL": _R,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": _R,
    "isv.TEMPLATE_MISSING_PARAMETERS": _R,
    "isv.INVALID_PARAMETERS": _R,
    "isv.INVALID_JSON_PARAM": _R,
    "isv.PARAM_LENGTH_LIMIT": _R,
    "isv.PARAM_NOT_SUPPORT_URL": _R,
    "isv.BLACK_KEY_CONTROL_LIMIT": _R,
    "isv.SMS_CONTENT_ILLEGAL": _R,
    "isv.DOMESTIC_NUMBER_NOT_SUPPORTED": _R,
    "isv.DENY_IP_RANGE": _R,
    "isv.AMOUNT_NOT_ENOUGH": _R,
    "isv.OUT_OF_SERVICE": _R,
    "isv.PRODUCT_UN_SUBSCRIPT": _R,
    "isv.PRODUCT_UNSUBSCRIBE": _R,
    "isv.ACCOUNT_NOT_EXISTS": _R,
    "isv.ACCOUNT_ABNORMAL": _R,
    "isp.RAM_PERMISSION_DENY": _R,
    "Forbidden.RAM": _R,
    "SignatureDoesNotMatch": _R,
    "IncompleteSignature": _R,
    "InvalidAccessKeyId.NotFound": _R,
    "InvalidAccessKeyId.Inactive": _R,
    # The provider's own trouble; a fresh request (a new nonce, a new timestamp) can pass.
    "isp.SYSTEM_ERROR": _U,
    "isp.GATEWAY_ERROR": _U,
    "isp.UNKNOWN": _U,
    "ServiceUnavailable": _U,
    "InternalError": _U,
    "SignatureNonceUsed": _U,
    "InvalidTimeStamp.Expired": _U,
}

# Anything that looks like a phone number in text we did not write (the SDK puts the request's
# URL, query and all, into a connection error's text).
_DIGIT_RUN: Final = re.compile(r"\d{7,}")
_QUERY: Final = re.compile(r"\?[^\s'\"()]*")
_MOBILE: Final = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# The SDK sends through requests, whose urllib3 logs each request's URL at DEBUG, and SendSms
# carries the number in its query.
_HTTP_LOGGERS: Final = ("urllib3.connectionpool",)


class MaskNumbers(logging.Filter):
    """Mask every mainland mobile number in a record's text; the record itself still goes out."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = _MOBILE.sub(lambda m: mask_account(m.group()), text)
        if masked != text:
            record.msg, record.args = masked, None
        return True


def mask_numbers_in_http_logs() -> None:
    """Put ``MaskNumbers`` on the HTTP client's loggers, once."""
    for name in _HTTP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskNumbers) for f in logger.filters):
            logger.addFilter(MaskNumbers())


class AliyunSmsNotifier:
    """Send SMS from registered templates through Alibaba Cloud's ``SendSms``.

    ``endpoint`` is a host (``dysmsapi.aliyuncs.com``) or, for the sandbox, ``127.0.0.1:port``
    with ``protocol="http"``. The SDK does not retry (no retry options are given): the outbox
    retries, with its own back-off, and a second try inside one call would hide the first.
    """

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        *,
        endpoint: str = DEFAULT_ENDPOINT,
        protocol: str = "https",
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
    ) -> None:
        self._sign_name = sign_name
        mask_numbers_in_http_logs()
        config = Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            endpoint=endpoint,
            protocol=protocol,
        )
        self._client = Client(config)
        # The SDK takes whole milliseconds.
        self._runtime = RuntimeOptions(
            connect_timeout=max(1, round(connect_timeout_s * 1000)),
            read_timeout=max(1, round(read_timeout_s * 1000)),
        )

    @property
    def channel(self) -> SendChannel:
        return SendChannel.SMS

    def send_all(self, messages: Sequence[Outgoing]) -> list[str | SendFailed]:
        """Send a pass's messages, one request each."""
        return one_by_one(self.send, messages)

    def send(self, message: Outgoing) -> str:
        """Send one templated SMS; return the provider's ``BizId`` or raise ``SendFailed``."""
        shown = mask_account(message.address)
        if not message.template:
            # An SMS in mainland China can only be sent from a template the provider approved.
            raise self._failed(message, FailureKind.REFUSED, "no_template", "the message names no SMS template")
        request = sms_models.SendSmsRequest(
            phone_numbers=message.address,
            sign_name=self._sign_name,
            template_code=message.template,
            template_param=json.dumps(dict(message.params), ensure_ascii=False),
            out_id=message.message_id,
        )
        try:
            response = self._client.send_sms_with_options(request, self._runtime)
        except ThrottlingException as exc:
            raise self._failed(message, FailureKind.THROTTLED, str(exc.code), _scrub(exc.message)) from None
        except AlibabaCloudException as exc:
            code, status = str(exc.code), int(exc.status_code or 0)
            raise self._failed(message, _kind_of(code, status), code, f"HTTP {status}: {_scrub(exc.message)}") from None
        except UnretryableException as exc:
            # No answer at all: refused, reset or timed out. ``from None``: the SDK's exception
            # carries the request, phone number included, and a traceback would print it.
            text = str(exc)
            code = "timeout" if "timed out" in text else "unreachable"
            raise self._failed(message, FailureKind.UNAVAILABLE, code, _scrub(text)) from None
        body = response.body
        code = str(body.code or "")
        if code != "OK":
            raise self._failed(message, _kind_of(code, 200), code or "no_code", _scrub(str(body.message or "")))
        biz_id = str(body.biz_id or "")
        if not biz_id:
            # Taken but unnamed: the request id still finds it in the provider's records, and a
            # failure here would send the SMS twice.
            biz_id = str(body.request_id or "")
            log.warning("sms %s to %s taken without a BizId; kept its RequestId", message.message_id, shown)
        log.info("sms %s to %s taken as %s", message.message_id, shown, biz_id)
        return biz_id

    def _failed(self, message: Outgoing, kind: FailureKind, code: str, detail: str) -> SendFailed:
        detail = _scrub(detail, message.address)
        log.warning(
            "sms %s to %s not taken: %s %s %s",
            message.message_id,
            mask_account(message.address),
            kind.value,
            code,
            detail,
        )
        return SendFailed(kind, code, detail)


def _kind_of(code: str, status: int) -> FailureKind:
    """Return what a provider code means; an unknown one is judged by its family and the HTTP status."""
    known = CODES.get(code)
    if known is not None:
        return known
    if code.startswith("Throttling") or status == 429:
        return FailureKind.THROTTLED
    if code.startswith("isp.") or status >= 500:
        return FailureKind.UNAVAILABLE
    return FailureKind.REFUSED


def _scrub(text: object, address: str = "") -> str:
    """Return ``text`` with query strings cut and every phone-like run of digits masked.

    >>> _scrub("url: /?PhoneNumbers=13800138000&x=1 (refused)")
    'url: /?… (refused)'
    >>> _scrub("number 13800138000 is wrong")
    'number 138****8000 is wrong'
    """
    if text is None:
        return ""
    out = _QUERY.sub("?…", str(text))
    if address:
        out = out.replace(address, mask_account(address))
    return _DIGIT_RUN.sub(lambda m: mask_account(m.group()) if len(m.group()) == 11 else "****", out)


_VARIABLE: Final = re.compile(r"\{(\w+)\}")


def template_text(body: str) -> str:
    """Return a plan's SMS body as the provider's template is written, to register it with the provider.

    >>> template_text("退款{amount}已退回{route}")
    '退款${amount}已退回${route}'
    """
    return _VARIABLE.sub(r"${\1}", body)
