"""Refunds by Alipay, through the unmodified python-alipay-sdk.

The SDK signs each request with the app's RSA2 key, sends it as a GET to ``AliPay._gateway``
and verifies the answer with Alipay's public key; this adapter only sets that URL from the
settings, so production talks to openapi.alipay.com and tests to the sandbox.

What Alipay's answers mean here:

* ``alipay.trade.refund`` with ``out_request_no`` = the payout id. Code 10000 is "accepted"
  (``fund_change`` Y: money moved now; N: a repeat of a refund already made), never final:
  the answer is ``PROCESSING``. Alipay has no refund id of its own: the voucher a buyer can
  quote is the trade number with the request number, ``"<trade_no>:<out_request_no>"``.
* ``alipay.trade.fastpay.refund.query``: ``refund_status`` REFUND_SUCCESS is ``SUCCEEDED``; an
  answer without the refund (no ``refund_status``, no ``refund_amount``) is ``NOT_FOUND``, which
  for Alipay means "not received or not done yet": ask again later with the same number. It is
  sent through the SDK's generic ``server_api`` because the SDK's own helper cannot pass
  ``query_options``, without which Alipay leaves out ``gmt_refund_pay``.
* Code 20000 and sub-code ACQ.SYSTEM_ERROR say "try again with the same parameters": the
  outcome is unknown (``GatewayUnavailable``), like a timeout, a 5xx or an answer whose
  signature does not verify. Every other error code is a refusal (``GatewayRefused``).
* The asynchronous notice (``trade_status_sync``) of a refund names it in ``out_biz_no`` and is
  sent once the refund is done, so it is ``SUCCEEDED``. Its ``refund_fee`` is the trade's total
  refunded so far, not this refund's amount, so the answer carries no amount; a query has it.
* The statement is the day's trade bill; a day Alipay has no bill for (not yet cut, or a day
  without business) is ``GatewayRefused("isp.bill_not_exist")``, which the caller may read as
  "nothing to compare yet".
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx
from alipay import AliPay, AliPayConfig
from alipay.exceptions import AliPayException, AliPayValidationError

from tuika.adapters.gateways.alipay_bill import BillUnreadable, beijing_time, parse_yuan, read_bill_zip, refund_voucher
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
from tuika.domain.payouts import PayoutRoute
from tuika.settings import Settings

log = logging.getLogger(__name__)

PRODUCTION_URL: Final = "https://openapi.alipay.com/gateway.do"
DEFAULT_TIMING: Final = Timing(first_query_after=timedelta(seconds=10), expected_within=timedelta(hours=24))

_SUCCESS: Final = "10000"
# Alipay's own words for "we failed; call again with the same parameters".
_TRY_AGAIN: Final = frozenset({"ACQ.SYSTEM_ERROR", "AQC.SYSTEM_ERROR", "isp.unknow-error"})
_BILL_METHOD: Final = "alipay.data.dataservice.bill.downloadurl.query"
_QUERY_METHOD: Final = "alipay.trade.fastpay.refund.query"
# What the SDK and the network raise when no verified answer came back.
_NO_ANSWER: Final = (OSError, http.client.HTTPException, ValueError, AttributeError, TypeError, KeyError)


class AlipayGateway:
    """Refund Alipay payments to where they came from.

    >>> gateway = AlipayGateway("2021000000000000", app_key_pem, alipay_key_pem, sandbox.gateway_url)  # doctest: +SKIP
    >>> gateway.refund(request)  # doctest: +SKIP
    RefundAnswer(refund_no='po_1', state=<RefundState.PROCESSING: 'processing'>, ...)
    """

    route = PayoutRoute.ALIPAY

    def __init__(
        self,
        app_id: str,
        app_private_key_pem: str,
        alipay_public_key_pem: str,
        gateway_url: str = PRODUCTION_URL,
        *,
        timeout_s: float = 5.0,
        timing: Timing | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.timing = timing or DEFAULT_TIMING
        self._app_id = app_id
        self._client: Any = AliPay(
            appid=app_id,
            app_notify_url=None,
            app_private_key_string=_pem(app_private_key_pem, private=True),
            alipay_public_key_string=_pem(alipay_public_key_pem, private=False),
            sign_type="RSA2",
            config=AliPayConfig(timeout=timeout_s),
        )
        self._client._gateway = gateway_url
        # Bill files come from a link the gateway hands out, not through the SDK.
        self._files = httpx.Client(timeout=timeout_s, transport=transport)

    @classmethod
    def from_settings(cls, settings: Settings) -> AlipayGateway:
        """Build the gateway from ``TUIKA_ALIPAY_*`` settings; the keys come from files or the environment."""
        return cls(
            settings.alipay_app_id,
            settings.pem(settings.alipay_app_private_key, settings.alipay_app_private_key_file),
            settings.pem(settings.alipay_public_key, settings.alipay_public_key_file),
            settings.alipay_url or PRODUCTION_URL,
            timeout_s=settings.gateway_timeout_s,
        )

    def close(self) -> None:
        """Close the pooled connections of the bill downloads."""
        self._files.close()

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Ask Alipay to refund; the same ``refund_no`` on every retry makes a repeat harmless."""
        extra = {"refund_reason": request.reason[:256]} if request.reason else {}
        answer = self._call(
            f"refund {request.refund_no}",
            lambda: self._client.api_alipay_trade_refund(
                refund_amount=request.amount.yuan(),
                trade_no=request.transaction_id,
                out_request_no=request.refund_no,
                **extra,
            ),
        )
        trade_no = _text(answer, "trade_no") or request.transaction_id
        if trade_no != request.transaction_id:
            raise GatewayUnavailable(f"refund {request.refund_no}: the answer is about trade {trade_no}")
        return RefundAnswer(
            refund_no=request.refund_no,
            state=RefundState.PROCESSING,
            amount=request.amount,
            gateway_refund_id=refund_voucher(trade_no, request.refund_no),
            detail=f"fund_change={_text(answer, 'fund_change') or '?'}",
        )

    def query(self, request: RefundRequest) -> RefundAnswer:
        """Ask Alipay what became of the refund under ``refund_no``."""
        biz = {
            "out_request_no": request.refund_no,
            "trade_no": request.transaction_id,
            "query_options": ["gmt_refund_pay"],
        }
        answer = self._call(f"query {request.refund_no}", lambda: self._client.server_api(_QUERY_METHOD, biz))
        echoed = _text(answer, "out_request_no")
        if echoed and echoed != request.refund_no:
            raise GatewayUnavailable(f"query {request.refund_no}: the answer is about {echoed}")
        status, amount = _text(answer, "refund_status"), _text(answer, "refund_amount")
        if not status and not amount:
            return RefundAnswer(request.refund_no, RefundState.NOT_FOUND, detail="Alipay has no refund yet")
        trade_no = _text(answer, "trade_no") or request.transaction_id
        try:
            paid_at = _text(answer, "gmt_refund_pay")
            return RefundAnswer(
                refund_no=request.refund_no,
                state=RefundState.SUCCEEDED if status == "REFUND_SUCCESS" else RefundState.PROCESSING,
                amount=parse_yuan(amount) if amount else None,
                gateway_refund_id=refund_voucher(trade_no, request.refund_no),
                settled_at=beijing_time(paid_at) if paid_at and status == "REFUND_SUCCESS" else None,
                detail=f"refund_status={status or '(none)'}",
            )
        except ValueError as error:
            raise GatewayUnavailable(f"query {request.refund_no}: malformed answer: {error}") from None

    def resolve_abnormal(self, request: RefundRequest, gateway_refund_id: str) -> RefundAnswer:
        """Refuse: Alipay has no abnormal refunds and so no way out of one."""
        raise GatewayRefused("unsupported", "Alipay refunds are never abnormal")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify an asynchronous notice with Alipay's public key and read the refund it reports."""
        raw = _decode(body)
        fields = _form(raw)
        signature = fields.pop("sign", "")
        if not signature or fields.get("sign_type") != "RSA2":
            raise NoticeRejected("the notice is not signed with RSA2")
        try:
            # The SDK's verify drops sign_type from what it checks, as Alipay signs notices.
            verified = bool(self._client.verify(dict(fields), signature))
        except (AliPayException, *_NO_ANSWER) as error:
            raise NoticeRejected(f"the notice signature cannot be checked: {error}") from None
        if not verified:
            raise NoticeRejected("the notice signature does not verify")
        if fields.get("app_id") != self._app_id:
            raise NoticeRejected(f"the notice is for app {fields.get('app_id')!r}")
        refund_no, trade_no = fields.get("out_biz_no", ""), fields.get("trade_no", "")
        refunded_at, notice_id = fields.get("gmt_refund", ""), fields.get("notify_id", "")
        if not refund_no or not trade_no or not refunded_at or not notice_id:
            raise NoticeRejected("not a refund notice: out_biz_no, trade_no, gmt_refund or notify_id is missing")
        try:
            settled_at = beijing_time(refunded_at)
        except ValueError as error:
            raise NoticeRejected(f"malformed notice: {error}") from None
        answer = RefundAnswer(
            refund_no=refund_no,
            state=RefundState.SUCCEEDED,
            amount=None,  # refund_fee is the trade's running total, not this refund's amount
            gateway_refund_id=refund_voucher(trade_no, refund_no),
            settled_at=settled_at,
            detail=f"trade_status={fields.get('trade_status', '')}; trade refunded {fields.get('refund_fee', '?')}",
        )
        return Notice(provider=self.route.value, notice_id=notice_id, answer=answer, raw=raw)

    def notice_reply(self, accepted: bool) -> tuple[int, dict[str, str], bytes]:
        """Return the plain ``success`` Alipay waits for, or ``fail`` to have the notice sent again."""
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, b"success" if accepted else b"fail"

    def statement(self, day: date) -> list[StatementLine]:
        """Download the day's trade bill (业务明细) and return its refunds."""
        biz = {"bill_type": "trade", "bill_date": day.isoformat()}
        answer = self._call(f"bill {day}", lambda: self._client.server_api(_BILL_METHOD, biz))
        url = _text(answer, "bill_download_url")
        if not url:
            raise GatewayUnavailable(f"bill {day}: the answer has no bill_download_url")
        try:
            response = self._files.get(url)
        except httpx.HTTPError as error:
            raise GatewayUnavailable(f"bill {day}: download failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise GatewayUnavailable(f"bill {day}: download answered {response.status_code}")
        try:
            return read_bill_zip(response.content)
        except BillUnreadable as error:
            raise GatewayUnavailable(f"bill {day}: {error}") from None

    def _call(self, what: str, call: Callable[[], object]) -> Mapping[str, object]:
        try:
            answer = call()
        except AliPayValidationError:
            log.warning("alipay %s: the answer's signature does not verify", what)
            raise GatewayUnavailable(f"{what}: the answer's signature does not verify") from None
        except AliPayException as error:
            # An unsigned answer: a gateway-level error, or something that is no answer at all.
            answer = _unsigned_answer(error)
            if answer.get("code") == _SUCCESS:
                raise GatewayUnavailable(f"{what}: an unsigned success is not believed") from None
        except _NO_ANSWER as error:
            log.warning("alipay %s: no answer: %s", what, error)
            raise GatewayUnavailable(f"{what}: no answer: {type(error).__name__}: {error}") from None
        if not isinstance(answer, Mapping):
            raise GatewayUnavailable(f"{what}: the answer is not an object")
        return _checked(what, answer)


def _checked(what: str, answer: Mapping[str, object]) -> Mapping[str, object]:
    code = str(answer.get("code", ""))
    if code == _SUCCESS:
        return answer
    sub_code, message = _text(answer, "sub_code"), _text(answer, "sub_msg") or _text(answer, "msg")
    if code.startswith("2") or sub_code in _TRY_AGAIN or not code:
        log.warning("alipay %s: unavailable: %s %s %s", what, code, sub_code, message)
        raise GatewayUnavailable(f"{what}: {code} {sub_code} {message}".strip())
    raise GatewayRefused(sub_code or code, message or f"Alipay answered {code}")


def _unsigned_answer(error: AliPayException) -> Mapping[str, object]:
    # The SDK keeps the raw answer only in a name-mangled attribute; its str() is a summary.
    raw = getattr(error, "_AliPayException__message", "")
    try:
        payload = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key != "sign" and isinstance(value, dict):
                return value
    code = getattr(error, "_AliPayException__code", None)
    return {"code": str(code or ""), "msg": str(raw)[:200]}


def _text(answer: Mapping[str, object], key: str) -> str:
    value = answer.get(key)
    return value if isinstance(value, str) else ""


def _decode(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoticeRejected("the notice is not UTF-8 text") from None


def _form(raw: str) -> dict[str, str]:
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise NoticeRejected("the notice is not a form") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise NoticeRejected("the notice repeats a field")
    return fields


def _pem(key: str, *, private: bool) -> str:
    """Return a key as PEM; Alipay's console shows keys as bare base64, which operators paste as is."""
    text = key.strip()
    if text.startswith("-----BEGIN"):
        return text
    body = "\n".join(text[i : i + 64] for i in range(0, len(text), 64))
    kind = "PRIVATE KEY" if private else "PUBLIC KEY"
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"
