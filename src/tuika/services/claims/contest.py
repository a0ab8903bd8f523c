"""The merchant's side: contest a claim on one of its orders, which sends it to arbitration."""

from __future__ import annotations

from tuika.domain.cases import CaseStatus, Role
from tuika.domain.errors import ContestNotAllowed, NotFound
from tuika.services.context import Actor, Context
from tuika.services.moves import move_case
from tuika.services.views import CaseView, load


def contest(ctx: Context, actor: Actor, case_id: str, note: str) -> CaseView:
    """Contest a claim under review; an arbitrator then decides within the arbitration SLA."""
    actor.require(Role.MERCHANT)
    with ctx.uow() as uow:
        peek = uow.cases.get(case_id)
        order = None if peek is None else uow.orders.get(peek.order_id, lock=True)
        # Another merchant's case does not exist, as far as this merchant can tell.
        if peek is None or order is None or order.merchant_id != actor.subject:
            raise NotFound(f"case {case_id} not found")
        case = uow.cases.get(case_id, lock=True)
        assert case is not None
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
        return view
