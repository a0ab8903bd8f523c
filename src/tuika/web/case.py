"""The buyer's case pages: my claims, one claim's progress, and what the buyer can do on it.

Every action goes through the same services as API v1; a domain error is shown on the page in
the viewer's language, and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Final

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from tuika.domain.cases import Case
from tuika.domain.errors import EvidenceRejected, EvidenceTooLarge, NotFound, TuikaError
from tuika.domain.ids import CaseId, EvidenceId, PayoutId
from tuika.domain.policy import EvidenceKind
from tuika.http.errors import status_for
from tuika.services import views
from tuika.services.claims import evidence
from tuika.services.claims import filing as claims
from tuika.services.context import Actor, Context
from tuika.services.finance import stuck_refunds as finance
from tuika.services.merchant import replacements
from tuika.services.notify import inbox
from tuika.services.ports import CaseFilter
from tuika.web import case_view, i18n
from tuika.web.session import Buyer, CsrfChecked, ctx_of, lang_of, message, render

router = APIRouter(include_in_schema=False)

NOTE_MAX: Final = 2000  # as long as API v1 takes
FILES_MAX: Final = 10
TOLD: Final = 100  # the claim's messages counted for its link to them
PAGE: Final = 200
# A few refusals read better said for the action the buyer just tried.
_SAID: Final[dict[tuple[str, str], str]] = {
    ("withdraw", "illegal_transition"): "case.error.withdraw_late",
    ("withdraw", "case_state_conflict"): "case.error.withdraw_late",
    ("evidence", "conflict"): "case.error.evidence_closed",
    ("replacement", "replacement_not_open"): "case.error.offer_closed",
}


@router.get("/cases", response_class=HTMLResponse)
def my_cases(request: Request, buyer: Buyer) -> Response:
    """List the signed-in buyer's claims, newest first."""
    ctx = ctx_of(request)
    found: list[Case] = []
    while True:
        batch = views.list_cases(ctx, buyer, CaseFilter(after=found[-1].id if found else None, limit=PAGE))
        found.extend(batch)
        if len(batch) < PAGE:
            break
    found.sort(key=lambda c: c.created_at, reverse=True)
    stages, lang = ctx.sla.stages(), lang_of(request)
    rows = [
        {
            "case": c,
            "stage": stages[c.status].zh if lang == "zh" else stages[c.status].en,
            "settled": c.status in case_view.SETTLED,
        }
        for c in found
    ]
    return render(request, "cases.html", rows=rows)


