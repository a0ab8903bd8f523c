"""Reading Alipay's words on paper: yuan, Beijing times and the 业务明细 bill."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime

import pytest

from tuika.adapters.gateways.alipay_bill import (
    BillUnreadable,
    beijing_time,
    parse_bill_csv,
    parse_yuan,
    read_bill_zip,
)
from tuika.domain.gateway import RefundState, StatementLine
from tuika.domain.money import Money
from tuika_dev.sandbox.alipay_bill import HEADER, BillRow, bill_zip

T = "\t"
# A bill as Alipay writes it: comment lines, tab-ended text cells, negative refund amounts.
BILL = "\r\n".join(
    [
        "#支付宝业务明细查询",
        "#账号：[20881020000000000156]",
        "#起始日期：[2024年05月02日 00:00:00]   终止日期：[2024年05月03日 00:00:00]",
        "#-----------------------------------------业务明细列表----------------------------------------",
        HEADER,
        f"2024050222001400000000000001{T},T-1{T},交易{T},卡密订单{T},2024-05-02 08:00:00,2024-05-02 08:00:03,"
        f"{T},{T},{T},{T},tui***@example.com{T},50.00,50.00,0.00,0.00,0.00,0.00,0.00,{T},0.00,0.00,{T},-0.30,0.00,{T}",
        f"2024050222001400000000000001{T},T-1{T},退款{T},卡密订单{T},2024-05-02 08:00:00,2024-05-02 10:15:30,"
        f"{T},{T},{T},{T},tui***@example.com{T},-12.34,-12.34,0.00,0.00,0.00,0.00,0.00,{T},0.00,0.00,po_1{T},0.07,0.00,{T}",
        f"2024050222001400000000000002{T},T-2{T},退款{T},卡密订单{T},2024-05-02 09:00:00,2024-05-02 23:59:59,"
        f"{T},{T},{T},{T},tui***@example.com{T},-30.00,-30.00,0.00,0.00,0.00,0.00,0.00,{T},0.00,0.00,{T},0.18,0.00,{T}",
        "#-----------------------------------------业务明细列表结束------------------------------------",
        "#交易合计：1笔，商家实收共：50.00元，商家优惠共：0.00元",
        "#退款合计：2笔，商家实收退款共：-42.34元，商家优惠退款共：0.00元",
        "#导出时间：[2024年05月03日 09:12:33]",
    ]
)
REFUNDS = [
    StatementLine(
        "po_1",
        "2024050222001400000000000001:po_1",
        Money(1234),
        RefundState.SUCCEEDED,
        datetime(2024, 5, 2, 2, 15, 30, tzinfo=UTC),
    ),
    # A refund sent without out_request_no is filed under the merchant's order number.
    StatementLine(
        "T-2",
        "2024050222001400000000000002:T-2",
        Money(3000),
        RefundState.SUCCEEDED,
        datetime(2024, 5, 2, 15, 59, 59, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(
    ("text", "fen"), [("12.34", 1234), ("12.3", 1230), ("12", 1200), ("0.05", 5), ("-0.01", -1), (" 7.00 ", 700)]
)
def test_yuan_become_exact_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == Money(fen)


@pytest.mark.parametrize("text", ["", "1.234", "1e3", "¥1", "1,000.00", "--1", ".5", "1."])
def test_what_is_not_an_amount_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_yuan(text)


def test_beijing_times_become_aware_utc() -> None:
    assert beijing_time("2024-05-02 00:30:00") == datetime(2024, 5, 1, 16, 30, tzinfo=UTC)
    assert beijing_time("2024-05-02 00:30:00.250") == datetime(2024, 5, 1, 16, 30, 0, 250000, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-05-02", "2024-05-02T00:30:00", "2024-05-02 00:30:00+08:00", "yesterday"])
def test_other_times_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an Alipay time"):
        beijing_time(text)


def test_the_bill_yields_its_refund_rows_only() -> None:
    assert parse_bill_csv(BILL) == REFUNDS


def test_columns_are_found_by_name_whatever_their_order() -> None:
    lines = [line for line in BILL.split("\r\n") if not line.startswith("#")]
    moved = [",".join([*cells[1:], cells[0]]) for cells in (line.split(",") for line in lines)]
    moved = [f"{line},extra" for line in moved]  # and a column Alipay added later

    assert parse_bill_csv("\n".join(moved)) == REFUNDS


def test_a_bill_without_a_needed_column_is_unreadable() -> None:
    with pytest.raises(BillUnreadable, match="退款批次号/请求号"):
        parse_bill_csv(BILL.replace("退款批次号/请求号", "批次"))


@pytest.mark.parametrize(
    ("find", "replace", "why"),
    [
        ("-12.34,-12.34", "-12.34", "cells"),
        ("-12.34,-12.34", "abc,-12.34", "not an amount"),
        ("2024-05-02 10:15:30", "2024/05/02 10:15:30", "not an Alipay time"),
    ],
)
def test_a_malformed_refund_row_is_unreadable(find: str, replace: str, why: str) -> None:
    with pytest.raises(BillUnreadable, match=why):
        parse_bill_csv(BILL.replace(find, replace))


def test_an_empty_file_is_unreadable() -> None:
    with pytest.raises(BillUnreadable, match="no header"):
        parse_bill_csv("#支付宝业务明细查询\r\n")


def test_a_bill_zip_is_read_from_its_gbk_named_detail_file() -> None:
    data = _zip(
        {"2088_20240502_业务明细(汇总).csv": "门店编号\r\n", "2088_20240502_业务明细.csv": BILL}, gbk_names=True
    )

    assert read_bill_zip(data) == REFUNDS


def test_a_bill_zip_with_utf8_names_reads_as_well() -> None:
    assert read_bill_zip(_zip({"2088_20240502_业务明细.csv": BILL}, gbk_names=False)) == REFUNDS


def test_the_sandbox_writes_names_as_alipay_does_and_its_bill_reads_back() -> None:
    at = datetime(2024, 5, 2, 2, 15, 30, tzinfo=UTC)
    rows = [
        BillRow("2024050222001400000000000001", "T-1", at, at, Money(5000)),
        BillRow("2024050222001400000000000001", "T-1", at, at, Money(1234), "po_1"),
    ]

    data = bill_zip("2088102000000000", date(2024, 5, 2), rows, at)

    infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    assert all(info.flag_bits & 0x800 == 0 for info in infos)  # no UTF-8 flag: the names are GBK
    assert infos[0].orig_filename.encode("cp437") == "2088102000000000_20240502_业务明细.csv".encode("gbk")
    assert read_bill_zip(data) == [
        StatementLine("po_1", "2024050222001400000000000001:po_1", Money(1234), RefundState.SUCCEEDED, at)
    ]


@pytest.mark.parametrize(
    "data", [b"not a zip", b"PK\x05\x06" + b"\x00" * 18, b""], ids=["garbage", "empty zip", "nothing"]
)
def test_what_is_not_a_bill_zip_is_unreadable(data: bytes) -> None:
    with pytest.raises(BillUnreadable):
        read_bill_zip(data)


def test_a_zip_without_the_detail_file_is_unreadable() -> None:
    with pytest.raises(BillUnreadable, match=r"业务明细\.csv"):
        read_bill_zip(_zip({"2088_20240502_业务明细(汇总).csv": "门店编号\r\n"}, gbk_names=False))


class _GbkName(zipfile.ZipInfo):
    # zipfile's hook; without it a non-ASCII name is written as flagged UTF-8.
    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def _zip(files: dict[str, str], *, gbk_names: bool) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(_GbkName(name) if gbk_names else zipfile.ZipInfo(name), text.encode("gbk"))
    return out.getvalue()
