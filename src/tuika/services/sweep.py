"""The periodic sweep: re-drive anything whose next step is overdue, so a crash loses nothing."""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import CaseStatus
from tuika.domain.payouts import PayoutStatus
from tuika.services.context import Context
from tuika.services.evidence import forget_unused
from tuika.services.review import close_overdue
from tuika.services.sessions import forget_expired


@dataclass(frozen=True, slots=True)
class SweepReport:
    reviews: int
    payouts: int
    closed: int
    checks: int = 0
    forgotten: int = 0
    sessions: int = 0
    links: int = 0


def sweep(ctx: Context, limit: int = 500) -> SweepReport:
    """Queue again the reviews and payouts left behind; close cases whose evidence is overdue.

    Refunds a gateway still calls processing are asked about again when their time comes:
    the periodic reconciliation, which also finds any whose answer or notice never came.
    Uploads that never backed a claim are deleted once they are old enough, and page sessions
    and used sign-in links once they have expired.
    """
    now = ctx.clock.now()
    stale = now - ctx.sla.redrive_after
    with ctx.read() as uow:
        reviews = uow.cases.ids_in((CaseStatus.SUBMITTED, CaseStatus.REVIEWING), stale, limit)
        payouts = uow.payouts.ids_in((PayoutStatus.PENDING,), stale, limit)
        overdue = uow.cases.ids_due((CaseStatus.AWAITING_EVIDENCE,), now, limit)
        checks = uow.payouts.due_for_check(now, limit)
    for case_id in reviews:
        ctx.dispatcher.review(case_id)
    for payout_id in payouts:
        ctx.dispatcher.pay(payout_id)
    for payout_id in checks:
        ctx.dispatcher.follow_up(payout_id, 0)
    closed = sum(1 for case_id in overdue if close_overdue(ctx, case_id).status is CaseStatus.CLOSED)
    forgotten = forget_unused(ctx, ctx.evidence_unused, limit)
    sessions, links = forget_expired(ctx, limit)
    return SweepReport(len(reviews), len(payouts), closed, len(checks), forgotten, sessions, links)
