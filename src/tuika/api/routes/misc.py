"""Evidence uploads, ledger accounts, policies and health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from tuika.api import ops_schemas as o
from tuika.api import present
from tuika.api import schemas as s
from tuika.api.contract import answers
from tuika.domain.errors import (
    Conflict,
    EvidenceTooLarge,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
    Forbidden,
    InvalidInput,
    PolicyInvalid,
)
from tuika.domain.ids import EvidenceId
from tuika.domain.money import Money
from tuika.domain.policy import EvidenceKind
from tuika.http.deps import Caller, Ctx
from tuika.services import views
from tuika.services.claims import evidence, policies
from tuika.services.finance import deposits

router = APIRouter()


@router.get("/healthz", tags=["health"])
def healthz(ctx: Ctx) -> dict[str, str]:
    """Tell whether the service and its database answer."""
    with ctx.read() as uow:
        uow.policies.latest_version()
    return {"status": "ok"}


@router.post(
    "/v1/evidence",
    response_model=s.EvidenceOut,
    status_code=201,
    tags=["evidence"],
    responses=answers(Forbidden, EvidenceTooLarge, EvidenceTypeNotAllowed, EvidenceTooManyPixels),
)
def upload_evidence(
    ctx: Ctx,
    caller: Caller,
    file: Annotated[UploadFile, File()],
    kind: Annotated[EvidenceKind | None, Form()] = None,
) -> s.EvidenceOut:
    """Upload a screenshot (PNG, JPEG or WebP, at most 10 MB)."""
    limit = ctx.files.max_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise EvidenceTooLarge(f"the file is larger than {limit} bytes")
    return present.evidence(evidence.upload(ctx, caller, data, kind))


@router.get("/v1/evidence/{evidence_id}", response_model=s.EvidenceOut, tags=["evidence"])
def evidence_meta(evidence_id: EvidenceId, ctx: Ctx, caller: Caller) -> s.EvidenceOut:
    """Return an uploaded file's record."""
    record, _ = evidence.get(ctx, caller, evidence_id)
    return present.evidence(record)


@router.get("/v1/evidence/{evidence_id}/content", tags=["evidence"])
def evidence_content(evidence_id: EvidenceId, ctx: Ctx, caller: Caller) -> Response:
    """Return the uploaded image itself."""
    record, data = evidence.get(ctx, caller, evidence_id)
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=record.content_type, headers=headers)


@router.get(
    "/v1/ledger/accounts/{account}",
    response_model=o.AccountOut,
    tags=["ledger"],
    responses=answers(Forbidden, InvalidInput),
)
def ledger_account(account: str, ctx: Ctx, caller: Caller) -> o.AccountOut:
    """Return a ledger account's balance and newest entries."""
    view = views.account(ctx, caller, account)
    return o.AccountOut(
        account=view.account,
        balance_fen=view.balance.fen,
        entries=[o.EntryOut(at=at, memo=memo, amount_fen=e.amount.fen) for at, memo, e in view.entries],
    )


@router.post(
    "/v1/ledger/deposits",
    response_model=o.DepositOut,
    status_code=201,
    tags=["ledger"],
    responses=answers(Forbidden, InvalidInput, Conflict),
)
def fund_deposit(body: o.DepositIn, ctx: Ctx, caller: Caller, response: Response) -> o.DepositOut:
    """Record money a supplier or merchant paid into its deposit (admin), once per bank reference.

    The same request again answers 200 with the deposit as it stands and posts nothing; the
    reference for another party or amount is 409.
    """
    funded = deposits.fund(ctx, caller, body.kind(), body.who(), Money(body.amount_fen), body.reference)
    if not funded.created:
        response.status_code = 200
    return o.DepositOut(account=funded.account, balance_fen=funded.balance.fen, created=funded.created)


@router.post(
    "/v1/policies",
    response_model=o.PolicyPublished,
    status_code=201,
    tags=["policies"],
    responses=answers(Forbidden, PolicyInvalid),
)
def publish_policy(body: o.PolicyIn, ctx: Ctx, caller: Caller) -> o.PolicyPublished:
    """Publish a new policy version (admin); cases already filed keep the version they were judged under."""
    policy = policies.publish(ctx, caller, dict(body.document))
    return o.PolicyPublished(version=policy.version, title=policy.title)
