"""Rows of the card keys revealed to their buyers: each time one was shown in clear, as evidence on its order."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tuika.adapters.db.base import Base


class KeyRevealRow(Base):
    """One reveal of one card key: written and committed before the key is answered, never changed."""

    __tablename__ = "key_reveals"
    __table_args__ = (Index("ix_key_reveals_order", "order_id", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # The order only: a push may drop an item the platform no longer sends, its reveals stay.
    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id"))
    item_id: Mapped[str] = mapped_column(String(64))
    buyer_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(8))
    # A digest naming the page session or the bearer token, never the credential itself.
    session: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))
