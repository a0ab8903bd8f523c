"""What the WeChat Pay sandbox puts on the wire: keys, signatures, encryption, JSON shapes, the bill, HTTP.

Written apart from the adapter on purpose: the adapter trusts only the ``wechatpayv3`` SDK's
code, so a bug here and a matching bug there cannot hide each other.

WeChat Pay APIv3 in short. A merchant signs each request with its API private key over
``"METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nBODY\\n"`` (RSA PKCS#1 v1.5, SHA-256) in the header
``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"``.
WeChat Pay signs each answer and notice with its platform certificate's key over
``"TIMESTAMP\\nNONCE\\nBODY\\n"`` in the ``Wechatpay-*`` headers. Secrets in a body (notices, the
platform certificates themselves) are AEAD_AES_256_GCM under the merchant's 32-byte APIv3 key.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Final

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.x509.oid import NameOID

from tuika_dev.sandbox.wechat_book import Refund, Refused, Trade

SIGNATURE_TYPE: Final = "WECHATPAY2-SHA256-RSA2048"
BEIJING: Final = timezone(timedelta(hours=8))
_EVENTS: Final = {
    "SUCCESS": ("REFUND.SUCCESS", "退款成功"),
    "ABNORMAL": ("REFUND.ABNORMAL", "退款异常"),
    "CLOSED": ("REFUND.CLOSED", "退款关闭"),
}
_AUTH_FIELD: Final = re.compile(r'(\w+)="([^"]*)"')


# --- keys and certificates ---


@dataclass(frozen=True, slots=True)
class MerchantKeys:
    """A merchant's API key pair and its certificate serial, as a merchant gets them from WeChat Pay."""

    private_key_pem: str
    public_key_pem: str
    serial_no: str


@dataclass(frozen=True, slots=True)
class PlatformCertificate:
    """One platform certificate with its private key, which only WeChat Pay holds."""

    key: rsa.RSAPrivateKey
    pem: str
    serial_no: str
    not_before: datetime
    not_after: datetime


def merchant_keys() -> MerchantKeys:
    """Generate a merchant API key pair and certificate serial for the tests and the demo."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return MerchantKeys(private_pem.decode(), public_pem.decode(), secrets.token_hex(20).upper())


def apiv3_key() -> str:
    """Return a fresh APIv3 key: 32 ASCII characters, as a merchant sets one on the WeChat Pay portal."""
    return secrets.token_hex(16)


def platform_certificate() -> PlatformCertificate:
    """Generate a platform key and a self-signed certificate, valid from a day ago for five years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com (tuika sandbox)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com sandbox platform certificate"),
        ]
    )
    # Real time, not the sandbox's clock: the SDK checks validity against the real time.
    now = datetime.now(UTC).replace(microsecond=0)
    not_before, not_after = now - timedelta(days=1), now + timedelta(days=5 * 365)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(x509.random_serial_number()).not_valid_before(not_before)
    certificate = builder.not_valid_after(not_after).sign(key, hashes.SHA256())
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return PlatformCertificate(key, pem, f"{certificate.serial_number:040X}", not_before, not_after)


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """Load a merchant's RSA public key from PEM."""
    key = serialization.load_pem_public_key(pem.encode())
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the merchant's API key must be RSA")
    return key


# --- signatures and encryption ---


