"""WeChat Pay's trade bill (交易账单, APIv3, ``bill_type=ALL``), read back into refund lines.

The bill is UTF-8 CSV: a header row of Chinese column names, then one row per payment or refund
with every field prefixed by a backtick (so that spreadsheets keep long numbers as text), then
a summary title row (总交易单数,…) and one summary row. A refund row carries 微信退款单号,
商户退款单号, 退款金额 / 申请退款金额 in yuan, and 退款状态: SUCCESS, REFUNDCLOSE, PROCESSING or
CHANGE (WeChat's ABNORMAL). Times are Beijing time without an offset.

>>> bill = (
...     "交易时间,微信订单号,商户订单号,交易状态,微信退款单号,商户退款单号,退款金额,退款状态\\n"
...     "`2024-05-01 12:00:00,`4200,`ord_1,`REFUND,`5000,`po_1,`1.50,`SUCCESS\\n"
...     "总交易单数,退款总金额\\n`1,`1.50\\n"
... )
>>> [(line.refund_no, line.amount.fen, line.state.value) for line in parse_trade_bill(bill)]
[('po_1', 150, 'succeeded')]
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from tuika.domain.gateway import RefundState, StatementLine
from tuika.domain.money import Money

_BEIJING: Final = timezone(timedelta(hours=8))
_YUAN: Final = re.compile(r"^(\d+)\.(\d{2})$")
_NEEDED: Final = ("交易时间", "微信退款单号", "商户退款单号", "退款金额", "退款状态")
_STATES: Final = {
    "SUCCESS": RefundState.SUCCEEDED,
    "REFUNDCLOSE": RefundState.FAILED,
    "PROCESSING": RefundState.PROCESSING,
    "CHANGE": RefundState.ABNORMAL,
    "ABNORMAL": RefundState.ABNORMAL,
}
_SUMMARY_TITLE: Final = "总交易单数"


class BillFormatError(ValueError):
    """The text is not a WeChat Pay trade bill, or is cut short."""


def parse_trade_bill(text: str) -> list[StatementLine]:
    """Return the refund rows of a trade bill, in the bill's order; payment rows are skipped."""
    lines = [line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n") if line.strip()]
    if not lines:
        raise BillFormatError("the bill is empty")
    columns = [name.strip() for name in lines[0].split(",")]
    missing = [name for name in _NEEDED if name not in columns]
    if missing:
        raise BillFormatError(f"the bill's header lacks {', '.join(missing)}")
    at = {name: i for i, name in enumerate(columns)}
    # The requested amount is what we asked for; 退款金额 leaves out coupons. Older bills lack it.
    amount_column = at.get("申请退款金额", at["退款金额"])
    refunds: list[StatementLine] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith(_SUMMARY_TITLE):
            if number == len(lines) or not lines[number].startswith("`"):
                raise BillFormatError("the bill's summary row is missing")
            return refunds
        fields = _fields(line, len(columns), number)
        refund_id = fields[at["微信退款单号"]]
        if refund_id in ("", "0"):
            continue  # a payment row
        status = fields[at["退款状态"]]
        if status not in _STATES:
            raise BillFormatError(f"line {number}: unknown refund status {status!r}")
        refunds.append(
            StatementLine(
                refund_no=fields[at["商户退款单号"]],
                gateway_refund_id=refund_id,
                amount=_fen(fields[amount_column], number),
                state=_STATES[status],
                at=_time(fields[at["交易时间"]], number),
            )
        )
    # No summary: the download was cut short, and rows may be missing with it.
    raise BillFormatError("the bill has no summary: it is incomplete")


def _fields(line: str, count: int, number: int) -> list[str]:
    if not line.startswith("`"):
        raise BillFormatError(f"line {number}: a data row must start with a backtick")
    # Split on ",`" rather than ",": a product name or attach may hold a comma.
    fields = [field.strip() for field in line[1:].split(",`")]
    if len(fields) != count:
        raise BillFormatError(f"line {number}: {len(fields)} fields where the header has {count}")
    return fields


def _fen(text: str, number: int) -> Money:
    found = _YUAN.match(text)
    if found is None:
        raise BillFormatError(f"line {number}: {text!r} is not an amount in yuan")
    return Money(int(found.group(1)) * 100 + int(found.group(2)))


def _time(text: str, number: int) -> datetime:
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=_BEIJING)
    except ValueError:
        raise BillFormatError(f"line {number}: {text!r} is not a time") from None
    return local.astimezone(UTC)
