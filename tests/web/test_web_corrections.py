"""A number found with misread characters corrected says so, in words, on the console and the buyer's page."""

from __future__ import annotations

from datetime import UTC, datetime

from tuika.review.reading import EvidenceRead
from tuika.web.case_reads import read_rows
from tuika.web.console_marks import marks

NUMBER = "KM2026112012345678961284"
READ = EvidenceRead(
    evidence_id="ev_1",
    engine="test",
    lines=((f"商家订单号 {NUMBER}", (0, 0, 400, 40), 0.91),),
    fields={"order_numbers": [NUMBER]},
    matches=(
        {
            "field": "order_number",
            "read": NUMBER,
            "expected": "KM2026112012345678901234",
            "matches": True,
            "code": "order_number_matches",
            "item_id": None,
            "corrections": 2,
        },
        {"field": "amount", "read": "99.50", "expected": "99.50", "matches": True, "code": "amount_matches_order"},
    ),
    codes=("ocr_matches_order",),
    at=datetime.now(UTC),
)


def test_the_buyer_reads_that_misread_characters_were_checked_against_the_order() -> None:
    number, amount = read_rows(READ, "zh")

    assert number.verdict == "match"
    assert number.verdict_text.endswith("（个别字符识别有误，已按订单核对）")
    assert "识别有误" not in amount.verdict_text  # an exact read says nothing of corrections
    assert read_rows(READ, "en")[0].verdict_text.endswith(" (a few characters misread, checked against the order)")


def test_the_agent_sees_how_many_characters_were_corrected() -> None:
    number, amount = marks(READ)

    assert (number.verdict, number.corrections, number.box is not None) == ("match", 2, True)
    assert amount.corrections == 0
