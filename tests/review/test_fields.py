from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.builders import PAID_AT, item, order
from tuika.domain.clock import SHANGHAI
from tuika.domain.money import Money
from tuika.review.fields import Fields, extract
from tuika.review.matching import FieldMatch, MatchCode, canonical, match
from tuika.review.ocr import OcrLine, OcrText

# PAID_AT is 2024-06-01 12:00 UTC, shown on screens as 2024-06-01 20:00 in Shanghai.


def utc(day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


# --- extraction: a whole screen ---------------------------------------------------------------


def test_reads_every_field_of_an_order_detail_screen() -> None:
    text = "\n".join(
        [
            "订单详情",
            "订单号：ord_demo_016",
            "卡密：ABCD-EFGH-JK01-NPQR",
            "兑换提示：卡密已被使用（错误码：40012）",
            "实付：￥100.00",
            "下单时间 2026-11-22 15:30:12",
            "客服电话 13800138000",
        ]
    )

    assert extract(text) == Fields(
        order_numbers=("ord_demo_016",),
        card_keys=("ABCD-EFGH-JK01-NPQR",),
        error_codes=("40012",),
        error_texts=(("card_used", "已被使用"),),
        amounts=(Money(10_000),),
        times=(utc(22, 7, 30, 12),),
        phones=("13800138000",),
    )


def test_takes_ocr_text_lines_as_well_as_a_string() -> None:
    ocr = OcrText(
        (
            OcrLine("订单号：DD2026112200123", (0, 0, 300, 20), 0.98),
            OcrLine("充值失败", (0, 30, 100, 50), 0.91),
        )
    )

    assert extract(ocr) == Fields(order_numbers=("DD2026112200123",), error_texts=(("topup_failed", "充值失败"),))


@pytest.mark.parametrize(
    "text", ["", "   \n  \n", "您好，请问有什么可以帮您？", "订单详情\n下单时间\n订单金额", "11-22 15:30"]
)
def test_finds_nothing_in_text_without_fields(text: str) -> None:
    assert extract(text) == Fields()


# --- order numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("订单号：20261122153012345678", "20261122153012345678"),
        ("订单编号: DD2026112200123", "DD2026112200123"),
        ("订单 bench_ab12_o5", "bench_ab12_o5"),
        ("Order No.: 2026112215301234567890", "2026112215301234567890"),
        ("order id 88812345", "88812345"),
        ("交易单号 4200001234202611221234567890", "4200001234202611221234567890"),
        ("您的订单DD2026112200123已发货", "DD2026112200123"),
        ("订单号：\n20261122153012345678", "20261122153012345678"),  # value on the next line
        ("订单号：２０２６１１２２１５３０", "202611221530"),  # full-width digits
    ],
)
def test_reads_order_numbers_after_labels(text: str, number: str) -> None:
    assert extract(text).order_numbers == (number,)


def test_reads_our_own_order_ids_without_a_label() -> None:
    assert extract("见 ord_demo_016 和 ord_1。record_7 不是").order_numbers == ("ord_demo_016", "ord_1")


@pytest.mark.parametrize("text", ["订单 2026-11-22", "订单号：N/A", "订单号：12", "订单状态：已完成"])
def test_a_label_without_an_id_after_it_gives_no_order_number(text: str) -> None:
    assert extract(text).order_numbers == ()


def test_a_labelled_digit_run_is_an_order_number_not_a_card_key_or_phone() -> None:
    fields = extract("订单号：1234567890123456\n订单号：13912345678")

    assert fields.order_numbers == ("1234567890123456", "13912345678")
    assert fields.card_keys == ()
    assert fields.phones == ()


# --- card keys --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["ABCD-EFGH-JK01-NPQR", "ABCDE-FGHJK-01234-NPQRS", "ab12-cd34-ef56-gh78-jk90-mn12", "1234567890123456"],
)
def test_reads_card_keys_by_shape(key: str) -> None:
    assert extract(f"您购买的商品 {key} 请查收").card_keys == (key,)


