"""One function answers both the buyer's pre-check and the machine's decision.

``evaluate`` sees the order, the claim, the policy and whatever signals are known. A
pre-check and the review that follows a submission call it with the same inputs, so
the prediction can never promise what the decision will not give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, ProductKind
from tuika.domain.policy import Condition, EvidenceKind, LiableParty, Policy, Reason, Rule, window_start
from tuika.domain.reveals import Standing, deadline, standing
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer
from tuika.domain.verification import Verdict, judge_cards, judge_topups


class Path(StrEnum):
    AUTO_APPROVE = "auto_approve"
    MANUAL_REVIEW = "manual_review"
    REJECT = "reject"
    REQUEST_EVIDENCE = "request_evidence"


@dataclass(frozen=True, slots=True)
class Claim:
    """What the buyer asks for: a reason, the items, and the evidence already given."""

    reason: Reason
    item_ids: tuple[str, ...]
    evidence: tuple[EvidenceKind | None, ...] = ()


@dataclass(frozen=True, slots=True)
class Signals:
    """Facts beyond the policy: other claims on the items, and what machine review finds.

    ``cards`` and ``topups`` are the supplier's answers by item id (every answer asked, oldest
    first, so answers that disagree show). ``doubts`` are reason codes from the evidence and the
    buyer's history; each sends the claim to a person and none rejects it. ``revealed`` holds
    the items whose card key its buyer has been shown.
    """

    claimed_elsewhere: frozenset[str] = frozenset()
    cards: Mapping[str, tuple[CardAnswer, ...]] = field(default_factory=dict)
    topups: Mapping[str, TopupAnswer] = field(default_factory=dict)
    supplier_unavailable: bool = False
    doubts: tuple[str, ...] = ()
    revealed: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer: eligible or not, the path, why, by when, and how much."""

    eligible: bool
    path: Path
    reason_codes: tuple[str, ...]
    policy_version: int
    deadline: datetime | None
    missing_evidence: tuple[EvidenceKind, ...]
    refundable: Money
    fee: Money
    liable: LiableParty
    items: tuple[str, ...] = field(default=())

    @property
    def payout(self) -> Money:
        """Return what would reach the buyer."""
        return self.refundable - self.fee


_NEEDS_RECEIPT = frozenset({Reason.CARD_INVALID, Reason.WRONG_ITEM})


def evaluate(order: Order, claim: Claim, policy: Policy, now: datetime, signals: Signals | None = None) -> Outcome:
    """Judge a claim on an order under a policy at time ``now``."""
    signals = signals or Signals()
    if not claim.item_ids:
        claim = Claim(claim.reason, order.item_ids(), claim.evidence)
    rule = policy.rule(order.product_kind, claim.reason)
    refundable = order.amount_for(claim.item_ids)
    if rule is None or not rule.refundable:
        return _outcome(
            policy,
            claim,
            Path.REJECT,
            ("reason_not_refundable",),
            None,
            (),
            refundable,
            Money.zero(),
            rule.liable if rule else LiableParty.PLATFORM,
        )
    fee = rule.fee.on(refundable)
    unrevealed = _unrevealed(order, claim, policy, now, signals)
    if unrevealed is not None:
        path, codes, closes = unrevealed
        info = ("buyer_fault_fee",) if fee else ()
        return _outcome(policy, claim, path, (*codes, *info), closes, (), refundable, fee, rule.liable)
    claimed = {i.id: i for i in order.items if i.id in set(claim.item_ids)}
    deadline = _deadline(order, rule, claimed)
    hard: list[str] = []
    soft: list[str] = []
    if deadline is not None and now > deadline:
        hard.append("refund_window_closed")
    elif deadline is None and claim.reason in _NEEDS_RECEIPT:
        # A key or item that never arrived cannot be invalid or wrong; "not delivered" is the claim.
        hard.append("window_not_started")
    if signals.claimed_elsewhere.intersection(claim.item_ids):
        hard.append("items_already_claimed")
    record = _check_record(order, claimed, claim, rule, signals, hard, soft)
    missing = () if record.settled else _missing_evidence(rule.evidence, claim.evidence)
    missing = (*missing, *(k for k in record.needs if k not in missing))
    soft.extend(signals.doubts)
    if refundable > rule.auto_approve_max:
        soft.append("amount_above_auto_limit")
    soft_info = ["buyer_fault_fee"] if fee and not hard else []
    if hard:
        path, codes = Path.REJECT, tuple(hard)
    elif missing:
        path, codes = Path.REQUEST_EVIDENCE, ("evidence_missing", *soft)
    elif soft:
        path, codes = Path.MANUAL_REVIEW, (*soft, *record.facts)
    else:
        path, codes = Path.AUTO_APPROVE, ("policy_refundable", *_record_codes(order, claim), *record.facts)
    return _outcome(policy, claim, path, (*codes, *soft_info), deadline, missing, refundable, fee, rule.liable)


