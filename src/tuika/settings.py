"""Runtime settings, read from ``TUIKA_*`` environment variables.

This is the only module that reads the environment; ``bootstrap`` turns a
``Settings`` into adapters and services.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY: Final = "tuika-demo-secret-change-me-before-production"
MIN_SECRET_KEY_LENGTH: Final = 32
CARD_KEY_BYTES: Final = 32


def _demo_card_key(key_id: str) -> str:
    # Derived from the public default secret, so anyone can recompute it: demo data only.
    digest = hmac.new(DEFAULT_SECRET_KEY.encode(), f"tuika card key {key_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


DEMO_CARD_KEYS: Final[Mapping[str, str]] = MappingProxyType({"k1": _demo_card_key("k1")})


class InsecureSettings(Exception):
    """Demo secrets are configured while demo mode is off."""

    code = "insecure_settings"
    title = "Refusing to start outside demo mode with demo or weak secrets"
    title_zh = "非演示模式下不能使用演示密钥或弱密钥启动"

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{self.title_zh} / {self.title}: " + "; ".join(self.problems))


def _decode_card_key(key_id: str, encoded: str) -> bytes:
    try:
        raw = base64.b64decode(encoded, altchars=b"-_", validate=True)
    except ValueError as exc:  # binascii.Error, or a non-ASCII str
        raise ValueError(f"card key {key_id!r} is not urlsafe base64") from exc
    if len(raw) != CARD_KEY_BYTES:
        raise ValueError(f"card key {key_id!r} must decode to {CARD_KEY_BYTES} bytes")
    return raw


class Settings(BaseSettings):
    """Everything tuika can be configured with; each field maps to ``TUIKA_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="TUIKA_", extra="ignore", frozen=True)

    data_dir: Path = Path("./var")
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str = DEFAULT_SECRET_KEY
    demo: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Key id → urlsafe-base64 AES-256 key. Ids are stored in every ciphertext, so old
    # keys stay listed after a rotation until nothing encrypted with them remains.
    card_keys: dict[str, str] = Field(default_factory=lambda: dict(DEMO_CARD_KEYS))
    card_key_active: str = "k1"
    sla_machine_review_s: int = Field(default=60, gt=0)
    sla_manual_review_s: int = Field(default=7200, gt=0)
    sla_arbitration_s: int = Field(default=3600, gt=0)
    sla_awaiting_evidence_s: int = Field(default=172800, gt=0)
    sla_merchant_response_s: int = Field(default=3600, gt=0)
    sla_replacement_answer_s: int = Field(default=86400, gt=0)
    evidence_max_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    evidence_max_pixels: int = Field(default=40_000_000, gt=0)
    # What an image may take once decoded: width × height × bytes per pixel (channels × bit
    # depth). 128 MiB passes a 1440×3200 RGBA screenshot seven times over.
    evidence_max_decoded_bytes: int = Field(default=128 * 1024 * 1024, gt=0)
    # Uploads that back no claim after this long are deleted, files and all.
    evidence_unused_hours: int = Field(default=24, gt=0, le=24 * 365)
    token_ttl_s: int = Field(default=86400, gt=0)
    # A sign-in link (/sso?token=…) that lives longer than this is refused: a link is meant to
    # be followed at once, and a long-lived one is a password sent around in a URL.
    sign_in_link_max_s: int = Field(default=900, gt=0, le=86400)
    # How long a page session lasts once signed in, whatever the link's own lifetime.
    session_hours: int = Field(default=8, gt=0, le=24 * 30)
    worker_threads: int = Field(default=2, gt=0)
    # Blocking request work (database transactions, uploads) per API process. Near the core
    # count is best: more threads only contend for the GIL and the database's CPU.
    api_threads: int = Field(default=4, gt=0, le=256)
    sweep_interval_s: int = Field(default=30, gt=0)
    # How often each worker looks for event deliveries whose time has come (retries, waits,
    # wake-ups that were lost); new events are relayed at once without waiting for it.
    events_poll_s: float = Field(default=1.0, gt=0, le=3600)
    # How long a relay holds a delivery without renewing it; a running relay renews its
    # deliveries every third of it, so this is how soon a dead relay's work is taken over.
    events_lease_s: float = Field(default=30.0, gt=0, le=86400)
    # How many deliveries one relay pass takes.
    events_batch: int = Field(default=100, ge=1, le=10000)
    # Delivered events are the audit trail later statistics and webhooks read; after this many
    # days the sweep deletes those none of whose deliveries is pending. 0 keeps them all.
    events_keep_days: int = Field(default=0, ge=0, le=36500)
    # GET /v1/events serves only events older than this: event ids are made when a transaction
    # writes them and it commits a moment later, so a reader that went further could pass an id
    # whose row was not yet visible and never see it. Longer than any transaction that writes one.
    events_feed_settle_s: float = Field(default=5.0, ge=0, le=300)
    # Webhooks: how long one try may take, how many endpoints each worker process sends to at
    # once, and whether endpoints may be loopback or private addresses (the demo's are; true
    # outside the demo only for a receiver on the same private network, knowingly).
    webhooks_timeout_s: float = Field(default=5.0, gt=0, le=30)
    webhooks_threads: int = Field(default=8, ge=1, le=64)
    webhooks_allow_private: bool | None = None
    # Messages. Where the pages are as people's phones reach them (the links in texts, pushes
    # and mail; unset: http://host:port), the notification plan (unset: the one in the
    # package, src/tuika/policies/notify.toml), and how many passes per channel each worker
    # process sends at once. A channel whose provider is not configured gets no messages.
    public_url: str | None = None
    notify_plan_file: Path | None = None
    sending_threads: int = Field(default=2, ge=1, le=32)
    # SMS through Alibaba Cloud (dysmsapi SendSms). sms_templates names the template code the
    # provider approved for each message, "moment.lang=CODE" separated by commas
    # (`tuika notify sms-templates` prints the texts to register).
    sms_access_key_id: str = ""
    sms_access_key_secret: str = ""
    sms_sign_name: str = ""
    sms_endpoint: str = "dysmsapi.aliyuncs.com"
    sms_protocol: Literal["https", "http"] = "https"
    sms_templates: str = ""
    # App push through JPush's push API v3. push_batch is how many pushes to one device each go
    # in one batch single push request (JPush takes up to 1000; an app that is not VIP is refused
    # the endpoint and pushed one by one whatever this says); 1 pushes each on its own.
    push_app_key: str = ""
    push_master_secret: str = ""
    push_url: str = "https://api.jpush.cn"
    push_apns_production: bool = True
    push_batch: int = Field(default=100, ge=1, le=1000)
    # Email through an SMTP server: SMTPS (smtp_ssl, usually port 465) or STARTTLS (587).
    smtp_host: str | None = None
    smtp_port: int = Field(default=465, ge=1, le=65535)
    smtp_sender: str = ""
    smtp_sender_name: str = "退卡 tuika"
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_ssl: bool = True
    smtp_starttls: bool = False
    # The supplier API that verifies card keys and top-ups; without it a person verifies.
    supplier_url: str | None = None
    supplier_partner_id: str = Field(default="tuika", min_length=1, max_length=64)
    supplier_secret: str = ""
    supplier_timeout_s: float = Field(default=2.0, gt=0, le=30)
    # How long the supplier's answer to a buyer's pre-check is reused by the review of the claim
    # filed after it, instead of asking again. Short: a key redeemed since is caught when it is
    # voided before the refund, but a fresher answer is better. 0 asks again every time.
    supplier_answer_reuse_s: int = Field(default=600, ge=0, le=3600)
    # The OCR engine the worker reads screenshots with ("off": people read them). Each worker
    # process loads its own model, so ocr_threads × processes should not exceed the cores.
    # "paddle-tiny-first" reads with tiny and again with small only when tiny's read does not
    # settle the screenshot: the same decisions for half the CPU, degraded screenshots read a
    # little better and clean ones a little worse than small alone (docs/performance.md).
    ocr_engine: Literal["paddle-small", "paddle-tiny", "paddle-tiny-first", "off"] = "paddle-tiny-first"
    ocr_threads: int = Field(default=2, gt=0, le=64)
    # How many screenshots a worker process reads at once, each engine with its own model
    # (about 100 MB) and ocr_threads / ocr_engines threads. One engine reads one screenshot at
    # a time, so with fewer engines than worker threads claims in review wait for each other.
    ocr_engines: int = Field(default=2, gt=0, le=16)
    # The long side, in pixels, screenshots are scaled to for finding their lines of text. The
    # lines found are read from the image as uploaded, so a desktop's 13-px text reads as well at
    # 1024 as at 1600, for a third less detection (docs/performance.md, decision 0004).
    ocr_det_max_side: int = Field(default=1024, ge=320, le=4096)
    # A buyer whose recent claims cross these limits gets a person, never a refusal.
    history_window_days: int = Field(default=30, gt=0, le=365)
    history_max_claims: int = Field(default=5, gt=0)
    history_max_rejected_share: float = Field(default=0.5, ge=0, le=1)

    # Refund gateways for the original route. A route without its URL is not offered: its
    # refunds go to the balance. Private keys are read from files named here (or PEM text in
    # the environment), never from the repository.
    gateway_timeout_s: float = Field(default=5.0, gt=0, le=60)
    # When to ask a gateway about a refund first. Unset, each keeps its own (Alipay 10 s,
    # WeChat Pay 60 s, the bank 1 h); sandboxes and tests set it shorter.
    gateway_first_query_s: float | None = Field(default=None, ge=0, le=86400)
    alipay_url: str | None = None
    alipay_app_id: str = ""
    alipay_app_private_key: str = ""
    alipay_app_private_key_file: Path | None = None
    alipay_public_key: str = ""
    alipay_public_key_file: Path | None = None
    wechat_url: str | None = None
    wechat_mchid: str = ""
    wechat_appid: str = ""
    wechat_cert_serial_no: str = ""
    wechat_private_key: str = ""
    wechat_private_key_file: Path | None = None
    wechat_apiv3_key: str = ""
    # WeChat Pay's platform certificates (the SDK loads them here, and saves the ones it fetches).
    wechat_cert_dir: Path | None = None
    wechat_notify_url: str | None = None
    bank_url: str | None = None
    bank_merchant_id: str = ""
    bank_secret: str = ""

    @model_validator(mode="after")
    def _check_gateways(self) -> Settings:
        needs = {
            "alipay_url": (
                ("alipay_app_id", self.alipay_app_id),
                ("alipay_app_private_key(_file)", self.alipay_app_private_key or self.alipay_app_private_key_file),
                ("alipay_public_key(_file)", self.alipay_public_key or self.alipay_public_key_file),
            ),
            "wechat_url": (
                ("wechat_mchid", self.wechat_mchid),
                ("wechat_appid", self.wechat_appid),
                ("wechat_cert_serial_no", self.wechat_cert_serial_no),
                ("wechat_private_key(_file)", self.wechat_private_key or self.wechat_private_key_file),
                ("wechat_apiv3_key", self.wechat_apiv3_key),
            ),
            "bank_url": (("bank_merchant_id", self.bank_merchant_id), ("bank_secret", self.bank_secret)),
        }
        for url, fields in needs.items():
            if getattr(self, url):
                missing = [name for name, value in fields if not value]
                if missing:
                    raise ValueError(f"{url} needs {', '.join(missing)}")
        if self.wechat_apiv3_key and len(self.wechat_apiv3_key.encode()) != 32:
            raise ValueError("wechat_apiv3_key must be 32 bytes (WeChat Pay's APIv3 key)")
        return self

    def pem(self, text: str, file: Path | None) -> str:
        """Return a key given as PEM text, or read from its file."""
        return text or (file.read_text(encoding="utf-8") if file else "")

    @model_validator(mode="after")
    def _check_card_keys(self) -> Settings:
        # Fail at load time rather than at the first card reveal.
        if not self.card_keys:
            raise ValueError("card_keys must hold at least one key")
        for key_id, encoded in self.card_keys.items():
            if not key_id or ":" in key_id:
                raise ValueError(f"card key id {key_id!r} must be non-empty and without ':'")
            _decode_card_key(key_id, encoded)
        if self.card_key_active not in self.card_keys:
            raise ValueError(f"card_key_active {self.card_key_active!r} is not in card_keys")
        if self.supplier_url and not self.supplier_secret:
            raise ValueError("supplier_url needs supplier_secret to sign its requests")
        if self.sms_access_key_id and not (self.sms_access_key_secret and self.sms_sign_name):
            raise ValueError("sms_access_key_id needs sms_access_key_secret and sms_sign_name")
        if self.push_app_key and not self.push_master_secret:
            raise ValueError("push_app_key needs push_master_secret")
        if self.smtp_host and not self.smtp_sender:
            raise ValueError("smtp_host needs smtp_sender, the From address")
        if self.smtp_ssl and self.smtp_starttls:
            raise ValueError("smtp_ssl and smtp_starttls are two ways to encrypt: choose one")
        sms_template_codes(self.sms_templates)
        return self

    def db_url(self) -> str:
        """Return the database URL, defaulting to SQLite under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir}/tuika.db"

    def card_key_bytes(self) -> dict[str, bytes]:
        """Return the card keys decoded to raw bytes, by key id."""
        return {key_id: _decode_card_key(key_id, enc) for key_id, enc in self.card_keys.items()}

    def check_safe_to_start(self) -> None:
        """Raise ``InsecureSettings`` if demo secrets are in use outside demo mode."""
        if self.demo:
            return
        problems: list[str] = []
        if self.secret_key == DEFAULT_SECRET_KEY:
            problems.append("TUIKA_SECRET_KEY 仍是默认值 / TUIKA_SECRET_KEY is the default")
        elif len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"TUIKA_SECRET_KEY 短于 {MIN_SECRET_KEY_LENGTH} 个字符 / "
                f"TUIKA_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters"
            )
        # Any demo key, not only the exact default set: its value is public.
        demo_values = set(DEMO_CARD_KEYS.values())
        if any(value in demo_values for value in self.card_keys.values()):
            problems.append("TUIKA_CARD_KEYS 含有演示密钥 / TUIKA_CARD_KEYS contains the demo key")
        if problems:
            raise InsecureSettings(problems)


def sms_template_codes(raw: str) -> dict[str, str]:
    """Return "moment.lang" → template code from ``TUIKA_SMS_TEMPLATES``; raise ``ValueError`` if malformed.

    >>> sms_template_codes("refund_arrived.zh=SMS_465001, rejected.zh=SMS_465002")
    {'refund_arrived.zh': 'SMS_465001', 'rejected.zh': 'SMS_465002'}
    """
    found: dict[str, str] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        key, eq, code = (x.strip() for x in part.partition("="))
        moment, dot, lang = key.partition(".")
        if not eq or not dot or not moment or lang not in ("zh", "en") or not code:
            raise ValueError(f"sms_templates: {part!r} is not moment.lang=CODE (lang zh or en)")
        found[key] = code
    return found
