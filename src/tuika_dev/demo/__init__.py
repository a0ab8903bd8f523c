"""Demo data: merchants, suppliers, SKUs and orders that show every path of a refund."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from tuika.domain.cases import Role
from tuika.domain.ids import OrderId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.supplier import CardState, TopupState
from tuika.services.context import Actor, Context
from tuika.services.orders.keys import card_key as card_key_of
from tuika.services.orders.orders import sync_order
from tuika.services.ports import OrderFilter
from tuika.services.review.verify import topup_reference

BUYERS = ("buyer_alice", "buyer_bob", "buyer_chen", "buyer_dong", "buyer_erin")
# The shops and suppliers by id, with the names the host platform shows for them.
MERCHANTS = {"m_xingyun": "星云数码卡券专营店", "m_kuaichong": "快充话费充值中心", "m_jinka": "金卡优选旗舰店"}
SUPPLIERS = {"sup_tianhong": "天虹卡业供应链", "sup_leyou": "乐游网络科技"}
STAFF = {"agent": "agent_wang", "arbitrator": "arb_li", "admin": "admin_zhao", "platform": "host_platform"}


@dataclass(frozen=True, slots=True)
class Sku:
    code: str
    title: str
    kind: ProductKind
    price_fen: int
    face_fen: int
    supplier: str
    merchant: str


SKUS = (
    Sku("JD-E100", "京东E卡 100元", ProductKind.CARD_KEY, 9850, 10000, "sup_tianhong", "m_jinka"),
    Sku("STEAM-50", "Steam 钱包充值卡 50元", ProductKind.CARD_KEY, 4800, 5000, "sup_leyou", "m_xingyun"),
    Sku("QB-30", "腾讯Q币 30元卡密", ProductKind.CARD_KEY, 2950, 3000, "sup_tianhong", "m_xingyun"),
    Sku("JUNNET-100", "骏网一卡通 100元", ProductKind.CARD_KEY, 9700, 10000, "sup_leyou", "m_jinka"),
    Sku("CMCC-100", "中国移动话费直充 100元", ProductKind.DIRECT_TOPUP, 9900, 10000, "sup_tianhong", "m_kuaichong"),
    Sku("CUCC-50", "中国联通话费直充 50元", ProductKind.DIRECT_TOPUP, 4960, 5000, "sup_tianhong", "m_kuaichong"),
    Sku("WZRY-648", "王者荣耀点券代充 648", ProductKind.MANUAL_TOPUP, 62000, 64800, "sup_leyou", "m_kuaichong"),
    Sku("YS-328", "原神创世结晶代充 328", ProductKind.MANUAL_TOPUP, 31500, 32800, "sup_leyou", "m_xingyun"),
    Sku("IQIYI-M", "爱奇艺黄金会员月卡", ProductKind.MEMBERSHIP, 1500, 2500, "sup_tianhong", "m_jinka"),
    Sku("BILI-Y", "哔哩哔哩大会员年卡", ProductKind.MEMBERSHIP, 14800, 16800, "sup_leyou", "m_xingyun"),
    Sku("NETEASE-50", "网易一卡通 50元", ProductKind.CARD_KEY, 4850, 5000, "sup_tianhong", "m_jinka"),
)
ROUTES = (PaymentRoute.ALIPAY, PaymentRoute.WECHAT, PaymentRoute.BANK_CARD, PaymentRoute.BALANCE)


def card_key(rng: random.Random) -> str:
    """Return a card key in one of the shapes suppliers use."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    shape = rng.randrange(3)
    if shape == 0:
        return "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(4))
    if shape == 1:
        return "".join(rng.choice("0123456789") for _ in range(16))
    return "".join(rng.choice(alphabet) for _ in range(20))


