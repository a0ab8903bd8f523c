"""Filing, withdrawing and appealing a claim on the fake unit of work: what each writes; a refusal writes nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.services.fakes import NOW, FakeUnitOfWork, fake_context
from tests.support.builders import PAID_AT, case, order
from tuika.domain.cases import Case, CaseStatus, Role, Route
from tuika.domain.errors import AppealNotAllowed, IllegalTransition, ItemsAlreadyClaimed, NotFound
from tuika.domain.events import EventType
from tuika.domain.policy import EvidenceKind, Reason
from tuika.services.claims import filing
from tuika.services.context import Actor
from tuika.services.ports import EvidenceRecord

BUYER = Actor("b_1", Role.BUYER)
STRANGER = Actor("b_2", Role.BUYER)
CLAIM = filing.ClaimRequest("ord_1", Reason.CARD_INVALID, evidence_ids=("ev_1",), route=Route.BALANCE)


def screenshot(owner: str = "b_1") -> EvidenceRecord:
    kind = EvidenceKind.ERROR_SCREENSHOT
    return EvidenceRecord("ev_1", owner, "0" * 64, "image/png", 100, 10, 10, kind, None, PAID_AT)


def test_a_claim_is_stored_with_its_hold_key_and_evidence_and_wakes_its_review_once_committed() -> None:
    uow = FakeUnitOfWork(orders=[order()], evidence=[screenshot()])
    ctx = fake_context(uow)

    view = filing.submit(ctx, BUYER, CLAIM, "key-1")

    filed = view.case
    assert (filed.status, filed.buyer_id, filed.item_ids, filed.due_at) == (
        CaseStatus.SUBMITTED,
        "b_1",
        ("oi_1",),
        NOW + ctx.sla.machine_review,
    )
    assert uow.cases.get(filed.id) == filed
    assert uow.cases.held_items("ord_1") == {"oi_1": filed.id}
    assert uow.idempotency.get("b_1", "key-1") == (CLAIM.fingerprint(), filed.id)
    assert [r.id for r in uow.evidence.for_case(filed.id)] == ["ev_1"]
    [event] = uow.events.written
    assert (event.type, event.subject) == (EventType.CASE_SUBMITTED, filed.id)
    assert uow.committed is True
    assert uow.relay.woken == [(event.id, 0.0)]


def test_the_same_claim_sent_again_under_its_key_gives_back_the_case_and_writes_nothing() -> None:
    uow = FakeUnitOfWork(orders=[order()], evidence=[screenshot()])
    ctx = fake_context(uow)
    first = filing.submit(ctx, BUYER, CLAIM, "key-1")
    written = list(uow.events.written)

    again = filing.submit(ctx, BUYER, CLAIM, "key-1")

    assert again.case == first.case
    assert uow.events.written == written
    assert list(uow.cases.rows) == [first.case.id]


@pytest.mark.parametrize(
    ("actor", "owner"), [(STRANGER, "b_1"), (BUYER, "b_2")], ids=["someone_elses_order", "someone_elses_file"]
)
def test_a_claim_on_what_the_buyer_does_not_own_is_not_found_and_stores_nothing(actor: Actor, owner: str) -> None:
    uow = FakeUnitOfWork(orders=[order()], evidence=[screenshot(owner)])
    ctx = fake_context(uow)

    with pytest.raises(NotFound):
        filing.submit(ctx, actor, CLAIM, "key-1")

    assert uow.committed is False
    assert uow.events.written == []
    assert uow.cases.rows == {}
    assert uow.cases.held_items("ord_1") == {}
    assert uow.idempotency.keys == {}
    assert uow.evidence.get("ev_1") == screenshot(owner)
    assert uow.relay.woken == []


def test_a_claim_on_items_another_claim_holds_is_refused_and_stores_nothing() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[replace(case(), id="rc_0")], evidence=[screenshot()])

    with pytest.raises(ItemsAlreadyClaimed):
        filing.submit(fake_context(uow), BUYER, CLAIM, "key-1")

    assert (uow.committed, uow.events.written, list(uow.cases.rows)) == (False, [], ["rc_0"])
    assert uow.evidence.get("ev_1") == screenshot()


def test_withdrawing_a_claim_releases_its_items_and_writes_one_move() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])

    withdrawn = filing.withdraw(fake_context(uow), BUYER, "rc_1", "不要了")

    assert withdrawn.status is CaseStatus.WITHDRAWN
    assert uow.cases.get("rc_1") == withdrawn
    assert uow.cases.held_items("ord_1") == {}
    assert [(e.type, e.payload["codes"]) for e in uow.events.written] == [
        (EventType.CASE_MOVED, ["withdrawn_by_buyer"])
    ]
    assert uow.committed is True


@pytest.mark.parametrize(
    ("actor", "status", "refused"),
    [
        (BUYER, CaseStatus.APPROVED, IllegalTransition),
        (BUYER, CaseStatus.REFUNDED, IllegalTransition),
        (STRANGER, CaseStatus.MANUAL_REVIEW, NotFound),
    ],
)
def test_a_withdrawal_refused_leaves_the_case_as_it_was(
    actor: Actor, status: CaseStatus, refused: type[Exception]
) -> None:
    before = case(status=status)
    uow = FakeUnitOfWork(orders=[order()], cases=[before])

    with pytest.raises(refused):
        filing.withdraw(fake_context(uow), actor, "rc_1", "不要了")

    assert (uow.committed, uow.events.written, uow.cases.get("rc_1")) == (False, [], before)


def test_an_appeal_sends_a_rejected_claim_to_arbitration_due_within_the_hour() -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.REJECTED)])
    ctx = fake_context(uow)

    appealed = filing.appeal(ctx, BUYER, "rc_1", "卡密确实无效")

    due = NOW + ctx.sla.arbitration
    assert (appealed.status, appealed.appealed, appealed.due_at) == (CaseStatus.ARBITRATION, True, due)
    assert uow.cases.get("rc_1") == appealed
    assert uow.cases.held_items("ord_1") == {"oi_1": "rc_1"}
    assert [(e.type, e.payload["from"], e.payload["to"]) for e in uow.events.written] == [
        (EventType.CASE_MOVED, "rejected", "arbitration")
    ]
    assert uow.committed is True


@pytest.mark.parametrize(
    "before",
    [
        replace(case(status=CaseStatus.REJECTED), appealed=True),
        case(status=CaseStatus.MANUAL_REVIEW),
        case(status=CaseStatus.REFUNDED),
    ],
    ids=["appealed_once", "not_rejected", "refunded"],
)
def test_an_appeal_refused_writes_nothing_and_commits_nothing(before: Case) -> None:
    uow = FakeUnitOfWork(orders=[order()], cases=[before])

    with pytest.raises(AppealNotAllowed):
        filing.appeal(fake_context(uow), BUYER, "rc_1", "再看看")

    assert uow.events.written == []
    assert uow.committed is False
    assert uow.cases.get("rc_1") == before


def test_an_appeal_on_items_another_claim_took_meanwhile_is_refused_and_changes_nothing() -> None:
    rejected = case(status=CaseStatus.REJECTED)
    uow = FakeUnitOfWork(orders=[order()], cases=[rejected, replace(case(status=CaseStatus.MANUAL_REVIEW), id="rc_2")])

    with pytest.raises(ItemsAlreadyClaimed):
        filing.appeal(fake_context(uow), BUYER, "rc_1", "卡密确实无效")

    assert (uow.committed, uow.events.written, uow.cases.get("rc_1")) == (False, [], rejected)
    assert uow.cases.held_items("ord_1") == {"oi_1": "rc_2"}
