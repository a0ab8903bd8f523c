"""Masking card keys in what OCR read: the order's own keys in any spelling, then anything shaped like one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import order
from tests.support.keyscan import leaks
from tests.support.screens import KEY_ALPHABET
from tuika.review.fields import extract
from tuika.review.matching import match
from tuika.review.ocr import OcrLine, OcrText
from tuika.review.reading import build_read, mask_lines, masked_text, remask

KEY = "HN4K-M8VB-2CX7-LP9D"
AT = datetime(2026, 11, 22, 7, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("兑换失败 HN4K M8VB 2CX7 LP9D", "兑换失败 HN4K **** **** LP9D"),
        ("卡密 hn4k-m8vb-2cx7-lp9d 已被使用", "卡密 hn4k-****-****-lp9d 已被使用"),
        ("HN4KM8VB2CX7LP9D", "HN4K********LP9D"),
        ("HN4K.M8VB.2CX7.LP9D", "HN4K.****.****.LP9D"),
        ("HN4K - M8VB - 2CX7 - LP9D", "HN4K - **** - **** - LP9D"),
        ("HN 4KM8-VB2C X7LP9D", "HN 4K**-**** **LP9D"),  # grouped anyhow
        ("HN4K-M8V8-2CX7-LP9D", "HN4K-****-****-LP9D"),  # B read as 8
        ("hn4k_m8vb_2cx7_lp9d。", "hn4k_****_****_lp9d。"),
        ("卡密：ＨＮ４Ｋ－Ｍ８ＶＢ－２ＣＸ７－ＬＰ９Ｄ", "卡密：ＨＮ４Ｋ－****－****－ＬＰ９Ｄ"),  # full width
        ("XHN4KM8VB2CX7LP9DX", "XHN4K********LP9DX"),
        ("hn4k m8vb 2cx1 lp9d", "hn4k **** ***1 lp9d"),  # 7 misread as 1: what is left of the key still is
    ],
)
def test_the_orders_own_key_is_masked_in_any_spelling_keeping_the_line_as_it_was(line: str, masked: str) -> None:
    assert masked_text(line, [KEY]) == masked


def test_a_key_wrapped_over_two_lines_is_masked_in_both() -> None:
    assert mask_lines(["卡密：HN4K-M8VB-", "2CX7-LP9D 已被使用"], [KEY]) == ("卡密：HN4K-****-", "****-LP9D 已被使用")
    assert mask_lines(["卡密：HN4K-M8V", "B-2CX7-LP9D"], [KEY]) == ("卡密：HN4K-***", "*-****-LP9D")


def test_pieces_of_a_key_the_extractor_took_from_a_wrapped_line_are_masked_too() -> None:
    seen = ocr("使用充值卡（密码HN4KM8VB2", "CX7LP9D）为138****5678充值100.00元")
    fields = extract(seen)

    read = build_read("ev_1", "test", seen, fields, (), (), AT)

    assert fields.card_keys == ("HN4KM8VB2", "HN4KM8VB2CX7LP9D")
    assert read.fields["card_keys"] == ["HN4K*****", "HN4K********LP9D"]
    assert read.text == "使用充值卡（密码HN4K*****\n***LP9D）为138****5678充值100.00元"


def test_each_part_of_a_number_and_password_pair_is_masked_where_it_stands() -> None:
    pair = "1100223344556677 998877665544"

    assert mask_lines(["卡号：1100 2233 4455 6677", "密码：9988-7766-5544"], [pair]) == (
        "卡号：1100 **** **** 6677",
        "密码：9988-****-5544",
    )


@st.composite
def spelt(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Return a key and lines showing it spelt any way: grouped anyhow, any case, wrapped anywhere."""
    alphabet = draw(st.sampled_from([KEY_ALPHABET, "0123456789", "ABCDEFGHJKLMNPQRSTUVWXYZ"]))
    key = draw(st.text(alphabet, min_size=16, max_size=20))
    shown = ""
    for char in key:
        shown += draw(st.sampled_from(["", "", " ", "-", ".", "_"])) if shown else ""
        shown += char.lower() if draw(st.booleans()) else char
    before = draw(st.sampled_from(["", "卡密：", "兑换码 ", "使用充值卡（密码"]))
    after = draw(st.sampled_from(["", " 已被使用", "）为138****5678充值"]))
    line = before + shown + after
    cut = draw(st.integers(0, len(line)))
    return key, [line[:cut], line[cut:]] if draw(st.booleans()) else [line]


