"""Refund gateways' notices, and the ways out of a refund that did not go through."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from tuika.api import ops_schemas as o
from tuika.api import present
from tuika.api import schemas as s
from tuika.api.contract import answers
from tuika.domain.errors import Conflict, Forbidden
from tuika.domain.ids import PayoutId
from tuika.domain.payouts import PayoutRoute
from tuika.http.deps import Caller, Ctx
from tuika.services.finance import stuck_refunds as finance
from tuika.services.payouts import notices

router = APIRouter()
# The gateways' own names in the notify URL a merchant registers with them.
_NOTIFY_ROUTES = {route.value: route for route in PayoutRoute if route is not PayoutRoute.BALANCE}


@router.post("/v1/notify/{route}", tags=["gateway notices"], include_in_schema=False)
async def gateway_notice(route: str, request: Request, ctx: Ctx) -> Response:
    """Take an asynchronous notice from a gateway: verified, kept once, applied once, answered as it expects."""
    known = _NOTIFY_ROUTES.get(route)
    if known is None:
        return Response(status_code=404)
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    status, reply_headers, reply = await run_in_threadpool(notices.receive, ctx, known, headers, body)
    return Response(reply, status_code=status, headers=reply_headers)


@router.post(
    "/v1/payouts/{payout_id}/redirect-to-balance",
    response_model=s.PayoutOut,
    tags=["payouts"],
    responses=answers(Forbidden, Conflict),
)
def redirect_to_balance(payout_id: PayoutId, ctx: Ctx, caller: Caller) -> s.PayoutOut:
    """Send a failed or abnormal original-route refund to the balance instead (the buyer or finance, once)."""
    return present.payout(finance.redirect_to_balance(ctx, caller, payout_id))


@router.post(
    "/v1/payouts/{payout_id}/resolve-abnormal",
    response_model=s.PayoutOut,
    tags=["payouts"],
    responses=answers(Forbidden, Conflict),
)
def resolve_abnormal(payout_id: PayoutId, ctx: Ctx, caller: Caller) -> s.PayoutOut:
    """Take the gateway's way out of an abnormal refund (WeChat Pay: to the merchant's bank card); finance only."""
    return present.payout(finance.resolve_abnormal(ctx, caller, payout_id))


@router.get("/v1/finance/refunds", response_model=o.FinanceOut, tags=["payouts"], responses=answers(Forbidden))
def finance_queue(ctx: Ctx, caller: Caller) -> o.FinanceOut:
    """Return the refunds waiting for finance, and the alerts where a gateway contradicted our record."""
    found = finance.queue(ctx, caller)
    return o.FinanceOut(
        abnormal=[present.payout(p) for p in found.abnormal],
        failed=[present.payout(p) for p in found.failed],
        overdue=[present.payout(p) for p in found.overdue],
        disputed=[present.payout(p, disputed=True) for p in found.disputed],
        alerts=[present.alert(a) for a in found.alerts],
    )


@router.post(
    "/v1/finance/alerts/{alert_id}/resolve",
    response_model=o.AlertOut,
    tags=["payouts"],
    responses=answers(Forbidden, Conflict),
)
def resolve_alert(alert_id: str, body: o.ResolveAlertIn, ctx: Ctx, caller: Caller) -> o.AlertOut:
    """Resolve an alert; a dispute is settled by the payout's own gateway, asked again now (finance only)."""
    return present.alert(finance.resolve_alert(ctx, caller, alert_id, body.note))
