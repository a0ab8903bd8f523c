"""Filing a claim and what its buyer does with it after: pre-check, submit, withdraw, appeal, add evidence."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tuika.domain.cases import Case, CaseStatus, Role, Route, TimelineEvent
from tuika.domain.clock import beijing_day
from tuika.domain.errors import (
    AppealNotAllowed,
    Conflict,
    DuplicateKey,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    RefundLimitReached,
    RouteUnavailable,
)
from tuika.domain.evaluate import Claim, evaluate
from tuika.domain.ids import CaseId, EvidenceId, OrderId, new_case_number, new_id
from tuika.domain.merchant import ReplacementOutcome
from tuika.domain.orders import Order, resolve_items
from tuika.domain.payouts import Payout, PayoutRoute
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.refund_limits import check_open
from tuika.services import views
from tuika.services.claims.evidence import unattached_of
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_order, lock_read_case
from tuika.services.moves import move_case, note_case, open_case
from tuika.services.ports import EvidenceRecord, UnitOfWork
from tuika.services.views import CaseView


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    order_id: OrderId
    reason: Reason
    item_ids: tuple[str, ...] = ()
    description: str = ""
    evidence_ids: tuple[EvidenceId, ...] = ()
    route: Route = Route.ORIGINAL

    def fingerprint(self) -> str:
        """Return a stable hash of the request, to tell a retry from a different request."""
        body = json.dumps(
            [
                self.order_id,
                self.reason.value,
                sorted(self.item_ids),
                self.description,
                list(self.evidence_ids),
                self.route.value,
            ],
            ensure_ascii=False,
        )
        return hashlib.sha256(body.encode()).hexdigest()


def payout_route(ctx: Context, order: Order, route: Route) -> PayoutRoute:
    """Return how the money would go back, or raise if no gateway can pay by that route."""
    if route is Route.BALANCE:
        return PayoutRoute.BALANCE
    wanted = PayoutRoute(order.payment_route.value)
    if wanted not in ctx.routes:
        raise RouteUnavailable(f"no gateway for {wanted.value} is configured", route=wanted.value)
    return wanted


def check_route_open(ctx: Context, order: Order, route: Route, earlier: Sequence[Payout]) -> None:
    """Refuse the original route when its gateway's own limits (WeChat Pay's year, fifty refunds) are reached.

    Checked when the buyer files, so they choose the balance at once; the payout checks again
    before sending, since approval may come later.
    """
    wanted = payout_route(ctx, order, route)
    if wanted is not PayoutRoute.BALANCE:
        check_open(wanted, order.paid_at, ctx.clock.now(), earlier)


def available_routes(ctx: Context, order: Order) -> list[str]:
    """Return the refund routes a buyer can choose for this order now."""
    routes = [Route.BALANCE.value]
    if PayoutRoute(order.payment_route.value) in ctx.routes and order.payment_route.value != Route.BALANCE.value:
        with ctx.read() as uow:
            earlier = uow.payouts.for_order(order.id)
        try:
            check_route_open(ctx, order, Route.ORIGINAL, earlier)
        except RefundLimitReached:
            return routes
        routes.insert(0, Route.ORIGINAL.value)
    return routes


def case_for_key(ctx: Context, actor: Actor, key: str) -> str | None:
    """Return the case this buyer already filed under an idempotency key, if any.

    A form sent twice uploads its files twice and so names new evidence ids; ``submit`` would
    see another request under the same key. Looking the key up first sends the retry to the
    case the first sending made.
    """
    actor.require(Role.BUYER)
    with ctx.read() as uow:
        found = uow.idempotency.get(actor.subject, key)
    return None if found is None else found[1]


def submit(ctx: Context, actor: Actor, request: ClaimRequest, idempotency_key: str | None) -> CaseView:
    """File a claim; the same key and body give back the same case, as it is now."""
    actor.require(Role.BUYER)
    fingerprint = request.fingerprint()
    for attempt in range(3):
        try:
            return _submit_once(ctx, actor, request, idempotency_key, fingerprint)
        except DuplicateKey:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _submit_once(ctx: Context, actor: Actor, request: ClaimRequest, key: str | None, fingerprint: str) -> CaseView:
    with ctx.uow() as uow:
        # Lock the order first (order, then case, then payout): concurrent claims on one
        # order queue here, so the item holds and the key check below see each other.
        order = own_order(uow, actor, request.order_id, lock=True)
        if key:
            replayed = _replay(ctx, uow, actor, key, fingerprint)
            if replayed is not None:
                return replayed
        items = resolve_items(order, request.item_ids)
        if request.route is Route.ORIGINAL:
            check_route_open(ctx, order, request.route, uow.payouts.for_order(order.id))
        evidence = unattached_of(uow, actor, request.evidence_ids)
        policy = ctx.policies.current(uow)
        now = ctx.clock.now()
        outcome = evaluate(order, Claim(request.reason, items, tuple(e.kind for e in evidence)), policy, now)
        case = Case(
            id=CaseId(new_id("rc")),
            order_id=order.id,
            buyer_id=order.buyer_id,
            reason=request.reason,
            item_ids=items,
            route=request.route,
            status=CaseStatus.SUBMITTED,
            policy_version=policy.version,
            created_at=now,
            updated_at=now,
            refundable=outcome.refundable,
            fee=outcome.fee,
            liable=outcome.liable,
            description=request.description,
            evidence_ids=request.evidence_ids,
            due_at=now + ctx.sla.machine_review,
            number=new_case_number(beijing_day(now)),
        )
        event = TimelineEvent(now, actor.subject, Role.BUYER, None, CaseStatus.SUBMITTED, (), request.description)
        case = replace(case, timeline=(event,))
        open_case(uow, case, merchant_id=order.merchant_id)
        uow.evidence.attach(request.evidence_ids, case.id)
        if key:
            uow.idempotency.add(actor.subject, key, fingerprint, case.id, now)
        uow.commit()
        # Answer from what was just written rather than reading it back: the review has
        # not started (it is queued after the commit), and the read would cost as much as
        # the submission. The buyer follows the case with GET.
        return views.fresh(ctx, case, [replace(e, case_id=case.id) for e in evidence])


def _replay(ctx: Context, uow: UnitOfWork, actor: Actor, key: str, fingerprint: str) -> CaseView | None:
    found = uow.idempotency.get(actor.subject, key)
    if found is None:
        return None
    stored_hash, case_id = found
    if stored_hash != fingerprint:
        raise IdempotencyKeyReused(f"Idempotency-Key {key!r} was used for another request")
    case = uow.cases.get(case_id)
    if case is None:
        raise NotFound(f"case {case_id} not found")
    return views.load(ctx, uow, case)


def own_order(uow: UnitOfWork, actor: Actor, order_id: OrderId, *, lock: bool = False) -> Order:
    """Return an order its buyer (or staff) may act on; anyone else's is not found."""
    order = lock_order(uow, order_id) if lock else uow.orders.get(order_id)
    if order is None or not actor.owns(order.buyer_id):
        raise NotFound(f"order {order_id} not found")
    return order


