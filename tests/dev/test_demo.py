"""The demo data shows every path a refund can take."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime

from tuika.domain.orders import DeliveryStatus, ProductKind
from tuika_dev.demo import orders

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_demo_orders_cover_buyers_merchants_suppliers_and_kinds() -> None:
    made = [order for order, _, _ in orders(NOW)]
    assert len(made) >= 60
    assert len({o.buyer_id for o in made}) == 5
    assert len({o.merchant_id for o in made}) == 3
    assert len({o.supplier_id for o in made}) == 2
    # Each shop and supplier by the one name people know it by, in Chinese.
    assert len({(o.merchant_id, o.merchant_name) for o in made}) == 3
    assert len({(o.supplier_id, o.supplier_name) for o in made}) == 2
    assert all(re.search(r"[\u4e00-\u9fff]{4}", name) for o in made for name in (o.merchant_name, o.supplier_name))
    assert len({o.sku for o in made}) >= 10
    assert {o.product_kind for o in made} == set(ProductKind)


def test_demo_orders_mix_deliveries_and_hold_several_keys() -> None:
    made = orders(NOW)
    statuses = Counter(order.delivery_status for order, _, _ in made)
    assert statuses[DeliveryStatus.DELIVERED] >= 30
    assert statuses[DeliveryStatus.PENDING] >= 3
    assert statuses[DeliveryStatus.FAILED] >= 3
    assert any(len(order.items) > 1 for order, _, _ in made)
    late = [o for o, _, _ in made if o.delivered_at is not None and (o.delivered_at - o.paid_at).total_seconds() > 600]
    assert late, "some deliveries are delayed"


def test_delivered_key_orders_carry_a_key_per_item_top_ups_an_account_and_others_none() -> None:
    for order, keys, accounts in orders(NOW):
        keyed = order.product_kind in (ProductKind.CARD_KEY, ProductKind.MEMBERSHIP)
        if keyed and order.delivery_status is DeliveryStatus.DELIVERED:
            assert set(keys) == set(order.item_ids())
        else:
            assert keys == {}
        assert set(accounts) == (set() if keyed else set(order.item_ids()))
        assert all(re.fullmatch(r"1[3-8]\d{9}", a) for a in accounts.values())
        assert all(i.account_enc is None and i.secret is None for i in order.items)  # sealed when synced
        assert order.paid_at <= NOW
        assert order.delivered_at is None or order.paid_at <= order.delivered_at <= NOW


def test_demo_orders_are_the_same_for_the_same_seed() -> None:
    assert orders(NOW, seed=3) == orders(NOW, seed=3)
    assert orders(NOW, seed=3) != orders(NOW, seed=4)
