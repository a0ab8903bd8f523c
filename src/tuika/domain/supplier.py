"""What a supplier can tell us about a card key or a top-up it delivered."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class CardState(StrEnum):
    UNUSED = "unused"
    REDEEMED = "redeemed"
    INVALID = "invalid"  # the supplier never issued it, or issued it broken
    EXPIRED = "expired"
    VOIDED = "voided"  # we voided it ourselves before refunding


@dataclass(frozen=True, slots=True)
class CardAnswer:
    """The supplier's record of one card key."""

    state: CardState
    redeemed_at: datetime | None = None
    # A hint at who redeemed it (a masked account or region), as the supplier reports it.
    redeemed_by: str | None = None


class TopupState(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PROCESSING = "processing"


@dataclass(frozen=True, slots=True)
class TopupAnswer:
    """The upstream's record of one direct top-up."""

    state: TopupState
    carrier_ref: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Asked:
    """What the supplier answered about one item and when: kept a short while so it is asked once.

    The buyer's pre-check asks; the review of the claim filed right after reuses the answer
    instead of asking again, so the prediction and the decision rest on the same word.
    """

    item_id: str
    at: datetime
    card: CardAnswer | None = None
    topup: TopupAnswer | None = None
