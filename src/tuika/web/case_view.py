"""What the buyer's case page shows, built from a ``CaseView`` in the viewer's language.

The page tells the buyer where the claim is, what happens next and why; it leaves out what
the machine suspects about the buyer or the images (edits, reuse, look-alikes, history):
those findings are for the agents, and the buyer reads a true, neutral stand-in instead
("需要人工核对截图"), never which check raised it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from tuika.domain.cases import BEFORE_APPROVAL, FINAL, Case, CaseStatus, Decision, Role, Stage, TimelineEvent
from tuika.domain.evidence_asks import kinds_asked
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.domain.reason_codes import describe, split, withhold
from tuika.services.views import CaseView
from tuika.web import case_reads, i18n
from tuika.web.session import shanghai

S = CaseStatus
HAPPY: Final = (S.SUBMITTED, S.REVIEWING, S.APPROVED, S.REFUNDING, S.REFUNDED)
# The happy-path stages still ahead of a case in one of the detours.
_AHEAD: Final[Mapping[CaseStatus, tuple[CaseStatus, ...]]] = {
    S.AWAITING_EVIDENCE: (S.REVIEWING, S.APPROVED, S.REFUNDING, S.REFUNDED),
    S.MANUAL_REVIEW: (S.APPROVED, S.REFUNDING, S.REFUNDED),
    S.ARBITRATION: (S.APPROVED, S.REFUNDING, S.REFUNDED),
    # Ahead is the buyer's choice, new keys or the review of the refund: no path is promised.
    S.REPLACEMENT_OFFERED: (),
}
_OFFERED: Final = frozenset({S.REPLACEMENT_OFFERED, S.REPLACED})
# Nobody but the buyer moves a case from these: the page need not keep asking.
SETTLED: Final = FINAL | {S.REJECTED}
TAKES_EVIDENCE: Final = frozenset({S.AWAITING_EVIDENCE, S.MANUAL_REVIEW, S.ARBITRATION, S.SUBMITTED, S.REVIEWING})

StepState = Literal["done", "current", "todo"]


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    label: str
    state: StepState
    detour: bool


@dataclass(frozen=True, slots=True)
class Line:
    """One timeline event as the buyer reads it."""

    at: str
    who: str
    from_label: str | None
    to_label: str
    reasons: tuple[str, ...]
    note: str
    # Facts for the claim beside the step's reasons, so a review does not read as owed an approval.
    confirmed: tuple[str, ...] = ()
    # What an event that moved nothing was: the buyer's added evidence, or the system's news.
    same_label: str = ""


@dataclass(frozen=True, slots=True)
class Verdict:
    action: str
    by: str
    at: str
    reasons: tuple[str, ...]
    note: str
    confirmed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Voucher:
    id: str
    amount: str
    fee: str
    route: str
    status: str
    status_key: str
    refund_no: str | None
    paid_at: str | None
    to_balance: bool = False
    in_balance: bool = False


@dataclass(frozen=True, slots=True)
class Offer:
    """New keys the merchant offered instead of the money, as the buyer reads the offer."""

    note: str
    answer_by: str
    masked_keys: tuple[str, ...]
    # accepted, declined, expired, withdrawn; "" while it waits for the buyer.
    outcome: str
    can_answer: bool
    # Offered by the policy from the merchant's stock: the claim is approved, and declining refunds it.
    automatic: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """Everything the case page renders."""

    case: Case
    stage: str
    steps: tuple[Step, ...]
    expected: str | None
    final: bool
    lines: tuple[Line, ...]
    shots: tuple[case_reads.Shot, ...]
    verdict: Verdict | None
    vouchers: tuple[Voucher, ...]
    asked: tuple[str, ...]
    wanted: str | None
    takes_evidence: bool
    can_withdraw: bool
    can_appeal: bool
    offer: Offer | None = None


def build(view: CaseView, stages: Mapping[CaseStatus, Stage], lang: i18n.Lang) -> Page:
    """Return the case page of ``view`` in ``lang``."""
    case = view.case
    reads = {r.evidence_id: r for r in view.reads}
    redirected = {p.redirected_from for p in view.payouts if p.redirected_from}
    return Page(
        case=case,
        stage=_label(view.stage, lang),
        steps=tuple(steps(case, stages, lang)),
        expected=expected(view.stage, view.expected_by, case.status, lang, escalated=case.escalations > 0),
        final=case.status in SETTLED,
        lines=tuple(_line(e, stages, lang) for e in case.timeline),
        shots=tuple(case_reads.shot(r, reads.get(r.id), lang) for r in view.evidence),
        # Under an offer of new keys the offer is the news: the last decision (sent to a person) would mislead.
        verdict=_verdict(view.decisions[-1], lang) if view.decisions and case.status not in _OFFERED else None,
        vouchers=tuple(_voucher(p, lang, p.id in redirected, p.id in view.disputed) for p in view.payouts),
        asked=_asked(case, lang) if case.status is S.AWAITING_EVIDENCE else (),
        wanted=next(iter(_kinds_asked(case)), None),
        takes_evidence=case.status in TAKES_EVIDENCE,
        can_withdraw=case.status in BEFORE_APPROVAL,
        can_appeal=case.status is S.REJECTED and not case.appealed,
        offer=_offer(view),
    )


def _offer(view: CaseView) -> Offer | None:
    offered = view.replacement
    if offered is None:
        return None
    return Offer(
        note=offered.note,
        answer_by=shanghai(offered.answer_by),
        masked_keys=tuple(k.masked for k in offered.keys),
        outcome=offered.outcome.value if offered.outcome is not None else "",
        can_answer=view.case.status is S.REPLACEMENT_OFFERED and offered.open,
        automatic=offered.automatic,
    )


def steps(case: Case, stages: Mapping[CaseStatus, Stage], lang: i18n.Lang) -> list[Step]:
    """Return the stages the case has been through, its current one, and the happy path still ahead."""
    taken: list[CaseStatus] = []
    for status in (*(e.to_status for e in case.timeline), case.status):
        if not taken or taken[-1] is not status:
            taken.append(status)
    if case.status in SETTLED:
        ahead: tuple[CaseStatus, ...] = ()
    elif case.status in HAPPY:
        ahead = HAPPY[HAPPY.index(case.status) + 1 :]
    else:
        ahead = _AHEAD.get(case.status, ())
    out = [Step(s.value, _label(stages[s], lang), "done", s not in HAPPY) for s in taken[:-1]]
    out.append(Step(case.status.value, _label(stages[case.status], lang), "current", case.status not in HAPPY))
    out.extend(Step(s.value, _label(stages[s], lang), "todo", False) for s in ahead)
    return out


def expected(
    stage: Stage, by: datetime | None, status: CaseStatus, lang: i18n.Lang, *, escalated: bool = False
) -> str | None:
    """Return when this stage should be over, in Shanghai time, or how long it usually takes.

    A review escalated past its time limit says so rather than show a time already gone.
    """
    if status in SETTLED:
        return None
    if escalated:
        return i18n.text(lang, "case.expected_escalated")
    if by is not None:
        return i18n.formatted(lang, "case.expected_by", at=shanghai(by))
    if stage.expected is not None:
        return i18n.formatted(lang, "case.expected_within", span=span(stage.expected, lang))
    if status in (S.APPROVED, S.REFUNDING):
        return i18n.text(lang, "case.expected_refund")
    return None


def span(length: timedelta, lang: i18n.Lang) -> str:
    """Return a duration in whole hours or minutes, e.g. ``2 小时``."""
    minutes = max(1, int(length.total_seconds() // 60))
    if minutes >= 60 and minutes % 60 == 0:
        return i18n.formatted(lang, "case.hours", n=minutes // 60)
    return i18n.formatted(lang, "case.minutes", n=minutes)


def reasons(codes: Iterable[str], lang: i18n.Lang) -> tuple[str, ...]:
    """Return the buyer-facing text of reason codes, each withheld one as its neutral stand-in, once."""
    out: list[str] = []
    for code in withhold(tuple(codes)):
        zh, en = describe(code)
        text = zh if lang == "zh" else en
        if text not in out:
            out.append(text)
    return tuple(out)


def told(codes: tuple[str, ...], lang: i18n.Lang) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return a step's reasons and, apart, the facts it confirmed for the claim, as the buyer reads them."""
    why, confirmed = split(withhold(codes))
    return reasons(why, lang), reasons(confirmed, lang)


