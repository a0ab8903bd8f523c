"""A number read with a few OCR errors is this order's, unless another order we hold is as close."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Auth, push
from tests.support.factories import card_key_for, order_payload
from tuika.bootstrap import System
from tuika.domain.ids import OrderId
from tuika.review.fields import Fields
from tuika.review.matching import match
from tuika.services.review.reading import judge_read

OURS = "KM2026112012345678901234"  # a shop prefix and 22 digits, as real platforms number orders
NEXT = "KM2026112012345678901239"  # the order placed just after, in the same shop


def judged(system: System, read: str, text: str = "") -> tuple[tuple[str, ...], int]:
    with system.ctx.read() as uow:
        order = uow.orders.get(OrderId(OURS))
        assert order is not None
        fields = Fields(order_numbers=(read,)) if read else Fields()
        matches = match(fields, order, {}, text)
        numbers = [m for m in matches if m.field == "order_number"]
        return judge_read(system.ctx, uow, order, fields, matches), max((m.corrections for m in numbers), default=-1)


@pytest.fixture
def shop(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload(OURS))


def test_a_long_number_with_two_misread_digits_is_this_orders(system: System, shop: None) -> None:
    codes, fixed = judged(system, "KM2026112012345678961284")

    assert (codes, fixed) == (("ocr_matches_order",), 2)


def test_three_wrong_characters_are_another_number(system: System, shop: None) -> None:
    codes, _ = judged(system, "KM2026112012345678967284")

    assert codes == ("ocr_contradicts_order",)


def test_another_order_we_hold_is_caught_though_the_tolerance_would_take_it(
    client: TestClient, auth: Auth, system: System, shop: None
) -> None:
    push(client, auth, order_payload(NEXT, buyer="buyer_2"))

    exact, _ = judged(system, NEXT)  # one character from ours: within the tolerance
    misread, _ = judged(system, "KM2026112O12345678901289")  # the other one, misread once more

    assert exact == ("evidence_names_other_order",)
    assert misread == ("evidence_names_other_order",)


def test_this_orders_number_on_no_label_is_found_in_the_text(system: System, shop: None) -> None:
    text = "账单详情\n-99.50\n交易成功\nKM2026 1120 1234 5678 9012 34\n商家订单号"

    codes, fixed = judged(system, "", text)

    assert (codes, fixed) == (("ocr_matches_order",), 0)


def judged_with_key(system: System, number: str, key: str) -> tuple[str, ...]:
    with system.ctx.read() as uow:
        order = uow.orders.get(OrderId(OURS))
        assert order is not None
        fields = Fields(order_numbers=(number,), card_keys=(key,))
        keys = {f"{OURS}_i0": card_key_for(OURS, 0)}
        return judge_read(system.ctx, uow, order, fields, match(fields, order, keys))


def test_a_top_up_sites_own_number_beside_this_orders_key_is_no_doubt(system: System, shop: None) -> None:
    site = "CZ20261120125952766"  # the site's 充值单号, printed beside the key it refused

    beside_our_key = judged_with_key(system, site, card_key_for(OURS, 0))
    beside_another_key = judged_with_key(system, site, "ZZZZ-YYYY-XXXX-WWWW")
    alone, _ = judged(system, site)

    assert beside_our_key == ("ocr_matches_order",)
    assert beside_another_key == ("ocr_contradicts_order",)
    assert alone == ("ocr_contradicts_order",)


def test_another_of_our_orders_beside_this_orders_key_is_still_caught(
    client: TestClient, auth: Auth, system: System, shop: None
) -> None:
    push(client, auth, order_payload(NEXT, buyer="buyer_2"))

    assert judged_with_key(system, NEXT, card_key_for(OURS, 0)) == ("evidence_names_other_order",)


def test_this_orders_number_edited_beside_its_key_is_still_a_doubt(system: System, shop: None) -> None:
    edited = "KM2026112012345678967284"  # three characters changed: past the tolerance, but ours

    assert judged_with_key(system, edited, card_key_for(OURS, 0)) == ("ocr_contradicts_order",)
