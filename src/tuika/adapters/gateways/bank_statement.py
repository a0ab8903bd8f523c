"""The bank channel's daily settlement file (对账文件): a fixed-column CSV, parsed and checked.

Like an acquirer's reconciliation file, it has a header record, one detail record per refund
made that Beijing-time day, and a trailer that carries the count and the sum of the details,
so a truncated or altered download is caught instead of read as "fewer refunds". UTF-8, lines
end in CRLF (LF is accepted). Identifiers never contain commas, so there is no quoting::

    H,BANKSTL,01,<merchant_id>,<file day YYYYMMDD>,<generated YYYYMMDDHHMMSS>
    D,<seq>,REFUND,<refund_no>,<bank_refund_id>,<orig_txn_id>,<txn date YYYYMMDD>,<txn time HHMMSS>,
      <amount_fen>,CNY,<PROCESSING|SETTLED|FAILED>,<settle date YYYYMMDD or empty>,<fail_code or empty>
    T,<number of D records>,<sum of amount_fen over the D records>

(a D record is one line; it is wrapped here to fit). Times are Beijing time.

>>> text = "H,BANKSTL,01,M1,20240315,20240316020000\\nT,0,0\\n"
>>> parse_settlement(text, date(2024, 3, 15), "M1")
[]
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

from tuika.domain.gateway import GatewayUnavailable
from tuika.domain.money import Money

FILE_TYPE: Final = "BANKSTL"
VERSION: Final = "01"
STATUSES: Final = frozenset({"PROCESSING", "SETTLED", "FAILED"})

_BEIJING: Final = timezone(timedelta(hours=8))
_HEADER_FIELDS: Final = 6
_DETAIL_FIELDS: Final = 13
_TRAILER_FIELDS: Final = 3


class SettlementFileInvalid(GatewayUnavailable):
    """The settlement file is not intact (truncated, altered, or for another day or merchant).

    It is a kind of ``GatewayUnavailable``: the bank's record could not be obtained, and
    downloading again later is the remedy, never trusting the rows that did arrive.
    """


@dataclass(frozen=True, slots=True)
class SettlementRow:
    """One refund in the settlement file, times converted to UTC."""

    seq: int
    refund_no: str
    bank_refund_id: str
    orig_txn_id: str
    at: datetime
    amount: Money
    status: str
    settle_date: date | None
    fail_code: str


def parse_settlement(text: str, day: date, merchant_id: str) -> list[SettlementRow]:
    """Parse a settlement file of ``day`` for ``merchant_id``; raise ``SettlementFileInvalid`` unless intact."""
    lines = text.splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2:
        raise SettlementFileInvalid(f"settlement file {day:%Y%m%d}: {len(lines)} line(s), needs a header and trailer")
    _check_header(lines[0].split(","), day, merchant_id)
    rows = [_detail(number, line.split(",")) for number, line in enumerate(lines[1:-1], start=2)]
    trailer = lines[-1].split(",")
    if trailer[0] != "T":
        raise SettlementFileInvalid(f"settlement file {day:%Y%m%d}: the last line is not the trailer (truncated?)")
    if len(trailer) != _TRAILER_FIELDS:
        raise SettlementFileInvalid(f"settlement file {day:%Y%m%d}: the trailer has {len(trailer)} fields")
    count, total = _integer(trailer[1], "trailer count"), _integer(trailer[2], "trailer sum")
    actual_total = sum(row.amount.fen for row in rows)
    if count != len(rows) or total != actual_total:
        raise SettlementFileInvalid(
            f"settlement file {day:%Y%m%d}: the trailer says {count} records, {total} fen; "
            f"the file holds {len(rows)} records, {actual_total} fen"
        )
    return rows


def _check_header(fields: list[str], day: date, merchant_id: str) -> None:
    if len(fields) != _HEADER_FIELDS or fields[0] != "H" or fields[1] != FILE_TYPE:
        raise SettlementFileInvalid("settlement file: the first line is not a BANKSTL header")
    if fields[2] != VERSION:
        raise SettlementFileInvalid(f"settlement file: version {fields[2]!r}, expected {VERSION}")
    if fields[3] != merchant_id:
        raise SettlementFileInvalid(f"settlement file: for merchant {fields[3]!r}, not {merchant_id!r}")
    if fields[4] != f"{day:%Y%m%d}":
        raise SettlementFileInvalid(f"settlement file: for day {fields[4]!r}, not {day:%Y%m%d}")


def _detail(number: int, fields: list[str]) -> SettlementRow:
    if fields[0] != "D" or len(fields) != _DETAIL_FIELDS:
        raise SettlementFileInvalid(f"settlement file line {number}: not a detail record of {_DETAIL_FIELDS} fields")
    _, seq, kind, refund_no, bank_refund_id, orig_txn_id, txn_date, txn_time, fen, currency, status, settle, fail = (
        fields
    )
    if kind != "REFUND" or currency != "CNY" or status not in STATUSES:
        raise SettlementFileInvalid(f"settlement file line {number}: unexpected {kind}/{currency}/{status}")
    if not refund_no or not bank_refund_id:
        raise SettlementFileInvalid(f"settlement file line {number}: a refund without its numbers")
    try:
        at = datetime.strptime(txn_date + txn_time, "%Y%m%d%H%M%S").replace(tzinfo=_BEIJING)
        settle_date = datetime.strptime(settle + "+0800", "%Y%m%d%z").date() if settle else None
    except ValueError:
        raise SettlementFileInvalid(f"settlement file line {number}: a malformed date or time") from None
    amount = _integer(fen, f"line {number} amount")
    if amount <= 0:
        raise SettlementFileInvalid(f"settlement file line {number}: amount {amount} is not positive")
    return SettlementRow(
        seq=_integer(seq, f"line {number} sequence"),
        refund_no=refund_no,
        bank_refund_id=bank_refund_id,
        orig_txn_id=orig_txn_id,
        at=at.astimezone(UTC),
        amount=Money(amount),
        status=status,
        settle_date=settle_date,
        fail_code=fail,
    )


def _integer(text: str, what: str) -> int:
    # int() would take "+5", " 5" and "5_0"; a fixed-column file holds plain digits only.
    if not text.isascii() or not text.isdigit():
        raise SettlementFileInvalid(f"settlement file: {what} {text!r} is not a whole number")
    return int(text)
