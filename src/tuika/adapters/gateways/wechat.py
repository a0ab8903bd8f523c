"""Refunds by WeChat Pay (APIv3), through the unmodified ``wechatpayv3`` SDK.

The SDK signs each request with the merchant's API key, sends it to ``WeChatPay._core._gate_way``
and verifies each 2xx answer with a platform certificate; this adapter only sets that URL from
the settings, so production talks to api.mch.weixin.qq.com and the demo and tests to the sandbox.

Platform certificates. The SDK loads them from ``cert_dir`` when it is built and, only when the
directory holds none, fetches /v3/certificates from its default host, before the URL can be
set. So this adapter refuses to start without a valid certificate in ``cert_dir``: the operator
downloads the platform certificates once with WeChat Pay's certificate tool, as in production.
Afterwards, an answer or notice signed under a serial the SDK does not know (WeChat Pay rotates
its certificates) makes the SDK fetch /v3/certificates from the configured URL and save them.
The SDK refreshes its list without a lock, so a verification racing a refresh may fail once; it
then surfaces as ``GatewayUnavailable`` or ``NoticeRejected``, and the query or WeChat's resend
after it succeeds.

What WeChat Pay's answers mean here:

* POST /v3/refund/domestic/refunds with ``out_refund_no`` = the payout id. A 200 is "accepted",
  never final: ``PROCESSING``, unless WeChat already says CLOSED (``FAILED``) or ABNORMAL.
  A 4xx ``{code, message}`` (PARAM_ERROR, INVALID_REQUEST, NOT_ENOUGH, FREQUENCY_LIMITED,
  RESOURCE_NOT_EXISTS, …) is a refusal; a 5xx (SYSTEM_ERROR), a timeout, a broken connection or
  an answer whose signature does not verify leave the outcome unknown.
* GET /v3/refund/domestic/refunds/{out_refund_no}: SUCCESS, CLOSED, PROCESSING, ABNORMAL, or a
  404 RESOURCE_NOT_EXISTS (``NOT_FOUND``).
* ABNORMAL (the buyer's card or account refused the money) is not final. The way out the API
  offers is apply-abnormal-refund; ``resolve_abnormal`` asks for MERCHANT_BANK_CARD: WeChat
  pays the refund into the merchant's own bank account, and the merchant then pays the buyer
  offline (the other way, USER_BANK_CARD, needs the buyer's card number and name).
* Notices REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED: the SDK verifies the ``Wechatpay-*``
  signature and decrypts the AES-256-GCM resource; the notice's ``id`` identifies it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography.x509 import load_pem_x509_certificate
from wechatpayv3 import WeChatPay, WeChatPayType

from tuika.adapters.gateways.wechat_bill import BillFormatError, parse_trade_bill
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

PRODUCTION_URL: Final = "https://api.mch.weixin.qq.com"
DEFAULT_TIMING: Final = Timing(first_query_after=timedelta(seconds=60), expected_within=timedelta(hours=24))

_STATES: Final = {
    "SUCCESS": RefundState.SUCCEEDED,
    "CLOSED": RefundState.FAILED,
    "PROCESSING": RefundState.PROCESSING,
    "ABNORMAL": RefundState.ABNORMAL,
}
_EVENTS: Final = {"REFUND.SUCCESS": "SUCCESS", "REFUND.ABNORMAL": "ABNORMAL", "REFUND.CLOSED": "CLOSED"}
_REASON_MAX: Final = 80  # WeChat Pay's limit on the refund reason, in characters


class PlatformCertificateMissing(RuntimeError):
    """``cert_dir`` holds no valid WeChat Pay platform certificate, so the SDK would fetch one elsewhere."""

    code = "wechat_platform_certificate_missing"

    def __init__(self, cert_dir: Path | None) -> None:
        super().__init__(
            f"微信支付平台证书目录 {cert_dir} 中没有有效的平台证书：请先用微信支付的平台证书下载工具下载到该目录"
            f" / no valid WeChat Pay platform certificate in {cert_dir}: download the platform certificates"
            " there once with WeChat Pay's certificate downloader (TUIKA_WECHAT_CERT_DIR)"
        )


class WechatPayGateway:
    """Refund WeChat Pay payments to where they came from.

    >>> gateway = WechatPayGateway(  # doctest: +SKIP
    ...     mchid="1900000109", appid="wx…", cert_serial_no="5157…", private_key_pem=key_pem,
    ...     apiv3_key=apiv3_key, cert_dir=Path("var/wechat-certs"), base_url=sandbox.base_url)
    >>> gateway.refund(request)  # doctest: +SKIP
    RefundAnswer(refund_no='po_1', state=<RefundState.PROCESSING: 'processing'>, ...)
    """

    route = PayoutRoute.WECHAT

    def __init__(
        self,
        *,
        mchid: str,
        appid: str,
        cert_serial_no: str,
        private_key_pem: str,
        apiv3_key: str,
        cert_dir: Path,
        base_url: str = PRODUCTION_URL,
        notify_url: str | None = None,
        timeout_s: float = 5.0,
        timing: Timing | None = None,
    ) -> None:
        require_platform_certificate(cert_dir)
        self.timing = timing or DEFAULT_TIMING
        self._mchid = mchid
        self._pay: Any = WeChatPay(
            wechatpay_type=WeChatPayType.NATIVE,  # refunds are the same for every payment type
            mchid=mchid,
            private_key=private_key_pem,
            cert_serial_no=cert_serial_no,
            appid=appid,
            apiv3_key=apiv3_key,
            notify_url=notify_url,
            cert_dir=str(cert_dir),
            timeout=timeout_s,
        )
        self._pay._core._gate_way = base_url.rstrip("/")
        self._gateway_url: str = self._pay._core._gate_way

    @classmethod
    def from_settings(cls, settings: Settings) -> WechatPayGateway:
        """Build the gateway from ``TUIKA_WECHAT_*`` settings; the key comes from a file or the environment."""
        if settings.wechat_cert_dir is None:
            raise PlatformCertificateMissing(None)
        return cls(
            mchid=settings.wechat_mchid,
            appid=settings.wechat_appid,
            cert_serial_no=settings.wechat_cert_serial_no,
            private_key_pem=settings.pem(settings.wechat_private_key, settings.wechat_private_key_file),
            apiv3_key=settings.wechat_apiv3_key,
            cert_dir=settings.wechat_cert_dir,
            base_url=settings.wechat_url or PRODUCTION_URL,
            notify_url=settings.wechat_notify_url,
            timeout_s=settings.gateway_timeout_s,
        )

    def refund(self, request: RefundRequest) -> RefundAnswer:
        """Ask WeChat Pay to refund; the same ``refund_no`` on every retry makes a repeat harmless."""
        status, payload = self._call(
            f"refund {request.refund_no}",
            lambda: self._pay.refund(
                out_refund_no=request.refund_no,
                amount={"refund": request.amount.fen, "total": request.order_total.fen, "currency": "CNY"},
                transaction_id=request.transaction_id or None,
                out_trade_no=None if request.transaction_id else request.order_id,
                reason=request.reason[:_REASON_MAX] or None,
            ),
        )
        if status != 200:
            raise _refusal(status, payload)
        answer = _answer(payload, request.refund_no)
        # A call's answer is never final: SUCCESS is reported as PROCESSING until a query or notice.
        return answer if answer.state in (RefundState.FAILED, RefundState.ABNORMAL) else _processing(answer)

    def query(self, request: RefundRequest) -> RefundAnswer:
        """Ask WeChat Pay how the refund under ``request.refund_no`` stands."""
        status, payload = self._call(
            f"query {request.refund_no}", lambda: self._pay.query_refund(out_refund_no=request.refund_no)
        )
        if status == 404 and payload.get("code") == "RESOURCE_NOT_EXISTS":
            return RefundAnswer(request.refund_no, RefundState.NOT_FOUND, detail="RESOURCE_NOT_EXISTS")
        if status != 200:
            raise _refusal(status, payload)
        return _answer(payload, request.refund_no)

    def resolve_abnormal(self, request: RefundRequest, gateway_refund_id: str) -> RefundAnswer:
        """Send an ABNORMAL refund to the merchant's bank account, to be paid to the buyer offline."""
        status, payload = self._call(
            f"apply-abnormal-refund {request.refund_no}",
            lambda: self._pay.abnormal_refund(
                refund_id=gateway_refund_id, out_refund_no=request.refund_no, type="MERCHANT_BANK_CARD"
            ),
        )
        if status != 200:
            raise _refusal(status, payload)
        answer = _answer(payload, request.refund_no)
        return answer if answer.state is RefundState.FAILED else _processing(answer)

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        """Verify and decrypt a refund notice with the SDK; raise ``NoticeRejected`` if it does not hold."""
        # The SDK looks headers up by exact name: Title-Case or, as Starlette gives them, lower-case.
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            data = self._pay.callback(lowered, body)
        except Exception as error:  # the SDK raises bare Exception for an unknown algorithm or serial
            raise NoticeRejected(f"WeChat Pay notice: {type(error).__name__}: {error}") from error
        if not isinstance(data, dict):
            raise NoticeRejected("WeChat Pay notice: the signature, certificate or APIv3 key does not verify")
        resource, notice_id = data.get("resource"), data.get("id")
        if not isinstance(resource, dict) or not isinstance(notice_id, str) or not notice_id:
            raise NoticeRejected("WeChat Pay notice: no id or resource")
        if resource.get("mchid") != self._mchid:
            raise NoticeRejected(f"WeChat Pay notice for merchant {resource.get('mchid')!r}, not ours")
        status = resource.get("refund_status")
        if _EVENTS.get(str(data.get("event_type"))) != status:
            raise NoticeRejected(f"WeChat Pay notice: event {data.get('event_type')!r} with status {status!r}")
        try:
            answer = _answer({**resource, "status": status}, str(resource.get("out_refund_no")))
        except GatewayUnavailable as error:
            raise NoticeRejected(f"WeChat Pay notice: {error}") from error
        return Notice(provider=self.route.value, notice_id=notice_id, answer=answer, raw=body.decode("utf-8"))

    def notice_reply(self, accepted: bool) -> tuple[int, dict[str, str], bytes]:
        """Return the answer WeChat Pay expects: 204 when stored, else 500 so that it sends the notice again."""
        if accepted:
            return 204, {}, b""
        body = json.dumps({"code": "FAIL", "message": "失败"}, ensure_ascii=False).encode()
        return 500, {"Content-Type": "application/json; charset=utf-8"}, body

    def statement(self, day: date) -> list[StatementLine]:
        """Download and read WeChat Pay's trade bill of a Beijing day; return its refunds."""
        status, payload = self._call(
            f"trade bill {day}", lambda: self._pay.trade_bill(bill_date=day.isoformat(), tar_type="GZIP")
        )
        if status == 400 and payload.get("code") == "NO_STATEMENT_EXIST":
            return []  # no trade that day
        if status != 200:
            raise _refusal(status, payload)
        url, digest = str(payload.get("download_url") or ""), str(payload.get("hash_value") or "")
        if not url.startswith(self._gateway_url + "/") or payload.get("hash_type") != "SHA1":
            raise GatewayUnavailable(f"trade bill {day}: unexpected download answer {payload!r}")
        try:
            # The SDK's own download: the URL's path through the signed request, no answer signature.
            status, content = self._pay.download_bill(url)
        except Exception as error:  # requests' errors are OSErrors; the outcome is the same: no bill
            raise GatewayUnavailable(f"trade bill {day}: {type(error).__name__}: {error}") from error
        if status != 200 or not isinstance(content, bytes):
            raise GatewayUnavailable(f"trade bill {day}: download answered {status}")
        try:
            plain = gzip.decompress(content)
            if hashlib.sha1(plain, usedforsecurity=False).hexdigest() != digest.lower():
                raise GatewayUnavailable(f"trade bill {day}: the file does not match its SHA1")
            return parse_trade_bill(plain.decode("utf-8"))
        except (OSError, EOFError, zlib.error, UnicodeDecodeError, BillFormatError) as error:
            raise GatewayUnavailable(f"trade bill {day}: unreadable: {error}") from error

    def _call(self, what: str, send: Callable[[], tuple[int, object]]) -> tuple[int, dict[str, Any]]:
        try:
            status, content = send()
        except Exception as error:
            # requests' timeouts and connection errors, and the SDK's bare Exception when an answer's
            # signature does not verify: either way the request may have been carried out.
            raise GatewayUnavailable(f"WeChat Pay {what}: {type(error).__name__}: {error}") from error
        payload = _json(content)
        if status >= 500:
            raise GatewayUnavailable(f"WeChat Pay {what}: {status} {payload.get('code', '')}".rstrip())
        return status, payload


