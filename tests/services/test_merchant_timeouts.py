"""A silent merchant's claim is taken as accepted once: against its answer at the same moment, and across a crash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from tests.services.test_sweep_escalation import Crash, CrashingClock
from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import order_payload, png_bytes
from tests.support.threads import race
from tuika.bootstrap import System
from tuika.domain.cases import CaseStatus, DecisionAction, Role
from tuika.domain.clock import FixedClock
from tuika.domain.errors import MerchantResponseNotAllowed
from tuika.domain.ids import CaseId
from tuika.domain.merchant import MerchantAction
from tuika.services.context import Actor
from tuika.services.merchant.responses import ResponseRequest, respond
from tuika.services.merchant.timeouts import time_out, time_out_silent

MERCHANT = Actor("merchant_1", Role.MERCHANT)


def _waiting(client: TestClient, auth: Auth, order_id: str, color: str) -> CaseId:
    """Return a claim a person reviews with nothing against it: its merchant's silence approves it."""
    push(client, auth, order_payload(order_id))
    evidence = [upload(client, auth, data=png_bytes(color=color))]
    case = file_case(client, auth, {"order_id": order_id, "reason": "card_invalid", "evidence_ids": evidence})
    assert [c["code"] for c in case["reason_codes"]] == ["card_usage_unverified"]
    return CaseId(case["id"])


def _settled(system: System, case_id: CaseId) -> tuple[CaseStatus, int, int, str | None]:
    """Return the case's status, its payouts, its approvals, and how its merchant's window closed."""
    with system.ctx.read() as uow:
        case = uow.cases.get(case_id)
        assert case is not None
        approvals = [d for d in uow.cases.decisions(case_id) if d.action is DecisionAction.APPROVE]
        window = uow.merchant.window(case_id)
        return (
            case.status,
            len(uow.payouts.for_case(case_id)),
            len(approvals),
            None if window is None else window.outcome,
        )


def test_the_merchant_accepting_as_its_time_runs_out_refunds_once(
    client: TestClient, auth: Auth, system: System
) -> None:
    late = replace(system.ctx, clock=CrashingClock(datetime.now(UTC) + timedelta(hours=1, minutes=1)))

    def accept(case_id: CaseId) -> str:
        try:
            respond(system.ctx, MERCHANT, case_id, ResponseRequest(MerchantAction.ACCEPT, "同意"))
        except MerchantResponseNotAllowed:
            return "refused"
        return "accepted"

    def silence(case_id: CaseId) -> str:
        return "timed out" if time_out(late, case_id) else "nothing"

    for n, color in enumerate(("red", "blue", "orange", "teal")):
        case_id = _waiting(client, auth, f"ord_mt{n}", color)

        outcomes = race([lambda c=case_id: accept(c), lambda c=case_id: silence(c)])

        assert sorted(outcomes) in (["accepted", "nothing"], ["refused", "timed out"])
        status, payouts, approvals, closed_by = _settled(system, case_id)
        assert status in (CaseStatus.APPROVED, CaseStatus.REFUNDING, CaseStatus.REFUNDED)
        assert (payouts, approvals) == (1, 1)
        assert closed_by == ("accept" if "accepted" in outcomes else "timeout")


def test_a_sweep_that_dies_mid_way_writes_nothing_and_the_next_takes_the_silence_once(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = _waiting(client, auth, "ord_mt9", "navy")
    clock = CrashingClock(datetime.now(UTC) + timedelta(hours=2))
    late = replace(system.ctx, clock=clock)
    # One reading to find the windows, one under the case's lock; it dies opening the refund.
    clock.calls_left = 2
    with pytest.raises(Crash):
        time_out_silent(late, limit=10)

    assert _settled(system, case_id) == (CaseStatus.MANUAL_REVIEW, 0, 0, None)

    clock.calls_left = None
    assert time_out_silent(late, limit=10) == 1
    assert time_out_silent(late, limit=10) == 0
    status, payouts, approvals, closed_by = _settled(system, case_id)
    assert (payouts, approvals, closed_by) == (1, 1, "timeout")
    assert status is not CaseStatus.MANUAL_REVIEW


def test_past_its_deadline_the_merchant_cannot_answer_even_before_the_sweep(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = _waiting(client, auth, "ord_mt10", "olive")
    late = replace(system.ctx, clock=FixedClock(datetime.now(UTC) + timedelta(hours=1, minutes=1)))

    for action in (MerchantAction.ACCEPT, MerchantAction.CONTEST):
        with pytest.raises(MerchantResponseNotAllowed, match="time to answer has passed"):
            respond(late, MERCHANT, case_id, ResponseRequest(action, "已核对发货记录"))

    assert _settled(system, case_id) == (CaseStatus.MANUAL_REVIEW, 0, 0, None)
    with system.ctx.read() as uow:
        assert uow.merchant.responses(case_id) == []
    # A word for the person deciding still goes; the silence is the sweep's to take.
    respond(late, MERCHANT, case_id, ResponseRequest(MerchantAction.STATEMENT, "发货记录见附件"))
    assert time_out_silent(late, limit=10) == 1
    assert _settled(system, case_id)[3] == "timeout"
