"""Cases waiting for a person past their time limit are escalated, once per period of their stage.

An escalation does not move the case: the same person's queue still holds it, now urgent and
at the top, its timeline says so to the buyer, and ``case.escalated`` is written for whoever
tells the queue's lead. Each case is escalated in its own transaction under its row lock, and
saved only if nobody escalated it meanwhile, so two sweeps at once, or a sweep run again after
a crash, escalate a case once per period.
"""

from __future__ import annotations

from tuika.domain.cases import ESCALATES, escalation_due
from tuika.domain.errors import StaleState
from tuika.domain.ids import CaseId
from tuika.services.context import Context
from tuika.services.locks import lock_case
from tuika.services.moves import escalate_case


def escalate_overdue(ctx: Context, limit: int) -> int:
    """Escalate up to ``limit`` cases past their time limit, the most overdue first; return how many."""
    now = ctx.clock.now()
    periods = {s: ctx.sla.stages()[s].expected for s in sorted(ESCALATES)}
    since = {s: now - period for s, period in periods.items() if period is not None}
    with ctx.read() as uow:
        found = uow.cases.ids_to_escalate(since, now, limit)
    return sum(escalate(ctx, case_id) for case_id in found)


def escalate(ctx: Context, case_id: CaseId) -> bool:
    """Escalate one case if it is still due for it, read again under its lock; tell whether it was."""
    try:
        with ctx.uow() as uow:
            case = lock_case(uow, case_id)
            now = ctx.clock.now()
            if not escalation_due(case, ctx.sla.stages()[case.status], now):
                return False
            escalate_case(uow, case, now)
            uow.commit()
    except StaleState:
        # Escalated or moved by another writer between our read and our save: nothing written.
        return False
    return True