def signed_headers(key: rsa.RSAPrivateKey, serial_no: str, body: str, timestamp: int) -> dict[str, str]:
    """Return the ``Wechatpay-*`` headers WeChat Pay signs an answer or a notice with."""
    nonce = secrets.token_hex(16).upper()
    signature = key.sign(f"{timestamp}\n{nonce}\n{body}\n".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Timestamp": str(timestamp),
        "Wechatpay-Serial": serial_no,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def authorization(header: str) -> dict[str, str] | None:
    """Return the fields of a ``WECHATPAY2-SHA256-RSA2048`` Authorization header, or None."""
    scheme, _, rest = header.partition(" ")
    fields = dict(_AUTH_FIELD.findall(rest))
    wanted = {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    return fields if scheme == SIGNATURE_TYPE and wanted <= fields.keys() else None


def verify_request(key: rsa.RSAPublicKey, fields: Mapping[str, str], method: str, path: str, body: str) -> bool:
    """Return whether an Authorization signature is the merchant's over this method, path and body."""
    message = f"{method}\n{path}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n".encode()
    try:
        key.verify(base64.b64decode(fields["signature"], validate=True), message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def encrypt(apiv3_key: str, plaintext: str, associated_data: str) -> dict[str, str]:
    """Encrypt a resource as WeChat Pay does: AEAD_AES_256_GCM, a 12-character nonce, base64 output."""
    nonce = secrets.token_urlsafe(9)  # 12 ASCII characters: the SDK takes the nonce's UTF-8 bytes
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(sealed).decode(),
        "nonce": nonce,
        "associated_data": associated_data,
    }


def beijing_iso(at: float) -> str:
    """Format an epoch time as WeChat Pay does: RFC 3339 in Beijing time."""
    return datetime.fromtimestamp(at, BEIJING).isoformat(timespec="seconds")


# --- what the sandbox holds, and the JSON it answers with ---


def refund_json(refund: Refund) -> dict[str, object]:
    """Return a refund as the refund, query and apply-abnormal-refund calls answer it."""
    trade, amount = refund.trade, refund.amount
    answer: dict[str, object] = {
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "transaction_id": trade.transaction_id,
        "out_trade_no": trade.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": refund.account,
        "create_time": beijing_iso(refund.created_at),
        "status": refund.status,
        "funds_account": "AVAILABLE",
        "amount": {"total": trade.total, "refund": amount, "from": [], "payer_total": trade.total,
                   "payer_refund": amount, "settlement_total": trade.total, "settlement_refund": amount,
                   "discount_refund": 0, "currency": "CNY", "refund_fee": 0},
        "promotion_detail": [],
    }  # fmt: skip
    if refund.success_at is not None:
        answer["success_time"] = beijing_iso(refund.success_at)
    return answer


def notice_resource(refund: Refund, mchid: str) -> dict[str, object]:
    """Return the decrypted resource of a refund notice."""
    trade = refund.trade
    resource: dict[str, object] = {
        "mchid": mchid,
        "out_trade_no": trade.out_trade_no,
        "transaction_id": trade.transaction_id,
        "out_refund_no": refund.out_refund_no,
        "refund_id": refund.refund_id,
        "refund_status": refund.status,
        "user_received_account": refund.account,
        "amount": {"total": trade.total, "refund": refund.amount, "payer_total": trade.total,
                   "payer_refund": refund.amount},
    }  # fmt: skip
    if refund.success_at is not None:
        resource["success_time"] = beijing_iso(refund.success_at)
    return resource


def notice_body(refund: Refund, mchid: str, apiv3_key: str, now: float) -> tuple[str, str, str]:
    """Return a refund notice's id, event type and JSON body, its resource encrypted for the merchant."""
    event_type, summary = _EVENTS[refund.status]
    resource = json.dumps(notice_resource(refund, mchid), ensure_ascii=False)
    notice_id = str(uuid.uuid4())
    envelope = {
        "id": notice_id,
        "create_time": beijing_iso(now),
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": summary,
        "resource": {"original_type": "refund", **encrypt(apiv3_key, resource, "refund")},
    }
    return notice_id, event_type, json.dumps(envelope, ensure_ascii=False)


def certificate_list(certificates: list[PlatformCertificate], apiv3_key: str) -> dict[str, object]:
    """Return the answer of GET /v3/certificates: each certificate encrypted with the APIv3 key."""
    return {
        "data": [
            {
                "serial_no": c.serial_no,
                "effective_time": beijing_iso(c.not_before.timestamp()),
                "expire_time": beijing_iso(c.not_after.timestamp()),
                "encrypt_certificate": encrypt(apiv3_key, c.pem, "certificate"),
            }
            for c in certificates
        ]
    }


def json_object(raw: bytes) -> dict[str, object]:
    """Return a request body as a JSON object ({} when empty), or refuse it."""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Refused(400, "PARAM_ERROR", "请求体须为 JSON 对象")
    return body


# --- the trade bill (交易账单, bill_type ALL) ---

BILL_HEADER: Final = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
BILL_SUMMARY: Final = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
BILL_STATUS: Final = {"SUCCESS": "SUCCESS", "CLOSED": "REFUNDCLOSE", "PROCESSING": "PROCESSING", "ABNORMAL": "CHANGE"}


def trade_bill(appid: str, mchid: str, trades: list[Trade], refunds: list[Refund]) -> str:
    """Render a trade bill: the header, a backtick-prefixed line per payment and refund, the summary."""
    rows: list[tuple[float, list[str]]] = []
    for t in trades:
        rows.append((t.paid_at, [t.transaction_id, t.out_trade_no, "SUCCESS", _yuan(t.total), "0", "0", "0.00", "",
                                 "", _yuan(t.total), "0.00"]))  # fmt: skip
    for r in refunds:
        t = r.trade
        rows.append((r.created_at, [t.transaction_id, t.out_trade_no, "REFUND", "0.00", r.refund_id, r.out_refund_no,
                                    _yuan(r.amount), "ORIGINAL", BILL_STATUS[r.status], _yuan(t.total),
                                    _yuan(r.amount)]))  # fmt: skip
    lines = [BILL_HEADER]
    for at, (txn, out_trade_no, kind, settled, refund_id, refund_no, refund, way, status, total, asked) in sorted(rows):
        when = datetime.fromtimestamp(at, BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        fields = [when, appid, mchid, "0", "", txn, out_trade_no, "oSandboxBuyer000000000000000", "NATIVE", kind,
                  "OTHERS", "CNY", settled, "0.00", refund_id, refund_no, refund, "0.00", way, status,
                  "卡密, 点卡", "", "0.00000", "0.60%", total, asked, ""]  # fmt: skip
        lines.append(",".join("`" + f for f in fields))
    paid, refunded = sum(t.total for t in trades), sum(r.amount for r in refunds)
    summary = [str(len(rows)), _yuan(paid), _yuan(refunded), "0.00", "0.00000", _yuan(paid), _yuan(refunded)]
    lines += [BILL_SUMMARY, ",".join("`" + f for f in summary)]
    return "\n".join(lines) + "\n"


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


# --- HTTP ---


@dataclass(slots=True)
class Reply:
    """An answer: a JSON payload (signed when sent) or a raw file, and work to do once it is sent."""

    status: int
    payload: object = None
    raw: bytes | None = None
    delay_s: float = 0.0
    wrong_key: bool = False
    after: Callable[[], None] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def post(target: str | Callable[[dict[str, str], bytes], int], headers: dict[str, str], body: bytes) -> int:
    """POST a notice to a URL or a callable and return the status; 0 when it could not be delivered."""
    try:
        if callable(target):
            return target(headers, body)
        return httpx.post(target, content=body, headers=headers, timeout=5.0).status_code
    except Exception:  # an unreachable or failing target is a failed delivery, retried as WeChat Pay does
        return 0
