"""The demo starts with claims waiting for a person, one of them with a reused screenshot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System
from tuika.domain.cases import CaseStatus
from tuika.domain.findings import FindingKind
from tuika_dev.demo import seed
from tuika_dev.demo.claims import WAITING, seed_claims


def test_the_demo_claims_wait_for_an_agent_and_the_third_reuses_the_first_screenshot(system: System) -> None:
    seed(system.ctx)

    cases = seed_claims(system.ctx)

    assert len(cases) == WAITING
    assert len({c.buyer_id for c in cases}) == WAITING
    assert all(c.status is CaseStatus.MANUAL_REVIEW for c in cases)
    with system.ctx.read() as uow:
        third = uow.findings.for_case(cases[-1].id)
        first = uow.findings.for_case(cases[0].id)
    reused = [f for f in third if f.kind is FindingKind.FORENSICS and "evidence_reused" in f.codes]
    assert reused
    assert cases[0].id in str(reused[0].facts)
    assert not [f for f in first if "evidence_reused" in f.codes]


@pytest.mark.ocr
def test_the_demo_screenshots_show_beijing_time_so_their_own_order_is_not_doubted(system: System) -> None:
    # The review reads a screen's time as Beijing time, as a phone in China shows it.
    system.ctx.ocr = PaddleOcr()
    seed(system.ctx)

    cases = seed_claims(system.ctx)

    with system.ctx.read() as uow:
        # The first two send a screenshot of their own order; the third one the first's.
        own = [(uow.reads.for_case(c.id), uow.findings.for_case(c.id)) for c in cases[:-1]]
        orders = [uow.orders.get(c.order_id) for c in cases[:-1]]
    for (reads, findings), order in zip(own, orders, strict=True):
        assert order is not None
        [read] = reads
        times = [m for m in read.matches if m["field"] == "time"]
        assert [(m["code"], m["matches"]) for m in times] == [("time_near_paid_at", True)]
        shown = datetime.fromisoformat(read.fields["times"][0])
        assert abs(shown - order.paid_at) < timedelta(minutes=1)
        assert "screenshot_time_before_payment" not in read.codes
        # "Item: JD-E100" on the next line is neither more of the order number nor an error code.
        assert (list(read.fields["order_numbers"]), list(read.fields["error_codes"])) == ([order.id], [])
        assert not [f for f in findings if "screenshot_time_before_payment" in f.codes]
