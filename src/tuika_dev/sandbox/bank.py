"""A local acquirer (收单机构) for the bank card route: signed JSON over HTTP, T+N settlement, faults.

It speaks the protocol described in ``tuika.adapters.gateways.bank``: ``POST /refunds``,
``GET /refunds/{refund_no}``, ``GET /settlements/{YYYYMMDD}`` and signed notices POSTed to the
merchant. A refund is accepted at once and held ``PROCESSING`` until ``settle_days`` business
days have passed on the injected clock (see ``bank_book``; ``settle_days=0`` settles at the
next look), then it is ``SETTLED``, or ``FAILED`` when the card refuses it (``Fault.CLOSED``
or ``fail_card``).

States move lazily whenever a request arrives; notices go out from ``settle_due()``, which
tests call after moving their clock, and which a ticker thread calls every ``tick_s`` seconds
when one is asked for (the demo). Each queued fault is taken by the next event it applies to:
a refund call takes any; a query or a settlement download takes ERROR_500,
TIMEOUT_AFTER_ACCEPT (a stalled answer) and BAD_SIGNATURE; a notice takes BAD_SIGNATURE.

>>> clock = lambda: datetime(2024, 3, 15, 2, 0, tzinfo=UTC)
>>> with BankSandbox("898310048990001", "secret", clock=clock) as bank:
...     bank.add_trade("TXN1", "ord_1", Money(1999))
...     bank.fail_next(Fault.CLOSED)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Final, Self
from urllib.parse import unquote

import httpx

from tuika.domain.money import Money
from tuika_dev.sandbox.bank_book import BEIJING, STAMP, BankBook, BankRefund, FailCode, Refund, Refused
from tuika_dev.sandbox.serving import LocalServer, Served

__all__ = ["BankRefund", "BankSandbox", "Delivery", "FailCode", "Fault", "ReceivedRequest"]

WINDOW: Final = timedelta(minutes=5)
_REFUND_PATH: Final = re.compile(r"/refunds/([^/?]+)")
_FILE_PATH: Final = re.compile(r"/settlements/(\d{8})")

NoticeTarget = str | Callable[[dict[str, str], bytes], int] | None


class Fault(StrEnum):
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"  # do the work, then stall the answer past the client's timeout
    ERROR_500 = "error_500"  # fail before doing anything
    DUPLICATE_NOTICE = "duplicate_notice"  # deliver the refund's final notice twice
    NOTICE_BEFORE_RESPONSE = "notice_before_response"  # deliver an ACCEPTED notice, then answer
    NO_NOTICE = "no_notice"  # never notify about this refund
    CLOSED = "closed"  # the card refuses the refund at settlement: FAILED, CARD_CANCELLED
    BAD_SIGNATURE = "bad_signature"  # sign the answer or notice with a wrong key


_READ_FAULTS: Final = frozenset({Fault.ERROR_500, Fault.TIMEOUT_AFTER_ACCEPT, Fault.BAD_SIGNATURE})
_COPIES: Final = {Fault.NO_NOTICE: 0, Fault.DUPLICATE_NOTICE: 2}


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the sandbox saw it, with what it answered."""

    method: str
    path: str
    status: int
    resp_code: str
    fault: Fault | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a notice, and the merchant's HTTP status (0: no answer)."""

    notice_id: str
    refund_no: str
    status: str
    http_status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(slots=True)
class _Outgoing:
    notice_id: str
    refund_no: str
    status: str
    body: bytes
    copies: int = 1


@dataclass(slots=True)
class _Reply:
    status: int
    payload: dict[str, object] | None = None
    csv: str | None = None
    fault: Fault | None = None
    delay_s: float = 0.0
    before: list[_Outgoing] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.payload.get("resp_code", "")) if self.payload else "00"


def _now() -> datetime:
    return datetime.now(UTC)


