"""Refund cases: submit, follow, withdraw, appeal, add evidence, decide."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from tuika.api import merchant_schemas as m
from tuika.api import present
from tuika.api import schemas as s
from tuika.api.contract import answers
from tuika.domain.cases import CaseStatus, Role
from tuika.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    MerchantResponseNotAllowed,
    NotFound,
    ReplacementKeyInUse,
    ReplacementNotOpen,
    ReplacementNotPossible,
)
from tuika.domain.ids import CaseId, EvidenceId, OrderId, case_number_of
from tuika.domain.merchant import MerchantAction
from tuika.http.deps import Caller, Ctx
from tuika.services import views
from tuika.services.claims import filing as claims
from tuika.services.merchant import replacements, responses
from tuika.services.ports import CaseFilter
from tuika.services.review import decisions as review

router = APIRouter(tags=["refund cases"])
# What a case's own moves can refuse: another role, or the state the case is in.
MOVE = answers(Forbidden, Conflict)
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


@router.post(
    "/v1/refund-cases", response_model=s.CaseOut, status_code=201, responses=answers(Forbidden, NotFound, Conflict)
)
def submit_case(body: s.CaseIn, ctx: Ctx, caller: Caller, response: Response, key: IdempotencyKey = None) -> s.CaseOut:
    """File a claim in one call; resend with the same Idempotency-Key to get the same case."""
    if key is not None and (not key.strip() or not key.isprintable()):
        raise InvalidInput("Idempotency-Key must be printable and not blank")
    request = claims.ClaimRequest(
        order_id=OrderId(body.order_id),
        reason=body.reason,
        item_ids=tuple(body.item_ids or ()),
        description=body.description,
        evidence_ids=tuple(EvidenceId(e) for e in body.evidence_ids or ()),
        route=body.route,
    )
    view = claims.submit(ctx, caller, request, key)
    response.headers["Location"] = f"/v1/refund-cases/{view.case.id}"
    return present.case(view)


@router.get("/v1/refund-cases/{case_id}", response_model=s.CaseOut)
def get_case(case_id: CaseId, ctx: Ctx, caller: Caller) -> s.CaseOut:
    """Return a case: stage, expected time, timeline, decision and payout."""
    return present.case(views.case_view(ctx, caller, case_id))


@router.get("/v1/refund-cases", response_model=s.CasePage, responses=answers(Forbidden, InvalidInput))
def list_cases(
    ctx: Ctx,
    caller: Caller,
    status: Annotated[list[CaseStatus] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    number: Annotated[str | None, Query(max_length=32, description="a refund number, spaces or dashes allowed")] = None,
    order_id: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")] = None,
    updated_after: Annotated[
        s.QueryInstant | None, Query(description="ISO 8601 with a UTC offset", examples=["2025-01-01T08:00:00+08:00"])
    ] = None,
) -> s.CasePage:
    """List cases: a buyer's own, any for staff and the host platform; ``number`` finds the case a person quotes.

    A host platform polls ``updated_after`` for what moved; it reads codes as buyers do.
    """
    wanted = None if number is None else case_number_of(number)
    if number is not None and wanted is None:
        raise InvalidInput(f"{number!r} is not a refund number: 14 digits, spaces or dashes allowed")
    where = CaseFilter(
        statuses=tuple(status or ()),
        number=wanted,
        order_id=order_id,
        updated_after=updated_after,
        after=cursor,
        limit=limit,
    )
    found = views.list_cases(ctx, caller, where)
    stages, now = ctx.sla.stages(), ctx.clock.now()
    return s.CasePage(
        items=[present.summary(c, stages, now) for c in found],
        next_cursor=found[-1].id if len(found) == limit else None,
    )


@router.post("/v1/refund-cases/{case_id}/withdraw", response_model=s.CaseOut, responses=MOVE)
def withdraw(case_id: CaseId, ctx: Ctx, caller: Caller, body: s.NoteIn | None = None) -> s.CaseOut:
    """Withdraw a claim before it is approved."""
    claims.withdraw(ctx, caller, case_id, body.note if body else "")
    return present.case(views.case_view(ctx, caller, case_id))


@router.post("/v1/refund-cases/{case_id}/appeal", response_model=s.CaseOut, responses=MOVE)
def appeal(case_id: CaseId, ctx: Ctx, caller: Caller, body: s.NoteIn | None = None) -> s.CaseOut:
    """Appeal a rejection, once, to fast arbitration."""
    claims.appeal(ctx, caller, case_id, body.note if body else "")
    return present.case(views.case_view(ctx, caller, case_id))


@router.post("/v1/refund-cases/{case_id}/contest", response_model=s.CaseOut, responses=MOVE)
def contest_case(case_id: CaseId, ctx: Ctx, caller: Caller, body: s.NoteIn | None = None) -> s.CaseOut:
    """Contest, as the order's merchant, a claim a person is reviewing: it goes to arbitration."""
    return present.case(responses.contest(ctx, caller, case_id, body.note if body else ""))


