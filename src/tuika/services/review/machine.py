"""The machine's first look at a claim: the supplier asked, the screenshots read, then ``evaluate`` decides."""

from __future__ import annotations

from datetime import datetime, timedelta

from tuika.domain.cases import Case, CaseStatus, Decision, DecisionAction, Tier
from tuika.domain.evaluate import Claim, Outcome, Path, Signals, evaluate
from tuika.domain.evidence_asks import ask_note
from tuika.domain.findings import Fact, Finding, FindingKind
from tuika.domain.ids import CaseId
from tuika.domain.orders import Order
from tuika.domain.reveals import Standing, standing
from tuika.review.forensics import SIMILAR_BITS, Marks, distance
from tuika.services.claims.filing import evidence_kinds
from tuika.services.context import SYSTEM, Context
from tuika.services.locks import lock_case
from tuika.services.moves import move_case
from tuika.services.orders.stock import offer_from_stock
from tuika.services.payouts.opening import open_payout
from tuika.services.ports import EvidenceRecord, UnitOfWork
from tuika.services.review.reading import INFORMATIVE, examine
from tuika.services.review.standing import standing_doubts
from tuika.services.review.verify import ask_supplier
from tuika.services.views import buyers

# A capture time this long before the payment is a screenshot of something else.
CAPTURE_SLACK = timedelta(minutes=10)

# What the machine's path becomes as a case status.
_PATH_STATUS = {
    Path.AUTO_APPROVE: CaseStatus.APPROVED,
    Path.REJECT: CaseStatus.REJECTED,
    Path.REQUEST_EVIDENCE: CaseStatus.AWAITING_EVIDENCE,
    Path.MANUAL_REVIEW: CaseStatus.MANUAL_REVIEW,
}
_PATH_ACTION = {
    Path.AUTO_APPROVE: DecisionAction.APPROVE,
    Path.REJECT: DecisionAction.REJECT,
    Path.REQUEST_EVIDENCE: DecisionAction.REQUEST_EVIDENCE,
    Path.MANUAL_REVIEW: DecisionAction.MANUAL_REVIEW,
}


def machine_review(ctx: Context, case_id: CaseId) -> Case:
    """Judge a submitted case with ``evaluate`` and move it along; repeat calls are no-ops.

    Three steps: mark the case ``reviewing`` and commit; ask the supplier with no transaction
    open (it may take seconds); then decide in a second transaction, if nobody moved the case
    meanwhile. A crash in between leaves the case ``reviewing``, and the sweep re-drives it.
    """
    started = _start_review(ctx, case_id)
    if started.status is not CaseStatus.REVIEWING:
        return started
    with ctx.read() as uow:
        order = uow.orders.get(started.order_id)
        records = buyers(started, uow.evidence.for_case(case_id))
        done = {r.evidence_id for r in uow.reads.for_case(case_id)} | uow.marks.marked(case_id)
        # The answer the buyer's pre-check got a moment ago: the decision rests on the same word.
        known = uow.answers.since(started.order_id, ctx.clock.now() - ctx.answer_reuse) if ctx.answer_reuse else []
        policy = ctx.policies.version(uow, started.policy_version)
        revealed = _revealed(uow, started)
    assert order is not None
    unrevealed = standing(policy, order, started.reason, started.item_ids, ctx.clock.now(), revealed)
    check = ask_supplier(ctx, order, started.reason, started.item_ids, known, unrevealed=unrevealed is Standing.OPEN)
    seen = examine(ctx, order, records, done)
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        if case.status is not CaseStatus.REVIEWING:
            return case
        order = uow.orders.get(case.order_id)
        assert order is not None
        now = ctx.clock.now()
        policy = ctx.policies.version(uow, case.policy_version)
        evidence = buyers(case, uow.evidence.for_case(case.id))
        uow.reads.add(case.id, seen.reads)
        uow.marks.add(case.id, seen.marked)
        doubts, found = _doubts(ctx, uow, case, order, evidence, seen.marked, now)
        signals = Signals(
            cards=check.cards,
            topups=check.topups,
            supplier_unavailable=check.unavailable,
            doubts=doubts,
            # Read again under the order's lock: a key revealed while the supplier was asked counts.
            revealed=_revealed(uow, case),
        )
        kinds = evidence_kinds(evidence)
        outcome = evaluate(order, Claim(case.reason, case.item_ids, kinds), policy, now, signals)
        target = _PATH_STATUS[outcome.path]
        codes = (*outcome.reason_codes, "auto_approved") if outcome.path is Path.AUTO_APPROVE else outcome.reason_codes
        uow.findings.add(case.id, (*check.findings, *found))
        # Approved, the claim may first be offered a key the merchant keeps for the product.
        offered = None
        if target is CaseStatus.APPROVED:
            rule = policy.rule(order.product_kind, case.reason)
            offered = offer_from_stock(ctx, uow, order, case, rule, codes)
        if offered is not None:
            case = offered
        else:
            case = move_case(
                uow,
                case,
                target,
                at=now,
                actor=SYSTEM,
                codes=codes,
                note=_note(outcome),
                due=ctx.sla.due(target, now),
                merchant_by=now + policy.merchant_time(ctx.sla.merchant_response),
            )
        uow.cases.add_decision(Decision(case.id, _PATH_ACTION[outcome.path], Tier.AUTO, SYSTEM.subject, codes, "", now))
        if target is CaseStatus.APPROVED and offered is None:
            open_payout(ctx, uow, order, case)
        uow.commit()
        return case