class BankSandbox(Served):
    """Serve the acquirer's refund protocol on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        merchant_id: str = "898310048990001",
        secret: str | None = None,
        *,
        clock: Callable[[], datetime] = _now,
        settle_days: int = 1,
        stall_s: float = 5.0,
        notify_attempts: int = 3,
        notify_retry_s: float = 0.2,
        tick_s: float | None = None,
    ) -> None:
        self.merchant_id = merchant_id
        self.secret = secret or secrets.token_hex(32)  # the key the adapter is configured with
        self.stall_s = stall_s
        self.notify_attempts = notify_attempts
        self.notify_retry_s = notify_retry_s
        self.tick_s = tick_s
        self._key = self.secret.encode()
        self._clock = clock
        self._lock = threading.Lock()
        self._book = BankBook(merchant_id, settle_days)
        self._faults: deque[Fault] = deque()
        self._nonces: dict[str, datetime] = {}
        self._requests: list[ReceivedRequest] = []
        self._deliveries: list[Delivery] = []
        self._target: NoticeTarget = None
        self._notices = 0
        self._stopping = threading.Event()
        self._http = LocalServer(self.handle, "the bank sandbox")
        self._ticker: threading.Thread | None = None

    # --- control, for tests and the demo ---

    def add_trade(self, transaction_id: str, out_trade_no: str, total: Money) -> None:
        """Record a card payment the bank can refund, up to ``total`` in all."""
        with self._lock:
            self._book.add_trade(transaction_id, out_trade_no, total)

    def fail_card(self, transaction_id: str, code: FailCode | str = FailCode.ACCOUNT_FROZEN) -> None:
        """Make every later refund to the card that paid this trade fail at settlement with ``code``."""
        with self._lock:
            self._book.fail_card(transaction_id, str(code))

    def correct(self, refund_no: str, status: str) -> None:
        """Change a final refund's outcome (SETTLED or FAILED); ``settle_due`` notifies it again."""
        with self._lock:
            self._book.correct(refund_no, status, self._clock())

    def set_notify(self, target: NoticeTarget) -> None:
        """Send notices to a URL, or to ``target(headers, body) -> status``; None sends none."""
        with self._lock:
            self._target = target

    def fail_next(self, mode: Fault | str, count: int = 1) -> None:
        """Queue a fault for the next ``count`` events it applies to."""
        with self._lock:
            self._faults.extend([Fault(mode)] * count)

    def paid_count(self, refund_no: str) -> int:
        """Return how many refunds under this number moved money (a failed one did not)."""
        with self._lock:
            self._book.settle(self._clock())
            return self._book.paid_count(refund_no)

    def refunds(self) -> list[BankRefund]:
        """Return every refund the bank holds, oldest first."""
        with self._lock:
            self._book.settle(self._clock())
            return [r.snapshot() for r in self._book.refunds]

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Return every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def deliveries(self) -> list[Delivery]:
        """Return every notice delivery attempt so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    def settle_due(self) -> list[BankRefund]:
        """Settle what is due on the clock and deliver the notices not sent yet; return those refunds."""
        with self._lock:
            self._book.settle(self._clock())
            due = [r for r in self._book.refunds if r.status != "PROCESSING" and not r.noticed]
            outgoing = []
            for refund in due:
                refund.noticed = True
                if refund.copies:
                    outgoing.append(self._notice(refund, refund.status, refund.copies))
            settled = [r.snapshot() for r in due]
        for notice in outgoing:
            self._deliver(notice)
        return settled

    def statement(self, day: date) -> str:
        """Return the settlement file of the refunds accepted on ``day`` (Beijing time), as served."""
        with self._lock:
            now = self._clock()
            self._book.settle(now)
            return self._book.statement(day, now)

    # --- lifecycle ---

    def start(self) -> Self:
        """Listen on a free port and serve until ``stop``; tick settlement if ``tick_s`` is set."""
        super().start()
        if self.tick_s:
            self._ticker = threading.Thread(target=self._tick, args=(self.tick_s,), daemon=True)
            self._ticker.start()
        return self

    def stop(self) -> None:
        """Stop serving, ticking and every stalled answer."""
        super().stop()
        if self._ticker is not None:
            self._ticker.join()
        self._ticker = None

    def _tick(self, every_s: float) -> None:
        while not self._stopping.wait(every_s):
            self.settle_due()

    # --- the protocol ---

    def handle(
        self, method: str, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request given lower-cased headers; return the status, headers and body to send."""
        reply = self._authenticate(method, path, headers, raw) or self._route(method, path, raw)
        with self._lock:
            self._requests.append(ReceivedRequest(method, path, reply.status, reply.code, reply.fault))
        for notice in reply.before:
            self._deliver(notice)
        if reply.delay_s:
            self._stopping.wait(reply.delay_s)
        return self._signed(reply, headers.get("x-bank-nonce", ""))

    def _authenticate(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> _Reply | None:
        if headers.get("x-bank-merchant-id") != self.merchant_id:
            return _Reply(401, {"resp_code": "11", "resp_msg": "商户号不存在"})
        timestamp, nonce = headers.get("x-bank-timestamp", ""), headers.get("x-bank-nonce", "")
        # Written apart from the adapter on purpose: a shared helper would hide a signing bug from both.
        canonical = f"{method} {path}\n{self.merchant_id}\n{timestamp}\n{nonce}\n".encode() + raw
        expected = hmac.new(self._key, canonical, hashlib.sha256).hexdigest()
        if not nonce or not hmac.compare_digest(expected, headers.get("x-bank-signature", "")):
            return _Reply(401, {"resp_code": "11", "resp_msg": "验证签名失败"})
        now = self._clock()
        try:
            sent = datetime.strptime(timestamp, STAMP).replace(tzinfo=BEIJING)
        except ValueError:
            return _Reply(401, {"resp_code": "11", "resp_msg": "时间戳格式错误"})
        if abs(now - sent) > WINDOW:
            return _Reply(401, {"resp_code": "11", "resp_msg": "时间戳超出 ±5 分钟"})
        with self._lock:
            # A nonce must outlive every timestamp that would still be accepted with it.
            self._nonces = {n: t for n, t in self._nonces.items() if now - t <= 2 * WINDOW}
            if nonce in self._nonces:
                return _Reply(401, {"resp_code": "11", "resp_msg": "重复的随机数"})
            self._nonces[nonce] = now
        return None

    def _route(self, method: str, path: str, raw: bytes) -> _Reply:
        if method == "POST" and path == "/refunds":
            return self._refund(raw)
        if method == "GET" and (refund := _REFUND_PATH.fullmatch(path)):
            refund_no = unquote(refund.group(1))
            return self._read(lambda: self._query(refund_no))
        if method == "GET" and (file := _FILE_PATH.fullmatch(path)):
            try:
                day = datetime.strptime(file.group(1) + "+0800", "%Y%m%d%z").date()
            except ValueError:
                return _Reply(200, {"resp_code": "10", "resp_msg": "日期格式错误"})
            return self._read(lambda: self._settlement(day))
        return _Reply(404, {"resp_code": "10", "resp_msg": f"no such endpoint: {method} {path}"})

    def _read(self, answer: Callable[[], _Reply]) -> _Reply:
        fault = self._take(_READ_FAULTS)
        if fault is Fault.ERROR_500:
            return _Reply(500, {"resp_code": "96", "resp_msg": "系统繁忙"}, fault=fault)
        reply = answer()
        reply.fault = fault
        reply.delay_s = self.stall_s if fault is Fault.TIMEOUT_AFTER_ACCEPT else 0.0
        return reply

    def _refund(self, raw: bytes) -> _Reply:
        fault = self._take(frozenset(Fault))
        if fault is Fault.ERROR_500:
            return _Reply(500, {"resp_code": "96", "resp_msg": "系统繁忙"}, fault=fault)
        reply = _Reply(200, fault=fault, delay_s=self.stall_s if fault is Fault.TIMEOUT_AFTER_ACCEPT else 0.0)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        fail_code = FailCode.CARD_CANCELLED.value if fault is Fault.CLOSED else ""
        copies = _COPIES.get(fault, 1) if fault else 1
        with self._lock:
            try:
                refund, new = self._book.accept(body, self._clock(), fail_code=fail_code, copies=copies)
            except Refused as refused:
                reply.payload = {"resp_code": refused.code, "resp_msg": refused.message}
                return reply
            reply.payload = {"resp_code": "00", "resp_msg": "成功", **refund.fields("ACCEPTED")}
            if new and fault is Fault.NOTICE_BEFORE_RESPONSE:
                reply.before.append(self._notice(refund, "ACCEPTED", 1))
        return reply

    def _query(self, refund_no: str) -> _Reply:
        with self._lock:
            self._book.settle(self._clock())
            refund = self._book.get(refund_no)
            if refund is None:
                return _Reply(200, {"resp_code": "34", "resp_msg": "查无此交易"})
            return _Reply(200, {"resp_code": "00", "resp_msg": "成功", **refund.fields(refund.status)})

    def _settlement(self, day: date) -> _Reply:
        if day > self._clock().astimezone(BEIJING).date():
            return _Reply(200, {"resp_code": "39", "resp_msg": "对账文件尚未生成"})
        return _Reply(200, csv=self.statement(day))

    def _take(self, applicable: frozenset[Fault]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault in applicable:
                    self._faults.remove(fault)
                    return fault
        return None

    # --- signing and notices ---

    def _signature(self, first: str, timestamp: str, nonce: str, body: bytes, wrong: bool) -> str:
        key = self._key + b"-wrong" if wrong else self._key
        canonical = f"{first}\n{self.merchant_id}\n{timestamp}\n{nonce}\n".encode() + body
        return hmac.new(key, canonical, hashlib.sha256).hexdigest()

    def _signed(self, reply: _Reply, nonce: str) -> tuple[int, dict[str, str], bytes]:
        if reply.csv is not None:
            body, content_type = reply.csv.encode(), "text/csv; charset=utf-8"
        else:
            body, content_type = json.dumps(reply.payload, ensure_ascii=False).encode(), "application/json"
        timestamp = self._clock().astimezone(BEIJING).strftime(STAMP)
        signature = self._signature(str(reply.status), timestamp, nonce, body, reply.fault is Fault.BAD_SIGNATURE)
        headers = {
            "Content-Type": content_type,
            "X-Bank-Merchant-Id": self.merchant_id,
            "X-Bank-Timestamp": timestamp,
            "X-Bank-Nonce": nonce,
            "X-Bank-Signature": signature,
        }
        return reply.status, headers, body

    def _notice(self, refund: Refund, status: str, copies: int) -> _Outgoing:
        """Build a notice under the lock; its id is the same on every delivery of it."""
        self._notices += 1
        notice_id = f"NT{self._clock().astimezone(BEIJING):%Y%m%d%H%M%S}{self._notices:07d}"
        payload = {"notice_id": notice_id, "notice_type": "REFUND_RESULT", "merchant_id": self.merchant_id}
        body = json.dumps(payload | refund.fields(status), ensure_ascii=False).encode()
        return _Outgoing(notice_id, refund.refund_no, status, body, copies)

    def _deliver(self, notice: _Outgoing) -> None:
        with self._lock:
            target = self._target
        if target is None:
            return
        wrong = self._take(frozenset({Fault.BAD_SIGNATURE})) is not None
        for _ in range(notice.copies):
            for attempt in range(self.notify_attempts):
                if attempt and self._stopping.wait(self.notify_retry_s):
                    return
                timestamp = self._clock().astimezone(BEIJING).strftime(STAMP)
                nonce = secrets.token_hex(16)
                headers = {
                    "Content-Type": "application/json",
                    "X-Bank-Merchant-Id": self.merchant_id,
                    "X-Bank-Timestamp": timestamp,
                    "X-Bank-Nonce": nonce,
                    "X-Bank-Signature": self._signature("NOTICE", timestamp, nonce, notice.body, wrong),
                }
                status = _post(target, headers, notice.body)
                with self._lock:
                    self._deliveries.append(
                        Delivery(notice.notice_id, notice.refund_no, notice.status, status, headers, notice.body)
                    )
                if 200 <= status < 300:
                    break


def _post(target: str | Callable[[dict[str, str], bytes], int], headers: dict[str, str], body: bytes) -> int:
    if callable(target):
        return target(dict(headers), body)
    try:
        return httpx.post(target, content=body, headers=headers, timeout=5.0).status_code
    except httpx.HTTPError:
        return 0
