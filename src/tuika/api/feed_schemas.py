"""Bodies of API v1 for the event feed a host platform polls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class FeedEventOut(BaseModel):
    """Something that happened to a case, a payout or an order; the same as the webhooks carry."""

    id: str
    type: str
    # The case, payout or order it is about.
    subject: str
    occurred_at: datetime
    payload: dict[str, Any]


class FeedPage(BaseModel):
    """Oldest first; pass ``next_after`` as ``after`` to go on (it stays put while nothing new has settled)."""

    items: list[FeedEventOut]
    next_after: str | None