@given(spelt())
def test_a_known_key_leaves_no_eight_characters_in_a_row_however_it_is_spelt(case: tuple[str, list[str]]) -> None:
    key, lines = case

    masked = mask_lines(lines, [key])

    assert leaks([key], "lines", "".join(masked)) == []
    assert [len(line) for line in masked] == [len(line) for line in lines]


def test_a_key_is_not_found_across_a_colon_or_a_slash() -> None:
    # Short parts must not be matched by fusing a time or a date: 12:34:56 is not the key 123456.
    assert masked_text("2026-11-22 12:34:56 / 1234/5678", ["12345678"]) == "2026-11-22 12:34:56 / 1234/5678"


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("银行卡 6225 8812 3456 7890", "银行卡 6225 **** **** 7890"),
        ("6222 0212 3456 7890 123", "6222 **** **** ***0 123"),
        ("ABCDEFGHJKLMNPQRSTUV", "ABCD************STUV"),
        ("兑换码ABCDEFGHJKLMNPQR无效", "兑换码ABCD********NPQR无效"),
        ("KM8F-3AQ7-XP2L-VN9D", "KM8F-****-****-VN9D"),
        ("km8f-3aq7-xp2l-vn9d", "km8f-****-****-vn9d"),
        ("KM8F 3AQ7 XP2L VN9D", "KM8F **** **** VN9D"),
        ("KM8F.3AQ7.XP2L.VN9D", "KM8F.****.****.VN9D"),
        ("兑换码：KM8F3AQ7XP2LVN9D", "兑换码：KM8F********VN9D"),
        ("使用充值卡（密码1234567890123456789）为", "使用充值卡（密码1234***********6789）为"),
        ("4729 3810 5562 9014", "4729 **** **** 9014"),
        ("ABCD EFGH JKLM NPQR", "ABCD **** **** NPQR"),
        ("A1B2C3D4E5F6G7H8J9K0", "A1B2************J9K0"),
    ],
)
def test_anything_shaped_like_a_key_is_masked_when_no_key_is_known(line: str, masked: str) -> None:
    assert masked_text(line, []) == masked


@pytest.mark.parametrize(
    "line",
    [
        "订单号：DD202611221530120731",
        "订单编号 HF2611221530128841",
        "交易流水号HF2611221530128841。如有疑问请拨打10086咨询。",
        "订单号：ord_demo_016",
        "bench_ab12cd34ef56gh78_o12",
        "商户单号：20261234567890123456",
        "支付宝交易号 2026112222001412345678",
        "交易单号 2026112212345678",
        "微信支付单号 4200001234202611221234567890",
        "下单时间 2026-11-22 15:30:12",
        "2026/11/22 15:30",
        "2026年11月22日 15:30",
        "实付：¥1,000.00",
        "金额：¥100.00 合计 100.00元",
        "客服电话 138 0013 8000",
        "13800138000",
        "为138****5678充值100.00元未成功",
        "请致电 400-820-8820",
        "+86 138 0013 8000",
        "错误码：E1023 卡密已被使用",
        "ERR_CARD_ALREADY_REDEEMED",
        "error code: 40012",
        "Your card code has been used already",
        "Order from 2026 was paid on time",
        "CARD NUMBER INVALID",
        "SORRY THIS CODE HAS EXPIRED",
        "腾讯Q币 100元 × 2",
        "5G 87% 15:31",
        "IP 192.168.100.200",
        "版本 v2.31.0 build 20261122",
        "https://pay.example.com/order/ord_demo_016",
        "卡密：ABCD-****-****-NPQR",
        "该充值卡已被使用，售后处理中",
    ],
)
def test_ordinary_screenshot_lines_are_left_as_they_were(line: str) -> None:
    assert masked_text(line, []) == line


