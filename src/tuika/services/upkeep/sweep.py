"""The periodic sweep: the work that is due by the clock, not by an event.

Reviews, payouts and gateway checks are not here: each is a delivery of an event, and the
relay's poll runs any whose time has come (``services.events.relay``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from tuika.domain.cases import CaseStatus
from tuika.services.claims.evidence import forget_unused
from tuika.services.context import Context
from tuika.services.merchant.replacements import expire_unanswered
from tuika.services.merchant.timeouts import time_out_silent
from tuika.services.review.decisions import close_overdue
from tuika.services.signin.sessions import forget_expired
from tuika.services.upkeep.escalation import escalate_overdue


@dataclass(frozen=True, slots=True)
class SweepReport:
    closed: int = 0
    forgotten: int = 0
    sessions: int = 0
    links: int = 0
    pruned: int = 0
    # Manual reviews and arbitrations past their time limit, escalated by this sweep.
    escalated: int = 0
    # The supplier's answers kept for reuse, deleted once a day old.
    answers: int = 0
    # Claims whose merchant let its time to answer pass: taken as accepted.
    merchant_timeouts: int = 0
    # Replacements the buyer left unanswered past their time: back to a person.
    replacements_expired: int = 0


# A kept answer is reused for minutes; a day keeps it for whoever asks what the supplier said
# when a pre-check and its case disagree, and no longer.
ANSWERS_KEPT: Final = timedelta(days=1)


def sweep(ctx: Context, limit: int = 500) -> SweepReport:
    """Close cases whose evidence is overdue, escalate reviews past theirs, take a silent merchant's
    claims as accepted, send unanswered replacements back to a person; delete what has outlived its use.

    Uploads that never backed a claim are deleted once they are old enough, page sessions
    and used sign-in links once they have expired, delivered events once they are older
    than the retention setting (when one is set), and the supplier's kept answers after a day.
    """
    now = ctx.clock.now()
    with ctx.read() as uow:
        overdue = uow.cases.ids_due((CaseStatus.AWAITING_EVIDENCE,), now, limit)
    closed = sum(1 for case_id in overdue if close_overdue(ctx, case_id).status is CaseStatus.CLOSED)
    escalated = escalate_overdue(ctx, limit)
    timeouts = time_out_silent(ctx, limit)
    unanswered = expire_unanswered(ctx, limit)
    forgotten = forget_unused(ctx, ctx.evidence_unused, limit)
    sessions, links = forget_expired(ctx, limit)
    pruned = 0
    if ctx.events.keep is not None:
        with ctx.uow() as uow:
            pruned = uow.events.prune(now - ctx.events.keep, limit)
            uow.commit()
    with ctx.uow() as uow:
        answers = uow.answers.delete_before(now - ANSWERS_KEPT, limit)
        uow.commit()
    return SweepReport(closed, forgotten, sessions, links, pruned, escalated, answers, timeouts, unanswered)