def _doubts(
    ctx: Context,
    uow: UnitOfWork,
    case: Case,
    order: Order,
    evidence: list[EvidenceRecord],
    marked: list[tuple[EvidenceRecord, Marks]],
    now: datetime,
) -> tuple[tuple[str, ...], list[Finding]]:
    """Return what makes this claim doubtful, and the findings that show why."""
    doubts: list[str] = []
    findings: list[Finding] = []
    for record, mark in marked:
        for other_evidence, other_case, sha256, phash in uow.marks.near(mark.phash, case.id):
            apart = distance(mark.phash, phash)
            if sha256 == record.sha256 or apart > SIMILAR_BITS:
                continue  # the same file is "evidence_reused" below; far hashes are other screens
            facts: dict[str, Fact] = {"other_case": other_case, "other_evidence": other_evidence, "bits_apart": apart}
            # A hint for the person who looks, not a reason to look: different screenshots of
            # one screen land within the limit about once in 600 pairs, so against thousands of
            # earlier claims nearly every honest claim would find a "twin" (measured in
            # docs/performance.md).
            similar = ("screenshot_similar_to_other_claim",)
            findings.append(Finding(FindingKind.FORENSICS, record.id, now, facts, similar))
        if mark.software is not None or mark.modified_after_capture:
            edited: dict[str, Fact] = {"software": mark.software, "modified_after_capture": mark.modified_after_capture}
            findings.append(Finding(FindingKind.FORENSICS, record.id, now, edited, ("image_edited",)))
            doubts.append("image_edited")
        if mark.captured_at is not None and mark.captured_at < order.paid_at - CAPTURE_SLACK:
            taken: dict[str, Fact] = {"captured_at": mark.captured_at.isoformat(), "paid_at": order.paid_at.isoformat()}
            findings.append(Finding(FindingKind.FORENSICS, record.id, now, taken, ("screenshot_time_before_payment",)))
            doubts.append("screenshot_time_before_payment")
    by_hash = {e.sha256: e.id for e in evidence}
    for sha256, other in uow.evidence.backing_other_cases(list(by_hash), case.id):
        # The same file behind another claim: the strongest sign of a recycled screenshot.
        reuse: dict[str, Fact] = {"other_case": other, "sha256": sha256[:16]}
        findings.append(Finding(FindingKind.FORENSICS, by_hash[sha256], now, reuse, ("evidence_reused",)))
        doubts.append("evidence_reused")
    for read in uow.reads.for_case(case.id):
        doubts.extend(code for code in read.codes if code not in INFORMATIVE)
    standing, known = standing_doubts(ctx, uow, order, case.item_ids, now, case.id)
    findings.extend(known)
    return tuple(dict.fromkeys((*doubts, *standing))), findings


def _revealed(uow: UnitOfWork, case: Case) -> frozenset[str]:
    return frozenset(item for (_, item) in uow.reveals.first_seen([case.order_id]))


def _start_review(ctx: Context, case_id: CaseId) -> Case:
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        if case.status is not CaseStatus.SUBMITTED:
            return case
        now = ctx.clock.now()
        case = move_case(uow, case, CaseStatus.REVIEWING, at=now, actor=SYSTEM, due=now + ctx.sla.machine_review)
        uow.commit()
        return case


def _note(outcome: Outcome) -> str:
    if outcome.missing_evidence:
        return ask_note(outcome.missing_evidence)
    return ""
