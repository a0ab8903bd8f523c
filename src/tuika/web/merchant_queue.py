"""The merchant's claims: its refund figures at a glance, the claims waiting for its answer, then the rest."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.ids import CaseId
from tuika.services.finance import balances
from tuika.services.merchant import claims, stats
from tuika.services.merchant.claims import MerchantClaim
from tuika.services.merchant.stats import PeriodStats
from tuika.web import i18n
from tuika.web.merchant_common import Clock, clock, percent, reason_words, status_words
from tuika.web.session import Merchant, ctx_of, lang_of, render

router = APIRouter(include_in_schema=False)

# A case id as ``new_id`` makes them; anything else in ``?before=`` starts at the newest.
_CASE_ID: Final = re.compile(r"^rc_[0-9a-z_]{1,60}$")


@dataclass(frozen=True, slots=True)
class Row:
    """One claim in the list, in words."""

    claim: MerchantClaim
    reason: str
    # Where the claim is, or that it waits for the merchant's answer (or its deadline passed).
    tag: str
    clock: Clock | None
    # How the merchant's window closed, in words, once it has.
    answered: str | None


@dataclass(frozen=True, slots=True)
class Figures:
    """One period's figures in words."""

    period: str
    figures: PeriodStats
    rate: str
    reasons: tuple[str, ...]


@router.get("/merchant", response_class=HTMLResponse)
def claims_page(request: Request, merchant: Merchant, before: str = "") -> Response:
    """List the claims on the merchant's goods under its refund figures, those waiting for its answer first."""
    ctx, lang = ctx_of(request), lang_of(request)
    now = ctx.clock.now()
    start = CaseId(before) if _CASE_ID.match(before) else None
    found = claims.claims(ctx, merchant, before=start)
    figures = stats.statistics(ctx, merchant, now)
    funds = balances.standing(ctx, merchant, f"merchant:{merchant.subject}", limit=1).balances
    return render(
        request,
        "merchant_queue.html",
        waiting=[_row(c, now, lang) for c in found.waiting],
        others=[_row(c, now, lang) for c in found.others],
        older=found.older,
        paged=start is not None,
        figures=[_figures(p, lang) for p in figures.periods],
        counted_at=figures.at,
        funds=funds,
    )


def _row(claim: MerchantClaim, now: datetime, lang: i18n.Lang) -> Row:
    window = claim.window
    answered = None
    if window is not None and not window.open and window.outcome is not None:
        answered = i18n.text(lang, f"merchant.answered.{window.outcome}")
    due = None if claim.respond_by is None else clock(claim.respond_by, now, lang)
    if due is None:
        tag = status_words(lang, claim.case.status)
    else:
        tag = i18n.text(lang, "merchant.late" if due.overdue else "merchant.waiting")
    return Row(
        claim=claim,
        reason=reason_words(lang, claim.case.reason),
        tag=tag,
        clock=due,
        answered=answered,
    )


def _figures(p: PeriodStats, lang: i18n.Lang) -> Figures:
    rate = p.refund_rate
    return Figures(
        period=i18n.formatted(lang, "merchant.stats.period", days=p.days),
        figures=p,
        rate=i18n.text(lang, "merchant.stats.no_rate") if rate is None else percent(rate),
        reasons=tuple(
            i18n.formatted(lang, "merchant.stats.reason_count", reason=reason_words(lang, r), n=n)
            for r, n in p.top_reasons
        ),
    )