def test_reads_twenty_character_keys_of_capitals_and_digits() -> None:
    assert extract("A1B2C3D4E5F6G7H8J9K0").card_keys == ("A1B2C3D4E5F6G7H8J9K0",)


@pytest.mark.parametrize(
    "text",
    [
        "ABCD-EFGH-JK01",  # three groups
        "ABCD-EFGH-JK01-NPQR-STUV-WXYZ-2345",  # seven groups
        "ABCDEFGHJKLMNPQRSTUV",  # twenty letters: a word, not a key
        "12345678901234567890",  # twenty digits: a trade number more likely than a key
        "123456789012345",  # fifteen digits
        "2026112212345678",  # sixteen digits that open with a date: a platform number
    ],
)
def test_ignores_tokens_that_only_look_like_keys(text: str) -> None:
    assert extract(text).card_keys == ()


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("卡密：K8Q2M7XW4P", "K8Q2M7XW4P"),
        ("卡号: 2026112212345678", "2026112212345678"),  # a label overrides the date-prefix doubt
        ("密码 889900112233", "889900112233"),
        ("CDKEY：ABCDEFGHJKLM", "ABCDEFGHJKLM"),
        ("cd-key=X7Y8-Z9W0-V1U2", "X7Y8-Z9W0-V1U2"),
        ("卡密：\nABCD-EFGH-JK01-NPQR", "ABCD-EFGH-JK01-NPQR"),
        ("卡密：ABCD EFGH JK01 NPQR", "ABCD EFGH JK01 NPQR"),  # spaces kept as read
    ],
)
def test_reads_card_keys_after_labels(text: str, key: str) -> None:
    assert extract(text).card_keys == (key,)


@pytest.mark.parametrize("text", ["密码：password", "卡号或密码错误", "卡密：已被使用", "密码 1234"])
def test_a_card_label_before_prose_gives_no_key(text: str) -> None:
    assert extract(text).card_keys == ()


def test_reads_a_card_number_and_password_pair_as_two_keys() -> None:
    assert extract("卡号：1100223344556677 密码：998877665544").card_keys == ("1100223344556677", "998877665544")


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("兑换失败 E1023", "E1023"),
        ("ERR_CARD_USED", "ERR_CARD_USED"),
        ("错误码: 40012", "40012"),
        ("（错误代码：A-3）错误码：A3001", "A3001"),
        ("code=3001", "3001"),
        ("errcode: 10086", "10086"),
        ("Error code: ERR_TIMEOUT", "ERR_TIMEOUT"),
    ],
)
def test_reads_error_codes(text: str, code: str) -> None:
    assert extract(text).error_codes == (code,)


def test_error_codes_inside_other_tokens_are_not_read() -> None:
    assert extract("ABCE1023X barcode=abc MODE1234").error_codes == ()


@pytest.mark.parametrize(
    "text",
    [
        "Item: JD-E100",  # a product's SKU
        "商品：STEAM-E1000-CN",
        "型号 E100-PRO",
        "SKU: XB-E2024\n卡密已被使用",
        "Product code: JD-E100",
    ],
)
def test_an_error_code_is_not_taken_out_of_a_dash_joined_product_code(text: str) -> None:
    assert extract(text).error_codes == ()


@pytest.mark.parametrize(
    ("text", "code"), [("兑换失败（E1023）", "E1023"), ("提示-E1023", "E1023"), ("E1023-", "E1023")]
)
def test_an_error_code_beside_punctuation_is_still_read(text: str, code: str) -> None:
    assert extract(text).error_codes == (code,)