@router.post(
    "/v1/refund-cases/{case_id}/merchant-responses",
    response_model=s.CaseOut,
    responses=answers(Forbidden, NotFound, MerchantResponseNotAllowed, ReplacementNotPossible, ReplacementKeyInUse),
)
def merchant_response(case_id: CaseId, body: m.MerchantResponseIn, ctx: Ctx, caller: Caller) -> s.CaseOut:
    """Answer, as the merchant whose goods a claim is on: accept it, offer new keys, contest it, or add a statement.

    Accepting approves the refund; ``replace`` offers new card keys (``replacement_card_key``, or
    ``replacement_card_keys`` one per claimed item) that the buyer may take instead; contesting
    sends the claim to fast arbitration; a statement, with its files, is for the arbitrator and
    the buyer to read. An answer is given once and
    before ``merchant.respond_by``: after it, the claim is taken as accepted.
    """
    request = responses.ResponseRequest(
        MerchantAction(body.action),
        body.note,
        tuple(EvidenceId(e) for e in body.evidence_ids or ()),
        body.replacement_keys(),
    )
    return present.case(responses.respond(ctx, caller, case_id, request))


@router.post(
    "/v1/refund-cases/{case_id}/replacement",
    response_model=s.CaseOut,
    responses=answers(Forbidden, NotFound, ReplacementNotOpen),
)
def replacement_answer(case_id: CaseId, body: m.ReplacementAnswerIn, ctx: Ctx, caller: Caller) -> s.CaseOut:
    """Answer, as the buyer, new keys the merchant offered instead of the money.

    Accepting puts the new keys on the order in place of the claimed ones (read them on the
    order), voids the old ones with the supplier, and ends the claim ``replaced``: nothing is
    refunded for those items. Declining sends the claim back to the person reviewing it. The
    answer is given once and before ``replacement.answer_by``.
    """
    caller.require(Role.BUYER)
    return present.case(replacements.answer(ctx, caller, case_id, accept=body.accept))


@router.post("/v1/refund-cases/{case_id}/evidence", response_model=s.CaseOut, responses=MOVE)
def add_evidence(case_id: CaseId, body: s.EvidenceAddIn, ctx: Ctx, caller: Caller) -> s.CaseOut:
    """Attach more evidence to a case; a case waiting for it is reviewed again."""
    claims.add_evidence(ctx, caller, case_id, tuple(EvidenceId(e) for e in body.evidence_ids), body.note)
    return present.case(views.case_view(ctx, caller, case_id))


@router.post("/v1/refund-cases/{case_id}/decisions", response_model=s.CaseOut, responses=MOVE)
def decide(case_id: CaseId, body: s.DecisionIn, ctx: Ctx, caller: Caller) -> s.CaseOut:
    """Decide a case in review: approve, reject, request evidence or escalate."""
    request = review.DecisionRequest(body.domain_action(), tuple(body.reason_codes), body.note)
    review.decide(ctx, caller, case_id, request)
    return present.case(views.case_view(ctx, caller, case_id))


@router.get("/v1/review-queue", response_model=s.CasePage, responses=answers(Forbidden))
def review_queue(ctx: Ctx, caller: Caller, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> s.CasePage:
    """Return the cases waiting for this agent or arbitrator, the earliest SLA deadline first."""
    found = views.review_queue(ctx, caller, limit)
    stages, now = ctx.sla.stages(), ctx.clock.now()
    return s.CasePage(items=[present.summary(c, stages, now) for c in found], next_cursor=None)
