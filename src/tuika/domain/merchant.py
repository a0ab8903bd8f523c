"""The merchant's answer to a claim on its goods, and the time it has to give one.

A claim a person reviews is also put to the merchant that sold the goods: it may accept (the
refund goes ahead, on the merchant), contest (the claim goes to fast arbitration with the
merchant's statement and evidence) or add a statement (seen by the arbitrator and the buyer,
which answers nothing). A merchant that gives no answer by its deadline is taken to have
accepted, as the big platforms do (商家超时未处理，系统自动同意): unless the review found signs
of fraud, which a merchant's silence does not waive; then a person still decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.cases import CaseStatus
from tuika.domain.errors import InvalidInput
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.reason_codes import WITHHELD_FROM_BUYERS


class MerchantAction(StrEnum):
    ACCEPT = "accept"
    # Offer new keys instead of the money (补发): the buyer accepts them or declines.
    REPLACE = "replace"
    CONTEST = "contest"
    STATEMENT = "statement"


# What answers the claim, and stops the merchant's clock; a statement only adds to it.
ANSWERS: Final = frozenset({MerchantAction.ACCEPT, MerchantAction.REPLACE, MerchantAction.CONTEST})
# Where the merchant may act: while a person reviews the claim, and (a statement only) while
# an arbitrator does.
ACTS_IN: Final = {
    MerchantAction.ACCEPT: frozenset({CaseStatus.MANUAL_REVIEW}),
    MerchantAction.REPLACE: frozenset({CaseStatus.MANUAL_REVIEW}),
    MerchantAction.CONTEST: frozenset({CaseStatus.MANUAL_REVIEW}),
    MerchantAction.STATEMENT: frozenset(
        {CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION, CaseStatus.REPLACEMENT_OFFERED}
    ),
}
# The codes each answer writes on the case's timeline; the silence's is ``TIMEOUT_CODE``.
ACTION_CODES: Final = {
    MerchantAction.ACCEPT: "merchant_confirmed_fault",
    MerchantAction.REPLACE: "replacement_offered",
    MerchantAction.CONTEST: "merchant_disputes",
    MerchantAction.STATEMENT: "merchant_statement",
}
TIMEOUT_CODE: Final = "merchant_timeout"
MAX_NOTE: Final = 2000
MAX_EVIDENCE: Final = 9
# A card key as merchants paste them: long enough for any issuer's, short enough to be one key.
MAX_KEY: Final = 200
# The code of an offer the policy made from the merchant's stock.
FROM_STOCK: Final = "replacement_from_stock"
# The codes the buyer's answer to a replacement writes, and its silence past the time to answer.
REPLACEMENT_ACCEPTED: Final = "replacement_accepted"
REPLACEMENT_DECLINED: Final = "replacement_declined"
REPLACEMENT_UNANSWERED: Final = "replacement_unanswered"
# What the supplier said to voiding a replaced key, on the timeline.
OLD_KEY_VOIDED: Final = "replaced_key_voided"
OLD_KEY_NOT_VOIDED: Final = "replaced_key_not_voided"
OLD_KEY_REDEEMED: Final = "replaced_key_redeemed"


@dataclass(frozen=True, slots=True)
class MerchantResponse:
    """One thing the merchant said on a claim: an answer or a statement, with its evidence."""

    id: str
    case_id: CaseId
    merchant_id: str
    action: MerchantAction
    note: str
    evidence_ids: tuple[EvidenceId, ...]
    at: datetime


@dataclass(frozen=True, slots=True)
class MerchantWindow:
    """The time a merchant has to answer a claim, and how it ended; open while ``closed_at`` is None."""

    case_id: CaseId
    opened_at: datetime
    respond_by: datetime
    closed_at: datetime | None = None
    # An answer's action, or ``timeout``.
    outcome: str | None = None

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def overdue(self, now: datetime) -> bool:
        """Tell whether the merchant is past its time with no answer given."""
        return self.closed_at is None and self.respond_by <= now


def allowed_actions(status: CaseStatus, window: MerchantWindow | None, now: datetime) -> frozenset[MerchantAction]:
    """Return what the merchant may do on a claim now: answer once, before its deadline; a statement where it acts.

    >>> from datetime import UTC, timedelta
    >>> at = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    >>> w = MerchantWindow(CaseId("rc_1"), at, at + timedelta(hours=1))
    >>> def names(acts): return sorted(a.value for a in acts)
    >>> names(allowed_actions(CaseStatus.MANUAL_REVIEW, w, at))
    ['accept', 'contest', 'statement']
    >>> names(allowed_actions(CaseStatus.MANUAL_REVIEW, w, at + timedelta(hours=1)))
    ['statement']
    >>> names(allowed_actions(CaseStatus.ARBITRATION, w, at)), names(allowed_actions(CaseStatus.REFUNDED, w, at))
    (['statement'], [])
    """
    acts = {action for action, statuses in ACTS_IN.items() if status in statuses}
    if window is not None and (not window.open or window.respond_by <= now):
        acts -= ANSWERS
    return frozenset(acts)


def respond_by(status: CaseStatus, window: MerchantWindow | None) -> datetime | None:
    """Return the merchant's deadline while the claim waits for its answer (in review, its window open); else None.

    A deadline just past still shows until the sweep takes the silence as consent, so nobody
    watching the claim sees it drop before it has moved on.
    """
    if status is not CaseStatus.MANUAL_REVIEW or window is None or not window.open:
        return None
    return window.respond_by


def silence_approves(reason_codes: tuple[str, ...]) -> bool:
    """Tell whether a merchant's silence approves the claim: only if no sign of fraud sent it to a person.

    >>> silence_approves(("card_usage_unverified",)), silence_approves(("evidence_reused",))
    (True, False)
    """
    return not WITHHELD_FROM_BUYERS.intersection(reason_codes)


class VoidState(StrEnum):
    """Where voiding a replaced key with its supplier stands."""

    PENDING = "pending"
    # Voided, or dead at the supplier already (invalid, expired): it cannot be used.
    VOIDED = "voided"
    # Not voided: the supplier says it was redeemed, or no supplier could be asked.
    NOT_VOIDED = "not_voided"


class ReplacementOutcome(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # the buyer gave no answer in time
    WITHDRAWN = "withdrawn"  # the buyer withdrew the claim instead


@dataclass(frozen=True, slots=True)
class ReplacementKey:
    """One new key offered for one claimed item; ``secret`` is sealed for the offer, not the item.

    Once the buyer accepts, ``old_secret`` holds the replaced key as it was sealed on the item,
    until the supplier has voided it.
    """

    item_id: str
    secret: str
    # The new key masked, as every page shows it (``masking.mask_card_key``).
    masked: str
    old_secret: str | None = None
    void_state: VoidState | None = None
    voided_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Replacement:
    """New keys a merchant offered instead of a refund, and the buyer's answer; open while ``outcome`` is None."""

    case_id: CaseId
    merchant_id: str
    note: str
    offered_at: datetime
    answer_by: datetime
    keys: tuple[ReplacementKey, ...]
    answered_at: datetime | None = None
    outcome: ReplacementOutcome | None = None
    # Made from the merchant's stock by the policy: declined, the approved refund goes ahead.
    automatic: bool = False

    @property
    def open(self) -> bool:
        return self.outcome is None


