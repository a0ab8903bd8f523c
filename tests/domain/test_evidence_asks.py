"""The machine's request for evidence, stored by code and read back for people."""

from __future__ import annotations

from tuika.domain.evidence_asks import ask_note, kinds_asked
from tuika.domain.policy import EvidenceKind


def test_a_request_reads_back_as_the_kinds_it_asked_for() -> None:
    kinds = (EvidenceKind.CARRIER_RECORD, EvidenceKind.PAYMENT_RECORD)

    assert kinds_asked(ask_note(kinds)) == kinds


def test_a_note_a_person_wrote_is_not_taken_for_a_request() -> None:
    assert kinds_asked("补充截图") == ()
    assert kinds_asked("请补充：付款截图") == ()  # a person's own words, not the machine's codes
    assert kinds_asked("请补充：carrier_record、no_such_kind") == ()
    assert kinds_asked("请补充：") == ()
