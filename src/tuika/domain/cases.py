"""Refund cases: the state machine as a table, stages the buyer sees, timeline events."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from tuika.domain.errors import IllegalTransition
from tuika.domain.ids import CaseId, EvidenceId, OrderId
from tuika.domain.money import Money
from tuika.domain.policy import LiableParty, Reason


class CaseStatus(StrEnum):
    SUBMITTED = "submitted"
    REVIEWING = "reviewing"
    AWAITING_EVIDENCE = "awaiting_evidence"
    MANUAL_REVIEW = "manual_review"
    ARBITRATION = "arbitration"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    # The merchant offered new keys instead of the money (补发); the buyer accepts or declines.
    REPLACEMENT_OFFERED = "replacement_offered"
    REPLACED = "replaced"


S = CaseStatus
BEFORE_APPROVAL: Final = frozenset(
    {S.SUBMITTED, S.REVIEWING, S.AWAITING_EVIDENCE, S.MANUAL_REVIEW, S.ARBITRATION, S.REPLACEMENT_OFFERED}
)
TRANSITIONS: Final[Mapping[CaseStatus, frozenset[CaseStatus]]] = {
    S.SUBMITTED: frozenset({S.REVIEWING, S.WITHDRAWN}),
    # A claim the machine approves may be offered a key from its merchant's stock instead.
    S.REVIEWING: frozenset(
        {
            S.APPROVED,
            S.REJECTED,
            S.AWAITING_EVIDENCE,
            S.MANUAL_REVIEW,
            S.ARBITRATION,
            S.WITHDRAWN,
            S.REPLACEMENT_OFFERED,
        }
    ),
    S.AWAITING_EVIDENCE: frozenset({S.REVIEWING, S.CLOSED, S.WITHDRAWN}),
    S.MANUAL_REVIEW: frozenset(
        {S.APPROVED, S.REJECTED, S.ARBITRATION, S.AWAITING_EVIDENCE, S.WITHDRAWN, S.REPLACEMENT_OFFERED}
    ),
    # Declined, or not answered in time: back to the person who was reviewing the claim, or (an
    # offer the policy made of a claim already approved) on to its refund.
    S.REPLACEMENT_OFFERED: frozenset({S.REPLACED, S.MANUAL_REVIEW, S.APPROVED, S.WITHDRAWN}),
    S.ARBITRATION: frozenset({S.APPROVED, S.REJECTED, S.WITHDRAWN}),
    # Back to a person only when the supplier refuses to void a key that was used meanwhile.
    S.APPROVED: frozenset({S.REFUNDING, S.MANUAL_REVIEW}),
    S.REFUNDING: frozenset({S.REFUNDED}),
    S.REJECTED: frozenset({S.ARBITRATION}),
    S.REFUNDED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.CLOSED: frozenset(),
    S.REPLACED: frozenset(),
}
# Statuses whose items cannot be claimed again: the claim is alive, has been paid, or its keys
# were replaced (never both a replacement and a refund for one item).
HOLDS_ITEMS: Final = frozenset(S) - {S.REJECTED, S.WITHDRAWN, S.CLOSED}
FINAL: Final = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Statuses in which the case waits for a person: past its time limit there, it is escalated.
ESCALATES: Final = frozenset({S.MANUAL_REVIEW, S.ARBITRATION})
# The timeline's word for an escalation, as every reader of the case reads it.
ESCALATED_CODE: Final = "review_overdue_escalated"


class Role(StrEnum):
    BUYER = "buyer"
    AGENT = "agent"
    ARBITRATOR = "arbitrator"
    MERCHANT = "merchant"
    ADMIN = "admin"
    PLATFORM = "platform"
    SYSTEM = "system"


class Route(StrEnum):
    """Where the buyer wants the money: back the way it came, or to the platform balance."""

    ORIGINAL = "original"
    BALANCE = "balance"


@dataclass(frozen=True, slots=True)
class Stage:
    """What the buyer sees for a status: a label and how long it should take."""

    key: str
    zh: str
    en: str
    expected: timedelta | None


def can_move(old: CaseStatus, new: CaseStatus) -> bool:
    """Tell whether the table admits ``old → new``."""
    return new in TRANSITIONS[old]


def check_move(old: CaseStatus, new: CaseStatus) -> None:
    """Raise ``IllegalTransition`` unless the table admits ``old → new``."""
    if not can_move(old, new):
        raise IllegalTransition(f"{old.value} → {new.value} is not allowed", old=old, new=new)


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of a case's history."""

    at: datetime
    actor: str
    role: Role
    from_status: CaseStatus | None
    to_status: CaseStatus
    reason_codes: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class Case:
    """One claim on one order."""

    id: CaseId
    order_id: OrderId
    buyer_id: str
    reason: Reason
    item_ids: tuple[str, ...]
    route: Route
    status: CaseStatus
    policy_version: int
    created_at: datetime
    updated_at: datetime
    refundable: Money
    fee: Money
    liable: LiableParty
    description: str = ""
    evidence_ids: tuple[EvidenceId, ...] = ()
    reason_codes: tuple[str, ...] = ()
    due_at: datetime | None = None
    appealed: bool = False
    decided_by: str | None = None
    # Escalations since the case entered its status (a move starts the count again), and the last.
    escalations: int = 0
    escalated_at: datetime | None = None
    # The short refund number people read and quote (``ids.new_case_number``); the id is the API's.
    number: str = ""
    timeline: tuple[TimelineEvent, ...] = field(default=())

    @property
    def payout_amount(self) -> Money:
        """Return what reaches the buyer: the refundable amount less the fee."""
        return self.refundable - self.fee

    def move(
        self,
        to: CaseStatus,
        *,
        at: datetime,
        actor: str,
        role: Role,
        reason_codes: tuple[str, ...] = (),
        note: str = "",
        due_at: datetime | None = None,
    ) -> tuple[Case, TimelineEvent]:
        """Return the case in ``to`` and the timeline event that records the move."""
        check_move(self.status, to)
        event = TimelineEvent(at, actor, role, self.status, to, reason_codes, note)
        moved = replace(
            self,
            status=to,
            updated_at=at,
            reason_codes=reason_codes or self.reason_codes,
            due_at=due_at,
            appealed=self.appealed or (self.status is S.REJECTED and to is S.ARBITRATION),
            escalations=0,
            escalated_at=None,
            timeline=(*self.timeline, event),
        )
        return moved, event

    def escalate(self, *, at: datetime, actor: str, role: Role) -> tuple[Case, TimelineEvent]:
        """Return the case escalated once more at ``at``, and the timeline line that tells it."""
        event = TimelineEvent(at, actor, role, self.status, self.status, (ESCALATED_CODE,))
        escalated = replace(
            self,
            updated_at=at,
            escalations=self.escalations + 1,
            escalated_at=at,
            timeline=(*self.timeline, event),
        )
        return escalated, event


