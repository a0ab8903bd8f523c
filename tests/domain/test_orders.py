from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import DELIVERED_AT, PAID_AT, item, order
from tuika.domain.errors import InvalidInput, UnknownItems
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, anchor_time, resolve_items


def test_item_amounts_split_the_order_exactly() -> None:
    three = order(amount=1000, n_items=3)

    assert three.item_amounts() == {"oi_1": Money(334), "oi_2": Money(333), "oi_3": Money(333)}
    assert three.amount_for(("oi_2", "oi_3")) == Money(666)
    assert three.amount_for(()) == Money(0)
    assert three.item_ids() == ("oi_1", "oi_2", "oi_3")


def test_an_order_without_items_has_no_item_amounts() -> None:
    assert order(items=()).item_amounts() == {}


@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=1, max_value=20))
def test_item_amounts_always_add_up_to_the_order(amount: int, n_items: int) -> None:
    shares = order(amount=amount, n_items=n_items).item_amounts()

    assert len(shares) == n_items
    assert sum(m.fen for m in shares.values()) == amount


def test_resolve_items_means_every_item_when_none_are_named() -> None:
    three = order(n_items=3)

    assert resolve_items(three, None) == ("oi_1", "oi_2", "oi_3")
    assert resolve_items(three, ()) == ("oi_1", "oi_2", "oi_3")


def test_resolve_items_keeps_the_orders_order() -> None:
    assert resolve_items(order(n_items=3), ["oi_3", "oi_1"]) == ("oi_1", "oi_3")


def test_resolve_items_refuses_unknown_items_and_names_them() -> None:
    with pytest.raises(UnknownItems, match="not in order ord_1: oi_7, oi_9") as caught:
        resolve_items(order(n_items=2), ["oi_9", "oi_1", "oi_7"])

    assert caught.value.facts == {"unknown": ["oi_7", "oi_9"]}


def test_resolve_items_refuses_an_item_named_twice() -> None:
    with pytest.raises(InvalidInput, match="item_ids lists an item twice") as caught:
        resolve_items(order(n_items=2), ["oi_1", "oi_1"])

    assert caught.value.facts == {"item_ids": ["oi_1", "oi_1"]}


def test_anchor_time_reads_the_matching_order_time() -> None:
    first = DELIVERED_AT + timedelta(hours=2)
    delivered = order(items=(item(1, activated_at=first + timedelta(hours=1)), item(2, activated_at=first), item(3)))
    pending = order(delivery=DeliveryStatus.PENDING)

    assert anchor_time(delivered, "paid_at") == PAID_AT
    assert anchor_time(delivered, "delivered_at") == DELIVERED_AT
    assert anchor_time(delivered, "activated_at") == first
    assert delivered.activated_at == first
    assert anchor_time(pending, "delivered_at") is None
    assert anchor_time(pending, "activated_at") is None


def test_anchor_time_can_look_at_some_items_only() -> None:
    late = DELIVERED_AT + timedelta(hours=3)
    delivered = order(items=(item(1, activated_at=DELIVERED_AT), item(2, activated_at=late), item(3)))
    by_id = {i.id: i for i in delivered.items}

    assert anchor_time(delivered, "activated_at", {"oi_2": by_id["oi_2"]}) == late
    assert anchor_time(delivered, "activated_at", {"oi_3": by_id["oi_3"]}) is None


def test_anchor_time_refuses_an_unknown_anchor() -> None:
    with pytest.raises(ValueError, match="unknown anchor 'shipped_at'"):
        anchor_time(order(), "shipped_at")
