"""Rows: the database schema as typed SQLAlchemy models. Migrations build it; this mirrors it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tuika.adapters.db.base import Base

# The merchant's side (its answers, its windows, its holds, its replacement keys) and the card
# keys revealed to buyers have modules of their own; re-exported so that whoever imports the
# rows has ``Base.metadata`` whole.
from tuika.adapters.db.merchant_tables import (
    HoldRow,
    MerchantResponseRow,
    MerchantWindowRow,
    ReplacementKeyRow,
    ReplacementRow,
    StockKeyRow,
)
from tuika.adapters.db.reveal_tables import KeyRevealRow


class OrderRow(Base):
    __tablename__ = "orders"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    supplier_id: Mapped[str] = mapped_column(String(64), index=True)
    sku: Mapped[str] = mapped_column(String(64), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    merchant_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    supplier_name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    product_kind: Mapped[str] = mapped_column(String(20), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    face_value_fen: Mapped[int | None] = mapped_column(BigInteger)
    payment_route: Mapped[str] = mapped_column(String(20))
    transaction_id: Mapped[str] = mapped_column(String(64))
    paid_at: Mapped[datetime]
    delivery_status: Mapped[str] = mapped_column(String(20), index=True)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OrderItemRow(Base):
    __tablename__ = "order_items"
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    secret_enc: Mapped[str | None] = mapped_column(Text)
    # The account topped up, encrypted like the card key but for its own purpose (see services.orders.keys).
    account_enc: Mapped[str | None] = mapped_column(Text)
    # Where accounts were kept in clear before migration 0010; tuika never writes one here and
    # empties it once the account is encrypted. A later migration drops the column.
    account: Mapped[str | None] = mapped_column(String(120))
    activated_at: Mapped[datetime | None]
    key_digest: Mapped[str | None] = mapped_column(String(100), index=True)


class PolicyRow(Base):
    __tablename__ = "policies"
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]]
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(64))


class CaseRow(Base):
    __tablename__ = "cases"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    item_ids: Mapped[list[Any]]
    route: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(24))
    policy_version: Mapped[int] = mapped_column(Integer)
    refundable_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    liable: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text, default="")
    evidence_ids: Mapped[list[Any]]
    reason_codes: Mapped[list[Any]]
    due_at: Mapped[datetime | None]
    appealed: Mapped[bool] = mapped_column(Boolean, default=False)
    decided_by: Mapped[str | None] = mapped_column(String(64))
    # Escalations since the case entered its status, and the last one's time (the sweep's period).
    escalations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalated_at: Mapped[datetime | None]
    # The refund number people quote; unique, and null only for a case made before it existed.
    number: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (
        Index("ux_cases_number", "number", unique=True),
        Index("ix_cases_status_due", "status", "due_at"),
        Index("ix_cases_status_updated", "status", "updated_at"),
    )


class CaseItemRow(Base):
    """An item held by a live claim; the primary key forbids a second live claim on it."""

    __tablename__ = "case_items"
    order_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)


class CaseEventRow(Base):
    __tablename__ = "case_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason_codes: Mapped[list[Any]]
    note: Mapped[str] = mapped_column(Text, default="")


class FindingRow(Base):
    __tablename__ = "case_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(64))
    facts: Mapped[dict[str, Any]]
    codes: Mapped[list[Any]]
    at: Mapped[datetime]


class ReadRow(Base):
    """What OCR read from one piece of evidence, card keys masked."""

    __tablename__ = "evidence_reads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[str] = mapped_column(String(40), unique=True)
    engine: Mapped[str] = mapped_column(String(40))
    lines: Mapped[list[Any]]
    fields: Mapped[dict[str, Any]]
    matches: Mapped[list[Any]]
    codes: Mapped[list[Any]]
    at: Mapped[datetime]


class AnswerRow(Base):
    """One answer of the supplier about one item, kept minutes so a pre-check and its review share it."""

    __tablename__ = "supplier_answers"
    __table_args__ = (
        Index("ix_supplier_answers_order", "order_id", "asked_at"),
        Index("ix_supplier_answers_asked_at", "asked_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))  # card or topup
    state: Mapped[str] = mapped_column(String(16))
    # A card's redemption time and who redeemed it; a top-up's time and the carrier's reference.
    happened_at: Mapped[datetime | None]
    detail: Mapped[str | None] = mapped_column(String(128))
    asked_at: Mapped[datetime]


class MarkRow(Base):
    """An evidence file's perceptual hash and the editing program its metadata names."""

    __tablename__ = "evidence_marks"
    evidence_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    phash: Mapped[str] = mapped_column(String(64))
    software: Mapped[str | None] = mapped_column(String(80))


