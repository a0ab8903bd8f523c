"""Tolerant matching: long numbers forgive a few misread characters, keys and short numbers none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.builders import order
from tuika.review.fields import Fields
from tuika.review.matching import corrections, find, match, settles, tolerance
from tuika.review.ocr import OcrLine, OcrText

OURS = "KM2026112012345678901234"


@pytest.mark.parametrize(("length", "allowed"), [(6, 0), (11, 0), (12, 1), (19, 1), (20, 2), (28, 2), (40, 2)])
def test_the_tolerance_grows_with_the_length(length: int, allowed: int) -> None:
    assert tolerance(length) == allowed


@pytest.mark.parametrize(
    ("read", "expected"),
    [
        ("KM2026112012345678901234", 0),
        ("km2026 1120 1234 5678 9012 34", 0),  # case, spaces
        ("KM2O26112O12345678901234", 0),  # look-alikes are not corrections
        ("KM2026112012345678901284", 1),
        ("KM202611201234567890123", 1),  # one character lost
        ("KM2026112012345678961284", 2),
        ("KM2026112012345678967284", None),  # three: another number
        ("2026112012345678901234", 2),  # the shop prefix not read
    ],
)
def test_corrections_count_what_was_forgiven(read: str, expected: int | None) -> None:
    assert corrections(read, OURS) == expected


def test_a_short_number_must_agree_exactly() -> None:
    assert corrections("ord_10002", "ord_10001") is None  # 9 characters: a wrong one is another order
    assert corrections("ORD_1OOO1", "ord_10001") == 0


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("商家订单号 KM2026112012345678901234", ("KM2026112012345678901234", 0)),
        ("KM20261120123456\n78901234 商家订单号", ("KM20261120123456\n78901234", 0)),  # wrapped
        ("订单 KM2026-1120-1234-5678-9012-34 已完成", ("KM2026-1120-1234-5678-9012-34", 0)),
        ("单号KM2026112012345678901284付款", ("KM2026112012345678901284", 1)),
        ("单号KM2026112012345678967284付款", None),
        ("", None),
    ],
)
def test_the_text_is_searched_for_the_orders_own_number(text: str, found: tuple[str, int] | None) -> None:
    assert find(text, OURS) == found


def test_a_card_key_is_found_in_the_text_only_exactly() -> None:
    key = "6926716220611478"
    on = order()

    grouped = match(Fields(), on, {"oi_1": key}, "兑换码 6926 7162 2061 1478 无效")
    one_off = match(Fields(), on, {"oi_1": key}, "兑换码 6926 7162 2061 1479 无效")

    assert [(m.field, m.matches, m.item_id) for m in grouped] == [("card_key", True, "oi_1")]
    assert one_off == ()  # a key typed one digit wrong is invalid for real, and is not ours


def test_an_unlabelled_order_number_the_field_rules_miss_is_matched_from_the_text() -> None:
    on = order()
    text = f"账单详情\n-99.50\n{on.transaction_id}\n{on.id}"

    found = [(m.code, m.read, m.corrections) for m in match(Fields(), on, {}, text)]

    assert found == [("order_number_matches", on.id, 0), ("order_number_is_transaction", on.transaction_id, 0)]


def test_the_trade_number_must_agree_exactly_its_neighbour_is_another_payment() -> None:
    paid = replace(order(), transaction_id="2026112022001412345678901234")
    next_payment = "2026112022001412345678901235"

    [read] = match(Fields(order_numbers=(next_payment,)), paid, {})
    searched = match(Fields(), paid, {}, f"交易号 {next_payment}")

    assert (read.matches, read.code) == (False, "order_number_differs")
    assert searched == ()


def test_a_key_that_is_this_orders_own_number_is_read_as_the_number() -> None:
    on = replace(order(), id=OURS)

    found = match(Fields(card_keys=(OURS,)), on, {"oi_1": "ABCD-EFGH-JKLM-NPQR"})

    assert [(m.field, m.matches, m.code) for m in found] == [("order_number", True, "order_number_matches")]


def lines_read(*lines: tuple[str, float]) -> OcrText:
    return OcrText(tuple(OcrLine(text, (0, 30 * n, 600, 30 * n + 24), conf) for n, (text, conf) in enumerate(lines)))


@pytest.mark.parametrize(
    ("confidence", "forgiven"),
    [
        (0.93, True),  # the engine was unsure of the line: a misread, forgiven
        (0.9999, False),  # it was sure: the character differs on the screen, so it is an edit
    ],
)
def test_a_correction_is_forgiven_only_where_the_engine_was_unsure(confidence: float, forgiven: bool) -> None:
    on = replace(order(), id=OURS)
    one_off = OURS[:-1] + "9"
    text = lines_read(("订单详情", 0.9999), (f"订单号：{one_off}", confidence))

    [read] = match(Fields(order_numbers=(one_off,)), on, {}, text)

    assert (read.matches, read.corrections if forgiven else read.code) == (
        (True, 1) if forgiven else (False, "order_number_differs")
    )


def test_an_exact_read_needs_no_forgiving_however_sure() -> None:
    on = replace(order(), id=OURS)

    [read] = match(Fields(order_numbers=(OURS,)), on, {}, lines_read((f"订单号：{OURS}", 0.9999)))

    assert (read.matches, read.code) == (True, "order_number_matches")


def test_a_number_wrapped_over_two_lines_takes_the_lower_confidence() -> None:
    on = replace(order(), id=OURS)
    one_off = OURS[:-1] + "9"
    text = lines_read((one_off[:12], 0.9999), (one_off[12:], 0.91))

    [read] = match(Fields(), on, {}, text)

    assert (read.matches, read.corrections) == (True, 1)


def test_a_number_cut_short_at_its_end_is_forgiven_however_sure() -> None:
    on = replace(order(), id=OURS)
    cut = OURS[:-2]  # the screen's edge took its last two characters

    [read] = match(Fields(order_numbers=(cut,)), on, {}, lines_read((f"订单号：{cut}", 0.9999)))

    assert (read.matches, read.corrections) == (True, 2)


def test_only_a_read_tied_to_this_order_without_forgiving_settles_it() -> None:
    on = replace(order(), id=OURS)
    one_off = OURS[:-1] + "9"
    unsure = lines_read((f"订单号：{one_off}", 0.9))

    assert settles(match(Fields(order_numbers=(OURS,)), on, {}, lines_read((f"订单号：{OURS}", 0.9))))
    assert not settles(match(Fields(order_numbers=(one_off,)), on, {}, unsure))  # forgiven: read again
    assert not settles(match(Fields(amounts=(on.amount,)), on, {}))  # nothing ties it to this order
