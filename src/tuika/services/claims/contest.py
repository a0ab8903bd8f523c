"""The merchant's side: contest a claim on one of its orders, which sends it to arbitration."""

from __future__ import annotations

from tuika.domain.cases import CaseStatus, Role
from tuika.domain.errors import ContestNotAllowed, NotFound
from tuika.domain.ids import CaseId
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_order_and_case
from tuika.services.moves import move_case
from tuika.services.views import CaseView, for_merchant, load


def contest(ctx: Context, actor: Actor, case_id: CaseId, note: str) -> CaseView:
    """Contest a claim under review; an arbitrator then decides within the arbitration SLA.

    Returns the case as the merchant reads it (``views.for_merchant``).
    """
    actor.require(Role.MERCHANT)
    with ctx.uow() as uow:
        order, case = lock_order_and_case(uow, case_id)
        # Another merchant's case does not exist, as far as this merchant can tell.
        if order.merchant_id != actor.subject:
            raise NotFound(f"case {case_id} not found")
        if case.status is not CaseStatus.MANUAL_REVIEW:
            raise ContestNotAllowed(f"case {case_id} is {case.status.value}")
        now = ctx.clock.now()
        moved = move_case(
            uow,
            case,
            CaseStatus.ARBITRATION,
            at=now,
            actor=actor,
            codes=("merchant_disputes",),
            note=note,
            due=now + ctx.sla.arbitration,
        )
        view = load(ctx, uow, moved)
        uow.commit()
        # What it answers with is the merchant's to read: not the staff's view of the case.
        return for_merchant(view)