def orders(now: datetime, seed: int = 7, count: int = 66) -> list[tuple[Order, dict[str, str], dict[str, str]]]:
    """Return ``count`` demo orders with their plain card keys and accounts, the same for the same seed and time."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        sku = SKUS[n % len(SKUS)]
        buyer = BUYERS[n % len(BUYERS)]
        quantity = rng.choice((1, 1, 1, 2, 3)) if sku.kind is ProductKind.CARD_KEY else 1
        # Most orders are recent enough to claim; a few are past every window, as in real life.
        age = rng.randrange(5, 60 * 20) if rng.random() < 0.85 else rng.randrange(60 * 26, 60 * 72)
        paid_at = now - timedelta(minutes=age)
        status, delivered_at = _delivery(rng, sku.kind, paid_at, now)
        order_id = OrderId(f"ord_demo_{n + 1:03d}")
        items, keys, accounts = [], {}, {}
        for q in range(quantity):
            item_id = f"{order_id}_k{q + 1}"
            if sku.kind in (ProductKind.CARD_KEY, ProductKind.MEMBERSHIP):
                if status is DeliveryStatus.DELIVERED:
                    keys[item_id] = card_key(rng)
                items.append(OrderItem(item_id))
            else:
                accounts[item_id] = f"1{rng.randrange(3, 9)}{rng.randrange(10**8, 10**9)}"
                items.append(OrderItem(item_id))
        made.append(
            (
                Order(
                    id=order_id,
                    buyer_id=buyer,
                    merchant_id=sku.merchant,
                    supplier_id=sku.supplier,
                    merchant_name=MERCHANTS[sku.merchant],
                    supplier_name=SUPPLIERS[sku.supplier],
                    sku=sku.code,
                    product_kind=sku.kind,
                    items=tuple(items),
                    amount=Money(sku.price_fen * quantity),
                    payment_route=ROUTES[rng.randrange(len(ROUTES))],
                    transaction_id=f"2026{rng.randrange(10**15, 10**16)}",
                    paid_at=paid_at,
                    delivery_status=status,
                    delivered_at=delivered_at,
                    face_value=Money(sku.face_fen * quantity),
                    title=sku.title if quantity == 1 else f"{sku.title} ×{quantity}",
                ),
                keys,
                accounts,
            )
        )
    return made


def _delivery(
    rng: random.Random, kind: ProductKind, paid_at: datetime, now: datetime
) -> tuple[DeliveryStatus, datetime | None]:
    roll = rng.random()
    if roll < 0.12:
        return DeliveryStatus.FAILED, None
    if roll < 0.22 or (kind is ProductKind.MANUAL_TOPUP and roll < 0.35):
        return DeliveryStatus.PENDING, None
    delay = timedelta(seconds=rng.randrange(3, 90)) if roll < 0.9 else timedelta(minutes=rng.randrange(20, 180))
    return DeliveryStatus.DELIVERED, min(paid_at + delay, now)


def seed(ctx: Context, *, seed_value: int = 7) -> int:
    """Load the demo orders unless orders exist already; return how many were added."""
    with ctx.uow() as uow:
        if uow.orders.search(OrderFilter(limit=1)):
            return 0
    platform = Actor(STAFF["platform"], Role.PLATFORM)
    made = orders(ctx.clock.now(), seed_value)
    for order, keys, accounts in made:
        sync_order(ctx, platform, order, keys, accounts)
    return len(made)


class SupplierBook(Protocol):
    """Where the demo records what its suppliers issued: the sandbox supplier."""

    def add_card(
        self,
        supplier_id: str,
        card_key: str,
        state: CardState,
        redeemed_at: datetime | None = None,
        redeemed_by: str | None = None,
    ) -> None: ...

    def add_topup(
        self,
        supplier_id: str,
        reference: str,
        state: TopupState,
        carrier_ref: str | None = None,
        at: datetime | None = None,
    ) -> None: ...


def seed_supplier(ctx: Context, book: SupplierBook) -> int:
    """Give the sandbox supplier a record of every delivered key and top-up; return how many.

    The record is a stable function of the item id, so every path of a review shows up among
    the demo orders: keys the supplier calls invalid, used before or after delivery, unused;
    top-ups that failed upstream, succeeded, or are still processing.
    """
    count = 0
    after: str | None = None
    now = ctx.clock.now()
    while True:
        with ctx.read() as uow:
            page = uow.orders.search(OrderFilter(after=after, limit=200))
        for order in page:
            count += _record(ctx, book, order, now)
        if len(page) < 200:
            return count
        after = page[-1].id


def _record(ctx: Context, book: SupplierBook, order: Order, now: datetime) -> int:
    if order.delivery_status is not DeliveryStatus.DELIVERED or order.delivered_at is None:
        return 0
    delivered = order.delivered_at
    for item in order.items:
        roll = zlib.crc32(item.id.encode()) % 10
        if item.secret is not None:
            key = card_key_of(ctx, order, item)
            if roll < 4:
                book.add_card(order.supplier_id, key, CardState.INVALID)
            elif roll < 6:
                book.add_card(order.supplier_id, key, CardState.REDEEMED, delivered - timedelta(minutes=2), "江苏 ***")
            elif roll < 8:
                used = min(delivered + timedelta(minutes=20), now)
                book.add_card(order.supplier_id, key, CardState.REDEEMED, used, "广东 138****2048")
            else:
                book.add_card(order.supplier_id, key, CardState.UNUSED)
        elif order.product_kind is ProductKind.DIRECT_TOPUP:
            reference = topup_reference(order, item.id)
            if roll < 5:
                book.add_topup(order.supplier_id, reference, TopupState.FAILED, None, delivered)
            elif roll < 8:
                carrier = f"CMCC{roll}{item.id[-6:]}"
                book.add_topup(order.supplier_id, reference, TopupState.SUCCEEDED, carrier, delivered)
            else:
                book.add_topup(order.supplier_id, reference, TopupState.PROCESSING)
    return len(order.items)


class PaymentBook(Protocol):
    """Where the demo records the payments its gateways took: the payment sandboxes."""

    def add_trade(self, order: Order) -> bool: ...


def seed_payments(ctx: Context, book: PaymentBook) -> int:
    """Tell the payment sandboxes about every demo order paid through them; return how many."""
    count = 0
    after: str | None = None
    while True:
        with ctx.read() as uow:
            page = uow.orders.search(OrderFilter(after=after, limit=200))
        count += sum(1 for order in page if book.add_trade(order))
        if len(page) < 200:
            return count
        after = page[-1].id
