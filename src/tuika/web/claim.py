"""The buyer's claim form: filled from the order, evidence per reason, a live estimate, one case per form."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from tuika.domain.cases import Role
from tuika.domain.errors import EvidenceRejected, NotFound, TuikaError
from tuika.domain.ids import EvidenceId, OrderId
from tuika.domain.orders import Order
from tuika.domain.policy import EvidenceKind
from tuika.http.errors import status_for
from tuika.services.claims import evidence, policies
from tuika.services.claims import filing as claims
from tuika.services.context import Actor, Context
from tuika.services.orders import orders
from tuika.web import claim_form as form
from tuika.web import i18n
from tuika.web.session import CsrfChecked, PageError, ctx_of, lang_of, render, signed_in

router = APIRouter(include_in_schema=False)


async def require_claimant(request: Request) -> Actor:
    """Return the signed-in buyer; staff are told the form is the buyer's own."""
    actor = signed_in(request)
    if actor is None:
        raise PageError(401, "signed_out")
    if actor.role is not Role.BUYER:
        raise PageError(403, "claim.buyers_only")
    return actor


async def posted_form(request: Request) -> FormData:
    # Starlette parses a body once and keeps it, so the CSRF check and this share one parse.
    return await request.form()


Claimant = Annotated[Actor, Depends(require_claimant)]
Posted = Annotated[FormData, Depends(posted_form)]


@router.get("/orders/{order_id}/claim", response_class=HTMLResponse)
def claim_page(request: Request, order_id: OrderId, buyer: Claimant) -> Response:
    """Show the claim form for one of the buyer's own orders, filled from the order."""
    ctx = ctx_of(request)
    order = _own_order(ctx, buyer, order_id)
    return _form(request, ctx, buyer, order, form.Draft(reason=form.reason_of(request.query_params.get("reason"))))


@router.get("/orders/{order_id}/claim/precheck")
def claim_precheck(request: Request, order_id: OrderId) -> JSONResponse:
    """Answer the form's script: the expected outcome of a reason, items and attached kinds."""
    lang = lang_of(request)
    actor = signed_in(request)
    if actor is None:
        return _refuse(401, "signed_out", i18n.text(lang, "signed_out"))
    if actor.role is not Role.BUYER:
        return _refuse(403, "buyers_only", i18n.text(lang, "claim.buyers_only"))
    query = request.query_params
    reason = form.reason_of(query.get("reason"))
    if reason is None:
        return _refuse(400, "bad_reason", i18n.text(lang, "claim.bad_reason"))
    items = tuple(query.getlist("item"))
    if not items:
        return _refuse(422, "no_items", i18n.text(lang, "claim.no_items"))
    try:
        kinds = {EvidenceKind(k) for k in query.getlist("has")}
    except ValueError:
        return _refuse(400, "bad_evidence_kind", i18n.text(lang, "claim.bad_evidence_kind"))
    ctx = ctx_of(request)
    try:
        found = form.estimate(ctx, actor, order_id, reason, items, kinds)
    except NotFound:
        return _refuse(404, "not_found", i18n.text(lang, "not_found"))
    except TuikaError as exc:
        return _refuse(status_for(exc), exc.code, form.error_text(lang, exc))
    return JSONResponse(form.shown(ctx, lang, found), headers={"Cache-Control": "no-store"})


@router.post("/orders/{order_id}/claim")
def submit_claim(request: Request, order_id: OrderId, buyer: Claimant, _: CsrfChecked, sent: Posted) -> Response:
    """File the claim: store each chosen screenshot, then submit once under the form's one-time key."""
    ctx = ctx_of(request)
    lang = lang_of(request)
    order = _own_order(ctx, buyer, order_id)
    draft = form.Draft.read(sent)
    kept = dict(draft.kept)
    try:
        choices = form.check(lang, draft, claims.available_routes(ctx, order))
        filed = claims.case_for_key(ctx, buyer, choices.key) or _file(ctx, buyer, lang, order, choices, sent, kept)
    except form.FormProblem as exc:
        status, text = exc.status, exc.text
    except TuikaError as exc:
        status, text = status_for(exc), form.error_text(lang, exc)
    else:
        return RedirectResponse(f"/cases/{filed}", status_code=303)
    # A twin sending of this form (a double click, a retry) may have filed it meanwhile, and
    # this sending then saw the items held or the key taken: the buyer's claim is that case.
    twin = claims.case_for_key(ctx, buyer, draft.key) if draft.key else None
    if twin is not None:
        return RedirectResponse(f"/cases/{twin}", status_code=303)
    # Shown again with every choice kept; files already stored ride along as their ids.
    again = replace(draft, kept=kept)
    return _form(request, ctx, buyer, order, again, status=status, problem=text, reattach=_lost(sent, again))