@router.get("/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: CaseId, buyer: Buyer, confirm: str = "") -> Response:
    """Show one claim: its stages, expected time, timeline, screenshots, decision and refund."""
    return _show(request, buyer, case_id, confirming=confirm == "withdraw")


@router.get("/cases/{case_id}/status")
def case_status(request: Request, case_id: CaseId, buyer: Buyer) -> Response:
    """Return where the claim is now, for the page to notice a change without reloading."""
    ctx = ctx_of(request)
    try:
        now = views.progress(ctx, buyer, case_id)
    except NotFound:
        return JSONResponse({"error": "not_found"}, status_code=404, headers={"Cache-Control": "no-store"})
    body = {
        "status": now.case.status.value,
        "stage": now.stage.zh if lang_of(request) == "zh" else now.stage.en,
        "updated_at": now.case.updated_at.isoformat(),
        "payout_status": now.payout.status.value if now.payout else None,
        "final": now.case.status in case_view.SETTLED,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.get("/cases/{case_id}/evidence/{evidence_id}")
def evidence_image(request: Request, case_id: CaseId, evidence_id: EvidenceId, buyer: Buyer) -> Response:
    """Return one of the claim's screenshots to the buyer who uploaded it."""
    try:
        record, data = evidence.get(ctx_of(request), buyer, evidence_id)
    except NotFound:
        return message(request, 404, "case.evidence_not_found")
    if record.case_id != case_id:
        return message(request, 404, "case.evidence_not_found")
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=record.content_type, headers=headers)


@router.post("/cases/{case_id}/withdraw")
def withdraw(
    request: Request, case_id: CaseId, buyer: Buyer, _: CsrfChecked, note: Annotated[str, Form()] = ""
) -> Response:
    """Withdraw the claim (asked to confirm first on the page)."""
    return _act(request, buyer, case_id, "withdraw", note, lambda ctx: claims.withdraw(ctx, buyer, case_id, note))


@router.post("/cases/{case_id}/appeal")
def appeal(
    request: Request, case_id: CaseId, buyer: Buyer, _: CsrfChecked, note: Annotated[str, Form()] = ""
) -> Response:
    """Appeal a rejection, once: it goes to fast arbitration."""
    return _act(request, buyer, case_id, "appeal", note, lambda ctx: claims.appeal(ctx, buyer, case_id, note))


@router.post("/cases/{case_id}/replacement")
def replacement(
    request: Request, case_id: CaseId, buyer: Buyer, _: CsrfChecked, answer: Annotated[str, Form()] = ""
) -> Response:
    """Take the new keys the merchant offered (they go on the order), or decline them and keep the claim."""
    if answer not in ("accept", "decline"):
        return _refuse(request, buyer, case_id, "replacement", "", 422, "case.error.no_answer")
    accept = answer == "accept"
    return _act(
        request, buyer, case_id, "replacement", "", lambda ctx: replacements.answer(ctx, buyer, case_id, accept=accept)
    )


@router.post("/cases/{case_id}/payouts/{payout_id}/to-balance")
def to_balance(request: Request, case_id: CaseId, payout_id: PayoutId, buyer: Buyer, _: CsrfChecked) -> Response:
    """Send a refund that failed by the original route to the balance instead: credited at once."""
    return _act(
        request, buyer, case_id, "to_balance", "", lambda ctx: finance.redirect_to_balance(ctx, buyer, payout_id)
    )


@router.post("/cases/{case_id}/evidence")
def add_evidence(
    request: Request,
    case_id: CaseId,
    buyer: Buyer,
    _: CsrfChecked,
    files: Annotated[list[UploadFile] | None, File()] = None,
    kind: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
) -> Response:
    """Upload more screenshots to the claim; a claim waiting for them goes back to review."""
    ctx = ctx_of(request)
    try:
        views.case_view(ctx, buyer, case_id)  # nothing is stored for a claim that is not the buyer's
    except NotFound:
        return message(request, 404, "case.not_found")
    chosen = [f for f in files or () if f.filename]
    if not chosen:
        return _refuse(request, buyer, case_id, "evidence", note, 422, "case.error.no_file")
    if len(chosen) > FILES_MAX:
        return _refuse(request, buyer, case_id, "evidence", note, 422, "case.error.too_many_files")
    if kind and kind not in EvidenceKind.__members__.values():
        return _refuse(request, buyer, case_id, "evidence", note, 422, "case.error.bad_kind")

    def upload_and_attach(ctx: Context) -> None:
        limit = ctx.files.max_bytes
        ids = []
        for upload in chosen:
            data = upload.file.read(limit + 1)
            if len(data) > limit:
                raise EvidenceTooLarge(f"{upload.filename} is larger than {limit} bytes")
            ids.append(evidence.upload(ctx, buyer, data, EvidenceKind(kind) if kind else None).id)
        claims.add_evidence(ctx, buyer, case_id, tuple(ids), note)

    return _act(request, buyer, case_id, "evidence", note, upload_and_attach)


def _act(
    request: Request, buyer: Actor, case_id: CaseId, form: str, note: str, action: Callable[[Context], object]
) -> Response:
    """Run one of the buyer's actions and go back to the case; a refusal is shown on the page."""
    if len(note) > NOTE_MAX:
        return _refuse(request, buyer, case_id, form, note, 422, "case.error.note_too_long")
    lang = lang_of(request)
    try:
        action(ctx_of(request))
    except NotFound:
        return message(request, 404, "case.not_found")
    except (TuikaError, EvidenceRejected) as exc:
        key = _SAID.get((form, exc.code))
        said = i18n.text(lang, key) if key else (exc.title_zh if lang == "zh" else exc.title)
        status = status_for(exc) if status_for(exc) < 500 else 409
        return _show(request, buyer, case_id, status, error={"form": form, "text": said}, draft=note)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


def _refuse(request: Request, buyer: Actor, case_id: CaseId, form: str, note: str, status: int, key: str) -> Response:
    text = i18n.formatted(lang_of(request), key, n=NOTE_MAX, files=FILES_MAX)
    return _show(request, buyer, case_id, status, error={"form": form, "text": text}, draft=note)


def _show(request: Request, buyer: Actor, case_id: CaseId, status: int = 200, **extra: object) -> Response:
    ctx = ctx_of(request)
    try:
        view = views.case_view(ctx, buyer, case_id)
    except NotFound:
        return message(request, 404, "case.not_found")
    page = case_view.build(view, ctx.sla.stages(), lang_of(request))
    payout = view.payouts[-1].status.value if view.payouts else ""
    told = inbox.inbox(ctx, buyer, case_id=case_id, limit=TOLD).items
    return render(
        request,
        "case.html",
        status,
        page=page,
        payout_status=payout,
        told=len(told),
        kinds=[k.value for k in EvidenceKind],
        max_bytes=ctx.files.max_bytes,
        note_max=NOTE_MAX,
        files_max=FILES_MAX,
        **{"confirming": False, "error": None, "draft": "", **extra},
    )
