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
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.reason_codes import WITHHELD_FROM_BUYERS


class MerchantAction(StrEnum):
    ACCEPT = "accept"
    CONTEST = "contest"
    STATEMENT = "statement"


# What answers the claim, and stops the merchant's clock; a statement only adds to it.
ANSWERS: Final = frozenset({MerchantAction.ACCEPT, MerchantAction.CONTEST})
# Where the merchant may act: while a person reviews the claim, and (a statement only) while
# an arbitrator does.
ACTS_IN: Final = {
    MerchantAction.ACCEPT: frozenset({CaseStatus.MANUAL_REVIEW}),
    MerchantAction.CONTEST: frozenset({CaseStatus.MANUAL_REVIEW}),
    MerchantAction.STATEMENT: frozenset({CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION}),
}
# The codes each answer writes on the case's timeline; the silence's is ``TIMEOUT_CODE``.
ACTION_CODES: Final = {
    MerchantAction.ACCEPT: "merchant_confirmed_fault",
    MerchantAction.CONTEST: "merchant_disputes",
    MerchantAction.STATEMENT: "merchant_statement",
}
TIMEOUT_CODE: Final = "merchant_timeout"
MAX_NOTE: Final = 2000
MAX_EVIDENCE: Final = 9


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