class BandRow(Base):
    """One band of a perceptual hash: near hashes share bands, so the index finds them."""

    __tablename__ = "evidence_bands"
    evidence_id: Mapped[str] = mapped_column(ForeignKey("evidence_marks.evidence_id"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_evidence_bands_band_value", "band", "value"),)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    action: Mapped[str] = mapped_column(String(24))
    tier: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(64))
    reason_codes: Mapped[list[Any]]
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime]


class EvidenceRow(Base):
    __tablename__ = "evidence"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(64), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str | None] = mapped_column(String(40))
    case_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime]


class PayoutRow(Base):
    __tablename__ = "payouts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(64), index=True)
    route: Mapped[str] = mapped_column(String(20))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    item_amounts: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    voucher: Mapped[str | None] = mapped_column(String(80))
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    redirected_from: Mapped[str | None] = mapped_column(String(40), unique=True)
    check_at: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_payouts_status_updated", "status", "updated_at"),
        Index("ix_payouts_status_check", "status", "check_at"),
    )


class GatewayNoticeRow(Base):
    """A gateway's asynchronous notice as it arrived, kept once: the provider's id is unique."""

    __tablename__ = "gateway_notices"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    notice_id: Mapped[str] = mapped_column(String(128))
    refund_no: Mapped[str] = mapped_column(String(64), index=True)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("provider", "notice_id", name="uq_gateway_notice"),)


class PayoutAlertRow(Base):
    """Something a gateway said that contradicts our record: a person looks; nothing changed."""

    __tablename__ = "payout_alerts"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payout_id: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    # Open while resolved_at is null; finance's resolution, by whom, how it ended and why.
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="", server_default="")


class PostingRow(Base):
    __tablename__ = "ledger_postings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    memo: Mapped[str] = mapped_column(String(200))
    payout_id: Mapped[str | None] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    # What an operator's posting is known by outside (a deposit's bank reference): once a kind.
    reference: Mapped[str | None] = mapped_column(String(120))
    # One posting of each kind per payout, whatever the retries.
    __table_args__ = (
        UniqueConstraint("payout_id", "kind", name="uq_posting_payout_kind"),
        Index("uq_posting_kind_reference", "kind", "reference", unique=True),
    )


class EntryRow(Base):
    __tablename__ = "ledger_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    posting_id: Mapped[str] = mapped_column(ForeignKey("ledger_postings.id"), index=True)
    account: Mapped[str] = mapped_column(String(120), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class IdempotencyRow(Base):
    __tablename__ = "idempotency_keys"
    subject: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]


class WebSessionRow(Base):
    """A signed-in browser. The key is the SHA-256 of the cookie's random value, never the value."""

    __tablename__ = "web_sessions"
    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]


class SignInLinkRow(Base):
    """A sign-in link's id, kept until the link expires: the primary key lets each link in once."""

    __tablename__ = "sign_in_links"
    token_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class EventRow(Base):
    """The outbox: one row per thing that happened, written with the change; kept as the audit trail."""

    __tablename__ = "events"
    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    type: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    payload: Mapped[dict[str, Any]]
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    not_before: Mapped[datetime | None]
    __table_args__ = (
        Index("ix_events_subject", "subject", "id"),
        Index("ix_events_type", "type", "id"),
    )