def expected_times(
    machine_review: timedelta,
    manual_review: timedelta,
    arbitration: timedelta,
    awaiting_evidence: timedelta,
    replacement_answer: timedelta = timedelta(hours=24),
) -> dict[CaseStatus, Stage]:
    """Return the stage shown to the buyer for every status, with the configured times."""
    return {
        S.SUBMITTED: Stage("submitted", "已提交", "Submitted", machine_review),
        S.REVIEWING: Stage("reviewing", "材料审核中", "Reviewing evidence", machine_review),
        S.AWAITING_EVIDENCE: Stage("awaiting_evidence", "待补充材料", "Waiting for more evidence", awaiting_evidence),
        S.MANUAL_REVIEW: Stage("manual_review", "人工复核中", "Human review", manual_review),
        S.ARBITRATION: Stage("arbitration", "快速仲裁中", "Fast arbitration", arbitration),
        S.APPROVED: Stage("approved", "审核通过", "Approved", None),
        S.REJECTED: Stage("rejected", "已驳回", "Rejected", None),
        S.REFUNDING: Stage("refunding", "退款处理中", "Refund in progress", None),
        S.REFUNDED: Stage("refunded", "已退款", "Refunded", None),
        S.WITHDRAWN: Stage("withdrawn", "已撤回", "Withdrawn", None),
        S.CLOSED: Stage("closed", "已关闭", "Closed", None),
        S.REPLACEMENT_OFFERED: Stage(
            "replacement_offered", "商家补发待确认", "Replacement offered", replacement_answer
        ),
        S.REPLACED: Stage("replaced", "已补发新卡密", "Replaced with a new key", None),
    }


def priority(case: Case, stage: Stage, now: datetime) -> str:
    """Return how urgently a person should look: urgent past the SLA or escalated, high in its last quarter."""
    if case.due_at is None or case.status in FINAL:
        return "normal"
    if case.due_at < now or case.escalations:
        return "urgent"
    if stage.expected is not None and case.due_at - now <= stage.expected / 4:
        return "high"
    return "normal"


def escalation_due(case: Case, stage: Stage, now: datetime) -> bool:
    """Tell whether a case waiting for a person is past its time limit and not escalated in this period.

    A period is the stage's expected time, counted from the last escalation: a case in a 2-hour
    review is escalated just after its deadline, and again 2 hours after that if still waiting,
    never twice in between; a sweep that ran late escalates once, not once per period it missed.
    """
    if case.status not in ESCALATES or case.due_at is None or stage.expected is None or case.due_at >= now:
        return False
    return case.escalated_at is None or case.escalated_at + stage.expected <= now


class DecisionAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_EVIDENCE = "request_evidence"
    ESCALATE = "escalate"
    MANUAL_REVIEW = "manual_review"


class Tier(StrEnum):
    """Who made a decision: the machine, a support agent, an arbitrator, or the merchant accepting a claim."""

    AUTO = "auto"
    AGENT = "agent"
    ARBITRATOR = "arbitrator"
    MERCHANT = "merchant"


@dataclass(frozen=True, slots=True)
class Decision:
    case_id: CaseId
    action: DecisionAction
    tier: Tier
    actor: str
    reason_codes: tuple[str, ...]
    note: str
    at: datetime
