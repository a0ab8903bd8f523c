"""Reads for the agent console: the review queue with its orders and filters, and one case in full.

Nothing here decides anything; decisions go through ``tuika.services.review.decisions.decide`` like the
API's. These reads only gather what a person needs to judge a case in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from tuika.domain.cases import Case, CaseStatus, Decision, Role, Tier
from tuika.domain.errors import Forbidden
from tuika.domain.history import BuyerHistory, HistoryLimits
from tuika.domain.ids import CaseId
from tuika.domain.money import Money
from tuika.domain.orders import Order, ProductKind
from tuika.domain.policy import Reason
from tuika.domain.reveals import Reveal
from tuika.domain.suggestion import Suggestion, suggest
from tuika.services import ports, views
from tuika.services.context import Actor, Context
from tuika.services.orders import orders, reveals
from tuika.services.orders.orders import OrderView
from tuika.services.views import CaseView

# A page of the queue: more than a person works through before it changes under them.
QUEUE_PAGE = 500
# "All time" for a buyer's history: before the first claim tuika could have taken.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
STAFF_ROLES = (Role.AGENT, Role.ARBITRATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a person narrows the queue to; ``None`` means any."""

    status: CaseStatus | None = None
    reason: Reason | None = None
    product_kind: ProductKind | None = None
    merchant_id: str | None = None
    min_amount: Money | None = None
    max_amount: Money | None = None

    def narrowing(self) -> ports.QueueFilter:
        """Return the part of the filter the repository applies, the status aside."""
        return ports.QueueFilter(self.reason, self.product_kind, self.merchant_id, self.min_amount, self.max_amount)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    case: Case
    order: Order


def statuses_for(actor: Actor) -> tuple[CaseStatus, ...]:
    """Return the statuses whose cases wait for this person."""
    actor.require(*STAFF_ROLES)
    return views.QUEUES[actor.role]


def queue(ctx: Context, actor: Actor, where: QueueFilter) -> list[QueueEntry]:
    """Return the cases waiting for this person that pass the filter, the earliest deadline first."""
    if where.status is not None and where.status not in statuses_for(actor):
        raise Forbidden(f"a {actor.role.value} has no {where.status.value} queue")
    statuses = statuses_for(actor) if where.status is None else (where.status,)
    with ctx.read() as uow:
        cases = uow.cases.queue(statuses, QUEUE_PAGE, where.narrowing())
        found = {o.id: o for o in (uow.orders.get(i) for i in {c.order_id for c in cases}) if o is not None}
    return [QueueEntry(c, found[c.order_id]) for c in cases if c.order_id in found]


def next_case(ctx: Context, actor: Actor, after: CaseId) -> CaseId | None:
    """Return the case this person's queue lists first, other than ``after``; None when nothing else waits.

    The queue's own order decides, unfiltered, so the case opened next is the one the queue page
    would show at its top once ``after`` (just decided, or still waiting) is set aside.
    """
    with ctx.read() as uow:
        first = uow.cases.queue(statuses_for(actor), 2, ports.QueueFilter())
    return next((c.id for c in first if c.id != after), None)


@dataclass(frozen=True, slots=True)
class History:
    """The buyer's other claims: ever, and in the window the machine weighs."""

    ever: BuyerHistory
    recent: BuyerHistory
    window_days: int
    limits: HistoryLimits

    @property
    def rejected_share(self) -> float | None:
        """Return the share of the buyer's other claims that were rejected, None without any."""
        return None if not self.ever.claims else self.ever.rejected / self.ever.claims


@dataclass(frozen=True, slots=True)
class CaseFile:
    """Everything a person weighs before deciding: the case, its order with masked keys, the buyer."""

    view: CaseView
    order: OrderView
    history: History
    machine: Decision | None
    suggestion: Suggestion | None = None
    # Each time the buyer was shown a key of the order, oldest first: a key never viewed may be
    # refunded at once, one viewed is a key the buyer had in hand.
    reveals: tuple[Reveal, ...] = ()

    @property
    def case(self) -> Case:
        return self.view.case


def case_file(ctx: Context, actor: Actor, case_id: CaseId) -> CaseFile:
    """Return a case with its order, the buyer's history and the machine's last word, for staff."""
    actor.require(*STAFF_ROLES)
    view = views.case_view(ctx, actor, case_id)
    case = view.case
    order = orders.get_order(ctx, actor, case.order_id)
    now = ctx.clock.now()
    with ctx.read() as uow:
        ever = uow.cases.buyer_history(case.buyer_id, _EPOCH, case.id)
        recent = uow.cases.buyer_history(case.buyer_id, now - ctx.history_window, case.id)
    machine = next((d for d in reversed(view.decisions) if d.tier is Tier.AUTO), None)
    return CaseFile(
        view=view,
        order=orders.view(ctx, actor, order, accounts=False),
        history=History(ever, recent, ctx.history_window.days, ctx.history_limits),
        machine=machine,
        suggestion=_suggestion(view, machine),
        reveals=tuple(reveals.log_for(ctx, actor, case.order_id) or ()),
    )


_NOT_COVERED = frozenset({"reason_not_refundable", "refund_window_closed"})


def _suggestion(view: CaseView, machine: Decision | None) -> Suggestion | None:
    """Return which way the machine's findings lean, for a case waiting on a person."""
    if view.case.status not in (CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION):
        return None
    codes = {*(machine.reason_codes if machine else ()), *(c for f in view.findings for c in f.codes)}
    return suggest(codes, refundable=not (codes & _NOT_COVERED))