@dataclass(frozen=True, slots=True)
class StockKey:
    """A key a merchant keeps to replace dead ones of one product, sealed for its place in the stock."""

    id: str
    merchant_id: str
    sku: str
    secret: str
    masked: str
    digest: str
    added_at: datetime


# What one upload of replacement stock may hold.
MAX_STOCK_UPLOAD: Final = 100


def check_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """Return card keys as merchants paste them, trimmed; raise ``InvalidInput`` for a blank, long, odd or repeated one.

    >>> check_keys((" K1 ", "K2"))
    ('K1', 'K2')
    """
    trimmed = tuple(k.strip() for k in keys)
    for key in trimmed:
        if not key:
            raise InvalidInput("a replacement card key is blank")
        if len(key) > MAX_KEY:
            raise InvalidInput(f"a replacement card key is longer than {MAX_KEY} characters")
        if not key.isprintable():
            raise InvalidInput("a replacement card key holds characters that are not printable")
    if len(set(trimmed)) != len(trimmed):
        raise InvalidInput("the same replacement key is given twice")
    return trimmed


def check_replacement_keys(item_ids: tuple[str, ...], keys: tuple[str, ...]) -> tuple[str, ...]:
    """Return the new keys, one per claimed item in order, trimmed; raise ``InvalidInput`` if they are not.

    >>> check_replacement_keys(("i1",), ("  ABCD-1234 ",))
    ('ABCD-1234',)
    >>> check_replacement_keys(("i1", "i2"), ("K1", "K1"))
    Traceback (most recent call last):
    ...
    tuika.domain.errors.base.InvalidInput: the same replacement key is given twice
    """
    if len(keys) != len(item_ids):
        raise InvalidInput(f"a replacement needs one new card key for each of the {len(item_ids)} claimed items")
    return check_keys(keys)
