"""People's decisions on a case: an agent's or an arbitrator's, and the close of a case whose evidence never came."""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import Case, CaseStatus, Decision, DecisionAction, Role, Tier
from tuika.domain.errors import Forbidden, InvalidInput, StaleState
from tuika.domain.ids import CaseId
from tuika.domain.reason_codes import is_known
from tuika.services.context import SYSTEM, Actor, Context
from tuika.services.locks import lock_case
from tuika.services.moves import move_case
from tuika.services.payouts.opening import open_payout


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    action: DecisionAction
    reason_codes: tuple[str, ...]
    note: str = ""


# Where each person may act, and what an action means there.
_AGENT_FROM = frozenset({CaseStatus.MANUAL_REVIEW})
_ARBITRATOR_FROM = frozenset({CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION})
_ACTION_STATUS = {
    DecisionAction.APPROVE: CaseStatus.APPROVED,
    DecisionAction.REJECT: CaseStatus.REJECTED,
    DecisionAction.REQUEST_EVIDENCE: CaseStatus.AWAITING_EVIDENCE,
    DecisionAction.ESCALATE: CaseStatus.ARBITRATION,
}


def decide(ctx: Context, actor: Actor, case_id: CaseId, request: DecisionRequest) -> Case:
    """Record a person's decision; only one of two concurrent deciders wins."""
    actor.require(Role.AGENT, Role.ARBITRATOR, Role.ADMIN)
    if request.action not in _ACTION_STATUS:
        raise InvalidInput(f"action {request.action.value} is not a decision a person makes")
    if not request.reason_codes:
        raise InvalidInput("at least one reason code is required")
    unknown = [c for c in request.reason_codes if not is_known(c)]
    if unknown:
        raise InvalidInput(f"unknown reason codes: {', '.join(unknown)}", unknown=unknown)
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        allowed = _AGENT_FROM if actor.role is Role.AGENT else _ARBITRATOR_FROM
        if case.status not in allowed:
            if case.status in _ARBITRATOR_FROM:
                raise Forbidden(f"a {actor.role.value} cannot decide a case in {case.status.value}")
            raise StaleState(f"case {case_id} is {case.status.value}; nothing to decide")
        now = ctx.clock.now()
        target = _ACTION_STATUS[request.action]
        tier = Tier.AGENT if actor.role is Role.AGENT else Tier.ARBITRATOR
        case = move_case(
            uow,
            case,
            target,
            at=now,
            actor=actor,
            codes=request.reason_codes,
            note=request.note,
            due=ctx.sla.due(target, now),
        )
        uow.cases.add_decision(
            Decision(case.id, request.action, tier, actor.subject, request.reason_codes, request.note, now)
        )
        if target is CaseStatus.APPROVED:
            order = uow.orders.get(case.order_id)
            assert order is not None
            open_payout(ctx, uow, order, case)
        uow.commit()
        return case


def close_overdue(ctx: Context, case_id: CaseId) -> Case:
    """Close a case whose evidence deadline passed without evidence."""
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        now = ctx.clock.now()
        if case.status is not CaseStatus.AWAITING_EVIDENCE or case.due_at is None or case.due_at > now:
            return case
        case = move_case(uow, case, CaseStatus.CLOSED, at=now, actor=SYSTEM, codes=("evidence_deadline_passed",))
        uow.commit()
        return case
