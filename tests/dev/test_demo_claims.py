"""The demo starts with claims waiting for a person, one of them with a reused screenshot."""

from __future__ import annotations

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
