"""What a buyer is told before filing: the path ``evaluate`` gives, and what could still change it.

A pre-check knows the policy, the order, the items held by other claims, the buyer's history and
the supplier's answer. Only what the screenshots show comes after: where they can still decide,
the prediction is conditional and names the path for each condition, so that it never promises
what the review will not give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from tuika.domain.evaluate import Claim, Outcome, Path, Signals, evaluate
from tuika.domain.orders import Order
from tuika.domain.policy import Policy, Reason
from tuika.domain.reveals import reveal_loses

# The neutral doubt a screenshot that does not show what it should raises, whichever check it was.
SCREENSHOT_DOUBT = "screenshot_needs_check"


class Condition(StrEnum):
    EVIDENCE_AS_DECLARED = "evidence_as_declared"  # the screenshots show this order (and its key)
    EVIDENCE_IN_DOUBT = "evidence_in_doubt"  # they do not, or cannot be read, or look altered
    SUPPLIER_ANSWERS = "supplier_answers"  # the supplier, silent at the pre-check, answers the review
    SUPPLIER_SILENT = "supplier_silent"  # it is silent again


@dataclass(frozen=True, slots=True)
class Branch:
    """One condition and what follows it; ``outcome`` is None where the supplier's answer will decide."""

    condition: Condition
    outcome: Outcome | None


@dataclass(frozen=True, slots=True)
class Prediction:
    """The outcome if all goes as declared, and the branches when something still to come decides."""

    outcome: Outcome
    branches: tuple[Branch, ...] = ()
    # The claim is that a delivered card key fails: the screenshot has to show that key.
    about_key: bool = False
    # A claimed key not yet revealed would lose the instant refund of unrevealed keys if revealed:
    # the buyer is told so before revealing it (``reveals.REVEAL_WARNING``).
    reveal_loses: bool = False

    @property
    def conditional(self) -> bool:
        return bool(self.branches)

    def path_for(self, condition: Condition) -> Path | None:
        """Return the path predicted under ``condition``: the outcome's own where it is not a branch."""
        for branch in self.branches:
            if branch.condition is condition:
                return None if branch.outcome is None else branch.outcome.path
        return self.outcome.path


def predict(order: Order, claim: Claim, policy: Policy, now: datetime, signals: Signals) -> Prediction:
    """Return what the review will decide, with a branch for each thing the pre-check cannot know.

    A doubt from the screenshots only sends a claim to a person, so it changes nothing but an
    automatic approval; a supplier that did not answer is asked again by the review.
    """
    outcome = evaluate(order, claim, policy, now, signals)
    claimed = set(outcome.items)
    key = claim.reason is Reason.CARD_INVALID and any(i.secret is not None for i in order.items if i.id in claimed)
    loses = any(
        reveal_loses(policy, order, i, now, signals.revealed)
        for i in order.items
        if i.id in claimed and i.id not in signals.claimed_elsewhere
    )
    if signals.supplier_unavailable:
        silent = (Branch(Condition.SUPPLIER_ANSWERS, None), Branch(Condition.SUPPLIER_SILENT, outcome))
        return Prediction(outcome, silent, key, loses)
    if outcome.path is not Path.AUTO_APPROVE or not claim.evidence:
        return Prediction(outcome, (), key, loses)
    doubted = evaluate(order, claim, policy, now, replace(signals, doubts=(*signals.doubts, SCREENSHOT_DOUBT)))
    shown = (Branch(Condition.EVIDENCE_AS_DECLARED, outcome), Branch(Condition.EVIDENCE_IN_DOUBT, doubted))
    return Prediction(outcome, shown, key, loses)


# What each path promises, in words; ``{hours}`` is the manual review's time limit.
PATH_TEXT: Final[Mapping[Path, tuple[str, str]]] = {
    Path.AUTO_APPROVE: ("预计秒级自动审核通过", "Expected to be approved automatically within seconds"),
    Path.MANUAL_REVIEW: ("需人工复核，预计 {hours} 小时内", "A person reviews it, usually within {hours} h"),
    Path.REQUEST_EVIDENCE: ("请先补充所需凭证", "Add the required evidence first"),
    Path.REJECT: ("不符合退卡条件", "Not refundable under the policy"),
}
_DECIDED_BY_SUPPLIER: Final = ("按查询结果处理", "decided by its answer")


def condition_text(condition: Condition, about_key: bool) -> tuple[str, str]:
    """Return a condition in words; a claim about a card key names the key the screenshot must show."""
    if condition is Condition.EVIDENCE_AS_DECLARED:
        if about_key:
            return ("截图显示本订单与卡密", "The screenshot shows this order and its key")
        return ("截图显示本订单信息", "The screenshot shows this order")
    return {
        Condition.EVIDENCE_IN_DOUBT: ("截图无法核实", "The screenshot does not confirm it"),
        Condition.SUPPLIER_ANSWERS: ("供货商恢复查询", "The supplier answers"),
        Condition.SUPPLIER_SILENT: ("供货商仍无法查询", "The supplier still cannot be reached"),
    }[condition]


def path_text(path: Path | None, hours: int) -> tuple[str, str]:
    """Return what a path promises in words; None is the supplier's answer still to come."""
    if path is None:
        return _DECIDED_BY_SUPPLIER
    zh, en = PATH_TEXT[path]
    return zh.format(hours=hours), en.format(hours=hours)


def sentence(prediction: Prediction, hours: int) -> tuple[str, str]:
    """Return the prediction as one plain sentence, each condition with its path, in zh-CN and English."""
    if not prediction.branches:
        return path_text(prediction.outcome.path, hours)
    by = {b.condition: path_text(None if b.outcome is None else b.outcome.path, hours) for b in prediction.branches}
    if Condition.SUPPLIER_ANSWERS in by:
        answers, silent = by[Condition.SUPPLIER_ANSWERS], by[Condition.SUPPLIER_SILENT]
        zh = f"供货商暂时无法查询：提交后将再次查询，{answers[0]}；仍无法查询则{silent[0]}"
        en = (
            "The supplier cannot be reached right now: it is asked again once you file, and the claim is "
            f"{answers[1]}; if it still cannot be reached, {_lower(silent[1])}"
        )
        return zh, en
    shows_zh, shows_en = condition_text(Condition.EVIDENCE_AS_DECLARED, prediction.about_key)
    yes, no = by[Condition.EVIDENCE_AS_DECLARED], by[Condition.EVIDENCE_IN_DOUBT]
    return f"{shows_zh} → {yes[0]}；否则{no[0]}", f"{shows_en} → {_lower(yes[1])}; otherwise {_lower(no[1])}"


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]
