"""One verdict for each field read: the table covers every comparison and agrees with how it was made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

from tests.support.builders import PAID_AT, order
from tuika.bootstrap import System
from tuika.domain.money import Money
from tuika.review.fields import Fields
from tuika.review.matching import MatchCode, match
from tuika.review.reading import EvidenceRead
from tuika.review.verdicts import VERDICTS, FieldVerdict, field_verdicts, verdict
from tuika.services.review.reading import judge_read


def test_every_comparison_has_one_verdict() -> None:
    assert set(VERDICTS) == set(get_args(MatchCode))


def test_a_comparison_agrees_exactly_when_its_verdict_is_a_match() -> None:
    times = (PAID_AT - timedelta(hours=1), PAID_AT, PAID_AT + timedelta(minutes=5), PAID_AT + timedelta(hours=3))
    fields = Fields(order_numbers=("ord_1", "tx_1", "ord_2"), amounts=(Money(10_000), Money(1)), times=times)

    compared = match(fields, order(), {})

    assert {m.code for m in compared} >= {"time_after_payment", "time_before_payment", "order_number_differs"}
    assert [(m.code, m.matches) for m in compared] == [(m.code, VERDICTS[m.code] == "match") for m in compared]


def test_a_time_after_the_payment_is_a_match_even_as_an_old_read_stored_it() -> None:
    # Reads kept before the verdict was settled say "matches": false for a time after the payment.
    stored = {"field": "time", "read": "2024-06-01T15:00:00+00:00", "expected": None, "matches": False}

    assert verdict({**stored, "code": "time_after_payment"}) == "match"
    assert verdict({**stored, "code": "time_before_payment", "matches": True}) == "mismatch"
    assert verdict({**stored, "code": "a_code_not_known_yet"}) == "mismatch"
    assert verdict({"field": "time", "read": "x", "code": "a_code_not_known_yet"}) == "info"


def test_the_fields_only_read_follow_the_comparisons_as_information() -> None:
    read = EvidenceRead(
        evidence_id="ev_1",
        engine="test",
        lines=(),
        fields={"error_codes": ["E1023"], "error_texts": ["card_used"], "phones": ["138****8000"]},
        matches=(
            {"field": "amount", "read": "5.00", "expected": "100.00", "matches": False, "code": "amount_differs"},
        ),
        codes=(),
        at=datetime.now(UTC),
    )

    assert field_verdicts(read) == (
        FieldVerdict("amount", "5.00", "100.00", "mismatch", "amount_differs"),
        FieldVerdict("error_code", "E1023", None, "info"),
        FieldVerdict("error_text", "card_used", None, "info"),
        FieldVerdict("phone", "138****8000", None, "info"),
    )


def test_a_time_after_the_payment_alone_does_not_say_the_screenshot_shows_this_order(system: System) -> None:
    bought = order()
    later = Fields(times=(PAID_AT + timedelta(hours=3),))
    near = Fields(times=(PAID_AT + timedelta(minutes=1),))

    with system.ctx.read() as uow:
        after = judge_read(system.ctx, uow, bought, later, match(later, bought, {}))
        close = judge_read(system.ctx, uow, bought, near, match(near, bought, {}))

    assert (after, close) == ((), ("ocr_matches_order",))
