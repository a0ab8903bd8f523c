"""How urgently the queue shows a case: past its SLA, in its last quarter, or not yet."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from tests.support.builders import PAID_AT, case
from tuika.api.present import summary
from tuika.domain.cases import CaseStatus, priority
from tuika.services.context import Sla

STAGES = Sla().stages()
WAITING = replace(case(status=CaseStatus.MANUAL_REVIEW), due_at=PAID_AT + timedelta(hours=2))


@pytest.mark.parametrize(
    ("now", "expected", "overdue"),
    [
        (PAID_AT, "normal", False),
        (PAID_AT + timedelta(minutes=89), "normal", False),
        (PAID_AT + timedelta(minutes=90), "high", False),  # the last quarter of a 2-hour SLA
        (PAID_AT + timedelta(hours=2, seconds=1), "urgent", True),
    ],
)
def test_a_case_in_manual_review_rises_as_its_deadline_nears(now: datetime, expected: str, overdue: bool) -> None:
    shown = summary(WAITING, STAGES, now)

    assert (shown.priority, shown.overdue) == (expected, overdue)


def test_a_finished_case_is_never_urgent() -> None:
    done = replace(WAITING, status=CaseStatus.REFUNDED)

    assert priority(done, STAGES[CaseStatus.REFUNDED], PAID_AT + timedelta(days=3)) == "normal"
