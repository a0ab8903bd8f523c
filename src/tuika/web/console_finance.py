"""Finance's queue in the console: refunds stuck at a gateway, the alerts, and the ways out; admins only.

The page lists what ``finance.queue`` returns and acts only through ``finance.redirect_to_balance``,
``finance.resolve_abnormal`` and ``finance.resolve_alert``, the same services as API v1. A refused
action (already sent to the balance, the gateway not answering) is shown beside its row, or above
the lists when the row is gone, and nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden, NotFound, TuikaError
from tuika.domain.ids import PayoutId
from tuika.domain.payouts import Payout
from tuika.http.errors import status_for
from tuika.services.context import Actor, Context
from tuika.services.finance import stuck_refunds as finance
from tuika.web import i18n
from tuika.web.session import CsrfChecked, PageError, Staff, ctx_of, lang_of, render

router = APIRouter(include_in_schema=False)

PAGE: Final = "/console/finance"
FLASH: Final = "tuika_finance_flash"
_FLASH_VALUE: Final = re.compile(r"^(to_balance|resolve_abnormal|resolve_alert)\.([A-Za-z0-9_]{1,64})$")
_NOTE_LIMIT: Final = 500


@dataclass(frozen=True, slots=True)
class Late:
    """A refund still processing past the gateway's expected time, and how long it has been."""

    payout: Payout
    age: str


@dataclass(frozen=True, slots=True)
class Failed:
    """An action the service refused: on which payout (or alert), which action, and why in the viewer's words."""

    payout_id: str
    action: str
    text: str


def age(length: timedelta, lang: i18n.Lang) -> str:
    """Return how long a refund has waited, to the hour past a day and to the minute below.

    >>> age(timedelta(days=4, hours=2, minutes=5), "en")
    '4 d 2 h'
    """
    minutes = max(0, int(length.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    if days:
        return i18n.formatted(lang, "console.finance.age.days", d=days, h=rest // 60)
    if rest >= 60:
        return i18n.formatted(lang, "console.finance.age.hours", h=rest // 60, m=rest % 60)
    return i18n.formatted(lang, "console.finance.age.minutes", m=rest)


def require_admin(actor: Actor) -> None:
    """Turn away agents and arbitrators: the refunds' money is finance's, and finance is an admin."""
    if actor.role is not Role.ADMIN:
        raise PageError(403, "console.finance.admins_only")


@router.get(PAGE, response_class=HTMLResponse)
def finance_page(request: Request, staff: Staff) -> Response:
    """List abnormal, failed and overdue refunds and the gateways' alerts, each with what finance may do."""
    require_admin(staff)
    found = _FLASH_VALUE.match(request.cookies.get(FLASH, ""))
    flash = None if found is None else (found.group(1), found.group(2))
    page = _show(request, staff, flash=flash)
    if flash is not None:
        page.delete_cookie(FLASH, path=PAGE)
    return page


@router.post(PAGE + "/payouts/{payout_id}/to-balance")
def to_balance(request: Request, payout_id: PayoutId, staff: Staff, _: CsrfChecked) -> Response:
    """Send a failed or abnormal original-route refund to the buyer's balance instead, once."""
    return _act(request, staff, payout_id, "to_balance", lambda ctx: finance.redirect_to_balance(ctx, staff, payout_id))


@router.post(PAGE + "/payouts/{payout_id}/resolve-abnormal")
def resolve_abnormal(request: Request, payout_id: PayoutId, staff: Staff, _: CsrfChecked) -> Response:
    """Take the gateway's way out of an abnormal refund: to the merchant's bank card, who pays the buyer."""
    return _act(
        request, staff, payout_id, "resolve_abnormal", lambda ctx: finance.resolve_abnormal(ctx, staff, payout_id)
    )


@router.post(PAGE + "/alerts/{alert_id}/resolve")
async def resolve_alert(request: Request, alert_id: str, staff: Staff, _: CsrfChecked) -> Response:
    """Resolve an alert with finance's note; a disputed refund is settled by its own gateway, asked again."""
    require_admin(staff)
    form = await request.form()
    field = form.get("note")
    note = field.strip() if isinstance(field, str) else ""
    if not note or len(note) > _NOTE_LIMIT:
        said = i18n.formatted(lang_of(request), "console.finance.error.note", limit=_NOTE_LIMIT)
        return _show(request, staff, 422, Failed(alert_id, "resolve_alert", said))

    def run(ctx: Context) -> str:
        outcome = finance.resolve_alert(ctx, staff, alert_id, note).outcome
        assert outcome is not None
        return outcome.value

    return await run_in_threadpool(_act, request, staff, alert_id, "resolve_alert", run)


def _act(request: Request, staff: Actor, payout_id: str, action: str, run: Callable[[Context], object]) -> Response:
    """Run one of finance's actions and go back to the queue; a refusal is shown on the queue.

    The flash names the payout acted on, or for an alert how it ended (what ``run`` returns).
    """
    require_admin(staff)
    lang = lang_of(request)
    try:
        said_back = run(ctx_of(request))
    except NotFound:
        missing = "alert_not_found" if action == "resolve_alert" else "not_found"
        said = i18n.text(lang, f"console.finance.error.{missing}")
        return _show(request, staff, 404, Failed(payout_id, action, said))
    except TuikaError as exc:
        said = exc.title_zh if lang == "zh" else exc.title
        status = status_for(exc) if status_for(exc) < 500 else 409
        return _show(request, staff, status, Failed(payout_id, action, said))
    done = RedirectResponse(PAGE, status_code=303)
    told = said_back if isinstance(said_back, str) else payout_id
    done.set_cookie(FLASH, f"{action}.{told}", max_age=60, httponly=True, samesite="lax", path=PAGE)
    return done


def _show(
    request: Request,
    staff: Actor,
    status: int = 200,
    failed: Failed | None = None,
    flash: tuple[str, str] | None = None,
) -> Response:
    ctx, lang = ctx_of(request), lang_of(request)
    try:
        queue = finance.queue(ctx, staff)
    except Forbidden as exc:
        raise PageError(403, "console.finance.admins_only") from exc
    now = ctx.clock.now()
    late = [Late(p, age(now - p.sent_at, lang)) for p in queue.overdue if p.sent_at is not None]
    listed = {p.id for p in (*queue.abnormal, *queue.failed)} | {a.id for a in queue.alerts}

    def word(key: str, default: str) -> str:
        return i18n.text(lang, key) if key in i18n.CATALOGUE else default

    return render(
        request,
        "console_finance.html",
        status,
        queue=queue,
        late=late,
        failed=failed,
        # A refusal about a row still listed is shown in that row; otherwise above the lists.
        failed_in_row=failed is not None and failed.payout_id in listed,
        flash=flash,
        word=word,
        section="finance",
    )