@pytest.mark.parametrize(
    ("phrase", "key"),
    [
        ("已被使用", "card_used"),
        ("已使用", "card_used"),
        ("已被兑换", "card_used"),
        ("卡密无效", "card_invalid"),
        ("卡密错误", "card_invalid"),
        ("无效卡密", "card_invalid"),
        ("卡号或密码错误", "card_invalid"),
        ("已过期", "card_expired"),
        ("已失效", "card_expired"),
        ("充值失败", "topup_failed"),
        ("未到账", "not_received"),
        ("没到账", "not_received"),
        ("订单不存在", "order_unknown"),
    ],
)
def test_maps_error_phrases_to_their_keys(phrase: str, key: str) -> None:
    assert extract(f"提示：该{phrase}，请联系客服").error_texts == ((key, phrase),)


def test_error_phrases_are_read_through_ocr_spacing_and_in_order() -> None:
    fields = extract("卡密 已 被 使 用\n充值失败，钱没到账")

    assert fields.error_texts == (("card_used", "已被使用"), ("topup_failed", "充值失败"), ("not_received", "没到账"))


# --- amounts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("¥100.00", 10_000),
        ("￥ 99.5", 9_950),
        ("面值100元", 10_000),
        ("100.00 元", 10_000),
        ("金额：100.00", 10_000),
        ("订单金额: ¥ 58.8", 5_880),
        ("RMB 20", 2_000),
        ("30 CNY", 3_000),
        ("¥1,299.00", 129_900),
        ("实付款 0.01", 1),
    ],
)
def test_reads_amounts_in_fen(text: str, fen: int) -> None:
    assert extract(text).amounts == (Money(fen),)


@pytest.mark.parametrize(("text", "fen"), [("Y100.00", 10_000), ("X 50.00", 5_000), ("实付?99.00", 9_900)])
def test_accepts_a_misread_yuan_sign_before_two_decimals(text: str, fen: int) -> None:
    assert extract(text).amounts == (Money(fen),)


@pytest.mark.parametrize("text", ["Y100", "X 50.0", "Y100.000", "MAX 50.00", "?99", "100.00", "版本 2.15"])
def test_refuses_misreads_and_bare_numbers_as_amounts(text: str) -> None:
    assert extract(text).amounts == ()


def test_the_same_amount_in_two_forms_is_reported_once() -> None:
    # On its label's own line, unsigned 优惠 ¥5.00 is what was taken off, not an amount.
    assert extract("¥100.00\n合计 100元\n优惠 ¥5.00").amounts == (Money(10_000),)


def test_unsigned_after_a_discount_label_across_lines_stays_an_amount() -> None:
    # Labels after their values: the number after 优惠 is the next label's value, what was paid.
    assert extract("-¥0.50\n优惠\n¥99.50\n实付款").amounts == (Money(9_950),)


@pytest.mark.parametrize(
    "text",
    [
        "¥50.00\n商品总额\n-¥1.00\n店铺优惠\n¥49.00\n实付款",  # who gives it, before the label
        "¥50.00\n商品总额\n红包抵扣\n-¥1.00\n¥49.00\n实付款",  # the label before, on its own line
        "商品总额 ¥50.00\n平台红包 ¥1.00\n实付款 ¥49.00",  # unsigned, on the label's line
    ],
)
def test_a_discount_however_laid_out_is_not_an_amount(text: str) -> None:
    assert extract(text).amounts == (Money(5_000), Money(4_900))


def test_a_space_grouped_key_may_end_in_a_short_group() -> None:
    assert extract("卡号\n7601 1697 2089 8738 95\n复制\n密码").card_keys == ("7601 1697 2089 8738 95",)


@pytest.mark.parametrize("line", ["优惠 -¥0.50", "红包抵扣：-¥2.00", "优惠券 -¥5", "立减 −1.20元", "积分抵扣 -0.30"])
def test_what_a_page_takes_off_is_not_read_as_what_was_paid(line: str) -> None:
    assert extract(f"实付 ¥99.50\n{line}").amounts == (Money(9_950),)


def test_on_a_page_that_writes_labels_after_values_the_discount_is_still_told_from_what_was_paid() -> None:
    text = "¥100.00\n商品金额\n-¥0.50\n优惠\n¥99.50\n实付款"

    assert extract(text).amounts == (Money(10_000), Money(9_950))


