"""A merchant silent past its deadline is taken to have accepted the claim (商家超时未处理，系统自动同意).

The sweep finds the windows past their time and closes each in its own transaction, under the
order's and the case's locks, once: a second sweep, or one run again after a crash, finds it
closed. A case still with a person moves on with ``merchant_timeout``: approved, and its refund
opened, unless the review found signs of fraud, which a merchant's silence does not waive; then
the line tells the person deciding that the merchant did not object. A case a person already
moved on keeps its course; the window is only closed.
"""

from __future__ import annotations

from tuika.domain.cases import CaseStatus, Decision, DecisionAction, Tier
from tuika.domain.ids import CaseId
from tuika.domain.merchant import TIMEOUT_CODE, silence_approves
from tuika.services.context import SYSTEM, Context
from tuika.services.locks import lock_order_and_case
from tuika.services.moves import move_case, note_on_case
from tuika.services.payouts.opening import open_payout


def time_out_silent(ctx: Context, limit: int) -> int:
    """Take up to ``limit`` silent merchants' claims as accepted, the longest overdue first; return how many."""
    now = ctx.clock.now()
    with ctx.read() as uow:
        found = uow.merchant.overdue(now, limit)
    return sum(time_out(ctx, case_id) for case_id in found)


def time_out(ctx: Context, case_id: CaseId) -> bool:
    """Close one merchant's window if it is still open and overdue, read again under the locks; tell whether it was."""
    with ctx.uow() as uow:
        order, case = lock_order_and_case(uow, case_id)
        now = ctx.clock.now()
        window = uow.merchant.window(case_id)
        if window is None or not window.overdue(now) or not uow.merchant.close_window(case_id, now, "timeout"):
            return False
        if case.status is CaseStatus.MANUAL_REVIEW and silence_approves(case.reason_codes):
            codes = (TIMEOUT_CODE,)
            case = move_case(uow, case, CaseStatus.APPROVED, at=now, actor=SYSTEM, codes=codes)
            uow.cases.add_decision(Decision(case.id, DecisionAction.APPROVE, Tier.AUTO, SYSTEM.subject, codes, "", now))
            open_payout(ctx, uow, order, case)
        elif case.status is CaseStatus.MANUAL_REVIEW:
            note_on_case(uow, case, now, TIMEOUT_CODE)
        uow.commit()
    return True
