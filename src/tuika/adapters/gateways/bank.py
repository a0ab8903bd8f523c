"""The bank card channel: refunds through the acquirer (收单机构) that charged the card.

The acquirer has no SDK; its protocol is JSON over HTTPS with HMAC-SHA256 signatures, modelled
on Chinese acquirers' refund (退货) APIs:

- ``POST /refunds`` ``{refund_no, orig_txn_id, amount_fen, currency}`` answers
  ``{resp_code: "00", bank_refund_id, status: "ACCEPTED", ...}``. ``refund_no`` is idempotent:
  the same number and content return the same refund; the same number with other content is
  ``resp_code "12"``.
- ``GET /refunds/{refund_no}`` answers ``status`` ``PROCESSING | SETTLED | FAILED`` with
  ``fail_code`` (``CARD_CANCELLED``, ``ACCOUNT_FROZEN``, ``ISSUER_REJECTED``), ``settle_date``
  and ``finished_at``; an unknown number is ``resp_code "34"``. Money reaches the card T+N
  business days later (清算), so a refund stays ``PROCESSING`` for a day or more.
- The bank POSTs a signed notice (``notice_id`` unique) to the merchant's notify URL when a
  refund settles or fails; the merchant answers ``200 {"resp_code": "00"}`` or the bank retries.
- ``GET /settlements/{YYYYMMDD}`` is the day's settlement file (see ``bank_statement``).

Every business answer is HTTP 200 with a ``resp_code``: 00 accepted, 10 malformed request, 12
number reused with other content, 33 more than the trade's refundable amount, 34 no such
refund, 35 no such original trade, 36 not the trade's currency, 39 settlement file not ready.
401 means the bank did not accept our signature; 5xx means the outcome is unknown.

Signing: headers ``X-Bank-Merchant-Id``, ``X-Bank-Timestamp`` (``yyyyMMddHHmmss``, Beijing
time), ``X-Bank-Nonce`` and ``X-Bank-Signature``, the hex HMAC-SHA256 with the shared secret of
``"{METHOD} {path}\\n{merchant}\\n{timestamp}\\n{nonce}\\n"`` + body for a request,
``"{status}\\n{merchant}\\n{timestamp}\\n{nonce}\\n"`` + body for an answer (the nonce echoes the
request's) and ``"NOTICE\\n{merchant}\\n{timestamp}\\n{nonce}\\n"`` + body for a notice. The first
word differs so that an answer can never be replayed as a notice, or the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final
from urllib.parse import quote

import httpx

from tuika.adapters.gateways.bank_statement import parse_settlement
from tuika.domain.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    Notice,
    NoticeRejected,
    RefundAnswer,
    RefundRequest,
    RefundState,
    StatementLine,
    Timing,
)
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute
from tuika.settings import Settings

log = logging.getLogger(__name__)

NOTICE_WINDOW: Final = timedelta(minutes=5)
DEFAULT_TIMING: Final = Timing(first_query_after=timedelta(hours=1), expected_within=timedelta(days=3))

_BEIJING: Final = timezone(timedelta(hours=8))
_STAMP: Final = "%Y%m%d%H%M%S"
_NOT_FOUND: Final = "34"
_STATES: Final = {
    "ACCEPTED": RefundState.PROCESSING,
    "PROCESSING": RefundState.PROCESSING,
    "SETTLED": RefundState.SUCCEEDED,
    "FAILED": RefundState.FAILED,
}


def sign(secret: bytes, first: str, merchant_id: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 of one request (``first`` = ``"POST /path"``), answer (status) or notice."""
    canonical = f"{first}\n{merchant_id}\n{timestamp}\n{nonce}\n".encode() + body
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