def require_platform_certificate(cert_dir: Path) -> None:
    """Raise ``PlatformCertificateMissing`` unless ``cert_dir`` holds a platform certificate valid now."""
    now = datetime.now(UTC)
    for path in sorted(cert_dir.glob("*.pem")) if cert_dir.is_dir() else []:
        try:
            certificate = load_pem_x509_certificate(path.read_bytes())
        except ValueError:
            continue
        if certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            return
    raise PlatformCertificateMissing(cert_dir)


def _json(content: object) -> dict[str, Any]:
    try:
        payload = json.loads(content) if isinstance(content, str | bytes) and content else {}
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _refusal(status: int, payload: Mapping[str, Any]) -> GatewayRefused:
    return GatewayRefused(str(payload.get("code") or f"HTTP_{status}"), str(payload.get("message") or ""))


def _answer(payload: Mapping[str, Any], refund_no: str) -> RefundAnswer:
    """Read a refund as WeChat Pay states it in an answer or a notice's resource."""
    status = payload.get("status")
    if payload.get("out_refund_no") != refund_no or status not in _STATES:
        raise GatewayUnavailable(f"refund {refund_no}: unexpected answer {dict(payload)!r}")
    state = _STATES[status]
    amount = payload.get("amount")
    fen = amount.get("refund") if isinstance(amount, dict) else None
    settled_at = _time(payload.get("success_time")) if state is RefundState.SUCCEEDED else None
    account = payload.get("user_received_account")
    return RefundAnswer(
        refund_no=refund_no,
        state=state,
        amount=Money(fen) if type(fen) is int else None,
        gateway_refund_id=str(payload.get("refund_id") or "") or None,
        settled_at=settled_at,
        detail=f"{status}" + (f" → {account}" if account else ""),
    )


def _processing(answer: RefundAnswer) -> RefundAnswer:
    return RefundAnswer(
        answer.refund_no, RefundState.PROCESSING, answer.amount, answer.gateway_refund_id, None, answer.detail
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at.astimezone(UTC) if at.tzinfo else None
