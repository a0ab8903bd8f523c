"""One claim on the merchant's goods: what the buyer says and showed, what was found, and the merchant's answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.cases import CaseStatus
from tuika.domain.errors import NotFound
from tuika.domain.ids import CaseId, EvidenceId
from tuika.domain.merchant import MAX_EVIDENCE, MAX_NOTE, MerchantAction
from tuika.domain.policy import EvidenceKind
from tuika.services import views
from tuika.services.claims import evidence
from tuika.services.orders import orders
from tuika.services.views import CaseView
from tuika.web import case_view, i18n, merchant_view
from tuika.web.merchant_common import clear_flash, flash_of, reason_words
from tuika.web.session import Merchant, PageError, ctx_of, lang_of, render, shanghai

router = APIRouter(include_in_schema=False)

# A page's body holds one upload limit per kind of evidence (``tuika.app``): at most that many
# images of full size go in one answer from the page, within what the service takes.
FILES_MAX: Final = min(MAX_EVIDENCE, len(EvidenceKind))


@dataclass(frozen=True, slots=True)
class Failed:
    """An answer the form or the service refused, shown above the form with what was typed."""

    message: str
    action: str = ""
    note: str = ""


def page(
    request: Request, merchant: Merchant, case_id: CaseId, status: int = 200, failed: Failed | None = None
) -> Response:
    """Render a claim on the merchant's goods; another merchant's, or none, is the page's 404."""
    ctx, lang = ctx_of(request), lang_of(request)
    try:
        view = views.case_view(ctx, merchant, case_id)
        order = orders.view(ctx, merchant, orders.get_order(ctx, merchant, view.case.order_id), accounts=False)
    except NotFound as exc:
        raise PageError(404, "merchant.case_not_found") from exc
    now = ctx.clock.now()
    built = merchant_view.build(view, order, now, case_view.span(ctx.sla.arbitration, lang), lang)
    done = flash_of(request, case_id)
    shown = render(
        request,
        "merchant_case.html",
        status,
        page=built,
        case=view.case,
        order=order.order,
        reason=reason_words(lang, view.case.reason),
        flash=None if done is None else flash(view, done, lang),
        failed=failed,
        note_max=MAX_NOTE,
        files_max=FILES_MAX,
        max_mb=ctx.files.max_bytes // (1024 * 1024),
    )
    if done is not None:
        clear_flash(shown)
    return shown


def flash(view: CaseView, action: MerchantAction, lang: i18n.Lang) -> str:
    """Return what the answer just given did, as the claim now stands."""
    case = view.case
    if action is MerchantAction.ACCEPT:
        return i18n.text(
            lang, "merchant.flash.accept.refunded" if case.status is CaseStatus.REFUNDED else "merchant.flash.accept"
        )
    if action is MerchantAction.REPLACE:
        if case.status is CaseStatus.REPLACEMENT_OFFERED and case.due_at is not None:
            return i18n.formatted(lang, "merchant.flash.replace", at=shanghai(case.due_at))
        return i18n.text(lang, "merchant.flash.replace.moved")
    if action is MerchantAction.CONTEST:
        if case.status is CaseStatus.ARBITRATION and case.due_at is not None:
            return i18n.formatted(lang, "merchant.flash.contest", at=shanghai(case.due_at))
        return i18n.text(lang, "merchant.flash.contest.moved")
    due = view.merchant_respond_by
    if due is not None:
        return i18n.formatted(lang, "merchant.flash.statement.waiting", at=shanghai(due))
    return i18n.text(lang, "merchant.flash.statement")


@router.get("/merchant/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, merchant: Merchant) -> Response:
    """Show a claim on the merchant's goods with what it may answer, and by when."""
    return page(request, merchant, case_id)


@router.get("/merchant/cases/{case_id}/evidence/{evidence_id}")
def evidence_file(request: Request, case_id: CaseId, evidence_id: EvidenceId, merchant: Merchant) -> Response:
    """Serve an image behind a claim on the merchant's goods, the buyer's or its own; never cached by a shared cache."""
    try:
        record, data = evidence.get(ctx_of(request), merchant, evidence_id)
    except NotFound as exc:
        raise PageError(404, "merchant.evidence_not_found") from exc
    if record.case_id != case_id:
        raise PageError(404, "merchant.evidence_not_found")
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=record.content_type, headers=headers)