# --- times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("2026-11-22 15:30:12", utc(22, 7, 30, 12)),
        ("2026/11/22 15:30", utc(22, 7, 30)),
        ("2026.11.22 08:05", utc(22, 0, 5)),
        ("2026年11月22日 15:30", utc(22, 7, 30)),
        ("2026年11月22日15:30:59", utc(22, 7, 30, 59)),
        ("2026-11-22T15:30:12", utc(22, 7, 30, 12)),
        ("2026-11-23 02:00", utc(22, 18, 0)),  # early morning in Shanghai is the previous day in UTC
        ("2026-11-22\n15:30", utc(22, 7, 30)),
    ],
)
def test_reads_shanghai_times_as_aware_utc(text: str, at: datetime) -> None:
    (read,) = extract(text).times

    assert read == at
    assert read.utcoffset() == timedelta(0)


@pytest.mark.parametrize("text", ["11-22 15:30", "2026-11-22", "2026-13-01 10:00", "2026-02-30 10:00", "15:30:12"])
def test_skips_times_without_a_year_or_a_clock_or_that_do_not_exist(text: str) -> None:
    assert extract(text).times == ()


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "phone"), [("手机13800138000", "13800138000"), ("tel 139 1234 5678", "13912345678")])
def test_reads_mobile_numbers_as_digits(text: str, phone: str) -> None:
    assert extract(text).phones == (phone,)


@pytest.mark.parametrize("text", ["12800138000", "1380013800", "138001380001", "DD13800138000"])
def test_ignores_numbers_that_are_not_mobiles(text: str) -> None:
    assert extract(text).phones == ()


# --- wrapped lines ----------------------------------------------------------------------------


def test_a_date_split_over_two_lines_is_read_whole() -> None:
    assert extract("【某某充值】您于2026-11-\n22 15:40充值的订单").times == (utc(22, 7, 40),)


def test_an_order_number_split_over_two_lines_is_read_both_ways() -> None:
    fields = extract("【某某】您的订单20261122153012\n345678已发货")

    # Which reading is right cannot be told from text alone; matching settles it.
    assert fields.order_numbers == ("20261122153012", "20261122153012345678")


def test_a_card_key_and_an_error_split_over_lines_are_read_whole() -> None:
    fields = extract("您的卡密ABCD-EFGH-\nJK01-NPQR充值失\n败")

    assert fields.card_keys == ("ABCD-EFGH-JK01-NPQR",)
    assert fields.error_texts == (("topup_failed", "充值失败"),)


def test_joining_lines_does_not_fuse_an_id_with_the_next_line() -> None:
    fields = extract("订单号：ord_demo_016\n2026-11-22 15:30\n手机\n13800138000")

    assert fields.order_numbers == ("ord_demo_016",)
    assert fields.times == (utc(22, 7, 30),)
    assert fields.phones == ("13800138000",)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("Order no: ord_demo_001\nItem: JD-E100", "ord_demo_001"),  # the next line's label
        ("订单号：DD2026112200123\nSKU: STEAM-50", "DD2026112200123"),
        ("Order ID: A1B2C3D4\nStatus: delivered", "A1B2C3D4"),
        ("订单编号 88230011\nstatus：已完成", "88230011"),
        ("ord_shop_77\nProduct JD card", "ord_shop_77"),  # an ordinary word on the next line
        ("订单号：ord_demo_001Item：JD-E100", "ord_demo_001"),  # OCR dropped the line break
        ("Order no: 20261122000123Paid ¥10.00", "20261122000123"),  # and here the space
    ],
)
def test_an_order_number_does_not_absorb_a_word_glued_to_it(text: str, number: str) -> None:
    assert extract(text).order_numbers == (number,)


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("订单号：DD2026ABCD", ("DD2026ABCD",)),
        ("订单号：DD2026\nABCD", ("DD2026", "DD2026ABCD")),  # letters that may be the id's own
        ("order id: pi_3NxAbcdef1", ("pi_3NxAbcdef1",)),
        ("Order no: ORD2026XY", ("ORD2026XY",)),
        ("ord_12abc", ("ord_12abc",)),
        ("ord_demo_001: 已退款", ("ord_demo_001",)),
    ],
)
def test_letters_that_belong_to_an_order_number_are_kept(text: str, numbers: tuple[str, ...]) -> None:
    assert extract(text).order_numbers == numbers


