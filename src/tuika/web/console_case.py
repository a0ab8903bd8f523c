"""One case in the console: the order, the screenshots with what was read on them, the signals, the buyer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.cases import CaseStatus, DecisionAction
from tuika.domain.errors import NotFound
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.suggestion import Suggestion
from tuika.review.reading import EvidenceRead
from tuika.services.claims import evidence
from tuika.services.ports import EvidenceRecord
from tuika.services.review import console
from tuika.services.review.console import CaseFile
from tuika.web import i18n
from tuika.web.console_common import (
    ACTIONS,
    clear_flash,
    countdown,
    fact_label,
    fact_value,
    flash_of,
    legend,
    named,
    said,
)
from tuika.web.console_marks import Mark, marks
from tuika.web.session import PageError, Staff, ctx_of, lang_of, render, shanghai

router = APIRouter(include_in_schema=False)

# The reason codes a person may give for each action, the most usual first. The service takes
# any published code; the console offers those that make sense for the action.
REASONS: Final[dict[DecisionAction, tuple[str, ...]]] = {
    DecisionAction.APPROVE: (
        "evidence_confirms_claim",
        "supplier_confirmed_fault",
        "merchant_confirmed_fault",
        "policy_refundable",
        "goodwill",
        "policy_exception",
    ),
    DecisionAction.REJECT: (
        "evidence_insufficient",
        "evidence_inconsistent",
        "card_used_by_buyer",
        "evidence_reused",
        "duplicate_claim",
        "suspected_fraud",
        "refund_window_closed",
        "reason_not_refundable",
    ),
    DecisionAction.REQUEST_EVIDENCE: ("evidence_insufficient", "evidence_missing", "evidence_unreadable"),
    DecisionAction.ESCALATE: ("escalated_by_agent", "merchant_disputes", "suspected_fraud", "needs_human_judgement"),
}
# Where a person's decision is wanted; elsewhere the forms are not offered (the service decides anyway).
DECIDABLE: Final = frozenset({CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION})
SHORTCUTS: Final = {
    DecisionAction.APPROVE: "a",
    DecisionAction.REJECT: "r",
    DecisionAction.REQUEST_EVIDENCE: "e",
    DecisionAction.ESCALATE: "s",
}
# Codes that mean the screenshot itself, or what was delivered, is in doubt: shown as warnings at the top.
WARNINGS: Final = (
    "card_key_in_other_order",
    "evidence_reused",
    "screenshot_similar_to_other_claim",
    "image_edited",
    "screenshot_time_before_payment",
)
SUPPLIER_KINDS: Final = frozenset(
    {FindingKind.SUPPLIER_CARD, FindingKind.SUPPLIER_TOPUP, FindingKind.SUPPLIER_UNAVAILABLE, FindingKind.SUPPLIER_VOID}
)


@dataclass(frozen=True, slots=True)
class Shot:
    """A screenshot with the machine's read of it and the fields located on it."""

    file: EvidenceRecord
    read: EvidenceRead | None
    marks: tuple[Mark, ...]

    @property
    def boxed(self) -> tuple[Mark, ...]:
        return tuple(m for m in self.marks if m.box is not None)


@dataclass(frozen=True, slots=True)
class Failed:
    """A decision the form or the service refused, to show beside the form it came from."""

    action: str
    message: str
    code: str = ""
    note: str = ""


def shots(file: CaseFile) -> list[Shot]:
    reads = {r.evidence_id: r for r in file.view.reads}
    return [Shot(e, reads.get(e.id), tuple(marks(reads[e.id])) if e.id in reads else ()) for e in file.view.evidence]


def warnings(findings: tuple[Finding, ...]) -> list[tuple[str, Finding]]:
    """Return (code, finding) for each doubt about a screenshot or a delivered key, the gravest first."""
    doubting = (FindingKind.FORENSICS, FindingKind.DELIVERY)
    found = [(code, f) for f in findings if f.kind in doubting for code in f.codes if code in WARNINGS]
    return sorted(found, key=lambda pair: WARNINGS.index(pair[0]))


def summary(suggestion: Suggestion | None) -> str | None:
    """Return the catalogue key of the machine's summary of a case waiting on a person.

    It is read off the suggestion and nothing else, so the sentence at the top of the machine's
    card and the decision suggested under it cannot point two ways.
    """
    if suggestion is None:
        return None
    return f"console.lean.{suggestion.action.value}" + (".check" if suggestion.check else "")


def page(request: Request, staff: Staff, case_id: CaseId, status: int = 200, failed: Failed | None = None) -> Response:
    """Render a case for staff, with a word on the case decided just before; no such case is a 404 page."""
    ctx, lang = ctx_of(request), lang_of(request)
    try:
        file = console.case_file(ctx, staff, case_id)
    except NotFound as exc:
        raise PageError(404, "console.case_not_found") from exc
    order = file.order.order
    amounts = order.item_amounts()
    activated = {i.id: i.activated_at for i in order.items}
    items = [
        {
            "view": item,
            "amount": amounts[item.id],
            "claimed": item.id in file.case.item_ids,
            "activated_at": activated.get(item.id),
        }
        for item in file.order.items
    ]
    findings = file.view.findings
    decidable = file.case.status in DECIDABLE
    flash = flash_of(request)
    shown = render(
        request,
        "console_case.html",
        status,
        file=file,
        case=file.case,
        order=order,
        items=items,
        stage=file.view.stage,
        countdown=countdown(ctx, file.case, ctx.clock.now(), lang),
        shots=shots(file),
        warnings=warnings(findings),
        shanghai_iso=lambda value: shanghai(datetime.fromisoformat(str(value))),
        forensics=[f for f in findings if f.kind is FindingKind.FORENSICS],
        supplier=[f for f in findings if f.kind in SUPPLIER_KINDS],
        flagged=[f for f in findings if f.kind is FindingKind.HISTORY],
        actions=[(a, REASONS[a], SHORTCUTS[a]) for a in ACTIONS],
        action_names=[a.value for a in ACTIONS],
        decidable=decidable,
        summary=summary(file.suggestion) if decidable else None,
        failed=failed,
        flash=flash if flash is not None and flash[1] != case_id else None,
        stages=ctx.sla.stages(),
        said=lambda code: said(lang, code),
        legend=legend(lang),
        merchant_named=named(order.merchant_name, order.merchant_id),
        supplier_named=named(order.supplier_name, order.supplier_id),
        word=lambda key, default: i18n.text(lang, key) if key in i18n.CATALOGUE else default,
        fact_label=lambda name: fact_label(lang, name),
        fact_value=lambda value: fact_value(lang, value),
    )
    if flash is not None:
        clear_flash(shown)
    return shown


@router.get("/console/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, staff: Staff) -> Response:
    """Show one case with everything a person weighs, and the four decisions with their shortcuts."""
    return page(request, staff, case_id)


@router.get("/console/evidence/{evidence_id}")
def evidence_file(request: Request, evidence_id: EvidenceId, staff: Staff) -> Response:
    """Serve a screenshot to staff, never to be cached by anything shared."""
    try:
        record, data = evidence.get(ctx_of(request), staff, evidence_id)
    except NotFound as exc:
        raise PageError(404, "console.evidence_not_found") from exc
    headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=record.content_type, headers=headers)