def _outcome(
    policy: Policy,
    claim: Claim,
    path: Path,
    codes: tuple[str, ...],
    deadline: datetime | None,
    missing: tuple[EvidenceKind, ...],
    refundable: Money,
    fee: Money,
    liable: LiableParty,
) -> Outcome:
    return Outcome(
        eligible=path is not Path.REJECT,
        path=path,
        reason_codes=tuple(dict.fromkeys(codes)),
        policy_version=policy.version,
        deadline=deadline,
        missing_evidence=missing,
        refundable=refundable,
        fee=fee,
        liable=liable,
        items=claim.item_ids,
    )


def _unrevealed(
    order: Order, claim: Claim, policy: Policy, now: datetime, signals: Signals
) -> tuple[Path, tuple[str, ...], datetime | None] | None:
    """Return the path of a claim on keys never revealed that the supplier calls unused; None for the rule's.

    Such a key is voided before the money moves, so neither a screenshot nor the amount matters;
    a doubt still sends the claim to a person, as everywhere. Any key revealed (where that loses
    the way), not said unused, or already claimed leaves the claim to its rule.
    """
    if standing(policy, order, claim.reason, claim.item_ids, now, signals.revealed) is not Standing.OPEN:
        return None
    if signals.claimed_elsewhere.intersection(claim.item_ids):
        return None
    if not all(_unused(signals.cards.get(item_id, ())) for item_id in claim.item_ids):
        return None
    assert policy.unrevealed is not None  # an open standing has the policy's way
    closes = deadline(policy.unrevealed, order)
    if signals.doubts:
        return Path.MANUAL_REVIEW, (*signals.doubts, "unrevealed_key_unused"), closes
    return Path.AUTO_APPROVE, ("policy_refundable", "unrevealed_key_unused"), closes


def _unused(answers: tuple[CardAnswer, ...]) -> bool:
    """Tell whether the supplier said unused, every time it was asked."""
    return bool(answers) and all(a.state is CardState.UNUSED for a in answers)


def _deadline(order: Order, rule: Rule, claimed: Mapping[str, OrderItem]) -> datetime | None:
    """Return when the window closes, or None while its anchor has not happened yet."""
    start = window_start(rule, order, claimed)
    return None if start is None else start + rule.window


def _check_record(
    order: Order,
    claimed: Mapping[str, OrderItem],
    claim: Claim,
    rule: Rule,
    signals: Signals,
    hard: list[str],
    soft: list[str],
) -> Verdict:
    """Check the rule's conditions against our records and the supplier's.

    A record settles a claim only where it is a fact we hold or were given by the supplier:
    a delivery we know failed, or a key the supplier says was invalid, needs no screenshot.
    """
    delivered = order.delivery_status is DeliveryStatus.DELIVERED
    for condition in rule.conditions:
        if condition is Condition.NOT_DELIVERED and delivered:
            hard.append("already_delivered")
        elif condition is Condition.NOT_ACTIVATED and any(i.activated_at is not None for i in claimed.values()):
            hard.append("already_activated")
    verdict = Verdict()
    if claim.reason is Reason.CARD_INVALID:
        verdict = judge_cards(order, claimed, rule, signals.cards, signals.supplier_unavailable)
    elif claim.reason is Reason.NOT_DELIVERED:
        if order.delivery_status is DeliveryStatus.FAILED:
            return Verdict(settled=True)
        if delivered and order.product_kind is ProductKind.DIRECT_TOPUP:
            verdict = judge_topups(claimed, signals.topups, claim.evidence, signals.supplier_unavailable)
        if not (verdict.settled or verdict.soft):
            soft.append("delivery_pending_on_record" if not delivered else "delivery_recorded")
    elif claim.reason in (Reason.WRONG_ITEM, Reason.OTHER):
        soft.append("needs_human_judgement")
    hard.extend(verdict.hard)
    soft.extend(verdict.soft)
    return verdict


def _record_codes(order: Order, claim: Claim) -> tuple[str, ...]:
    if claim.reason is Reason.NOT_DELIVERED and order.delivery_status is DeliveryStatus.FAILED:
        return ("delivery_failed_on_record",)
    if claim.reason is Reason.MISTAKEN_PURCHASE and order.delivery_status is not DeliveryStatus.DELIVERED:
        return ("not_delivered_on_record",)
    return ()


def _missing_evidence(
    required: Sequence[EvidenceKind], given: Sequence[EvidenceKind | None]
) -> tuple[EvidenceKind, ...]:
    """Return required kinds not covered; untagged evidence covers the first open kinds."""
    open_kinds = list(required)
    untagged = 0
    for kind in given:
        if kind is None:
            untagged += 1
        elif kind in open_kinds:
            open_kinds.remove(kind)
    return tuple(open_kinds[untagged:])
