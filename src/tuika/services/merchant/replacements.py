"""New keys instead of the money (补发): the merchant offers them, the buyer accepts or declines.

An offer is made in the transaction of the merchant's answer (``responses.respond``): the new
keys are sealed for the offer, checked to be keys nobody holds, and the claim waits for the
buyer. Accepting delivers them on the claimed items in place of the dead keys, keeps those
sealed to void them with the supplier, and ends the claim ``replaced``; its event,
``case.replaced``, has the old keys voided after the commit (``void_replaced``, a handler). A
replaced item stays held by its claim, so it is never refunded as well. Declining, or no answer
by the time given, sends the claim back to the person reviewing it.

Where the policy says so, the machine makes the offer itself from the keys the merchant keeps
for the product (``orders.stock.offer_from_stock``), for a claim it approved: declined or
unanswered, the keys go back to the stock and the refund goes ahead as approved.
"""

from __future__ import annotations

from dataclasses import replace

from tuika.domain.cases import Case, CaseStatus
from tuika.domain.errors import NotFound, ReplacementKeyInUse, ReplacementNotOpen, ReplacementNotPossible
from tuika.domain.ids import CaseId
from tuika.domain.masking import mask_card_key
from tuika.domain.merchant import (
    OLD_KEY_NOT_VOIDED,
    OLD_KEY_REDEEMED,
    OLD_KEY_VOIDED,
    REPLACEMENT_ACCEPTED,
    REPLACEMENT_DECLINED,
    REPLACEMENT_UNANSWERED,
    Replacement,
    ReplacementKey,
    ReplacementOutcome,
    VoidState,
    check_replacement_keys,
)
from tuika.domain.orders import Order, ProductKind
from tuika.domain.supplier import CardState
from tuika.services.context import SYSTEM, Actor, Context
from tuika.services.locks import lock_case, lock_order_and_case
from tuika.services.moves import move_case, note_on_case
from tuika.services.orders.keys import (
    offered_key,
    replaced_key,
    seal_item,
    seal_offered,
)
from tuika.services.orders.stock import key_held
from tuika.services.payouts.opening import open_payout
from tuika.services.ports import UnitOfWork
from tuika.services.views import CaseView, for_buyer, load

# What the supplier's answer to a void means for a replaced key: dead either way, or still usable.
_DEAD = frozenset({CardState.VOIDED, CardState.INVALID, CardState.EXPIRED})


def offer(
    ctx: Context, uow: UnitOfWork, actor: Actor, order: Order, case: Case, note: str, keys: tuple[str, ...]
) -> Case:
    """Offer new keys for a claim under review, inside the merchant's answer; return the claim waiting for the buyer."""
    by_id = {item.id: item for item in order.items}
    if order.product_kind is not ProductKind.CARD_KEY or any(by_id[i].secret is None for i in case.item_ids):
        raise ReplacementNotPossible(f"order {order.id} has no card keys to replace")
    new = check_replacement_keys(case.item_ids, keys)
    for key in new:
        # A key already sold (the dead one among them), or kept in a stock, would be one key in two hands.
        if key_held(ctx, uow, key):
            raise ReplacementKeyInUse("a replacement card key is already on an order or kept in a stock")
    now = ctx.clock.now()
    answer_by = now + ctx.sla.replacement_answer
    sealed = tuple(
        ReplacementKey(item_id, seal_offered(ctx, case.id, item_id, key), mask_card_key(key))
        for item_id, key in zip(case.item_ids, new, strict=True)
    )
    uow.merchant.add_replacement(Replacement(case.id, actor.subject, note, now, answer_by, sealed))
    return move_case(
        uow,
        case,
        CaseStatus.REPLACEMENT_OFFERED,
        at=now,
        actor=actor,
        codes=("replacement_offered",),
        note=note,
        due=answer_by,
    )


def answer(ctx: Context, actor: Actor, case_id: CaseId, *, accept: bool) -> CaseView:
    """Take the buyer's answer to an offer: the new keys on the order, or the claim back to a person."""
    with ctx.uow() as uow:
        order, case = lock_order_and_case(uow, case_id)
        if not actor.owns(case.buyer_id):
            raise NotFound(f"case {case_id} not found")
        now = ctx.clock.now()
        offered = uow.merchant.replacement(case.id)
        if (
            case.status is not CaseStatus.REPLACEMENT_OFFERED
            or offered is None
            or not offered.open
            or offered.answer_by <= now
        ):
            raise ReplacementNotOpen(f"case {case_id} has no replacement waiting for an answer")
        outcome = ReplacementOutcome.ACCEPTED if accept else ReplacementOutcome.DECLINED
        uow.merchant.answer_replacement(case.id, now, outcome)
        if accept:
            moved = _deliver(ctx, uow, actor, order, case, offered)
        else:
            moved = _not_taken(ctx, uow, actor, order, case, offered, REPLACEMENT_DECLINED)
        view = load(ctx, uow, moved)
        uow.commit()
        return for_buyer(view)


