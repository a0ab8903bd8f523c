"""What the supplier's records say about a claim: settled, doubtful, or disproved.

Truth about a card key comes from the supplier that issued it, not from a screenshot. Only a
conclusive record may reject a claim; anything unclear (no answer, answers that disagree, a key
the supplier says is fine) goes to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tuika.domain.orders import Order, OrderItem
from tuika.domain.policy import Condition, EvidenceKind, Rule
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState


@dataclass(frozen=True, slots=True)
class Verdict:
    """Codes from the supplier's records: ``hard`` rejects, ``soft`` needs a person, ``facts`` explain."""

    hard: tuple[str, ...] = ()
    soft: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()
    settled: bool = False  # the record proves the claim, so no evidence is needed
    needs: tuple[EvidenceKind, ...] = ()  # evidence the record makes necessary


@dataclass(frozen=True, slots=True)
class _Tally:
    settled: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    doubtful: list[str] = field(default_factory=list)


def judge_cards(
    order: Order,
    claimed: Mapping[str, OrderItem],
    rule: Rule,
    answers: Mapping[str, tuple[CardAnswer, ...]],
    unavailable: bool,
) -> Verdict:
    """Judge a card-key claim item by item on the supplier's answers."""
    keyed = [i for i in claimed.values() if i.secret is not None]
    if not keyed:
        return Verdict()
    tally = _Tally()
    for item in keyed:
        code = _card_code(order, answers.get(item.id, ()), unavailable)
        if code in _SETTLING:
            tally.settled.append(code)
        elif code in _USED:
            tally.used.append(code)
        else:
            tally.doubtful.append(code)
    if tally.doubtful:
        return Verdict(soft=_unique(tally.doubtful + tally.used), facts=_unique(tally.settled))
    if tally.used:
        conclusive = Condition.CARD_UNUSED in rule.conditions and "card_redeemed_after_delivery" in tally.used
        if conclusive and not tally.settled:
            # Every claimed key was redeemed after we delivered it, on the supplier's own record.
            return Verdict(hard=_unique(tally.used))
        return Verdict(soft=_unique(tally.used), facts=_unique(tally.settled))
    return Verdict(facts=_unique(tally.settled), settled=True)


_SETTLING = frozenset({"supplier_card_invalid", "supplier_card_expired", "redeemed_before_delivery"})
_USED = frozenset({"card_redeemed_after_delivery", "card_reported_used"})


def _card_code(order: Order, answers: tuple[CardAnswer, ...], unavailable: bool) -> str:
    if not answers:
        return "supplier_unavailable" if unavailable else "card_usage_unverified"
    if len({(a.state, a.redeemed_at) for a in answers}) > 1:
        return "supplier_answers_contradict"
    answer = answers[-1]
    if answer.state is CardState.INVALID:
        return "supplier_card_invalid"
    if answer.state is CardState.EXPIRED:
        return "supplier_card_expired"
    if answer.state is CardState.REDEEMED:
        if answer.redeemed_at is None or order.delivered_at is None:
            return "card_reported_used"
        if answer.redeemed_at < order.delivered_at:
            return "redeemed_before_delivery"
        return "card_redeemed_after_delivery"
    if answer.state is CardState.UNUSED:
        # The buyer says the key fails, the supplier says it is fine: a person looks.
        return "card_unused_per_supplier"
    return "card_already_voided"


def judge_topups(
    claimed: Mapping[str, OrderItem],
    answers: Mapping[str, TopupAnswer],
    given: tuple[EvidenceKind | None, ...],
    unavailable: bool,
) -> Verdict:
    """Judge a "not delivered" top-up claim on the upstream's answers."""
    states = [answers[i].state for i in claimed if i in answers]
    if not states or len(states) < len(claimed):
        return Verdict(soft=("supplier_unavailable",)) if unavailable else Verdict()
    if all(s is TopupState.FAILED for s in states):
        return Verdict(facts=("upstream_topup_failed",), settled=True)
    if any(s is TopupState.PROCESSING for s in states):
        return Verdict(soft=("topup_processing",))
    if EvidenceKind.CARRIER_RECORD in given:
        return Verdict(soft=("topup_reported_succeeded",))
    # The upstream reports success; only the carrier's record can show otherwise.
    return Verdict(soft=("topup_reported_succeeded",), needs=(EvidenceKind.CARRIER_RECORD,))


def _unique(codes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))
