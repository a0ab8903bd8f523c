"""Reading WeChat Pay's trade bill (APIv3, bill_type ALL) into refund lines."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tuika.adapters.gateways.wechat_bill import BillFormatError, parse_trade_bill
from tuika.domain.gateway import RefundState, StatementLine
from tuika.domain.money import Money
from tuika_dev.sandbox.wechat_book import Refund, Trade
from tuika_dev.sandbox.wechat_wire import trade_bill

HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def row(
    *,
    time: str = "2021-01-28 17:07:11",
    kind: str = "REFUND",
    refund_id: str = "50300807092021020105990201735",
    refund_no: str = "po_1",
    refunded: str = "1.00",
    status: str = "SUCCESS",
    asked: str = "1.00",
    goods: str = "for testing",
) -> str:
    fields = [
        time, "wx81be3101902f7cb2", "1601959334", "0", "", "4200000925202101284997714292", "S20210128170702357723",
        "ofyak5qR_1wYsC99CsWA6R9MJazA", "NATIVE", kind, "OTHERS", "CNY", "0.00", "0.00", refund_id, refund_no,
        refunded, "0.00", "ORIGINAL", status, goods, "cipher code", "0.00000", "1.00%", "0.01", asked, "",
    ]  # fmt: skip
    return ",".join("`" + field for field in fields)


PAYMENT = row(kind="SUCCESS", refund_id="0", refund_no="0", refunded="0.00", status="", asked="0.00")


def bill(*rows: str, summary: bool = True) -> str:
    tail = [SUMMARY, "`3,`0.03,`0.00,`0.00,`0.00000,`0.03,`0.00"] if summary else []
    return "\n".join([HEADER, *rows, *tail]) + "\n"


def test_refund_rows_are_read_and_payment_rows_skipped() -> None:
    lines = parse_trade_bill(bill(PAYMENT, row(), PAYMENT))

    assert lines == [
        StatementLine(
            refund_no="po_1",
            gateway_refund_id="50300807092021020105990201735",
            amount=Money(100),
            state=RefundState.SUCCEEDED,
            at=datetime(2021, 1, 28, 9, 7, 11, tzinfo=UTC),  # 17:07:11 in Beijing
        )
    ]


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("SUCCESS", RefundState.SUCCEEDED),
        ("REFUNDCLOSE", RefundState.FAILED),
        ("PROCESSING", RefundState.PROCESSING),
        ("CHANGE", RefundState.ABNORMAL),
    ],
)
def test_refund_statuses(status: str, state: RefundState) -> None:
    assert [line.state for line in parse_trade_bill(bill(row(status=status)))] == [state]


def test_the_requested_amount_is_taken_over_the_amount_net_of_coupons() -> None:
    [line] = parse_trade_bill(bill(row(refunded="0.90", asked="12.34")))

    assert line.amount == Money(1234)


def test_an_older_bill_without_the_requested_amount_uses_the_refund_amount() -> None:
    columns = HEADER.split(",")[:24]
    text = "\n".join([",".join(columns), ",`".join(row(refunded="7.05").split(",`")[:24]), SUMMARY, "`1,`0.00,`7.05"])

    assert [line.amount for line in parse_trade_bill(text)] == [Money(705)]


def test_commas_inside_a_field_a_bom_and_crlf_line_ends_are_read() -> None:
    text = "\ufeff" + bill(row(goods="卡密, 点卡, 100元")).replace("\n", "\r\n")

    assert [line.refund_no for line in parse_trade_bill(text)] == ["po_1"]


def test_a_bill_with_payments_only_has_no_refund_lines() -> None:
    assert parse_trade_bill(bill(PAYMENT, PAYMENT)) == []


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "empty"),
        (bill(row(), summary=False), "incomplete"),
        (HEADER + "\n" + row() + "\n" + SUMMARY + "\n", "summary row is missing"),
        (bill(row()).replace("商户退款单号", "单号"), "lacks 商户退款单号"),
        (bill(row().replace(",`cipher code", "")), "26 fields where the header has 27"),
        (bill(row()[1:]), "must start with a backtick"),
        (bill(row(status="REFUNDING")), "unknown refund status 'REFUNDING'"),
        (bill(row(asked="1.5")), "'1.5' is not an amount"),
        (bill(row(asked="-1.00")), "is not an amount"),
        (bill(row(time="2021/01/28 17:07")), "is not a time"),
    ],
)
def test_what_is_not_a_whole_trade_bill_is_refused(text: str, error: str) -> None:
    with pytest.raises(BillFormatError, match=error):
        parse_trade_bill(text)


def test_the_sandbox_bill_reads_back() -> None:
    trade = Trade("4200000001", "ord_1", 1000, paid_at=1_700_000_000.0)
    refunds = [
        Refund("50" + "1" * 27, "po_1", trade, 300, 1_700_000_100.0, 0.0, status="SUCCESS"),
        Refund("50" + "2" * 27, "po_2", trade, 200, 1_700_000_200.0, 0.0, status="CLOSED"),
    ]

    lines = parse_trade_bill(trade_bill("wx1", "1900000109", [trade], refunds))

    assert [(line.refund_no, line.amount, line.state) for line in lines] == [
        ("po_1", Money(300), RefundState.SUCCEEDED),
        ("po_2", Money(200), RefundState.FAILED),
    ]
    assert lines[0].at == datetime.fromtimestamp(1_700_000_100, UTC)
