"""A local Alibaba Cloud SMS service: ``SendSms`` as the official SDK calls it, signatures checked.

The SDK (``alibabacloud-dysmsapi20170525`` over ``alibabacloud-tea-openapi`` 0.4) signs with
ACS3-HMAC-SHA256, Alibaba Cloud's V3 signature. It POSTs to ``/`` with every parameter in the
query and an empty body, and sends ``x-acs-action: SendSms``, ``x-acs-version: 2017-05-25``,
``x-acs-date``, ``x-acs-signature-nonce``, ``x-acs-content-sha256`` and::

    Authorization: ACS3-HMAC-SHA256 Credential=<key id>,SignedHeaders=<a;b;c>,Signature=<hex>

The sandbox checks it the provider's way: it rebuilds the canonical request (method, path, the
query sorted and percent-encoded, the signed headers as ``name:value`` lines, their names, the
SHA-256 of the body it received), hashes it, and compares the HMAC-SHA256 of
``"ACS3-HMAC-SHA256\\n" + hex(sha256(canonical))`` under the key's secret with the signature.
A changed parameter, header or body changes the canonical request, so it no longer matches.

The gateway's refusals are HTTP 4xx (``SignatureDoesNotMatch`` 400, ``InvalidAccessKeyId.NotFound``
404); the SMS service's are HTTP 200 with their ``Code`` (``isv.SMS_TEMPLATE_ILLEGAL`` …), as the
provider answers.

One stance differs from the provider's on purpose: a repeated ``OutId`` is the same message,
answered with the first ``BizId`` and recorded once. The real service does not dedupe (it would
send again), so the adapter must not rely on this; the sandbox does it so that a test can see
how many distinct messages a retry produced.

>>> with SandboxSms() as sms:  # doctest: +SKIP
...     sms.add_template("SMS_1", "您的退款单${no}已受理")
...     sms.throttle_next(2)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import parse_qsl, quote, urlsplit

from tuika_dev.sandbox.serving import LocalServer, Served

ACTION: Final = "SendSms"
VERSION: Final = "2017-05-25"
ALGORITHM: Final = "ACS3-HMAC-SHA256"
WINDOW_S: Final = 900  # the provider accepts an x-acs-date within 15 minutes of its clock
MAX_NUMBERS: Final = 1000  # SendSms takes at most this many comma-separated numbers

_MAINLAND: Final = re.compile(r"1\d{10}")
_PLACEHOLDER: Final = re.compile(r"\$\{(\w+)\}")
_AUTHORIZATION: Final = re.compile(
    rf"{ALGORITHM} Credential=(?P<key>[^,]*),SignedHeaders=(?P<headers>[^,]*),Signature=(?P<sig>[0-9a-f]*)"
)
_REQUIRED_SIGNED: Final = frozenset({"host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"})


@dataclass(frozen=True, slots=True)
class SentSms:
    """One message the sandbox took, to one number."""

    phone: str
    sign_name: str
    template_code: str
    params: Mapping[str, str]
    out_id: str
    biz_id: str
    text: str
    received_at: datetime


@dataclass(frozen=True, slots=True)
class Call:
    """One request as the sandbox answered it: the HTTP status and the provider's code."""

    status: int
    code: str
    out_id: str = ""


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class SandboxSms(Served):
    """Serve ``SendSms`` on 127.0.0.1; register keys, signs and templates, then set faults."""

    def __init__(
        self,
        access_key_id: str = "LTAI5tSandbox",
        access_key_secret: str = "sandbox-sms-secret",
        sign_names: tuple[str, ...] = ("退卡",),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, str] = {access_key_id: access_key_secret}
        self._signs: set[str] = set(sign_names)
        self._templates: dict[str, str] = {}
        self._nonces: dict[str, float] = {}
        self._messages: list[SentSms] = []
        self._by_out_id: dict[str, str] = {}
        self._calls: list[Call] = []
        self._sent_at: dict[str, deque[float]] = {}
        # Faults, set by tests.
        self._down_status: int | None = None
        self._throttle_left = 0
        self._per_minute: int | None = None
        self._rejected_templates: set[str] = set()
        self._rejected_numbers: dict[str, str] = {}
        self._slow_s = 0.0
        self._stopping = threading.Event()
        self._http = LocalServer(
            lambda method, target, headers, raw: self.handle(method, target, headers, raw),
            "the sandbox SMS service",
            thread_name="sandbox-sms",
        )

    @property
    def endpoint(self) -> str:
        """Return ``host:port``, what the SDK's ``Config.endpoint`` takes (with ``protocol="http"``)."""
        return self.base_url.removeprefix("http://")

    # --- set-up, for tests and the demo ---

    def add_key(self, access_key_id: str, access_key_secret: str) -> None:
        """Accept another access key."""
        with self._lock:
            self._keys[access_key_id] = access_key_secret

    def add_sign(self, sign_name: str) -> None:
        """Accept another sign name (签名)."""
        with self._lock:
            self._signs.add(sign_name)

    def add_template(self, code: str, text: str) -> None:
        """Register a template: its code and its text with ``${name}`` placeholders."""
        with self._lock:
            self._templates[code] = text

    # --- faults ---

    def down(self, status: int = 503) -> None:
        """Answer every request with ``status`` and ``ServiceUnavailable`` until ``up``.

        For a refused connection, ``stop`` the sandbox: its port closes.
        """
        with self._lock:
            self._down_status = status

    def up(self) -> None:
        """Answer again."""
        with self._lock:
            self._down_status = None

    def throttle_next(self, count: int = 1) -> None:
        """Answer the next ``count`` signed requests with ``isv.BUSINESS_LIMIT_CONTROL``."""
        with self._lock:
            self._throttle_left += count

    def limit_per_minute(self, count: int | None) -> None:
        """Throttle a number sent more than ``count`` messages in the last minute, as the provider does."""
        with self._lock:
            self._per_minute = count

    def reject_template(self, code: str) -> None:
        """Answer ``isv.SMS_TEMPLATE_ILLEGAL`` for this template, registered or not."""
        with self._lock:
            self._rejected_templates.add(code)

    def reject_number(self, phone: str, code: str = "isv.MOBILE_NUMBER_ILLEGAL") -> None:
        """Answer ``code`` for this number even though it looks valid."""
        with self._lock:
            self._rejected_numbers[phone] = code

    def slow(self, seconds: float) -> None:
        """Answer every request ``seconds`` late (after doing its work); 0 to stop."""
        with self._lock:
            self._slow_s = seconds

    # --- what happened ---

    @property
    def messages(self) -> list[SentSms]:
        """Return a copy of every message taken, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def calls(self) -> list[Call]:
        """Return a copy of every request's answer, oldest first."""
        with self._lock:
            return list(self._calls)

    # --- the protocol ---

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request given lower-cased headers; return the status, headers and body."""
        request_id = str(uuid.uuid4()).upper()
        params: dict[str, str] = {}
        with self._lock:
            down, delay = self._down_status, self._slow_s
        try:
            if down is not None:
                raise _Refused(
                    down, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
                )
            params = self._authenticate(method, target, headers, raw)
            payload = self._send(params)
        except _Refused as refused:
            payload = {"Code": refused.code, "Message": str(refused)}
            status = refused.status
        else:
            status = 200
        with self._lock:
            self._calls.append(Call(status, str(payload["Code"]), params.get("OutId", "")))
        if delay:
            self._stopping.wait(delay)
        body = {"RequestId": request_id, **payload}
        if status != 200:
            body["HostId"] = "dysmsapi.aliyuncs.com"
        return status, {"Content-Type": "application/json;charset=utf-8"}, json.dumps(body, ensure_ascii=False).encode()

    def _authenticate(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> dict[str, str]:
        """Check the V3 signature, the date and the nonce; return the request's parameters."""
        found = _AUTHORIZATION.fullmatch(headers.get("authorization", ""))
        if found is None:
            raise _Refused(400, "IncompleteSignature", f"The request must be signed with {ALGORITHM}.")
        with self._lock:
            secret = self._keys.get(found["key"])
        if secret is None:
            raise _Refused(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed = found["headers"].split(";")
        must_sign = _REQUIRED_SIGNED | {n for n in headers if n.startswith("x-acs-") or n == "content-type"}
        if signed != sorted(set(signed)) or not must_sign <= set(signed) or any(n not in headers for n in signed):
            raise _Refused(400, "IncompleteSignature", "SignedHeaders must list host, content-type and x-acs-*.")
        url = urlsplit(target)
        query = dict(parse_qsl(url.query, keep_blank_values=True))
        # Written apart from the SDK on purpose: a shared helper would hide a signing bug from both.
        payload_hash = hashlib.sha256(raw).hexdigest()
        canonical = "\n".join(
            [
                method,
                url.path or "/",
                "&".join(f"{_enc(k)}={_enc(v)}" for k, v in sorted(query.items())),
                "".join(f"{n}:{headers[n].strip()}\n" for n in signed),
                found["headers"],
                payload_hash,
            ]
        )
        to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, found["sig"]) or headers.get("x-acs-content-sha256") != payload_hash:
            raise _Refused(400, "SignatureDoesNotMatch", "Specified signature does not match our calculation.")
        self._check_fresh(headers["x-acs-date"], headers["x-acs-signature-nonce"])
        if headers["x-acs-action"] != ACTION:
            raise _Refused(
                404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
            )
        if headers["x-acs-version"] != VERSION:
            raise _Refused(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if method != "POST":
            raise _Refused(400, "UnsupportedHTTPMethod", "This http method is not supported.")
        if headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            # RPC-style parameters may come in a form body too; the body is covered by the signature.
            query.update(parse_qsl(raw.decode(), keep_blank_values=True))
        return query

    def _check_fresh(self, date: str, nonce: str) -> None:
        try:
            at = datetime.strptime(date, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        except ValueError:
            raise _Refused(400, "InvalidTimeStamp.Format", "Specified time stamp is not valid.") from None
        now = self._clock()
        if abs(now - at) > WINDOW_S:
            raise _Refused(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        with self._lock:
            # A nonce must outlive every date that would still be accepted with it.
            self._nonces = {n: t for n, t in self._nonces.items() if now - t <= 2 * WINDOW_S}
            if nonce in self._nonces:
                raise _Refused(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces[nonce] = now

    def _send(self, params: Mapping[str, str]) -> dict[str, object]:
        """Take a signed SendSms; return the service's answer (HTTP 200 whatever its Code)."""
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                raise _Refused(400, f"Missing{name}", f"{name} is mandatory for this action.")
        out_id = params.get("OutId", "")
        now = self._clock()
        with self._lock:
            if out_id and out_id in self._by_out_id:
                return _ok(self._by_out_id[out_id])  # the sandbox's stance: see the module's docstring
            if self._throttle_left:
                self._throttle_left -= 1
                return _no("isv.BUSINESS_LIMIT_CONTROL", "触发分钟级流控Permits:1")
            phones = params["PhoneNumbers"].split(",")
            if len(phones) > MAX_NUMBERS:
                return _no("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
            for phone in phones:
                if not _MAINLAND.fullmatch(phone):
                    return _no("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
                if phone in self._rejected_numbers:
                    return _no(self._rejected_numbers[phone], "号码被拒绝")
            if params["SignName"] not in self._signs:
                return _no("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
            code = params["TemplateCode"]
            text = self._templates.get(code)
            if text is None or code in self._rejected_templates:
                return _no("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
            values = _template_params(params.get("TemplateParam", ""))
            if values is None:
                return _no("isv.INVALID_JSON_PARAM", "JSON参数不合法,只接受字符串值")
            if any(name not in values for name in _PLACEHOLDER.findall(text)):
                return _no("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
            if self._per_minute is not None:
                for phone in phones:
                    recent = self._sent_at.setdefault(phone, deque())
                    while recent and now - recent[0] >= 60:
                        recent.popleft()
                    if len(recent) >= self._per_minute:
                        return _no("isv.BUSINESS_LIMIT_CONTROL", f"触发分钟级流控Permits:{self._per_minute}")
            biz_id = f"{int(now * 1000)}{len(self._messages):06d}^0"
            rendered = _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
            received_at = datetime.fromtimestamp(now, UTC)
            for phone in phones:
                self._sent_at.setdefault(phone, deque()).append(now)
                self._messages.append(
                    SentSms(
                        phone,
                        params["SignName"],
                        code,
                        values,
                        out_id,
                        biz_id,
                        f"【{params['SignName']}】{rendered}",
                        received_at,
                    )
                )
            if out_id:
                self._by_out_id[out_id] = biz_id
        return _ok(biz_id)


def _enc(text: str) -> str:
    return quote(text, safe="~")


def _ok(biz_id: str) -> dict[str, object]:
    return {"Code": "OK", "Message": "OK", "BizId": biz_id}


def _no(code: str, message: str) -> dict[str, object]:
    return {"Code": code, "Message": message}


def _template_params(raw: str) -> dict[str, str] | None:
    """Return TemplateParam's JSON object, or ``None`` when it is not one of strings."""
    if not raw:
        return {}
    try:
        values = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        return None
    return values
