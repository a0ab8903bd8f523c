"""The console's queue: the cases waiting for this person, the nearest deadline first, filtered."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tuika.domain.cases import CaseStatus
from tuika.domain.errors import Forbidden
from tuika.domain.money import Money
from tuika.domain.orders import ProductKind
from tuika.domain.policy import Reason
from tuika.services.review import console
from tuika.services.review.console import QueueFilter
from tuika.web.console_common import clear_flash, countdown, flash_of, named, said
from tuika.web.session import PageError, Staff, ctx_of, lang_of, render

router = APIRouter(include_in_schema=False)

QUEUE_NAMES: Final = {"manual_review": CaseStatus.MANUAL_REVIEW, "arbitration": CaseStatus.ARBITRATION}
_MERCHANT: Final = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
_YUAN: Final = re.compile(r"^\d{1,8}(?:\.\d{1,2})?$")
FIELDS: Final = ("queue", "reason", "kind", "merchant", "min", "max")


@dataclass
class Filters:
    """The filter form as sent: the values to show back, what was wrong, and the filter that holds."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    where: QueueFilter = field(default_factory=QueueFilter)

    @property
    def active(self) -> bool:
        return any(self.values.get(name) for name in FIELDS if name != "queue")


def parse(query: Mapping[str, str]) -> Filters:
    """Read the filter form; a bad value is reported by field and left out of the filter."""
    form = Filters(values={name: query.get(name, "").strip()[:100] for name in FIELDS})
    values, errors = form.values, form.errors
    status = reason = kind = merchant = low = high = None
    if values["queue"] and values["queue"] != "all":
        status = QUEUE_NAMES.get(values["queue"])
        if status is None:
            errors["queue"] = "console.filter.bad_queue"
    if values["reason"]:
        reason = next((r for r in Reason if r.value == values["reason"]), None)
        if reason is None:
            errors["reason"] = "console.filter.bad_reason"
    if values["kind"]:
        kind = next((k for k in ProductKind if k.value == values["kind"]), None)
        if kind is None:
            errors["kind"] = "console.filter.bad_kind"
    if values["merchant"]:
        if _MERCHANT.match(values["merchant"]):
            merchant = values["merchant"]
        else:
            errors["merchant"] = "console.filter.bad_merchant"
    for name in ("min", "max"):
        if values[name]:
            amount = _money(values[name])
            if amount is None:
                errors[name] = "console.filter.bad_amount"
            elif name == "min":
                low = amount
            else:
                high = amount
    if low is not None and high is not None and low > high:
        errors["max"] = "console.filter.min_above_max"
        high = None
    form.where = QueueFilter(status, reason, kind, merchant, low, high)
    return form


def _money(text: str) -> Money | None:
    if not _YUAN.match(text):
        return None
    try:
        return Money(int(Decimal(text) * 100))
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        return None


@router.get("/console", response_class=HTMLResponse)
def queue_page(request: Request, staff: Staff) -> Response:
    """List the cases waiting for this person with live deadlines, filtered by the form."""
    ctx, lang = ctx_of(request), lang_of(request)
    form = parse(request.query_params)
    mine = console.statuses_for(staff)
    try:
        entries = console.queue(ctx, staff, form.where)
    except Forbidden as exc:
        raise PageError(403, "console.arbitration_only") from exc
    now, flash = ctx.clock.now(), flash_of(request)
    rows = [(entry, countdown(ctx, entry.case, now, lang)) for entry in entries]
    tabs = ["all", *(name for name, status in QUEUE_NAMES.items() if status in mine)] if len(mine) > 1 else []
    shown = form.values["queue"] if form.values["queue"] in QUEUE_NAMES else "all"
    page = render(
        request,
        "console_queue.html",
        400 if form.errors else 200,
        rows=rows,
        form=form,
        tabs=tabs,
        shown=shown,
        reasons=list(Reason),
        kinds=list(ProductKind),
        flash=flash,
        stages=ctx.sla.stages(),
        said=lambda code: said(lang, code),
        named=named,
    )
    if flash is not None:
        clear_flash(page)
    return page