class BankCardGateway:
    """Refund to the card through the acquirer's signed JSON API.

    >>> gateway = BankCardGateway("http://127.0.0.1:8766", "898310048990001", "secret", timeout_s=1.0)
    >>> gateway.refund(request)  # doctest: +SKIP
    RefundAnswer(refund_no='po_1', state=<RefundState.PROCESSING: 'processing'>, ...)
    """

    route: PayoutRoute
    timing: Timing

    def __init__(
        self,
        base_url: str,
        merchant_id: str,
        secret: bytes | str,
        *,
        timeout_s: float = 5.0,
        timing: Timing | None = None,
        clock: Callable[[], datetime] = _now,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.route = PayoutRoute.BANK_CARD
        self.timing = timing or DEFAULT_TIMING
        self._merchant_id = merchant_id
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._clock = clock
        self._client = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> BankCardGateway:
        """Build the gateway from ``bank_url``, ``bank_merchant_id``, ``bank_secret`` and ``gateway_timeout_s``."""
        if not settings.bank_url:
            raise ValueError("bank_url is not set: the bank card route is not offered")
        return cls(
            settings.bank_url, settings.bank_merchant_id, settings.bank_secret, timeout_s=settings.gateway_timeout_s
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    # --- the port ---

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Ask the bank to refund ``request.amount`` to the card; the answer is at most PROCESSING."""
        body = {
            "refund_no": request.refund_no,
            "orig_txn_id": request.transaction_id,
            "amount_fen": request.amount.fen,
            "currency": "CNY",
        }
        data = self._call("POST", "/refunds", body, what=f"refund {request.refund_no}")
        if data.get("resp_code") != "00":
            raise GatewayRefused(str(data.get("resp_code")), str(data.get("resp_msg", "")))
        if data.get("status") != "ACCEPTED":
            raise GatewayUnavailable(f"refund {request.refund_no}: unexpected status {data.get('status')!r}")
        return self._answer(request.refund_no, data)

    def query(self, request: RefundRequest) -> RefundAnswer:
        """Return the bank's state of the refund numbered ``request.refund_no``."""
        path = f"/refunds/{quote(request.refund_no, safe='')}"
        data = self._call("GET", path, None, what=f"query {request.refund_no}")
        code = data.get("resp_code")
        if code == _NOT_FOUND:
            return RefundAnswer(request.refund_no, RefundState.NOT_FOUND)
        if code != "00":
            raise GatewayRefused(str(code), str(data.get("resp_msg", "")))
        return self._answer(request.refund_no, data)

    def resolve_abnormal(self, request: RefundRequest, gateway_refund_id: str) -> RefundAnswer:
        """Refuse: the bank channel has no ABNORMAL state and no way out to choose."""
        raise GatewayRefused("unsupported", "the bank card channel has no abnormal refunds to resolve")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify a notice the bank POSTed and return what it says."""
        lower = {name.lower(): value for name, value in headers.items()}
        merchant_id, timestamp = lower.get("x-bank-merchant-id", ""), lower.get("x-bank-timestamp", "")
        nonce, signature = lower.get("x-bank-nonce", ""), lower.get("x-bank-signature", "")
        if merchant_id != self._merchant_id or not nonce:
            raise NoticeRejected("bank notice: not for this merchant, or no nonce")
        expected = sign(self._secret, "NOTICE", merchant_id, timestamp, nonce, body)
        if not hmac.compare_digest(expected, signature):
            raise NoticeRejected("bank notice: the signature does not verify")
        # A captured notice replayed later is refused; one replayed within the window only
        # repeats a notice_id, which is applied once anyway.
        sent = _stamp(timestamp)
        if sent is None or abs(self._clock() - sent) > NOTICE_WINDOW:
            raise NoticeRejected(f"bank notice: timestamp {timestamp!r} is outside ±5 minutes")
        try:
            data = json.loads(body)
            raw = body.decode()
        except ValueError:
            raise NoticeRejected("bank notice: the body is not JSON") from None
        if not isinstance(data, dict) or data.get("merchant_id") != self._merchant_id:
            raise NoticeRejected("bank notice: the body is not this merchant's notice")
        notice_id, refund_no = data.get("notice_id"), data.get("refund_no")
        if not isinstance(notice_id, str) or not notice_id or not isinstance(refund_no, str) or not refund_no:
            raise NoticeRejected("bank notice: no notice_id or refund_no")
        try:
            answer = self._answer(refund_no, data)
        except GatewayUnavailable as error:
            raise NoticeRejected(f"bank notice: {error}") from None
        return Notice(provider=PayoutRoute.BANK_CARD.value, notice_id=notice_id, answer=answer, raw=raw)

    def notice_reply(self, accepted: bool) -> tuple[int, dict[str, str], bytes]:
        """Return the answer the bank expects: 200 with code 00 stops its retries, anything else asks for them."""
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if accepted:
            return 200, headers, b'{"resp_code":"00","resp_msg":"success"}'
        return 400, headers, b'{"resp_code":"96","resp_msg":"not stored, send again"}'

    def statement(self, day: date) -> list[StatementLine]:
        """Download the settlement file of ``day`` (Beijing time), check its trailer and return its refunds."""
        response = self._exchange("GET", f"/settlements/{day:%Y%m%d}", None, what=f"settlement file {day}")
        if not response.headers.get("content-type", "").startswith("text/csv"):
            data = _object(response.content, f"settlement file {day}")
            raise GatewayUnavailable(f"settlement file {day}: {data.get('resp_code')} {data.get('resp_msg', '')}")
        try:
            text = response.content.decode()
        except UnicodeDecodeError:
            raise GatewayUnavailable(f"settlement file {day}: not UTF-8") from None
        rows = parse_settlement(text, day, self._merchant_id)
        return [
            StatementLine(row.refund_no, row.bank_refund_id, row.amount, _STATES[row.status], row.at) for row in rows
        ]

    # --- the wire ---

    def _call(self, method: str, path: str, body: Mapping[str, object] | None, *, what: str) -> dict[str, object]:
        return _object(self._exchange(method, path, body, what=what).content, what)

    def _exchange(self, method: str, path: str, body: Mapping[str, object] | None, *, what: str) -> httpx.Response:
        raw = b"" if body is None else json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request = self._client.build_request(method, path, content=raw if body is not None else None)
        timestamp, nonce = self._clock().astimezone(_BEIJING).strftime(_STAMP), secrets.token_hex(16)
        wire_path = request.url.raw_path.decode("ascii")
        request.headers.update(
            {
                "X-Bank-Merchant-Id": self._merchant_id,
                "X-Bank-Timestamp": timestamp,
                "X-Bank-Nonce": nonce,
                "X-Bank-Signature": sign(
                    self._secret, f"{method} {wire_path}", self._merchant_id, timestamp, nonce, raw
                ),
            }
        )
        if body is not None:
            request.headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            response = self._client.send(request)
        except httpx.TimeoutException:
            raise GatewayUnavailable(f"bank {what}: timed out") from None
        except httpx.TransportError as error:
            raise GatewayUnavailable(f"bank {what}: transport error {type(error).__name__}") from None
        if response.status_code != 200:
            # Unverified, so nothing in it is believed: a 401 is our key or clock, a 5xx the bank's.
            log.warning("bank %s: HTTP %d", what, response.status_code)
            raise GatewayUnavailable(f"bank {what}: HTTP {response.status_code}")
        echoed = response.headers.get("X-Bank-Nonce", "")
        # The answer is signed for our merchant id, so one signed for another merchant does not verify.
        timestamp = response.headers.get("X-Bank-Timestamp", "")
        expected = sign(self._secret, "200", self._merchant_id, timestamp, echoed, response.content)
        # An answer that does not echo our nonce could be a replayed answer to another request.
        if not hmac.compare_digest(expected, response.headers.get("X-Bank-Signature", "")) or echoed != nonce:
            log.warning("bank %s: the answer's signature does not verify", what)
            raise GatewayUnavailable(
                f"bank {what}: the answer's signature does not verify, or it answers another request"
            )
        return response

    def _answer(self, refund_no: str, data: Mapping[str, object]) -> RefundAnswer:
        if data.get("refund_no") != refund_no:
            raise GatewayUnavailable(f"bank answer about {data.get('refund_no')!r}, not {refund_no!r}")
        state = _STATES.get(str(data.get("status")))
        fen, bank_refund_id = data.get("amount_fen"), data.get("bank_refund_id")
        finished = _stamp(data.get("finished_at"))
        if (
            state is None
            or type(fen) is not int
            or not isinstance(bank_refund_id, str)
            or not bank_refund_id
            or (state is RefundState.SUCCEEDED and finished is None)
        ):
            raise GatewayUnavailable(f"bank answer about {refund_no}: malformed")
        fail_code = data.get("fail_code")
        return RefundAnswer(
            refund_no=refund_no,
            state=state,
            amount=Money(fen),
            gateway_refund_id=bank_refund_id,
            settled_at=finished if state is RefundState.SUCCEEDED else None,
            detail=fail_code if state is RefundState.FAILED and isinstance(fail_code, str) else "",
        )


def _object(raw: bytes, what: str) -> dict[str, object]:
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise GatewayUnavailable(f"bank {what}: the answer is not a JSON object")
    return data


def _stamp(value: object) -> datetime | None:
    """Return a ``yyyyMMddHHmmss`` Beijing time as aware UTC, or None."""
    if not isinstance(value, str) or len(value) != len("20240315103000") or not value.isdigit():
        return None
    try:
        return datetime.strptime(value, _STAMP).replace(tzinfo=_BEIJING).astimezone(UTC)
    except ValueError:
        return None
