"""The merchant answers a claim on its goods: accept it, offer new keys, contest it, or add a statement.

Each answer is stored with its note and evidence, in the transaction that moves the case:
accepting approves the claim (the refund goes ahead; who bears it is as the policy says); a
replacement offers new keys the buyer may take instead (``replacements``); contesting
sends it to fast arbitration; a statement is a line on the case's timeline for the arbitrator
and the buyer. An accept, a replacement or a contest closes the merchant's window: once answered, or once the
sweep has taken its silence for consent, the merchant cannot answer again; nor past its deadline,
when its silence is consent already and only waits for the sweep to be taken.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import Case, CaseStatus, Decision, DecisionAction, Role, Tier, TimelineEvent
from tuika.domain.errors import ContestNotAllowed, InvalidInput, MerchantResponseNotAllowed, NotFound
from tuika.domain.ids import CaseId, EvidenceId, new_id
from tuika.domain.merchant import (
    ACTION_CODES,
    ACTS_IN,
    ANSWERS,
    MAX_EVIDENCE,
    MAX_NOTE,
    MerchantAction,
    MerchantResponse,
    allowed_actions,
)
from tuika.domain.orders import Order
from tuika.services.claims.evidence import unattached_of
from tuika.services.context import Actor, Context
from tuika.services.locks import lock_order_and_case
from tuika.services.merchant import replacements
from tuika.services.moves import move_case, note_case
from tuika.services.payouts.opening import open_payout
from tuika.services.ports import UnitOfWork
from tuika.services.views import CaseView, for_merchant, load


@dataclass(frozen=True, slots=True)
class ResponseRequest:
    action: MerchantAction
    note: str
    evidence_ids: tuple[EvidenceId, ...] = ()
    # For ``replace``: one new card key for each claimed item, in the claim's order.
    replacement_keys: tuple[str, ...] = ()


def respond(ctx: Context, actor: Actor, case_id: CaseId, request: ResponseRequest) -> CaseView:
    """Store the merchant's answer or statement and act on it; return the case as the merchant reads it."""
    actor.require(Role.MERCHANT)
    if len(request.note) > MAX_NOTE:
        raise InvalidInput(f"note is longer than {MAX_NOTE} characters")
    if len(request.evidence_ids) > MAX_EVIDENCE:
        raise InvalidInput(f"at most {MAX_EVIDENCE} evidence files an answer")
    if request.action is MerchantAction.REPLACE and not request.replacement_keys:
        raise InvalidInput("a replacement names its new card key (replacement_card_key)")
    if request.action is not MerchantAction.REPLACE and request.replacement_keys:
        raise InvalidInput("replacement_card_key goes with the replace action only")
    with ctx.uow() as uow:
        order, case = lock_order_and_case(uow, case_id)
        # Another merchant's case does not exist, as far as this merchant can tell.
        if order.merchant_id != actor.subject:
            raise NotFound(f"case {case_id} not found")
        if case.status not in ACTS_IN[request.action]:
            raise MerchantResponseNotAllowed(f"case {case_id} is {case.status.value}")
        window = uow.merchant.window(case.id)
        now = ctx.clock.now()
        # Past its deadline the answer is the sweep's to take as consent, even before the sweep has run.
        if request.action not in allowed_actions(case.status, window, now):
            answered = window is not None and not window.open and window.outcome != "timeout"
            why = "answered already" if answered else "its time to answer has passed"
            raise MerchantResponseNotAllowed(f"case {case_id}: {why}")
        evidence = unattached_of(uow, actor, request.evidence_ids)
        if evidence:
            uow.evidence.attach([e.id for e in evidence], case.id)
        uow.merchant.add_response(
            MerchantResponse(
                new_id("mr"), case.id, actor.subject, request.action, request.note, request.evidence_ids, now
            )
        )
        if request.action in ANSWERS:
            uow.merchant.close_window(case.id, now, request.action.value)
        moved = _act(ctx, uow, actor, order, case, request)
        view = load(ctx, uow, moved)
        uow.commit()
        return for_merchant(view)


def contest(ctx: Context, actor: Actor, case_id: CaseId, note: str) -> CaseView:
    """Contest a claim under review (``POST …/contest``, the first way a merchant could answer).

    The contest answer of ``respond``, with the refusal its callers know when the case is past it.
    """
    actor.require(Role.MERCHANT)
    try:
        return respond(ctx, actor, case_id, ResponseRequest(MerchantAction.CONTEST, note))
    except MerchantResponseNotAllowed as refused:
        raise ContestNotAllowed(refused.detail) from None


def _act(ctx: Context, uow: UnitOfWork, actor: Actor, order: Order, case: Case, request: ResponseRequest) -> Case:
    now = ctx.clock.now()
    codes = (ACTION_CODES[request.action],)
    if request.action is MerchantAction.STATEMENT:
        line = TimelineEvent(now, actor.subject, Role.MERCHANT, case.status, case.status, codes, request.note)
        return note_case(uow, case, line)
    if request.action is MerchantAction.REPLACE:
        return replacements.offer(ctx, uow, actor, order, case, request.note, request.replacement_keys)
    if request.action is MerchantAction.CONTEST:
        due = now + ctx.sla.arbitration
        return move_case(
            uow, case, CaseStatus.ARBITRATION, at=now, actor=actor, codes=codes, note=request.note, due=due
        )
    # Consent, not a new finding of fault: who bears the refund stays as the policy said (a key the
    # supplier sold bad stays the supplier's).
    moved = move_case(uow, case, CaseStatus.APPROVED, at=now, actor=actor, codes=codes, note=request.note)
    uow.cases.add_decision(
        Decision(case.id, DecisionAction.APPROVE, Tier.MERCHANT, actor.subject, codes, request.note, now)
    )
    open_payout(ctx, uow, order, moved)
    return moved