def _file(
    ctx: Context,
    buyer: Actor,
    lang: i18n.Lang,
    order: Order,
    choices: form.Choices,
    sent: FormData,
    kept: dict[EvidenceKind, str],
) -> str:
    """Check, store the files, submit; return the case id. ``kept`` gains each file stored."""
    rule = policies.current(ctx).rule(order.product_kind, choices.reason)
    needed = rule.evidence if rule is not None else ()
    files = _read_files(ctx, lang, sent, choices, needed)
    attached = set(files) | (set(kept) & set(needed))
    stop = form.blocked(lang, form.estimate(ctx, buyer, order.id, choices.reason, choices.items, attached))
    if stop is not None:
        raise stop
    for kind, data in files.items():
        try:
            kept[kind] = evidence.upload(ctx, buyer, data, kind).id
        except EvidenceRejected as exc:
            why = exc.title_zh if lang == "zh" else exc.title
            raise form.problem(lang, status_for(exc), "file_rejected", kind=_kind(lang, kind), why=why) from exc
    request = claims.ClaimRequest(
        order_id=order.id,
        reason=choices.reason,
        item_ids=choices.items,
        description=choices.description,
        evidence_ids=tuple(EvidenceId(kept[k]) for k in needed if k in kept),
        route=choices.route,
    )
    return claims.submit(ctx, buyer, request, choices.key).case.id


def _read_files(
    ctx: Context, lang: i18n.Lang, sent: FormData, choices: form.Choices, needed: tuple[EvidenceKind, ...]
) -> dict[EvidenceKind, bytes]:
    """Read the chosen reason's files, refusing an oversize one before anything is stored."""
    limit = ctx.files.max_bytes
    found: dict[EvidenceKind, bytes] = {}
    for kind in needed:
        upload = sent.get(form.file_field(choices.reason, kind))
        if not isinstance(upload, UploadFile):
            continue
        data = upload.file.read(limit + 1)
        if not data and not upload.filename:
            continue  # the input was left empty
        if len(data) > limit:
            raise form.problem(lang, 413, "too_big", kind=_kind(lang, kind), mb=form.megabytes(limit))
        found[kind] = data
    return found


def _lost(sent: FormData, draft: form.Draft) -> bool:
    """Tell whether the buyer chose files that the form shown again will not carry."""
    for name, value in sent.multi_items():
        if isinstance(value, UploadFile) and value.filename:
            kind = name.rsplit(".", 1)[-1]
            if kind not in {k.value for k in draft.kept}:
                return True
    return False


def _kind(lang: i18n.Lang, kind: EvidenceKind) -> str:
    return i18n.text(lang, f"evidence.{kind.value}")


def _own_order(ctx: Context, buyer: Actor, order_id: OrderId) -> Order:
    try:
        return orders.get_order(ctx, buyer, order_id)
    except NotFound as exc:
        raise PageError(404, "not_found") from exc


def _refuse(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message}, status_code=status, headers={"Cache-Control": "no-store"})


def _form(
    request: Request,
    ctx: Context,
    buyer: Actor,
    order: Order,
    draft: form.Draft,
    *,
    status: int = 200,
    problem: str | None = None,
    reattach: bool = False,
) -> Response:
    """Render the form with the buyer's choices (or the defaults) and the estimate for them."""
    lang = lang_of(request)
    reasons = form.reason_rows(ctx, order)
    items = form.item_rows(ctx, buyer, order)
    routes = form.route_rows(ctx, order)
    draft = form.default_draft(draft, reasons, routes, form.new_key())
    ticked = form.ticked(draft, items)
    return render(
        request,
        "claim.html",
        status,
        order=order,
        reasons=reasons,
        items=items,
        routes=routes,
        draft=draft,
        ticked=ticked,
        estimate=form.initial_estimate(ctx, buyer, lang, order, draft, ticked),
        # Set by the demo alone: a redeem error drawn for this order, for a newcomer to attach.
        example=_example(request, order),
        problem=problem,
        reattach=reattach,
        max_bytes=ctx.files.max_bytes,
        max_mb=form.megabytes(ctx.files.max_bytes),
        description_max=form.DESCRIPTION_MAX,
        file_field=form.file_field,
        ruled_out=lambda why: i18n.ruled_out(lang, why),
    )


def _example(request: Request, order: Order) -> str | None:
    where = getattr(request.app.state, "example_screenshot", None)
    if not isinstance(where, str) or not any(i.secret is not None for i in order.items):
        return None
    return where.format(order_id=order.id)
