"""The reconciliation's comparison: our refunds of a day against a gateway's lines."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from tests.support.builders import payout
from tuika.domain.gateway import RefundState, StatementLine
from tuika.domain.money import Money
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.services.payouts.reconcile import MismatchKind, compare, day_bounds

AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
ALIPAY = PayoutRoute.ALIPAY


def ours(pid: str, status: PayoutStatus, fen: int = 1000) -> Payout:
    return replace(payout(pid, amount=fen, status=status), route=ALIPAY, sent_at=AT)


def line(no: str, state: RefundState, fen: int = 1000) -> StatementLine:
    return StatementLine(no, f"g_{no}", Money(fen), state, AT)


def test_matching_books_have_no_mismatch_and_a_refused_refund_needs_no_line() -> None:
    paid, refused = ours("po_1", PayoutStatus.SUCCEEDED), ours("po_2", PayoutStatus.FAILED)

    assert compare(ALIPAY, [paid, refused], [line("po_1", RefundState.SUCCEEDED)], {"po_1": paid}) == []


def test_each_kind_of_difference_is_named() -> None:
    missing = ours("po_1", PayoutStatus.SUCCEEDED)
    short = ours("po_2", PayoutStatus.SUCCEEDED, 1000)
    late = ours("po_3", PayoutStatus.PROCESSING)
    lines = [
        line("po_2", RefundState.SUCCEEDED, 900),
        line("po_3", RefundState.SUCCEEDED),
        line("po_9", RefundState.SUCCEEDED, 500),
    ]

    found = compare(ALIPAY, [missing, short, late], lines, {"po_2": short, "po_3": late, "po_9": None})

    assert [(m.kind, m.refund_no) for m in found] == [
        (MismatchKind.MISSING_AT_GATEWAY, "po_1"),
        (MismatchKind.AMOUNT_DIFFERS, "po_2"),
        (MismatchKind.STATE_DIFFERS, "po_3"),
        (MismatchKind.UNKNOWN_TO_US, "po_9"),
    ]
    assert found[1].theirs == "succeeded 9.00"


def test_a_statement_day_runs_midnight_to_midnight_in_beijing() -> None:
    start, end = day_bounds(date(2026, 11, 28))

    assert start == datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 28, 16, 0, tzinfo=UTC)
