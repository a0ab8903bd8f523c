"""The claim form's parts: the buyer's choices as sent, their checks, the rows shown, the estimate.

Nothing here decides a claim: the rows come from the policy service, the estimate from
``review.precheck`` (the function the review itself uses), and the checks only refuse input
that cannot be a claim at all, before any file is stored.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

from starlette.datastructures import ImmutableMultiDict

from tuika.domain.cases import Route
from tuika.domain.errors import TuikaError
from tuika.domain.evaluate import Outcome, Path
from tuika.domain.ids import OrderId
from tuika.domain.orders import Order
from tuika.domain.policy import EvidenceKind, Reason, Rule
from tuika.domain.prediction import Prediction, sentence
from tuika.domain.reason_codes import describe
from tuika.services.claims import filing as claims
from tuika.services.claims import policies
from tuika.services.claims.policies import WindowState
from tuika.services.context import Actor, Context
from tuika.services.orders import orders, reveals
from tuika.services.review import precheck as prechecks
from tuika.web import i18n
from tuika.web.session import yuan

DESCRIPTION_MAX: Final = 500
_KEY: Final = re.compile(r"[A-Za-z0-9_-]{16,64}")
_ID: Final = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
# Codes that say nothing once the estimate has been adjusted for the files attached.
E = TypeVar("E", Reason, Route)


# Form fields or query parameters: both are Starlette multi-dicts.
Fields = ImmutableMultiDict[str, object]


class FormProblem(Exception):
    """A message for the buyer (already in their language) and the status to show the form with."""

    def __init__(self, status: int, text: str, code: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.code = code


def problem(lang: i18n.Lang, status: int, key: str, **values: object) -> FormProblem:
    """Return a problem whose message is ``claim.<key>`` from the catalogue."""
    return FormProblem(status, i18n.formatted(lang, f"claim.{key}", **values), key)


def new_key() -> str:
    """Return a fresh one-time key: the form's Idempotency-Key, so a resent form finds its case."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True, slots=True)
class Draft:
    """The form as the buyer left it, read leniently so it can always be shown again."""

    reason: Reason | None = None
    items: tuple[str, ...] | None = None  # None: nothing sent yet, so every free item is ticked
    route: Route | None = None
    description: str = ""
    key: str = ""
    kept: Mapping[EvidenceKind, str] = field(default_factory=dict)

    @classmethod
    def read(cls, fields: Fields) -> Draft:
        """Read the draft a form sent; anything malformed reads as not chosen."""
        items = [i for i in fields.getlist("item") if isinstance(i, str) and _ID.fullmatch(i)]
        kept = {}
        for kind in EvidenceKind:
            value = fields.get(f"kept.{kind.value}")
            if isinstance(value, str) and _ID.fullmatch(value):
                kept[kind] = value
        key = fields.get("key")
        description = fields.get("description")
        return cls(
            reason=_enum(Reason, fields.get("reason")),
            items=tuple(dict.fromkeys(items)),
            route=_enum(Route, fields.get("route")),
            description=description if isinstance(description, str) else "",
            key=key if isinstance(key, str) and _KEY.fullmatch(key) else "",
            kept=kept,
        )


@dataclass(frozen=True, slots=True)
class Choices:
    """A draft that can be filed: a reason, ticked items, an available route and a short note."""

    reason: Reason
    items: tuple[str, ...]
    route: Route
    description: str
    key: str


def check(lang: i18n.Lang, draft: Draft, routes: Collection[str]) -> Choices:
    """Return the draft's choices, or raise the first thing the buyer must fix."""
    if not draft.key:
        raise problem(lang, 400, "stale_form")
    if draft.reason is None:
        raise problem(lang, 422, "bad_reason")
    if not draft.items:
        raise problem(lang, 422, "no_items")
    if draft.route is None or draft.route.value not in routes:
        raise problem(lang, 422, "bad_route")
    if len(draft.description) > DESCRIPTION_MAX:
        raise problem(lang, 422, "too_long", n=DESCRIPTION_MAX)
    return Choices(draft.reason, draft.items, draft.route, draft.description.strip(), draft.key)


def reason_of(value: object) -> Reason | None:
    """Return the reason a form or link names, None for anything else."""
    return _enum(Reason, value)


def file_field(reason: Reason, kind: EvidenceKind) -> str:
    """Return the name of a file input: one per kind, grouped by the reason that needs it."""
    return f"file.{reason.value}.{kind.value}"


def megabytes(size: int) -> str:
    """Return a byte count as megabytes for people: 10, 2.5, 0.1."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def _enum(kind: type[E], value: object) -> E | None:
    try:
        return kind(value) if isinstance(value, str) else None
    except ValueError:
        return None


# ---- what the page shows ----


@dataclass(frozen=True, slots=True)
class ReasonRow:
    reason: Reason
    rule: Rule
    deadline: datetime | None
    available: bool  # refundable under the policy and its window still open
    fee_fen: int
    state: WindowState = WindowState.OPEN
    why: tuple[str, ...] = ()  # what in the order's record rules it out, as evaluate says


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: str
    label: str  # the card key masked, or the account topped up in full: the form is its buyer's
    held_by: str | None


@dataclass(frozen=True, slots=True)
class RouteRow:
    route: Route
    available: bool


def reason_rows(ctx: Context, order: Order) -> list[ReasonRow]:
    """Return every reason for the order's kind with its rule, its own deadline, its fee and where it stands."""
    policy, revealed = reveals.for_rules(ctx, policies.current(ctx), order.id)
    return [
        ReasonRow(
            row.rule.reason,
            row.rule,
            row.deadline,
            row.open,
            row.rule.fee.on(order.amount).fen if row.rule.refundable else 0,
            row.state,
            row.why,
        )
        for row in policies.for_order(policy, order, ctx.clock.now(), revealed)
    ]


