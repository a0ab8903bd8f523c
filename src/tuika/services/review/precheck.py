"""The buyer's pre-check: what the review will decide, from every signal there is before the upload."""

from __future__ import annotations

from dataclasses import replace

from tuika.domain.cases import Role
from tuika.domain.evaluate import Claim, Outcome, Signals
from tuika.domain.ids import OrderId
from tuika.domain.orders import resolve_items
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.prediction import Prediction, predict
from tuika.domain.reason_codes import withhold
from tuika.domain.reveals import Standing, standing
from tuika.services.claims.filing import own_order
from tuika.services.context import Actor, Context
from tuika.services.orders.reveals import applicable
from tuika.services.review.standing import standing_doubts
from tuika.services.review.verify import ask_supplier


def precheck(
    ctx: Context,
    actor: Actor,
    order_id: OrderId,
    reason: Reason,
    item_ids: tuple[str, ...],
    evidence: tuple[EvidenceKind | None, ...] = (),
) -> Prediction:
    """Predict the review's decision with the function it uses and the signals it will have.

    The policy, the order's record, the items other claims hold, the buyer's history, a key
    delivered twice, the keys already revealed, and the supplier's answer: asked now and kept a
    short while, so that the review of the claim filed next reuses it. ``evidence`` names the
    kinds the buyer means to attach; what the screenshots show is the one thing left, and the
    prediction branches on it.
    """
    with ctx.read() as uow:
        order = own_order(uow, actor, order_id)
        items = resolve_items(order, item_ids)
        policy = applicable(ctx, ctx.policies.current(uow))
        held = frozenset(uow.cases.held_items(order.id))
        now = ctx.clock.now()
        doubts, _ = standing_doubts(ctx, uow, order, items, now, None)
        known = uow.answers.since(order.id, now - ctx.answer_reuse) if ctx.answer_reuse else []
        revealed = frozenset(item for _, item in uow.reveals.first_seen([order.id]))
    unrevealed = standing(policy, order, reason, items, now, revealed) is Standing.OPEN
    check = ask_supplier(ctx, order, reason, items, known, unrevealed=unrevealed)
    if check.asked and ctx.answer_reuse:
        with ctx.uow() as uow:
            uow.answers.add(order.id, check.asked)
            uow.commit()
    signals = Signals(
        claimed_elsewhere=held,
        cards=check.cards,
        topups=check.topups,
        supplier_unavailable=check.unavailable,
        doubts=doubts,
        revealed=revealed,
    )
    prediction = predict(order, Claim(reason, items, evidence), policy, now, signals)
    return for_buyer(prediction) if actor.role is Role.BUYER else prediction


def for_buyer(prediction: Prediction) -> Prediction:
    """Return the prediction as its buyer reads it: the signals that would coach fraud as their stand-ins."""

    def told(outcome: Outcome) -> Outcome:
        return replace(outcome, reason_codes=withhold(outcome.reason_codes))

    branches = tuple(replace(b, outcome=None if b.outcome is None else told(b.outcome)) for b in prediction.branches)
    return replace(prediction, outcome=told(prediction.outcome), branches=branches)
