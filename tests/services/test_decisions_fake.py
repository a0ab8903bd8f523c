"""A person's decision and the payout it opens, on the fake unit of work; refusals and over-refunds write nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.services.fakes import NOW, FakeUnitOfWork, fake_context
from tests.support.builders import PAID_AT, case, order, payout
from tuika.domain.alerts import AlertKind, PayoutAlert
from tuika.domain.cases import CaseStatus, Decision, DecisionAction, Role, Tier
from tuika.domain.errors import Forbidden, InvalidInput, OverRefund, StaleState
from tuika.domain.events import EventType
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute, PayoutStatus
from tuika.services.context import Actor
from tuika.services.payouts.opening import open_payout
from tuika.services.review.decisions import DecisionRequest, decide

AGENT = Actor("agent_1", Role.AGENT)
APPROVE = DecisionRequest(DecisionAction.APPROVE, ("supplier_confirmed_fault",), "核实无误")


def disputed_failure(*, resolved: bool) -> FakeUnitOfWork:
    """Return a case in manual review on an order whose earlier payout failed, though its gateway says it paid."""
    failed = payout("po_0", status=PayoutStatus.FAILED)
    alert = PayoutAlert("po_0", "alipay", AlertKind.STATE_CONTRADICTION, "TRADE_SUCCESS", PAID_AT, id="al_1")
    settled = replace(alert, resolved_at=NOW, resolved_by="finance_1") if resolved else alert
    return FakeUnitOfWork(
        orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)], payouts=[failed], alerts=[settled]
    )


def test_an_agents_approval_records_the_decision_and_opens_the_payout_in_one_commit() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])
    ctx = fake_context(uow)

    approved = decide(ctx, AGENT, "rc_1", APPROVE)

    assert (approved.status, approved.decided_by) == (CaseStatus.APPROVED, "agent_1")
    assert uow.cases.decisions("rc_1") == [
        Decision("rc_1", DecisionAction.APPROVE, Tier.AGENT, "agent_1", ("supplier_confirmed_fault",), "核实无误", NOW)
    ]
    [opened] = uow.payouts.added
    assert (opened.case_id, opened.route, opened.amount, opened.status) == (
        "rc_1",
        PayoutRoute.BALANCE,
        Money(10_000),
        PayoutStatus.PENDING,
    )
    assert [(e.type, e.subject) for e in uow.events.written] == [
        (EventType.CASE_DECIDED, "rc_1"),
        (EventType.PAYOUT_OPENED, opened.id),
    ]
    found = uow.events.get(uow.events.written[1].id)
    assert found is not None
    assert [d.handler for d in found[1]] == ["pay", "webhooks"]
    assert uow.committed is True
    # One wake-up for both: the message writer's of case.decided and the pay handler's.
    assert uow.relay.woken == [(uow.events.written[0].id, 0.0), (uow.events.written[1].id, 0.0)]


@pytest.mark.parametrize(
    ("actor", "status", "request_", "refused"),
    [
        (AGENT, CaseStatus.ARBITRATION, APPROVE, Forbidden),
        (AGENT, CaseStatus.APPROVED, APPROVE, StaleState),
        (AGENT, CaseStatus.MANUAL_REVIEW, DecisionRequest(DecisionAction.APPROVE, ()), InvalidInput),
        (Actor("b_1", Role.BUYER), CaseStatus.MANUAL_REVIEW, APPROVE, Forbidden),
    ],
    ids=["agent_in_arbitration", "decided_already", "no_reason", "buyer"],
)
def test_a_decision_refused_writes_nothing(
    actor: Actor, status: CaseStatus, request_: DecisionRequest, refused: type[Exception]
) -> None:
    before = case(status=status)
    uow = FakeUnitOfWork(orders=[order()], cases=[before])

    with pytest.raises(refused):
        decide(fake_context(uow), actor, "rc_1", request_)

    assert uow.cases.get("rc_1") == before
    assert (uow.cases.decisions("rc_1"), uow.payouts.added, uow.events.written) == ([], [], [])
    assert uow.committed is False


def test_an_approval_that_would_refund_more_than_was_paid_is_undone_whole() -> None:
    # The gateway says the earlier failed payout paid after all: its share still counts.
    uow = disputed_failure(resolved=False)
    before = uow.cases.get("rc_1")
    ctx = fake_context(uow)

    with pytest.raises(OverRefund):
        decide(ctx, AGENT, "rc_1", APPROVE)

    assert uow.payouts.added == []
    assert [p.id for p in uow.payouts.for_order("ord_1")] == ["po_0"]
    assert (uow.cases.get("rc_1"), uow.cases.decisions("rc_1"), uow.events.written) == (before, [], [])
    assert uow.committed is False
    assert uow.relay.woken == []


def test_once_finance_settles_the_dispute_the_failed_payout_frees_its_share() -> None:
    uow = disputed_failure(resolved=True)

    decide(fake_context(uow), AGENT, "rc_1", APPROVE)

    assert [(p.case_id, p.amount) for p in uow.payouts.added] == [("rc_1", Money(10_000))]


def test_open_payout_refuses_a_second_refund_of_a_paid_item_and_adds_nothing() -> None:
    paid = payout("po_0", status=PayoutStatus.SUCCEEDED)
    approved = case(status=CaseStatus.APPROVED)
    uow = FakeUnitOfWork(orders=[order()], cases=[approved], payouts=[paid])
    ctx = fake_context(uow)

    with uow, pytest.raises(OverRefund):
        open_payout(ctx, uow, order(), approved)

    assert uow.payouts.added == []
    assert uow.events.written == []
