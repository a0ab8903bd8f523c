"""Rows of the merchant's side: its answers to claims, the time it has, its holds, its replacement keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from tuika.adapters.db.base import Base


class MerchantResponseRow(Base):
    """One thing a merchant said on a claim on its goods: an answer or a statement, with its evidence."""

    __tablename__ = "merchant_responses"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    evidence_ids: Mapped[list[Any]]
    at: Mapped[datetime]


class MerchantWindowRow(Base):
    """The time a merchant has to answer a claim a person reviews; the sweep closes the overdue ones."""

    __tablename__ = "merchant_windows"
    __table_args__ = (Index("ix_merchant_windows_open", "closed_at", "respond_by"),)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    opened_at: Mapped[datetime]
    respond_by: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))


class HoldRow(Base):
    """A claim's amount held from its merchant's settlement while the claim is open."""

    __tablename__ = "case_holds"
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    held_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(16))


class ReplacementRow(Base):
    """A replacement offered for a claim's keys, and how the buyer answered it."""

    __tablename__ = "replacements"
    __table_args__ = (Index("ix_replacements_open", "answered_at", "answer_by"),)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    offered_at: Mapped[datetime]
    answer_by: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    # accepted, declined, or expired (the buyer did not answer in time).
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Made from the merchant's stock by the policy, not by the merchant's hand.
    automatic: Mapped[bool] = mapped_column(Boolean, server_default=false())


class ReplacementKeyRow(Base):
    """One new key of a replacement, sealed, and the old key it replaces once delivered, until voided."""

    __tablename__ = "replacement_keys"
    case_id: Mapped[str] = mapped_column(ForeignKey("replacements.case_id"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Sealed for the offer (not for the item) until the buyer accepts: it opens nowhere else.
    secret: Mapped[str] = mapped_column(Text)
    # The key as pages show it, masked when offered: reading an offer opens no ciphertext.
    masked: Mapped[str] = mapped_column(String(64))
    # The key the new one replaced, as it was sealed on the item; kept to void it with the supplier.
    old_secret: Mapped[str | None] = mapped_column(Text)
    # pending, voided (or dead at the supplier already), or not_voided (redeemed, or no supplier to ask).
    void_state: Mapped[str | None] = mapped_column(String(16))
    voided_at: Mapped[datetime | None]


class StockKeyRow(Base):
    """A key a merchant keeps to replace dead ones of one product; taken by a claim's offer."""

    __tablename__ = "replacement_stock"
    __table_args__ = (
        Index("ix_replacement_stock_free", "merchant_id", "sku", "case_id"),
        # One key is kept once, whoever keeps it.
        Index("ix_replacement_stock_key_digest", "key_digest", unique=True),
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64))
    # Sealed for its place in the stock; opened only to be sealed again for an offer.
    secret: Mapped[str] = mapped_column(Text)
    masked: Mapped[str] = mapped_column(String(64))
    key_digest: Mapped[str] = mapped_column(String(100))
    added_at: Mapped[datetime]
    # The claim whose offer took it; back to None if that offer was declined.
    case_id: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[datetime | None]