def test_a_label_cut_by_a_line_break_still_decides_the_category() -> None:
    fields = extract("订单\n号：1234567890123456")

    assert fields.order_numbers == ("1234567890123456",)
    assert fields.card_keys == ()


# --- matching ---------------------------------------------------------------------------------

KEY = "ABCD-EFGH-JK01-NPQR"


def test_canonical_folds_only_the_listed_confusions() -> None:
    assert canonical("oIlSBZ - x") == canonical("0115 82X")
    assert canonical("A") != canonical("4")
    assert canonical("G") != canonical("6")


@pytest.mark.parametrize("read", ["ord_1", "ORD_1", "0rd_l", "ord_I", "ord-_1"])
def test_an_order_number_matches_through_ocr_confusions(read: str) -> None:
    assert match(Fields(order_numbers=(read,)), order(), {}) == (
        FieldMatch("order_number", read, "ord_1", True, "order_number_matches"),
    )


@pytest.mark.parametrize("read", ["ord_2", "ord_11", "ord_", "rd_1"])
def test_an_order_number_one_character_off_does_not_match(read: str) -> None:
    assert match(Fields(order_numbers=(read,)), order(), {}) == (
        FieldMatch("order_number", read, "ord_1", False, "order_number_differs"),
    )


def test_a_payment_trade_number_matches_the_transaction_id() -> None:
    paid = replace(order(), transaction_id="2026112222001412345678")

    assert match(Fields(order_numbers=("2026112222001412345678",)), paid, {}) == (
        FieldMatch(
            "order_number", "2026112222001412345678", "2026112222001412345678", True, "order_number_is_transaction"
        ),
    )


def test_a_card_key_matches_its_item_with_the_key_masked_and_the_reading_raw() -> None:
    two = order(n_items=2)
    keys = {"oi_1": "ZZZZ-YYYY-XXXX-WWWW", "oi_2": KEY}

    assert match(Fields(card_keys=("abcd efgh jkO1 npqr",)), two, keys) == (
        FieldMatch("card_key", "abcd efgh jkO1 npqr", "ABCD-****-****-NPQR", True, "card_key_matches", "oi_2"),
    )


@pytest.mark.parametrize(
    "read", ["ABCD-EFGH-JK01-NPQ8", "ABCD-EFGH-JK07-NPQR", "ABCD-EFGH-JK01", "4BCD-EFGH-JK01-NPQR"]
)
def test_a_card_key_with_a_believable_wrong_character_does_not_match(read: str) -> None:
    assert match(Fields(card_keys=(read,)), order(), {"oi_1": KEY}) == (
        FieldMatch("card_key", read, None, False, "card_key_not_in_order"),
    )


def test_a_card_key_matches_one_part_of_a_number_and_password_pair() -> None:
    keys = {"oi_1": "1100223344556677 998877665544"}

    (number, password) = match(Fields(card_keys=("1100223344556677", "99887766554A")), order(), keys)

    assert (number.matches, number.item_id) == (True, "oi_1")
    assert (password.matches, password.item_id) == (False, None)


def test_a_card_key_of_an_item_outside_the_order_does_not_match() -> None:
    assert match(Fields(card_keys=(KEY,)), order(), {"oi_9": KEY})[0].matches is False