def test_this_orders_number_stays_readable_even_when_shaped_like_a_key() -> None:
    assert masked_text("商户单号 7730123456789012345", [], visible=["7730123456789012345"]) == (
        "商户单号 7730123456789012345"
    )
    assert masked_text("商户单号 7730123456789012345", []) == "商户单号 7730***********2345"


def ocr(*lines: str) -> OcrText:
    return OcrText(tuple(OcrLine(text, (0, 40 * n, 700, 40 * n + 30), 0.97) for n, text in enumerate(lines)))


def test_a_read_keeps_no_key_in_its_lines_fields_or_matches() -> None:
    seen = ocr(
        "订单号：ord_1",
        "卡密：HN4K M8VB",
        "2CX7 LP9D",
        "兑换码 hn4k-m8vb-2cx7-lp9d 已被使用",
        "订单号：HN4KM8VB2CX7LP9D",
    )
    fields = extract(seen)
    matches = match(fields, order(), {"oi_1": KEY})

    read = build_read("ev_1", "test", seen, fields, matches, (), AT, keys=[KEY])

    assert [line for line, _, _ in read.lines] == [
        "订单号：ord_1",
        "卡密：HN4K ****",
        "**** LP9D",
        "兑换码 hn4k-****-****-lp9d 已被使用",
        "订单号：HN4K********LP9D",
    ]
    assert read.fields["order_numbers"] == ["ord_1", "HN4K********LP9D"]
    assert read.fields["card_keys"] == ["hn4k-****-****-lp9d"]
    assert [(m["field"], m["read"], m["expected"]) for m in read.matches] == [
        ("order_number", "ord_1", "ord_1"),
        ("order_number", "HN4K********LP9D", "ord_1"),
        ("card_key", "hn4k-****-****-lp9d", "HN4K-****-****-LP9D"),
    ]
    assert not clear(KEY, repr(read))


def test_the_order_number_and_amount_stay_readable_in_a_read() -> None:
    seen = ocr("订单号：DD202611221530120731", "金额：¥100.00", "交易单号 2026112212345678", "时间 2024-06-01 20:01:00")
    fields = extract(seen)
    matches = match(fields, order(), {"oi_1": KEY})

    read = build_read("ev_1", "test", seen, fields, matches, (), AT, keys=[KEY])

    assert (
        read.text == "订单号：DD202611221530120731\n金额：¥100.00\n交易单号 2026112212345678\n时间 2024-06-01 20:01:00"
    )
    assert read.fields["order_numbers"] == ["DD202611221530120731", "2026112212345678"]
    assert read.fields["amounts_fen"] == ["10000"]


def test_masking_a_read_again_changes_nothing_already_masked_and_masks_what_was_left() -> None:
    seen = ocr("订单号：ord_1", "卡密：HN4K-M8VB-2CX7-LP9D", "兑换码 HN4K M8VB 2CX7 LP9D")
    fields = extract(seen)
    read = build_read("ev_1", "test", seen, fields, match(fields, order(), {"oi_1": KEY}), (), AT, keys=[KEY])
    left = build_read("ev_1", "test", seen, fields, match(fields, order(), {}), (), AT)

    assert remask(read, [KEY]) == read
    assert remask(remask(read, []), []) == remask(read, [])
    assert remask(left, [KEY]).lines == read.lines


def clear(key: str, text: str) -> bool:
    """Tell whether ``key`` shows in ``text`` in any spelling: separators dropped, case folded."""
    squeeze = "".join(c for c in key.upper() if c.isalnum())
    return squeeze in "".join(c for c in text.upper() if c.isalnum())