class DeliveryRow(Base):
    """One handler's progress with one event: pending until done, or failed for ops to retry."""

    __tablename__ = "event_deliveries"
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    handler: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # When the relay may next run it; while it runs, the end of its lease.
    next_try_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None]
    __table_args__ = (
        # The relay's one question, "what is due?", reads only the pending rows.
        Index(
            "ix_event_deliveries_due",
            "next_try_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # Ops ask which have failed; the rest are never looked up by status.
        Index(
            "ix_event_deliveries_failed",
            "event_id",
            postgresql_where=text("status = 'failed'"),
            sqlite_where=text("status = 'failed'"),
        ),
    )


class MessageRow(Base):
    """One message to one person on one channel, written by the message writer from one event."""

    __tablename__ = "messages"
    # The event's id and two digits: its place among the event's messages.
    id: Mapped[str] = mapped_column(String(28), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(26))
    moment: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(16))
    recipient_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(8))
    # In Chinese, and in English beside it.
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(String(200))
    body_en: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    # The inbox's are "sent" once written; the other channels' wait "pending" for their sender,
    # and while one is being sent ``next_try_at`` is its sender's lease.
    status: Mapped[str] = mapped_column(String(12), default="sent", server_default="sent")
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    provider_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(String(300))
    # An SMS's template parameters, per language: {"zh": {...}, "en": {...}}.
    params: Mapped[dict[str, Any] | None]
    __table_args__ = (
        # An event tells each person once on each channel, however often its writer runs.
        UniqueConstraint("event_id", "moment", "recipient", "recipient_id", "channel", name="uq_messages_once"),
        # The inbox: a person's messages on a channel, newest first (ids are ULIDs).
        Index("ix_messages_inbox", "recipient", "recipient_id", "channel", "id"),
        # The unread badge counts only what is unread.
        Index(
            "ix_messages_unread",
            "recipient",
            "recipient_id",
            postgresql_where=text("read_at IS NULL AND channel = 'inbox'"),
            sqlite_where=text("read_at IS NULL AND channel = 'inbox'"),
        ),
        # The senders: each channel's messages due, soonest first.
        Index(
            "ix_messages_due",
            "channel",
            "next_try_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )


class PreferencesRow(Base):
    """How one person wants to be reached; the number and the mailbox are sealed."""

    __tablename__ = "preferences"
    recipient: Mapped[str] = mapped_column(String(16), primary_key=True)
    recipient_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    language: Mapped[str] = mapped_column(String(4))
    # The channels turned off: ["sms", …].
    off: Mapped[list[Any]]
    quiet_start: Mapped[str | None] = mapped_column(String(5))
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    phone_sealed: Mapped[str | None] = mapped_column(Text)
    phone_hint: Mapped[str | None] = mapped_column(String(32))
    email_sealed: Mapped[str | None] = mapped_column(Text)
    email_hint: Mapped[str | None] = mapped_column(String(260))
    seen_up_to: Mapped[str | None] = mapped_column(String(28))
    updated_at: Mapped[datetime]


class DeviceRow(Base):
    """A buyer's app on one phone: its push registration id, which belongs to one buyer at a time."""

    __tablename__ = "devices"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    buyer_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(8))
    token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    __table_args__ = (
        UniqueConstraint("token", name="uq_devices_token"),
        Index("ix_devices_buyer", "buyer_id"),
    )


class WebhookEndpointRow(Base):
    """A URL a host platform or a merchant registered for webhooks, with its sealed secrets."""

    __tablename__ = "webhook_endpoints"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200))
    # Event type names; empty: every type.
    types: Mapped[list[Any]]
    # [{"sealed", "created_at", "expires_at"}], newest first.
    secrets: Mapped[list[Any]]
    enabled: Mapped[bool] = mapped_column(Boolean)
    disabled_reason: Mapped[str | None] = mapped_column(String(16))
    failing_since: Mapped[datetime | None]
    resume_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_webhook_endpoints_owner", "owner", "owner_id"),)


class WebhookDeliveryRow(Base):
    """One event for one endpoint; while it is being sent, ``next_try_at`` is its sender's lease."""

    __tablename__ = "webhook_deliveries"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(String(40))
    event_id: Mapped[str] = mapped_column(String(26))
    event_type: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_try_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    __table_args__ = (
        # An event goes to an endpoint once, however often the writer runs.
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_once"),
        Index("ix_webhook_deliveries_list", "endpoint_id", "id"),
        Index(
            "ix_webhook_deliveries_due",
            "next_try_at",
            postgresql_where=text("state = 'pending'"),
            sqlite_where=text("state = 'pending'"),
        ),
    )


class WebhookAttemptRow(Base):
    """One try of a delivery, as its owner reads it: the status, how long, the start of the answer."""

    __tablename__ = "webhook_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]
    status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    excerpt: Mapped[str] = mapped_column(String(500))
    manual: Mapped[bool] = mapped_column(Boolean)
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)


__all__ = [
    "Base",
    "HoldRow",
    "KeyRevealRow",
    "MerchantResponseRow",
    "MerchantWindowRow",
    "ReplacementKeyRow",
    "ReplacementRow",
    "StockKeyRow",
]