def item_rows(ctx: Context, buyer: Actor, order: Order) -> list[ItemRow]:
    """Return the buyer's own order's items, keys masked, accounts in full, each with the claim holding it."""
    held = orders.held_items(ctx, order.id)
    shown = orders.view(ctx, buyer, order, accounts=True)
    return [ItemRow(i.id, i.card_key or i.account or "", held.get(i.id)) for i in shown.items]


def route_rows(ctx: Context, order: Order) -> list[RouteRow]:
    """Return both routes, marking the one the order cannot be refunded by now."""
    available = claims.available_routes(ctx, order)
    return [RouteRow(route, route.value in available) for route in Route]


def default_draft(draft: Draft, reasons: list[ReasonRow], routes: list[RouteRow], key: str) -> Draft:
    """Fill what the buyer has not chosen (or cannot choose): the first open reason and route."""
    open_reasons = [r.reason for r in reasons if r.available]
    reason = draft.reason if draft.reason in open_reasons else next(iter(open_reasons), None)
    open_routes = [r.route for r in routes if r.available]
    route = draft.route if draft.route in open_routes else next(iter(open_routes), None)
    return Draft(reason, draft.items, route, draft.description, draft.key or key, draft.kept)


def ticked(draft: Draft, items: list[ItemRow]) -> frozenset[str]:
    """Return the items to show ticked: the buyer's, or every item no other claim holds."""
    if draft.items is not None:
        return frozenset(draft.items)
    return frozenset(i.id for i in items if i.held_by is None)


# ---- the estimate ----


@dataclass(frozen=True, slots=True)
class Estimate:
    path: Path
    outcome: Outcome
    missing: tuple[EvidenceKind, ...]
    prediction: Prediction


def estimate(
    ctx: Context,
    buyer: Actor,
    order_id: OrderId,
    reason: Reason,
    items: tuple[str, ...],
    attached: Collection[EvidenceKind],
) -> Estimate:
    """Return what the claim would get now, by the same function the review uses."""
    prediction = prechecks.precheck(ctx, buyer, order_id, reason, items, tuple(attached))
    outcome = prediction.outcome
    missing = outcome.missing_evidence if outcome.path is Path.REQUEST_EVIDENCE else ()
    return Estimate(outcome.path, outcome, tuple(missing), prediction)


def initial_estimate(
    ctx: Context, buyer: Actor, lang: i18n.Lang, order: Order, draft: Draft, ticked: Collection[str]
) -> dict[str, Any]:
    """Return the estimate the page opens with, so it says something true without the script."""
    if draft.reason is None:
        return _note(i18n.text(lang, "claim.pick_reason"))
    if not ticked:
        # With every item claimed already there is nothing to tick: say so, not "tick one".
        free = [i for i in order.items if i.id not in orders.held_items(ctx, order.id)]
        return _note(i18n.text(lang, "claim.no_items" if free else "policy.all_held"))
    try:
        found = estimate(ctx, buyer, order.id, draft.reason, tuple(sorted(ticked)), set(draft.kept))
    except TuikaError as exc:
        return _note(error_text(lang, exc))
    return shown(ctx, lang, found)


def _note(text: str) -> dict[str, Any]:
    return dict.fromkeys(("path", "refundable", "fee", "payout", "missing"), "") | {
        "text": text,
        "priced": False,
        "why": [],
    }


def _said(lang: i18n.Lang, code: str) -> str:
    zh, en = describe(code)
    return zh if lang == "zh" else en


def kinds_text(lang: i18n.Lang, kinds: Collection[EvidenceKind]) -> str:
    return ("、" if lang == "zh" else ", ").join(i18n.text(lang, f"evidence.{k.value}") for k in kinds)


def shown(ctx: Context, lang: i18n.Lang, est: Estimate) -> dict[str, Any]:
    """Return the estimate as the page and its script show it, in the viewer's language."""
    outcome = est.outcome
    zh, en = sentence(est.prediction, ctx.sla.review_hours())
    # The missing files have their own line; every other code says why the path is what it is.
    why = [_said(lang, c) for c in outcome.reason_codes if c != "evidence_missing"]
    return {
        "path": est.path.value,
        "text": zh if lang == "zh" else en,
        # A claim that will be refused pays nothing, so its amounts would only mislead.
        "priced": est.path is not Path.REJECT,
        "refundable": yuan(outcome.refundable.fen),
        "fee": yuan(outcome.fee.fen),
        "payout": yuan(outcome.payout.fen),
        "missing": i18n.formatted(lang, "claim.missing", kinds=kinds_text(lang, est.missing)) if est.missing else "",
        "why": list(dict.fromkeys(why)),
    }


def blocked(lang: i18n.Lang, est: Estimate) -> FormProblem | None:
    """Return why the form will not file this claim yet: evidence to add, or no refund at all."""
    if est.path is Path.REQUEST_EVIDENCE:
        return problem(lang, 422, "missing_evidence", kinds=kinds_text(lang, est.missing))
    if est.path is Path.REJECT:
        why = ("；" if lang == "zh" else "; ").join(_said(lang, c) for c in est.outcome.reason_codes)
        return problem(lang, 422, "not_refundable", why=why)
    return None


def error_text(lang: i18n.Lang, exc: TuikaError) -> str:
    return exc.title_zh if lang == "zh" else exc.title
