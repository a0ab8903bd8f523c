"""Alipay's words on paper: yuan amounts, Beijing times, and the daily trade bill (业务明细).

Alipay's ``alipay.data.dataservice.bill.downloadurl.query`` hands out a link to a ZIP holding
two GBK CSV files, ``<pid>_<yyyymmdd>_业务明细.csv`` and ``…_业务明细(汇总).csv``. The detail file
opens and closes with ``#`` comment lines; between them a header row names the columns and each
row is one payment (业务类型 交易) or one refund (退款). Text cells end in a tab so that a
spreadsheet keeps long numbers whole; refund amounts are negative. Columns are found by name,
because Alipay has added columns over the years.

>>> parse_yuan("-12.30")
Money(fen=-1230)
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from tuika.domain.gateway import RefundState, StatementLine
from tuika.domain.money import Money

BEIJING: Final = timezone(timedelta(hours=8))

TRADE_NO: Final = "支付宝交易号"
OUT_TRADE_NO: Final = "商户订单号"
KIND: Final = "业务类型"
FINISHED_AT: Final = "完成时间"
ORDER_AMOUNT: Final = "订单金额（元）"
REQUEST_NO: Final = "退款批次号/请求号"
REFUND_KIND: Final = "退款"
DETAIL_SUFFIX: Final = "业务明细.csv"

_YUAN: Final = re.compile(r"(-?)(\d+)(?:\.(\d{1,2}))?")
_TIME: Final = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?")


class BillUnreadable(ValueError):
    """The bill is not in the layout Alipay documents: nothing in it is believed."""


def parse_yuan(text: str) -> Money:
    """Return an amount Alipay wrote in yuan (``"12.34"``, ``"-0.5"``) as fen."""
    match = _YUAN.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an amount in yuan: {text!r}")
    sign, whole, part = match.groups()
    fen = int(whole) * 100 + int((part or "0").ljust(2, "0"))
    return Money(-fen if sign else fen)


def beijing_time(text: str) -> datetime:
    """Return a time Alipay wrote in Beijing time (``"2024-05-01 10:00:00[.123]"``) as aware UTC."""
    if not _TIME.fullmatch(text.strip()):
        raise ValueError(f"not an Alipay time: {text!r}")
    return datetime.fromisoformat(text.strip()).replace(tzinfo=BEIJING).astimezone(UTC)


def refund_voucher(trade_no: str, refund_no: str) -> str:
    """Return the voucher of one refund: Alipay has no refund id, only the trade and the request number."""
    return f"{trade_no}:{refund_no}"


def read_bill_zip(data: bytes) -> list[StatementLine]:
    """Return the refunds in a downloaded bill ZIP."""
    try:
        # Alipay writes the member names in GBK without the UTF-8 flag; a UTF-8 flagged name still reads.
        with zipfile.ZipFile(io.BytesIO(data), metadata_encoding="gbk") as archive:
            names = [n for n in archive.namelist() if n.endswith(DETAIL_SUFFIX) and "汇总" not in n]
            if len(names) != 1:
                raise BillUnreadable(f"expected one {DETAIL_SUFFIX} in the ZIP, found {names!r}")
            raw = archive.read(names[0])
    except (zipfile.BadZipFile, OSError) as error:
        raise BillUnreadable(f"not a bill ZIP: {error}") from None
    try:
        text = raw.decode("gb18030")  # a superset of GBK: any bill Alipay writes decodes
    except UnicodeDecodeError as error:
        raise BillUnreadable(f"the bill is not GBK text: {error}") from None
    return parse_bill_csv(text)


def parse_bill_csv(text: str) -> list[StatementLine]:
    """Return the refund rows of a 业务明细 CSV, in the order of the file."""
    rows = csv.reader(line for line in text.splitlines() if line.strip() and not line.startswith("#"))
    header = next(rows, None)
    if header is None:
        raise BillUnreadable("the bill has no header row")
    columns = {name.strip(): index for index, name in enumerate(header)}
    missing = [
        name for name in (TRADE_NO, OUT_TRADE_NO, KIND, FINISHED_AT, ORDER_AMOUNT, REQUEST_NO) if name not in columns
    ]
    if missing:
        raise BillUnreadable(f"the bill lacks the columns {', '.join(missing)}")
    return list(_refunds(rows, columns, len(header)))


def _refunds(rows: Iterable[list[str]], columns: dict[str, int], width: int) -> Iterable[StatementLine]:
    for number, row in enumerate(rows, start=2):
        if len(row) != width:
            raise BillUnreadable(f"row {number} has {len(row)} cells, the header {width}")
        cell = {name: row[index].strip() for name, index in columns.items()}
        if cell[KIND] != REFUND_KIND:
            continue
        try:
            amount = parse_yuan(cell[ORDER_AMOUNT])
            at = beijing_time(cell[FINISHED_AT])
        except ValueError as error:
            raise BillUnreadable(f"row {number}: {error}") from None
        # A refund sent without out_request_no is filed under the merchant's order number, as Alipay does.
        refund_no = cell[REQUEST_NO] or cell[OUT_TRADE_NO]
        yield StatementLine(
            refund_no=refund_no,
            gateway_refund_id=refund_voucher(cell[TRADE_NO], refund_no),
            amount=Money(abs(amount.fen)),
            state=RefundState.SUCCEEDED,
            at=at,
        )
