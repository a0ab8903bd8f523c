"""Bodies of API v1 for the in-site inbox: a person's messages and what is unread."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class MessageOut(BaseModel):
    """One message as its recipient reads it."""

    id: str
    # What it tells of: claim_received, sent_to_person, approved, refund_arrived…
    moment: str
    # In Chinese, and in English beside it: an app shows the one its user reads.
    title: str
    body: str
    title_en: str
    body_en: str
    # The page it is about (the case page), relative to the site.
    link: str
    case_id: str | None
    urgent: bool
    created_at: datetime
    read_at: datetime | None


class InboxPage(BaseModel):
    """Newest first; pass ``next_before`` as ``before`` for older messages."""

    items: list[MessageOut]
    next_before: str | None
    unread: int


class Marked(BaseModel):
    """How many messages were unread and are now read."""

    marked: int