_OLD_BALANCE_VOUCHER: Final = re.compile(r"退款凭证 po_[0-9a-z]+")


def note(text: str, lang: i18n.Lang) -> str:
    """Return a timeline note; the machine's "请补充：kind、kind" is spelled out in ``lang``."""
    if _OLD_BALANCE_VOUCHER.fullmatch(text):
        # Written until 2026-12-03 on a balance refund: a payout's API id, which the voucher
        # card above already stands for.
        return ""
    kinds = _kinds_named(text)
    if not kinds:
        return text
    named = "、".join(i18n.text(lang, f"evidence.{k}") for k in kinds)
    return i18n.formatted(lang, "case.please_add", kinds=named)


def _kinds_named(text: str) -> tuple[str, ...]:
    """Return the evidence kinds in the machine's request note, or none if it is not one."""
    return tuple(k.value for k in kinds_asked(text))


def _kinds_asked(case: Case) -> tuple[str, ...]:
    """Return the evidence kinds the last request asked for, if the machine named them."""
    if case.status is not S.AWAITING_EVIDENCE:
        return ()
    last = next((e for e in reversed(case.timeline) if e.to_status is S.AWAITING_EVIDENCE), None)
    return () if last is None else _kinds_named(last.note)


def _label(stage: Stage, lang: i18n.Lang) -> str:
    return stage.zh if lang == "zh" else stage.en


