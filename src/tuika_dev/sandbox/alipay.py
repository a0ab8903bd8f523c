"""A local Alipay open-platform gateway: refunds, refund queries, bills and notices, with real RSA2 signatures.

It speaks ``GET /gateway.do?<signed query>`` exactly as python-alipay-sdk sends it, checks the
app's signature with the app's public key, and answers ``{"<method>_response": {...}, "sign":
...}`` signed with a key of its own made at construction; the adapter is configured with
``alipay_public_key_pem`` and ``gateway_url``. Like Alipay it keys refunds on the trade and
``out_request_no``: the same number and amount again is the same refund (``fund_change`` N), the
same number with another amount is refused. A refund settles ``settle_s`` after it is accepted;
until then a query answers without it, as Alipay does, and once settled the sandbox POSTs the
signed ``trade_status_sync`` notice to the app, resending it until the app answers ``success``.

>>> app_private, app_public = generate_app_keys()
>>> with AlipaySandbox(app_public, "2021000000000000") as sandbox:
...     sandbox.add_trade("2024050122001400000000000001", "T1", Money(5000))
...     sandbox.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from tuika.domain.gateway import statement_day
from tuika.domain.money import Money
from tuika_dev.sandbox.alipay_bill import bill_zip
from tuika_dev.sandbox.alipay_book import AlipayError, Book, SandboxRefund, Trade, business, text
from tuika_dev.sandbox.alipay_notify import Courier, SentNotice, Target
from tuika_dev.sandbox.alipay_wire import (
    load_public,
    new_key,
    private_pem,
    public_pem,
    signed_answer,
    signed_form,
    signing_string,
    verifies,
)
from tuika_dev.sandbox.serving import Answer, LocalServer, Served

GATEWAY_PATH: Final = "/gateway.do"
BILL_PATH: Final = "/downloadBillFile.resource"
REFUND: Final = "alipay.trade.refund"
QUERY: Final = "alipay.trade.fastpay.refund.query"
BILL: Final = "alipay.data.dataservice.bill.downloadurl.query"
_LINK_TTL_S: Final = 30.0  # Alipay's bill links expire 30 seconds after they are handed out
_TIMESTAMP: Final = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


class Fault(StrEnum):
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"  # do the work, then stall the answer past the client's timeout
    ERROR_500 = "error_500"  # fail before doing anything
    DUPLICATE_NOTICE = "duplicate_notice"  # send the refund's notice twice
    NOTICE_BEFORE_RESPONSE = "notice_before_response"  # settle at once, deliver the notice, then answer
    NO_NOTICE = "no_notice"  # never send the refund's notice
    CLOSED = "closed"  # the trade is closed: this refund and any new one on it are refused
    EMPTY_QUERY = "empty_query"  # a query answers without the refund, as Alipay does before it is done
    BAD_SIGNATURE = "bad_signature"  # sign the answer (and a refund's notice) with a wrong key
    # Alipay's signed "call again with the same parameters", before doing anything: ACQ.SYSTEM_ERROR
    # (40004) to a refund, isp.unknow-error (20000) to anything else.
    SYSTEM_ERROR = "system_error"


# A queued fault waits for the first call it fits; the others pass it by.
_ANY_CALL: Final = frozenset({Fault.TIMEOUT_AFTER_ACCEPT, Fault.ERROR_500, Fault.BAD_SIGNATURE, Fault.SYSTEM_ERROR})
_FITS: Final[Mapping[str, frozenset[Fault]]] = {
    REFUND: _ANY_CALL | {Fault.DUPLICATE_NOTICE, Fault.NOTICE_BEFORE_RESPONSE, Fault.NO_NOTICE, Fault.CLOSED},
    QUERY: _ANY_CALL | {Fault.EMPTY_QUERY},
    BILL: _ANY_CALL,
}


@dataclass(frozen=True, slots=True)
class ReceivedCall:
    """One gateway call as the sandbox saw it, with the code and sub-code it answered."""

    method: str
    biz: Mapping[str, object]
    code: str
    sub_code: str
    fault: Fault | None


@dataclass(frozen=True, slots=True)
class _NoticePlan:
    refund: SandboxRefund
    wrong_key: bool
    copies: int
    # One notice has one id however often it is sent, as Alipay resends the same notify_id.
    notify_id: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass(slots=True)
class _Reply:
    status: int
    body: bytes
    content_type: str = "application/json;charset=utf-8"
    delay_s: float = 0.0
    after: Callable[[], None] | None = None


def generate_app_keys() -> tuple[str, str]:
    """Return a new app RSA-2048 key pair as (private PEM, public PEM), for tests and the demo."""
    key = new_key()
    return private_pem(key), public_pem(key)


class AlipaySandbox(Served):
    """Serve Alipay's refund protocol on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        app_public_key_pem: str,
        app_id: str = "2021000000000000",
        *,
        pid: str = "2088102000000000",
        settle_s: float = 0.0,
        stall_s: float = 5.0,
        notice_retries: int = 3,
        notice_retry_s: float = 0.2,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app_id = app_id
        self.pid = pid
        self.settle_s = settle_s
        self.stall_s = stall_s
        self._app_key = load_public(app_public_key_pem)
        self._key, self._wrong_key = new_key(), new_key()
        self.alipay_public_key_pem = public_pem(self._key)
        self._clock = clock
        self._lock = threading.Lock()
        self._book = Book()
        self._faults: deque[Fault] = deque()
        self._calls: list[ReceivedCall] = []
        self._links: dict[str, tuple[date, float]] = {}
        self._courier = Courier(notice_retries, notice_retry_s)
        self._stopping = threading.Event()
        self._http = LocalServer(self._serve, "the Alipay sandbox", thread_name="sandbox-alipay")

    # --- control, for tests and the demo ---

    def add_trade(self, transaction_id: str, out_trade_no: str, total: Money) -> None:
        """Record a payment (支付宝交易号 ``transaction_id``) that refunds may return."""
        with self._lock:
            self._book.trades[transaction_id] = Trade(transaction_id, out_trade_no, total, self._clock())

    def set_notify(self, target: Target) -> None:
        """POST notices to a URL, hand them to a callable ``(headers, body) -> status``, or (None) drop them."""
        self._courier.set_target(target)

    def fail_next(self, mode: Fault | str, count: int = 1) -> None:
        """Apply a fault to the next ``count`` calls it fits."""
        with self._lock:
            self._faults.extend([Fault(mode)] * count)

    def paid_count(self, refund_no: str) -> int:
        """Return how many times money moved under ``refund_no``."""
        with self._lock:
            return self._book.paid.get(refund_no, 0)

    def refunds(self) -> list[SandboxRefund]:
        """Return every refund made, oldest first."""
        with self._lock:
            return sorted(self._book.refunds.values(), key=lambda r: r.accepted_at)

    def calls(self) -> list[ReceivedCall]:
        """Return every gateway call received, oldest first."""
        with self._lock:
            return list(self._calls)

    def notices(self) -> list[SentNotice]:
        """Return every notice delivery attempt, oldest first."""
        return self._courier.sent

    def wait_for_notices(self, count: int, timeout_s: float = 5.0) -> bool:
        """Wait until ``count`` notice deliveries were attempted; return whether they were."""
        return self._courier.wait(count, timeout_s)

    def wait_for_quiet(self, timeout_s: float = 5.0) -> bool:
        """Wait until every notice the sandbox means to send has had all its tries; return whether so."""
        return self._courier.wait_idle(timeout_s)

    # --- lifecycle ---

    @property
    def gateway_url(self) -> str:
        """The URL to give the SDK (``AliPay._gateway``, ``TUIKA_ALIPAY_URL``)."""
        return self.base_url + GATEWAY_PATH

    def _open(self) -> None:
        self._courier.open()

    def _close(self) -> None:
        """Drop pending notices."""
        self._courier.close()

    # --- the protocol ---

    def handle(self, target: str, form: bytes) -> _Reply:
        """Answer one request to ``target`` (path and query), with its form body if POSTed."""
        url = urlsplit(target)
        if url.path == BILL_PATH:
            return self._download(dict(parse_qsl(url.query)))
        if url.path != GATEWAY_PATH:
            return _Reply(404, b"not found", "text/plain")
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        params |= dict(parse_qsl(form.decode("utf-8", "replace"), keep_blank_values=True))
        reply = self._gateway(params)
        if reply.delay_s:
            self._stopping.wait(reply.delay_s)
        return reply

    def _serve(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        # Only a POST's body is a form: the SDK sends its calls as a GET with a signed query.
        reply = self.handle(target, raw if method == "POST" else b"")
        return Answer(reply.status, {"Content-Type": reply.content_type}, reply.body, reply.after)

    def _gateway(self, params: Mapping[str, str]) -> _Reply:
        method = params.get("method", "")
        biz: Mapping[str, object] = {}
        fault: Fault | None = None
        plan: _NoticePlan | None = None
        try:
            biz = self._authenticate(method, params)
            fault = self._take_fault(method)
            if fault is Fault.ERROR_500:
                self._record(method, biz, {"code": "500"}, fault)
                return _Reply(500, b"<html><body>500 Internal Server Error</body></html>", "text/html")
            if fault is Fault.SYSTEM_ERROR:
                raise (
                    business("ACQ.SYSTEM_ERROR", "系统错误")
                    if method == REFUND
                    else AlipayError("20000", "isp.unknow-error", "服务暂不可用", signed=True)
                )
            fields, plan = self._dispatch(method, biz, fault)
            signed = True
        except AlipayError as refused:
            fields, signed = refused.fields, refused.signed
        self._record(method, biz, fields, fault)
        key = (self._wrong_key if fault is Fault.BAD_SIGNATURE else self._key) if signed else None
        response_key = method.replace(".", "_") + "_response" if method in _FITS else "error_response"
        reply = _Reply(200, signed_answer(response_key, fields, key))
        if fault is Fault.TIMEOUT_AFTER_ACCEPT:
            reply.delay_s = self.stall_s
        if plan is not None:
            notice = plan
            self._courier.promise()
            if fault is Fault.NOTICE_BEFORE_RESPONSE:
                self._send(notice)
            else:
                delay = max(0.0, (notice.refund.settles_at - notice.refund.accepted_at).total_seconds())
                reply.after = lambda: self._courier.later(delay, lambda: self._send(notice))
        return reply

    def _authenticate(self, method: str, params: Mapping[str, str]) -> Mapping[str, object]:
        if method not in _FITS:
            raise AlipayError("40002", "isv.invalid-method", "不存在的方法名", signed=False)
        if params.get("app_id") != self.app_id:
            raise AlipayError("40002", "isv.invalid-app-id", "无效的AppID参数", signed=False)
        if params.get("charset", "").lower() != "utf-8" or params.get("version") != "1.0":
            raise AlipayError("40002", "isv.invalid-charset", "字符集或版本错误", signed=False)
        if not _TIMESTAMP.fullmatch(params.get("timestamp", "")):
            raise AlipayError("40002", "isv.invalid-timestamp", "非法的时间戳参数", signed=False)
        if params.get("sign_type") != "RSA2":
            raise AlipayError("40002", "isv.invalid-signature-type", "无效的签名类型", signed=False)
        if not params.get("sign"):
            raise AlipayError("40001", "isv.missing-signature", "缺少签名参数", signed=False)
        if not verifies(self._app_key, signing_string(params, leave_out=frozenset({"sign"})), params["sign"]):
            raise AlipayError("40002", "isv.invalid-signature", "验签出错", signed=False)
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            raise AlipayError("40002", "isv.invalid-parameter", "biz_content 不是 JSON 对象", signed=False)
        return biz

    def _take_fault(self, method: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault in _FITS[method]:
                    self._faults.remove(fault)
                    return fault
        return None

    def _dispatch(
        self, method: str, biz: Mapping[str, object], fault: Fault | None
    ) -> tuple[dict[str, object], _NoticePlan | None]:
        with self._lock:
            now = self._clock()
            if method == QUERY:
                return self._book.query(biz, now, empty=fault is Fault.EMPTY_QUERY), None
            if method == BILL:
                return self._bill(biz), None
            # A notice before the answer needs a refund done before the answer.
            settle_s = 0.0 if fault is Fault.NOTICE_BEFORE_RESPONSE else self.settle_s
            fields, made = self._book.refund(biz, now, settle_s, close=fault is Fault.CLOSED)
        if made is None or fault is Fault.NO_NOTICE:
            return fields, None
        copies = 2 if fault is Fault.DUPLICATE_NOTICE else 1
        return fields, _NoticePlan(made, fault is Fault.BAD_SIGNATURE, copies)

    def _bill(self, biz: Mapping[str, object]) -> dict[str, object]:
        if biz.get("bill_type") != "trade":
            raise AlipayError("40002", "isv.invalid-parameter", "bill_type 仅支持 trade", signed=True)
        day_text = text(biz, "bill_date")
        try:
            day = date.fromisoformat(day_text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day_text) else None
        except ValueError:
            day = None
        if day is None:
            raise AlipayError("40002", "isv.invalid-parameter", "bill_date 格式应为 yyyy-MM-dd", signed=True)
        # Alipay cuts a day's bill the next morning; the sandbox cuts it on demand, but not before the day.
        if day > statement_day(self._clock()):
            raise business("isp.bill_not_exist", "账单不存在")
        token = secrets.token_urlsafe(16)
        self._links[token] = (day, time.monotonic() + _LINK_TTL_S)
        stamp = day.strftime("%Y%m%d")
        url = (
            f"{self.base_url}{BILL_PATH}?bizType=trade&userId={self.pid}&fileType=csv.zip&bizDates={stamp}"
            f"&downloadFileName={self.pid}_{stamp}.csv.zip&fileId={token}"
        )
        return {"code": "10000", "msg": "Success", "bill_download_url": url}

    def _download(self, query: Mapping[str, str]) -> _Reply:
        with self._lock:
            link = self._links.get(query.get("fileId", ""))
            if link is None or time.monotonic() > link[1]:
                return _Reply(404, "文件不存在或链接已过期".encode(), "text/plain;charset=utf-8")
            day = link[0]
            now = self._clock()
            rows = self._book.bill_rows(day, now)
        return _Reply(200, bill_zip(self.pid, day, rows, now), "application/oct-stream")

    def _send(self, plan: _NoticePlan) -> None:
        try:
            for _ in range(plan.copies):
                with self._lock:
                    params = self._book.notice_params(self.app_id, self.pid, plan.refund, plan.notify_id, self._clock())
                body = signed_form(params, self._wrong_key if plan.wrong_key else self._key)
                self._courier.deliver(plan.refund.refund_no, plan.notify_id, body)
        finally:
            self._courier.kept()

    def _record(
        self, method: str, biz: Mapping[str, object], fields: Mapping[str, object], fault: Fault | None
    ) -> None:
        call = ReceivedCall(method, biz, str(fields.get("code", "")), str(fields.get("sub_code", "")), fault)
        with self._lock:
            self._calls.append(call)
