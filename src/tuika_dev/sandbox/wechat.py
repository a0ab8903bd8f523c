"""A local WeChat Pay APIv3: refunds, queries, abnormal refunds, notices, platform certificates, bills.

It speaks what the unmodified ``wechatpayv3`` SDK speaks (``wechat_wire`` has the signatures and
shapes, ``wechat_book`` WeChat's refund rules). Each request's Authorization is verified with the
merchant's public key; each answer, the certificate list and each notice are signed with the
platform key; notices and certificates are encrypted with the APIv3 key.

A refund call answers PROCESSING. The refund settles ``settle_s`` later (or on ``settle()``) to
SUCCESS, or to ABNORMAL / CLOSED on demand, and each settlement is notified to the target of
``set_notify``, retried on a non-2xx answer. The bill of a Beijing day lists its payments and
refunds. ``rotate_certificate()`` switches to a new platform certificate, as WeChat Pay does
every few years: the SDK fetches /v3/certificates when it meets the new serial.

>>> merchant = merchant_keys()
>>> with WechatPaySandbox(merchant.public_key_pem, "1900000109", apiv3_key()) as sandbox:  # doctest: +SKIP
...     sandbox.add_trade("4200000001", "ord_1", Money(1000))
...     sandbox.write_certificate(cert_dir)  # what the adapter's cert_dir must hold
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from tuika.domain.money import Money
from tuika_dev.sandbox import wechat_wire as wire
from tuika_dev.sandbox.serving import Answer, LocalServer, Served
from tuika_dev.sandbox.wechat_book import (
    ANY_CALL,
    SHAPES,
    Book,
    Delivery,
    Fault,
    ReceivedRequest,
    Refund,
    Refused,
    SandboxRefund,
    Shape,
)
from tuika_dev.sandbox.wechat_wire import Reply, apiv3_key, merchant_keys

__all__ = ["Delivery", "Fault", "ReceivedRequest", "SandboxRefund", "WechatPaySandbox", "apiv3_key", "merchant_keys"]

REFUNDS: Final = "/v3/refund/domestic/refunds"
WINDOW_S: Final = 300  # how far a request's timestamp may be from the sandbox's clock
_REFUND_PATH: Final = re.compile(r"^/v3/refund/domestic/refunds/([^/]+)$")
_ABNORMAL_PATH: Final = re.compile(r"^/v3/refund/domestic/refunds/([^/]+)/apply-abnormal-refund$")


NoticeTarget = str | Callable[[dict[str, str], bytes], int] | None


@dataclass(frozen=True, slots=True)
class _Notice:
    notice_id: str
    event_type: str
    refund_no: str
    body: str
    copies: int
    wrong_key: bool


class WechatPaySandbox(Served):
    """Serve WeChat Pay's refund API on 127.0.0.1 from a background thread; thread-safe."""

    def __init__(
        self,
        merchant_public_key_pem: str,
        mchid: str,
        apiv3_key: str,
        *,
        merchant_serial_no: str | None = None,
        appid: str = "wx00000000sandbox0",
        settle_s: float = 0.0,
        stall_s: float = 5.0,
        refund_interval_s: float = 60.0,
        notify_attempts: int = 3,
        notify_retry_s: float = 0.2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key must be 32 bytes")
        self.mchid, self.appid, self.apiv3_key = mchid, appid, apiv3_key
        self.stall_s, self.notify_attempts, self.notify_retry_s = stall_s, notify_attempts, notify_retry_s
        self._merchant_key = wire.load_public_key(merchant_public_key_pem)
        self._merchant_serial_no = merchant_serial_no
        self._clock = clock
        self._lock = threading.Lock()
        self._book = Book(clock, settle_s, refund_interval_s)
        self._certificates = [wire.platform_certificate()]  # the newest, last, signs
        self._wrong_key: RSAPrivateKey | None = None
        self._faults: deque[Fault] = deque()
        self._nonces: dict[str, float] = {}
        self._bills: dict[str, bytes] = {}
        self._requests: list[ReceivedRequest] = []
        self._deliveries: list[Delivery] = []
        self._target: NoticeTarget = None
        self._timers: list[threading.Timer] = []
        self._stopping = threading.Event()
        self._http = LocalServer(self._serve, "the WeChat Pay sandbox", thread_name="sandbox-wechat")

    # --- the platform certificate the adapter is configured with ---

    @property
    def platform_certificate_pem(self) -> str:
        """Return the current platform certificate, as WeChat's certificate tool saves it."""
        with self._lock:
            return self._certificates[-1].pem

    @property
    def platform_serial_no(self) -> str:
        with self._lock:
            return self._certificates[-1].serial_no

    def write_certificate(self, directory: Path | str) -> Path:
        """Write the current platform certificate to ``<dir>/<serial>.pem``, as the SDK names them."""
        with self._lock:
            current = self._certificates[-1]
        path = Path(directory) / f"{current.serial_no}.pem"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(current.pem, encoding="utf-8")
        return path

    def rotate_certificate(self) -> str:
        """Sign with a new platform certificate from now on (/v3/certificates lists both); return its serial."""
        fresh = wire.platform_certificate()
        with self._lock:
            self._certificates.append(fresh)
        return fresh.serial_no

    # --- control, for tests and the demo ---

    def add_trade(self, transaction_id: str, out_trade_no: str, total: Money, paid_at: datetime | None = None) -> None:
        """Record a payment that can be refunded (paid now unless ``paid_at`` says otherwise)."""
        with self._lock:
            self._book.add_trade(transaction_id, out_trade_no, total.fen, paid_at.timestamp() if paid_at else None)

    def set_balance(self, balance: Money | None) -> None:
        """Limit the merchant's available balance (refunds beyond it get 403 NOT_ENOUGH); None = unlimited."""
        with self._lock:
            self._book.balance = None if balance is None else balance.fen

    def set_notify(self, target: NoticeTarget) -> None:
        """Send notices to a URL, or to a callable(headers, body) -> status; None sends none."""
        with self._lock:
            self._target = target

    def fail_next(self, mode: Fault | str, count: int = 1) -> None:
        """Apply a fault to the next ``count`` calls it applies to."""
        with self._lock:
            self._faults.extend([Fault(mode)] * count)

    def paid_count(self, refund_no: str) -> int:
        """Return how many times money left the merchant for this number (a closed refund gives it back)."""
        with self._lock:
            return self._book.paid_count(refund_no)

    def refunds(self) -> list[SandboxRefund]:
        """Return the refunds held, oldest first."""
        with self._lock:
            held = sorted(self._book.refunds.values(), key=lambda r: r.created_at)
            return [
                SandboxRefund(r.refund_id, r.out_refund_no, r.trade.transaction_id, Money(r.amount), r.status,
                              datetime.fromtimestamp(r.created_at, UTC))
                for r in held
            ]  # fmt: skip

    def requests(self) -> list[ReceivedRequest]:
        """Return every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def deliveries(self) -> list[Delivery]:
        """Return every attempt to deliver a notice so far, oldest first."""
        with self._lock:
            return list(self._deliveries)

    def settle(self) -> int:
        """Settle every refund due by the clock, deliver its notices, and return how many settled."""
        with self._lock:
            notices = [self._notice(refund) for refund in self._book.due()]
        for notice in notices:
            self._deliver(notice)
        return len(notices)

    # --- lifecycle ---

    def _close(self) -> None:
        """Cancel pending settlements."""
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    # --- the protocol ---

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Reply:
        """Answer one request (``target`` is its path and query) given lower-cased headers."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        body: dict[str, object] = {}
        fault: Fault | None = None
        try:
            self._authenticate(method, target, headers, raw)
            body = wire.json_object(raw)
            if method == "GET" and path == "/v3/certificates":  # never faulted: the SDK asks on its own
                with self._lock:
                    reply = Reply(200, wire.certificate_list(list(self._certificates), self.apiv3_key))
            elif method == "GET" and path == "/v3/billdownload/file":
                reply = self._download(query.get("token", [""])[0])
            else:
                fault = self._take_fault(refund_call=method == "POST" and path == REFUNDS)
                reply = self._route(method, path, query, body, fault)
        except Refused as refused:
            reply = Reply(refused.status, {"code": refused.code, "message": refused.message})
        code = str(reply.payload.get("code", "")) if isinstance(reply.payload, dict) else ""
        with self._lock:
            self._requests.append(ReceivedRequest(method, target, body, reply.status, code, fault))
        if reply.raw is None:  # a bill file goes out unsigned: its hash was in the signed answer
            text = json.dumps(reply.payload, ensure_ascii=False)
            reply.body = text.encode()
            reply.headers.update(self._signed(text, wrong_key=reply.wrong_key))
            reply.headers.update({"Content-Type": "application/json; charset=utf-8", "Request-ID": uuid.uuid4().hex})
        return reply

    def _serve(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> Answer:
        reply = self.handle(method, target, headers, raw)
        if reply.delay_s:
            self._stopping.wait(reply.delay_s)
        if reply.raw is None:
            return Answer(reply.status, reply.headers, reply.body, reply.after)
        return Answer(
            reply.status, {**reply.headers, "Content-Type": "application/octet-stream"}, reply.raw, reply.after
        )

    def _authenticate(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> None:
        fields = wire.authorization(headers.get("authorization", ""))
        if fields is None or fields["mchid"] != self.mchid:
            raise Refused(401, "SIGN_ERROR", "Authorization 头缺失或商户号不符")
        if self._merchant_serial_no and fields["serial_no"].upper() != self._merchant_serial_no.upper():
            raise Refused(401, "SIGN_ERROR", "商户证书序列号不符")
        try:
            text = raw.decode()
        except UnicodeDecodeError:
            raise Refused(400, "PARAM_ERROR", "请求体不是 UTF-8") from None
        if not wire.verify_request(self._merchant_key, fields, method, target, text):
            raise Refused(401, "SIGN_ERROR", "签名错误")
        now, stamp = self._clock(), fields["timestamp"]
        if not stamp.isdigit() or abs(now - int(stamp)) > WINDOW_S:
            raise Refused(401, "SIGN_ERROR", "请求时间戳过期")
        with self._lock:
            self._nonces = {n: t for n, t in self._nonces.items() if now - t <= 2 * WINDOW_S}
            if fields["nonce_str"] in self._nonces:
                raise Refused(401, "SIGN_ERROR", "重复的请求随机串")
            self._nonces[fields["nonce_str"]] = now

    def _take_fault(self, *, refund_call: bool) -> Fault | None:
        with self._lock:
            if self._faults and (refund_call or self._faults[0] in ANY_CALL):
                return self._faults.popleft()
        return None

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: dict[str, object], fault: Fault | None
    ) -> Reply:
        if fault is Fault.ERROR_500:
            raise Refused(500, "SYSTEM_ERROR", "系统错误，请使用相同参数稍后重新调用")
        if method == "POST" and path == REFUNDS:
            reply = self._refund(body, fault)
        elif method == "GET" and (found := _REFUND_PATH.match(path)):
            with self._lock:
                self._book.find(found.group(1))  # a 404 first, so that nothing settles unnotified
                due = [self._notice(refund) for refund in self._book.due()]
                reply = Reply(200, wire.refund_json(self._book.find(found.group(1))))
            reply.after = lambda: self._deliver_all(due)
        elif method == "POST" and (found := _ABNORMAL_PATH.match(path)):
            with self._lock:
                reply = Reply(200, wire.refund_json(self._book.apply_abnormal(found.group(1), body)))
            reply.after = lambda: self._schedule(self._book.settle_s)
        elif method == "GET" and path == "/v3/bill/tradebill":
            reply = self._trade_bill(query)
        else:
            raise Refused(404, "RESOURCE_NOT_EXISTS", f"no such API: {method} {path}")
        reply.wrong_key = fault is Fault.BAD_SIGNATURE
        if fault is Fault.TIMEOUT_AFTER_ACCEPT:
            reply.delay_s = self.stall_s
        return reply

    def _refund(self, body: dict[str, object], fault: Fault | None) -> Reply:
        with self._lock:
            refund, new = self._book.refund(body, SHAPES.get(fault, Shape()) if fault else Shape())
            answer = wire.refund_json(refund)
        if not new:
            return Reply(200, answer)
        if fault is Fault.NOTICE_BEFORE_RESPONSE:
            self.settle()  # the notice is delivered, or given up on, before the answer goes out
            with self._lock:
                return Reply(200, wire.refund_json(refund))  # settled by now: WeChat says SUCCESS
        if fault is Fault.TIMEOUT_AFTER_ACCEPT:
            self._schedule(self._book.settle_s)  # settling goes on while the answer stalls
            return Reply(200, answer)
        return Reply(200, answer, after=lambda: self._schedule(self._book.settle_s))

    def _trade_bill(self, query: dict[str, list[str]]) -> Reply:
        try:
            day = date.fromisoformat(query.get("bill_date", [""])[0])
        except ValueError:
            raise Refused(400, "PARAM_ERROR", "bill_date 格式应为 YYYY-MM-DD") from None
        if query.get("bill_type", ["ALL"]) != ["ALL"]:
            raise Refused(400, "PARAM_ERROR", "沙箱只提供 bill_type=ALL 的账单")
        with self._lock:
            trades, refunds = self._book.of_day(day)
            plain = wire.trade_bill(self.appid, self.mchid, trades, refunds).encode()
        if not trades and not refunds:
            raise Refused(400, "NO_STATEMENT_EXIST", "账单文件不存在：当日没有交易")
        token = uuid.uuid4().hex
        with self._lock:
            self._bills[token] = gzip.compress(plain, mtime=0) if query.get("tar_type") == ["GZIP"] else plain
        digest = hashlib.sha1(plain, usedforsecurity=False).hexdigest()
        url = f"{self.base_url}/v3/billdownload/file?token={token}"
        return Reply(200, {"hash_type": "SHA1", "hash_value": digest, "download_url": url})

    def _download(self, token: str) -> Reply:
        with self._lock:
            data = self._bills.get(token)
        if data is None:
            raise Refused(400, "PARAM_ERROR", "下载链接无效或已过期")
        return Reply(200, raw=data)

    def _signed(self, text: str, *, wrong_key: bool) -> dict[str, str]:
        with self._lock:
            current = self._certificates[-1]
            if wrong_key and self._wrong_key is None:
                self._wrong_key = wire.platform_certificate().key
            key = self._wrong_key if wrong_key and self._wrong_key is not None else current.key
        return wire.signed_headers(key, current.serial_no, text, int(self._clock()))

    # --- settlement and notices ---

    def _schedule(self, delay_s: float) -> None:
        timer = threading.Timer(delay_s, self.settle)
        timer.daemon = True
        with self._lock:
            if self._stopping.is_set():
                return
            self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _notice(self, refund: Refund) -> _Notice:
        notice_id, event_type, body = wire.notice_body(refund, self.mchid, self.apiv3_key, self._clock())
        return _Notice(notice_id, event_type, refund.out_refund_no, body, refund.copies, refund.bad_notice)

    def _deliver_all(self, notices: list[_Notice]) -> None:
        for notice in notices:
            self._deliver(notice)

    def _deliver(self, notice: _Notice) -> None:
        for _ in range(notice.copies):  # a duplicate is the same notice, id and all, sent again
            for attempt in range(self.notify_attempts):
                if attempt and self._stopping.wait(self.notify_retry_s):
                    return
                with self._lock:
                    target = self._target
                if target is None:
                    return
                headers = {**self._signed(notice.body, wrong_key=notice.wrong_key), "Content-Type": "application/json"}
                status = wire.post(target, headers, notice.body.encode())
                with self._lock:
                    self._deliveries.append(Delivery(notice.notice_id, notice.event_type, notice.refund_no, status))
                if 200 <= status < 300:
                    break
