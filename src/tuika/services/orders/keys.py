"""Card keys and accounts: sealed for their own item, opened only where one is needed in clear."""

from __future__ import annotations

from dataclasses import replace

from tuika.domain.ids import CaseId, OrderId
from tuika.domain.merchant import ReplacementKey
from tuika.domain.orders import Order, OrderItem
from tuika.review.matching import canonical
from tuika.services.context import Context
from tuika.services.ports import UnitOfWork


def seal_item(ctx: Context, order_id: OrderId, item: OrderItem, key: str | None, topped_up: str | None) -> OrderItem:
    """Return the item with its card key and account encrypted for it, and the key's look-up digest."""
    if key is not None:
        secret = ctx.cipher.encrypt(key, _aad(order_id, item.id))
        item = replace(item, secret=secret, lookup=key_digest(ctx, key))
    if topped_up is not None:
        item = replace(item, account_enc=seal_account(ctx, order_id, item.id, topped_up))
    return item


def card_key(ctx: Context, order: Order, item: OrderItem) -> str:
    """Return an item's card key in clear, for the supplier that issued it; never log it."""
    assert item.secret is not None
    return ctx.cipher.decrypt(item.secret, _aad(order.id, item.id))


def account(ctx: Context, order: Order, item: OrderItem) -> str:
    """Return an item's account in clear, to mask it in what a screenshot shows; never log it."""
    assert item.account_enc is not None
    return ctx.cipher.decrypt(item.account_enc, _account_aad(order.id, item.id))


def seal_account(ctx: Context, order_id: OrderId, item_id: str, plain: str) -> str:
    """Return the account ``plain`` encrypted for its item: it opens as that account only, never as a card key."""
    return ctx.cipher.encrypt(plain, _account_aad(order_id, item_id))


def seal_offered(ctx: Context, case_id: CaseId, item_id: str, key: str) -> str:
    """Return a replacement key sealed for its offer: it opens as the item's key only once delivered."""
    return ctx.cipher.encrypt(key, _offer_aad(case_id, item_id))


def seal_stock(ctx: Context, stock_id: str, key: str) -> str:
    """Return a replacement key sealed for its place in a merchant's stock."""
    return ctx.cipher.encrypt(key, _stock_aad(stock_id))


def stock_key(ctx: Context, stock_id: str, sealed: str) -> str:
    """Return a kept replacement key in clear, to seal it again for the offer that takes it; never log it."""
    return ctx.cipher.decrypt(sealed, _stock_aad(stock_id))


def key_digests(ctx: Context, key: str) -> list[str]:
    """Return the look-up digests of a key, OCR look-alikes forgiven: what finds it on an order or in a stock."""
    return list(ctx.cipher.digests(canonical(key)))


def key_digest(ctx: Context, key: str) -> str:
    """Return the one digest a key is kept under."""
    return ctx.cipher.digest(canonical(key))


def offered_key(ctx: Context, case_id: CaseId, offered: ReplacementKey) -> str:
    """Return a replacement key in clear, to deliver it on its item; never log it."""
    return ctx.cipher.decrypt(offered.secret, _offer_aad(case_id, offered.item_id))


def replaced_key(ctx: Context, order: Order, offered: ReplacementKey) -> str:
    """Return the key a delivered replacement took the place of, in clear, to void it with its supplier."""
    assert offered.old_secret is not None
    return ctx.cipher.decrypt(offered.old_secret, _aad(order.id, offered.item_id))


def orders_holding_key(ctx: Context, uow: UnitOfWork, key: str) -> list[tuple[OrderId, str]]:
    """Return (order id, item id) of the items whose card key reads as ``key``, OCR look-alikes forgiven."""
    return uow.orders.items_by_digest(key_digests(ctx, key))


def _aad(order_id: str, item_id: str) -> str:
    # Binding the ciphertext to its place stops a key being copied onto another item.
    return f"{order_id}/{item_id}"


def _offer_aad(case_id: str, item_id: str) -> str:
    # Its own purpose, like the account's: an offered key copied onto an item does not open there.
    return f"replacement/{case_id}/{item_id}"


def _stock_aad(stock_id: str) -> str:
    return f"stock/{stock_id}"


def _account_aad(order_id: str, item_id: str) -> str:
    # Bound to its place and to its purpose: ids never hold "/", so no card key's "order/item"
    # reads as this, and a card key's ciphertext copied into account_enc does not open.
    return f"account/{order_id}/{item_id}"