@pytest.mark.parametrize(
    ("fen", "expected", "matches", "code", "item_id"),
    [
        (10_000, "100.00", True, "amount_matches_order", None),
        (3_334, "33.34", True, "amount_matches_item", "oi_1"),
        (3_333, "33.33", True, "amount_matches_item", None),  # two items share it: which one is unknown
        (10_500, "105.00", True, "amount_matches_face_value", None),
        (10_001, "100.00", False, "amount_differs", None),
        (1_000, "100.00", False, "amount_differs", None),
    ],
)
def test_amounts_match_the_order_an_item_or_the_face_value(
    fen: int, expected: str, matches: bool, code: MatchCode, item_id: str | None
) -> None:
    three = replace(order(n_items=3), face_value=Money(10_500))

    (result,) = match(Fields(amounts=(Money(fen),)), three, {})

    assert result == FieldMatch("amount", Money(fen).yuan(), expected, matches, code, item_id)


@pytest.mark.parametrize(
    ("minutes", "matches", "code", "anchor"),
    [
        (0, True, "time_near_paid_at", PAID_AT),
        (-10, True, "time_near_paid_at", PAID_AT),
        (2, True, "time_near_paid_at", PAID_AT),
        (4, True, "time_near_delivered_at", PAID_AT + timedelta(minutes=5)),
        (15, True, "time_near_delivered_at", PAID_AT + timedelta(minutes=5)),
        (16, True, "time_after_payment", PAID_AT + timedelta(minutes=5)),
        (-11, False, "time_before_payment", PAID_AT),
        (-60 * 24, False, "time_before_payment", PAID_AT),
    ],
)
def test_times_match_payment_or_delivery_within_ten_minutes(
    minutes: int, matches: bool, code: MatchCode, anchor: datetime
) -> None:
    at = PAID_AT + timedelta(minutes=minutes)

    (result,) = match(Fields(times=(at,)), order(), {})

    assert result == FieldMatch("time", at.isoformat(), anchor.isoformat(), matches, code)


def test_a_time_long_after_an_undelivered_order_is_after_payment() -> None:
    pending = replace(order(), delivered_at=None)
    at = PAID_AT + timedelta(hours=3)

    assert match(Fields(times=(at,)), pending, {}) == (
        FieldMatch("time", at.isoformat(), PAID_AT.isoformat(), True, "time_after_payment"),
    )


def test_nothing_read_means_nothing_to_match() -> None:
    assert match(Fields(), order(), {"oi_1": KEY}) == ()


def test_a_screenshot_read_and_matched_end_to_end() -> None:
    bought = order(items=(item(1),))
    text = (
        "订单号：ord_l\n卡密：ABCD-EFGH-JKO1-NPQR\n卡密已被使用\n实付：Y100.00\n2024-06-01 20:01:10\n2024-05-31 09:00"
    )

    results = match(extract(text), bought, {"oi_1": KEY})

    assert [(r.field, r.read, r.matches, r.code) for r in results] == [
        ("order_number", "ord_l", True, "order_number_matches"),
        ("card_key", "ABCD-EFGH-JKO1-NPQR", True, "card_key_matches"),
        ("amount", "100.00", True, "amount_matches_order"),
        ("time", "2024-06-01T12:01:10+00:00", True, "time_near_paid_at"),
        ("time", "2024-05-31T01:00:00+00:00", False, "time_before_payment"),
    ]


def test_a_wrapped_order_number_matches_on_its_whole_reading_only() -> None:
    platform = replace(order(), id="20261122153012345678")

    results = match(extract("您的订单20261122153012\n345678已发货"), platform, {})

    assert [(r.read, r.matches) for r in results] == [("20261122153012", False), ("20261122153012345678", True)]


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("账单详情\n-99.50\n交易成功", 9_950),
        ("账单详情\n− 1,299.00\n交易成功", 129_900),
        ("全部账单\n-29.40 \n支付时间", 2_940),
        ("账单详情\n—99.50\n交易成功", 9_950),  # the minus read as an em dash
        ("账单详情\n－8.00\n交易成功", 800),  # a full-width minus
    ],
)
def test_a_payment_apps_bill_shows_what_was_paid_signed_on_a_line_of_its_own(text: str, fen: int) -> None:
    assert extract(text).amounts == (Money(fen),)


