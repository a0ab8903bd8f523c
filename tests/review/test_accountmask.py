from datetime import UTC, datetime

import pytest

from tuika.review.accountmask import hide_accounts, masked_accounts, masked_lines
from tuika.review.reading import EvidenceRead


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("您为13800138000充值100元未成功", "您为138****8000充值100元未成功"),
        ("号码 +86 139 1234 5678", "号码 +86 139 **** 5678"),
        ("号码：139-1234-5678", "号码：139-****-5678"),
        ("+8619912345678", "+86199****5678"),
        # Not a number of its own: trade numbers and order numbers stay as read.
        ("交易流水号2026112213800138000", "交易流水号2026112213800138000"),
        ("订单号 DD20261122153012073", "订单号 DD20261122153012073"),
        ("金额 ¥100.00 时间 2026-11-22 15:30:12", "金额 ¥100.00 时间 2026-11-22 15:30:12"),
        ("12800138000", "12800138000"),  # 12 is no mobile prefix
    ],
)
def test_every_mobile_number_is_masked_where_it_stands(line: str, masked: str) -> None:
    assert masked_accounts(line, []) == masked
    assert len(masked_accounts(line, [])) == len(line)


def test_the_orders_own_accounts_are_masked_only_as_words_of_their_own() -> None:
    accounts = ["12345678", "player_lee@qq.com", "1开 / 天下无双", "小明"]

    assert masked_accounts("QQ 12345678 充值成功", accounts) == "QQ 1****8 充值成功"
    assert masked_accounts("流水号2026112212345678901", accounts) == "流水号2026112212345678901"
    assert masked_accounts("账号 player_lee@qq.com", accounts) == "账号 pl****e@qq.com"
    assert masked_accounts("区服角色 1开 / 天下无双", accounts) == "区服角色 1****双"
    assert masked_accounts("小明的订单", accounts) == "小明的订单"  # too short to tell from ordinary words


def test_a_number_wrapped_onto_the_next_line_is_masked_on_both() -> None:
    lines = ["尊敬的客户，您为1380", "0138000充值未成功", "交易流水号HF2611221530128841"]

    assert masked_lines(lines, ["13800138000"]) == ["尊敬的客户，您为138*", "***8000充值未成功", lines[2]]
    # A number the order does not know stays split, as no shape can tell it from two numbers.
    assert masked_lines(lines, []) == lines


def test_a_read_keeps_its_boxes_and_everything_but_the_masked_lines() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    read = EvidenceRead(
        "ev_1",
        "test",
        (("为13800138000充值", (0, 0, 300, 30), 0.9), ("QQ 12345678", (0, 40, 300, 70), 0.8)),
        {"phones": ["138****8000"]},
        ({"field": "amount", "read": "100.00"},),
        ("ocr_matches_order",),
        at,
    )

    hidden = hide_accounts(read, ["12345678"])

    assert hidden.lines == (("为138****8000充值", (0, 0, 300, 30), 0.9), ("QQ 1****8", (0, 40, 300, 70), 0.8))
    assert (hidden.evidence_id, hidden.engine, hidden.fields, hidden.matches, hidden.codes, hidden.at) == (
        "ev_1",
        "test",
        {"phones": ["138****8000"]},
        ({"field": "amount", "read": "100.00"},),
        ("ocr_matches_order",),
        at,
    )
