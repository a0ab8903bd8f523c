"""The keys a merchant keeps to replace dead ones: kept per product, taken by the policy's offers.

A merchant uploads keys it holds for a product (its SKU on the host platform); where the policy
says so (``replace_from_stock``), a claim the machine approves on that product is offered one
first (``offer_from_stock``); its buyer's answer is ``merchant.replacements.answer``. A key is
refused if it is already sold on an order or kept in any stock, so that no key is ever in two
hands; the upload is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from tuika.domain.cases import Case, CaseStatus, Role
from tuika.domain.errors import InvalidInput, ReplacementKeyInUse
from tuika.domain.ids import new_id
from tuika.domain.masking import mask_card_key
from tuika.domain.merchant import FROM_STOCK, MAX_STOCK_UPLOAD, Replacement, ReplacementKey, StockKey, check_keys
from tuika.domain.orders import Order, ProductKind
from tuika.domain.policy import Rule
from tuika.services.context import SYSTEM, Actor, Context
from tuika.services.moves import move_case
from tuika.services.orders.keys import key_digest, key_digests, orders_holding_key, seal_offered, seal_stock, stock_key
from tuika.services.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class StockAdded:
    sku: str
    added: int
    # What the merchant keeps free for the product now, these included.
    available: int


def add_stock(ctx: Context, actor: Actor, sku: str, keys: tuple[str, ...]) -> StockAdded:
    """Keep replacement keys for one of the merchant's products; refuse all of them if one is held anywhere."""
    actor.require(Role.MERCHANT)
    if not 1 <= len(keys) <= MAX_STOCK_UPLOAD:
        raise InvalidInput(f"card_keys holds 1 to {MAX_STOCK_UPLOAD} keys")
    clear = check_keys(keys)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        if any(key_held(ctx, uow, key) for key in clear):
            raise ReplacementKeyInUse("a card key is already on an order or kept in a replacement stock")
        kept = []
        for key in clear:
            stock_id = new_id("sk")
            kept.append(
                StockKey(
                    stock_id,
                    actor.subject,
                    sku,
                    seal_stock(ctx, stock_id, key),
                    mask_card_key(key),
                    key_digest(ctx, key),
                    now,
                )
            )
        uow.merchant.add_stock(kept)
        available = uow.merchant.stock_counts(actor.subject).get(sku, 0)
        uow.commit()
    return StockAdded(sku, len(kept), available)


def key_held(ctx: Context, uow: UnitOfWork, key: str) -> bool:
    """Tell whether a key is already in someone's hands: sold on an order, or kept in a stock (look-alikes forgiven)."""
    return bool(orders_holding_key(ctx, uow, key)) or uow.merchant.stock_holds(key_digests(ctx, key))


def counts(ctx: Context, actor: Actor) -> dict[str, int]:
    """Return the merchant's products with how many replacement keys it keeps free for each."""
    actor.require(Role.MERCHANT)
    with ctx.read() as uow:
        return uow.merchant.stock_counts(actor.subject)


def offer_from_stock(
    ctx: Context, uow: UnitOfWork, order: Order, case: Case, rule: Rule | None, codes: tuple[str, ...]
) -> Case | None:
    """Offer a claim the machine approves new keys from its merchant's stock, where the rule says so.

    Returns the claim waiting for its buyer, or None (the rule does not say so, the order has no
    card keys, or the merchant keeps too few for the product): then the refund goes ahead.
    """
    if rule is None or not rule.replace_from_stock or order.product_kind is not ProductKind.CARD_KEY:
        return None
    by_id = {item.id: item for item in order.items}
    if any(by_id[i].secret is None for i in case.item_ids):
        return None
    now = ctx.clock.now()
    taken = uow.merchant.take_stock(order.merchant_id, order.sku, len(case.item_ids), case.id, now)
    if not taken:
        return None
    sealed = tuple(
        ReplacementKey(item_id, seal_offered(ctx, case.id, item_id, stock_key(ctx, kept.id, kept.secret)), kept.masked)
        for item_id, kept in zip(case.item_ids, taken, strict=True)
    )
    answer_by = now + ctx.sla.replacement_answer
    uow.merchant.add_replacement(Replacement(case.id, order.merchant_id, "", now, answer_by, sealed, automatic=True))
    return move_case(
        uow,
        case,
        CaseStatus.REPLACEMENT_OFFERED,
        at=now,
        actor=SYSTEM,
        codes=(*codes, FROM_STOCK),
        due=answer_by,
    )
