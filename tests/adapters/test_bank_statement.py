"""The bank channel's settlement file: parsed exactly, refused whenever it is not intact."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tuika.adapters.gateways.bank_statement import SettlementFileInvalid, SettlementRow, parse_settlement
from tuika.domain.gateway import GatewayUnavailable
from tuika.domain.money import Money

DAY = date(2024, 3, 15)
MERCHANT = "898310048990001"
HEADER = f"H,BANKSTL,01,{MERCHANT},20240315,20240316020000"
SETTLED = "D,1,REFUND,po_1,202403151000000000001,TXN1,20240315,100000,1999,CNY,SETTLED,20240318,"
FAILED = "D,2,REFUND,po_2,202403151100000000002,TXN1,20240315,003000,500,CNY,FAILED,20240318,CARD_CANCELLED"
PROCESSING = "D,3,REFUND,po_3,202403152300000000003,TXN2,20240315,235959,1,CNY,PROCESSING,,"


def file(*lines: str, end: str = "\r\n") -> str:
    return end.join(lines) + end


def test_rows_are_read_with_amounts_numbers_states_and_utc_times() -> None:
    rows = parse_settlement(file(HEADER, SETTLED, FAILED, PROCESSING, "T,3,2500"), DAY, MERCHANT)

    assert rows == [
        SettlementRow(
            1, "po_1", "202403151000000000001", "TXN1", datetime(2024, 3, 15, 2, 0, tzinfo=UTC), Money(1999),
            "SETTLED", date(2024, 3, 18), "",
        ),
        SettlementRow(
            2, "po_2", "202403151100000000002", "TXN1", datetime(2024, 3, 14, 16, 30, tzinfo=UTC), Money(500),
            "FAILED", date(2024, 3, 18), "CARD_CANCELLED",
        ),
        SettlementRow(
            3, "po_3", "202403152300000000003", "TXN2", datetime(2024, 3, 15, 15, 59, 59, tzinfo=UTC), Money(1),
            "PROCESSING", None, "",
        ),
    ]  # fmt: skip


@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_an_empty_day_and_either_line_ending_are_read(end: str) -> None:
    assert parse_settlement(file(HEADER, "T,0,0", end=end) + end, DAY, MERCHANT) == []
    assert len(parse_settlement(file(HEADER, SETTLED, "T,1,1999", end=end), DAY, MERCHANT)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (file(HEADER, SETTLED, FAILED, "T,3,2499"), "trailer says 3 records, 2499 fen; the file holds 2 records"),
        (file(HEADER, SETTLED, FAILED, "T,2,2500"), "trailer says 2 records, 2500 fen; the file holds 2 records, 2499"),
        (file(HEADER, SETTLED, FAILED), "not the trailer"),
        (file(HEADER, SETTLED, FAILED[:40]), "not the trailer"),
        (file(HEADER), "1 line"),
        ("", "0 line"),
        (file(SETTLED, "T,1,1999"), "not a BANKSTL header"),
        (file(HEADER.replace(",01,", ",02,"), "T,0,0"), "version"),
        (file(HEADER.replace("20240315,", "20240314,"), "T,0,0"), "for day '20240314'"),
        (file(HEADER.replace(MERCHANT, "898310048990002"), "T,0,0"), "for merchant"),
        (file(HEADER, SETTLED + ",extra", "T,1,1999"), "line 2: not a detail record"),
        (file(HEADER, SETTLED.replace(",1999,", ",19.99,"), "T,1,1999"), "'19.99' is not a whole number"),
        (file(HEADER, SETTLED.replace(",1999,", ",0,"), "T,1,0"), "not positive"),
        (file(HEADER, SETTLED.replace("SETTLED", "REVERSED"), "T,1,1999"), "unexpected"),
        (file(HEADER, SETTLED.replace(",CNY,", ",USD,"), "T,1,1999"), "unexpected"),
        (file(HEADER, SETTLED.replace("100000", "250000"), "T,1,1999"), "malformed date or time"),
        (file(HEADER, SETTLED.replace("po_1", ""), "T,1,1999"), "without its numbers"),
        (file(HEADER, SETTLED, "T,+1,1999"), "trailer count"),
        (file(HEADER, SETTLED, "T,1,1999,0"), "trailer has 4 fields"),
    ],
)
def test_a_file_that_is_not_intact_is_refused(text: str, message: str) -> None:
    with pytest.raises(SettlementFileInvalid, match=message):
        parse_settlement(text, DAY, MERCHANT)


def test_an_invalid_file_is_a_kind_of_unavailable_gateway() -> None:
    # Whoever handles "the gateway could not answer" handles a broken download too.
    assert issubclass(SettlementFileInvalid, GatewayUnavailable)