def _line(event: TimelineEvent, stages: Mapping[CaseStatus, Stage], lang: i18n.Lang) -> Line:
    start = event.from_status
    why, confirmed = told(event.reason_codes, lang)
    return Line(
        at=shanghai(event.at),
        who=i18n.text(lang, f"case.role.{event.role.value}"),
        from_label=None if start is None or start is event.to_status else _label(stages[start], lang),
        to_label=_label(stages[event.to_status], lang),
        reasons=why,
        note=note(event.note, lang),
        confirmed=confirmed,
        same_label=i18n.text(lang, "case.same_stage" if event.role is Role.BUYER else "case.update_stage"),
    )


def _asked(case: Case, lang: i18n.Lang) -> tuple[str, ...]:
    """Return what the last request for evidence said: its note first, then its reasons."""
    for event in reversed(case.timeline):
        if event.to_status is S.AWAITING_EVIDENCE:
            said = note(event.note, lang)
            return ((said,) if said else ()) + reasons(event.reason_codes, lang)
    return ()


def _verdict(decision: Decision, lang: i18n.Lang) -> Verdict:
    why, confirmed = told(decision.reason_codes, lang)
    return Verdict(
        action=i18n.text(lang, f"case.action.{decision.action.value}"),
        by=i18n.text(lang, f"case.tier.{decision.tier.value}"),
        at=shanghai(decision.at),
        reasons=why,
        note=note(decision.note, lang),
        confirmed=confirmed,
    )


def _voucher(payout: Payout, lang: i18n.Lang, redirected: bool, disputed: bool) -> Voucher:
    done = payout.status is PayoutStatus.SUCCEEDED
    # A balance payout is its own voucher; a gateway's refund number is worth showing apart.
    refund_no = payout.voucher if payout.route is not PayoutRoute.BALANCE else None
    status = payout.status.value
    # The bank channel settles in working days: say so rather than a bare "in progress".
    if payout.route is PayoutRoute.BANK_CARD and payout.status in (PayoutStatus.PENDING, PayoutStatus.PROCESSING):
        status = "bank_processing"
    elif payout.route is not PayoutRoute.BALANCE and payout.status is PayoutStatus.PROCESSING:
        status = "gateway_processing"
    elif payout.route is not PayoutRoute.BALANCE and payout.status is PayoutStatus.FAILED:
        status = "redirected" if redirected else "disputed" if disputed else "gateway_failed"
    return Voucher(
        id=payout.id,
        amount=payout.amount.yuan(),
        fee=payout.fee.yuan(),
        route=i18n.text(lang, f"case.route.{payout.route.value}"),
        status=i18n.text(lang, f"case.payout.{status}"),
        status_key=payout.status.value,
        refund_no=refund_no,
        paid_at=shanghai(payout.updated_at) if done else None,
        # The balance entry is the buyer's proof of a balance refund: point at it.
        in_balance=done and payout.route is PayoutRoute.BALANCE,
        # Failed or abnormal by the original route, not yet sent to the balance and not in dispute
        # with its gateway (which may have paid after all): the buyer may.
        to_balance=not redirected
        and not disputed
        and payout.route is not PayoutRoute.BALANCE
        and payout.status in (PayoutStatus.FAILED, PayoutStatus.ABNORMAL),
    )