def _deliver(ctx: Context, uow: UnitOfWork, actor: Actor, order: Order, case: Case, offered: Replacement) -> Case:
    by_id = {item.id: item for item in order.items}
    now = ctx.clock.now()
    for key in offered.keys:
        item = by_id[key.item_id]
        # Sealed for the item now, like any delivered key: masked, revealed to its buyer, found by its digest.
        placed = seal_item(ctx, order.id, item, offered_key(ctx, case.id, key), None)
        assert placed.secret is not None
        uow.orders.replace_key(order.id, item.id, placed.secret, placed.lookup)
        uow.merchant.save_replacement_key(case.id, replace(key, old_secret=item.secret, void_state=VoidState.PENDING))
    return move_case(uow, case, CaseStatus.REPLACED, at=now, actor=actor, codes=(REPLACEMENT_ACCEPTED,))


def _not_taken(
    ctx: Context, uow: UnitOfWork, actor: Actor, order: Order, case: Case, offered: Replacement, code: str
) -> Case:
    """Go on without the new keys: the policy's offer refunds the claim it approved; a merchant's goes to a person."""
    now = ctx.clock.now()
    if offered.automatic:
        uow.merchant.return_stock(case.id)
        moved = move_case(uow, case, CaseStatus.APPROVED, at=now, actor=actor, codes=(code,))
        open_payout(ctx, uow, order, moved)
        return moved
    due = ctx.sla.due(CaseStatus.MANUAL_REVIEW, now)
    return move_case(uow, case, CaseStatus.MANUAL_REVIEW, at=now, actor=actor, codes=(code,), due=due)


def expire_unanswered(ctx: Context, limit: int) -> int:
    """Send back to a person up to ``limit`` claims whose buyer left the offer unanswered; return how many."""
    now = ctx.clock.now()
    with ctx.read() as uow:
        found = uow.merchant.unanswered_replacements(now, limit)
    return sum(_expire(ctx, case_id) for case_id in found)


def _expire(ctx: Context, case_id: CaseId) -> bool:
    with ctx.uow() as uow:
        order, case = lock_order_and_case(uow, case_id)
        now = ctx.clock.now()
        offered = uow.merchant.replacement(case_id)
        if offered is None or not offered.open or offered.answer_by > now:
            return False
        if not uow.merchant.answer_replacement(case_id, now, ReplacementOutcome.EXPIRED):
            return False
        if case.status is CaseStatus.REPLACEMENT_OFFERED:
            _not_taken(ctx, uow, SYSTEM, order, case, offered, REPLACEMENT_UNANSWERED)
        uow.commit()
    return True


def void_replaced(ctx: Context, case_id: CaseId) -> None:
    """Void with the supplier the keys a replacement took the place of; each answer on the timeline, once.

    Voiding is idempotent at the supplier: after a crash between its answer and the commit, the
    key is voided again and the same answer stored. A supplier that cannot be reached raises,
    and the relay tries again later.
    """
    with ctx.read() as uow:
        case = uow.cases.get(case_id)
        offered = uow.merchant.replacement(case_id)
        order = uow.orders.get(case.order_id) if case is not None else None
    if case is None or order is None or offered is None:
        return
    supplier = ctx.supplier
    for key in offered.keys:
        if key.void_state is not VoidState.PENDING:
            continue
        state = None if supplier is None else supplier.void_card(order.supplier_id, replaced_key(ctx, order, key)).state
        _store_void(ctx, case_id, key, state)


def _store_void(ctx: Context, case_id: CaseId, key: ReplacementKey, state: CardState | None) -> None:
    with ctx.uow() as uow:
        case = lock_case(uow, case_id)
        stored = uow.merchant.replacement(case_id)
        current = None if stored is None else next((k for k in stored.keys if k.item_id == key.item_id), None)
        if current is None or current.void_state is not VoidState.PENDING:
            return
        now = ctx.clock.now()
        dead = state in _DEAD
        done = VoidState.VOIDED if dead else VoidState.NOT_VOIDED
        uow.merchant.save_replacement_key(case_id, replace(key, void_state=done, voided_at=now if dead else None))
        code = OLD_KEY_VOIDED if dead else OLD_KEY_REDEEMED if state is CardState.REDEEMED else OLD_KEY_NOT_VOIDED
        note_on_case(uow, case, now, code)
        uow.commit()