@pytest.mark.parametrize("text", ["温度 -5.00 摄氏度", "差额 -12.50 已退回", "-12.5\n", "编号\n-1234\n"])
def test_a_minus_amount_inside_a_sentence_or_without_cents_is_not_a_bill_amount(text: str) -> None:
    assert extract(text).amounts == ()


@pytest.mark.parametrize(
    "phrase", ["兑换失败：兑换码无效（错误码：E4269）", "激活码无效，请检查后重新输入。", "提示：激活码错误"]
)
def test_a_key_named_by_its_products_word_is_still_an_invalid_key(phrase: str) -> None:
    assert [key for key, _ in extract(phrase).error_texts] == ["card_invalid"]


@pytest.mark.parametrize(
    ("title", "fen", "code"),
    [
        ("Steam钱包充值卡120元", 2_000, "amount_in_title"),  # 充值卡1 / 20元: the title wrapped
        ("中国移动话费充值卡100元", 0, "amount_in_title"),  # 充值卡10 / 0元
        ("网易一卡通50元×2", 5_000, "amount_matches_face_value"),  # each card's face value, as the title says
        ("腾讯Q币 20元", 3_000, "amount_differs"),  # no number of the title: a price to doubt
        ("Steam钱包充值卡120元", 2_050, "amount_differs"),  # with fen it is a price
        ("京东E卡 100元", 1_000, "amount_differs"),  # 10 is no tail of 100
    ],
)
def test_the_tail_of_a_wrapped_product_title_is_not_a_price(title: str, fen: int, code: MatchCode) -> None:
    titled = replace(order(), title=title, face_value=None)

    (result,) = match(Fields(amounts=(Money(fen),)), titled, {})

    assert (result.code, result.matches) == (code, code != "amount_differs")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("错误代码：0×80046F86", "0x80046F86"),  # OCR's multiplication sign for the x of hex
        ("槽误代码：0x800413F2", "0x800413F2"),  # one character of the label misread
        ("错误代玛：27762", "27762"),
        ("卡号或密码错误（错误码：\n:18218)", "18218"),  # wrapped, and a second colon read
    ],
)
def test_error_codes_survive_ocrs_usual_slips(text: str, code: str) -> None:
    assert extract(text).error_codes == (code,)


def test_a_label_two_characters_away_is_not_an_error_code() -> None:
    assert extract("激活代码：ABCD-EFGH-JKLM-NPQR").error_codes == ()


@pytest.mark.parametrize("phrase", ["无效的激活码", "无效的兑换码", "无效的卡密"])
def test_an_invalid_key_said_the_other_way_round_is_known(phrase: str) -> None:
    assert extract(f"{phrase}，请检查后重新输入。").error_texts == (("card_invalid", phrase),)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("支付时间\n2026-11-08 11146133", datetime(2026, 11, 8, 11, 46, 33, tzinfo=SHANGHAI)),
        ("2026年11月11日02147:17", datetime(2026, 11, 11, 2, 47, 17, tzinfo=SHANGHAI)),
        ("时间：2026-11-28 15:58112", datetime(2026, 11, 28, 15, 58, 12, tzinfo=SHANGHAI)),
    ],
)
def test_a_clock_whose_colons_ocr_read_as_ones_is_still_the_time_after_its_date(text: str, shown: datetime) -> None:
    assert extract(text).times == (shown.astimezone(UTC),)


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-08 25146133",  # no hour 25
        "2026-11-08 11166133",  # no minute 66
        "2026-11-08 1114613",  # seven digits
        "2026-11-08 114613391",  # runs on
        "订单号 11146133",  # no date before it
    ],
)
def test_digits_after_a_date_that_no_clock_shows_are_no_time(text: str) -> None:
    assert extract(text).times == ()