def withdraw(ctx: Context, actor: Actor, case_id: CaseId, note: str) -> Case:
    """Withdraw a claim that has not been approved yet."""
    actor.require(Role.BUYER)
    with ctx.uow() as uow:
        case = _lock_own_case(uow, actor, case_id)
        now = ctx.clock.now()
        moved = move_case(
            uow, case, CaseStatus.WITHDRAWN, at=now, actor=actor, codes=("withdrawn_by_buyer",), note=note
        )
        if case.status is CaseStatus.REPLACEMENT_OFFERED:
            # The offer ends with the claim: no answer to it can come after, and keys it took
            # from a stock go back there.
            uow.merchant.answer_replacement(case.id, now, ReplacementOutcome.WITHDRAWN)
            uow.merchant.return_stock(case.id)
        uow.commit()
        return moved


def appeal(ctx: Context, actor: Actor, case_id: CaseId, note: str) -> Case:
    """Appeal a rejection once; it goes to fast arbitration."""
    actor.require(Role.BUYER)
    with ctx.uow() as uow:
        case = _lock_own_case(uow, actor, case_id)
        if case.status is not CaseStatus.REJECTED or case.appealed:
            raise AppealNotAllowed(f"case {case_id} is {case.status.value}")
        now = ctx.clock.now()
        moved = move_case(
            uow,
            case,
            CaseStatus.ARBITRATION,
            at=now,
            actor=actor,
            codes=("buyer_appeal",),
            note=note,
            due=now + ctx.sla.arbitration,
        )
        uow.commit()
        return moved


def add_evidence(ctx: Context, actor: Actor, case_id: CaseId, evidence_ids: tuple[EvidenceId, ...], note: str) -> Case:
    """Attach more evidence; a case waiting for it goes back to review."""
    actor.require(Role.BUYER)
    if not evidence_ids:
        raise InvalidInput("evidence_ids must name at least one file")
    with ctx.uow() as uow:
        case = _lock_own_case(uow, actor, case_id)
        if case.status not in (
            CaseStatus.AWAITING_EVIDENCE,
            CaseStatus.MANUAL_REVIEW,
            CaseStatus.ARBITRATION,
            CaseStatus.SUBMITTED,
            CaseStatus.REVIEWING,
        ):
            raise Conflict(f"case {case_id} is {case.status.value}; it takes no more evidence")
        unattached_of(uow, actor, evidence_ids)
        now = ctx.clock.now()
        uow.evidence.attach(evidence_ids, case.id)
        updated = replace(case, evidence_ids=(*case.evidence_ids, *evidence_ids), updated_at=now)
        if case.status is CaseStatus.AWAITING_EVIDENCE:
            moved = move_case(
                uow, updated, CaseStatus.REVIEWING, at=now, actor=actor, note=note, due=now + ctx.sla.machine_review
            )
        else:
            event = TimelineEvent(now, actor.subject, Role.BUYER, case.status, case.status, (), note or "补充材料")
            moved = note_case(uow, updated, event)
        uow.commit()
        return moved


def _lock_own_case(uow: UnitOfWork, actor: Actor, case_id: CaseId) -> Case:
    case = uow.cases.get(case_id)
    if case is None or not actor.owns(case.buyer_id):
        raise NotFound(f"case {case_id} not found")
    return lock_read_case(uow, case)


def evidence_kinds(records: list[EvidenceRecord]) -> tuple[EvidenceKind | None, ...]:
    """Return the declared kinds of evidence files, None where the buyer gave none."""
    return tuple(r.kind for r in records)
