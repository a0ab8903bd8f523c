import itertools
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import PAID_AT, case
from tuika.domain.cases import (
    ESCALATED_CODE,
    FINAL,
    HOLDS_ITEMS,
    TRANSITIONS,
    Case,
    CaseStatus,
    Role,
    TimelineEvent,
    can_move,
    check_move,
    escalation_due,
    expected_times,
    priority,
)
from tuika.domain.errors import IllegalTransition
from tuika.domain.money import Money

S = CaseStatus

# Written from the spec, not from the table under test.
EXPECTED_MOVES = {
    (S.SUBMITTED, S.REVIEWING),
    (S.SUBMITTED, S.WITHDRAWN),
    (S.REVIEWING, S.APPROVED),
    (S.REVIEWING, S.REJECTED),
    (S.REVIEWING, S.AWAITING_EVIDENCE),
    (S.REVIEWING, S.MANUAL_REVIEW),
    (S.REVIEWING, S.ARBITRATION),
    (S.REVIEWING, S.WITHDRAWN),
    (S.AWAITING_EVIDENCE, S.REVIEWING),
    (S.AWAITING_EVIDENCE, S.CLOSED),
    (S.AWAITING_EVIDENCE, S.WITHDRAWN),
    (S.MANUAL_REVIEW, S.APPROVED),
    (S.MANUAL_REVIEW, S.REJECTED),
    (S.MANUAL_REVIEW, S.ARBITRATION),
    (S.MANUAL_REVIEW, S.AWAITING_EVIDENCE),
    (S.MANUAL_REVIEW, S.WITHDRAWN),
    (S.ARBITRATION, S.APPROVED),
    (S.ARBITRATION, S.REJECTED),
    (S.ARBITRATION, S.WITHDRAWN),
    (S.APPROVED, S.REFUNDING),
    (S.APPROVED, S.MANUAL_REVIEW),
    (S.REFUNDING, S.REFUNDED),
    (S.REJECTED, S.ARBITRATION),
    # The merchant offers new keys; the buyer takes them, declines (back to a person) or withdraws.
    (S.MANUAL_REVIEW, S.REPLACEMENT_OFFERED),
    (S.REPLACEMENT_OFFERED, S.REPLACED),
    (S.REPLACEMENT_OFFERED, S.MANUAL_REVIEW),
    (S.REPLACEMENT_OFFERED, S.WITHDRAWN),
    # The policy offers a key from the merchant's stock for a claim the machine approves; declined, it is refunded.
    (S.REVIEWING, S.REPLACEMENT_OFFERED),
    (S.REPLACEMENT_OFFERED, S.APPROVED),
}
ALL_PAIRS = list(itertools.product(CaseStatus, CaseStatus))
AT = PAID_AT + timedelta(minutes=30)


def test_the_table_has_a_row_for_every_status() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)


def test_the_table_admits_exactly_the_specified_moves() -> None:
    admitted = {(old, new) for old, new in ALL_PAIRS if can_move(old, new)}

    assert admitted == EXPECTED_MOVES


def test_final_statuses_are_refunded_withdrawn_closed_and_replaced() -> None:
    assert {S.REFUNDED, S.WITHDRAWN, S.CLOSED, S.REPLACED} == FINAL


def test_items_are_held_by_every_status_but_rejected_withdrawn_and_closed() -> None:
    assert set(CaseStatus) - {S.REJECTED, S.WITHDRAWN, S.CLOSED} == HOLDS_ITEMS


@pytest.mark.parametrize(("old", "new"), ALL_PAIRS, ids=[f"{o}->{n}" for o, n in ALL_PAIRS])
def test_check_move_raises_exactly_for_moves_outside_the_table(old: CaseStatus, new: CaseStatus) -> None:
    if (old, new) in EXPECTED_MOVES:
        check_move(old, new)
        return
    with pytest.raises(IllegalTransition) as caught:
        check_move(old, new)
    assert caught.value.facts == {"old": old, "new": new}
    assert caught.value.code == "illegal_transition"
    assert str(caught.value) == f"{old.value} → {new.value} is not allowed"


@pytest.mark.parametrize(
    ("old", "new"),
    [pair for pair in ALL_PAIRS if pair not in EXPECTED_MOVES],
    ids=[f"{o}->{n}" for o, n in ALL_PAIRS if (o, n) not in EXPECTED_MOVES],
)
def test_an_illegal_move_leaves_the_case_as_it_was(old: CaseStatus, new: CaseStatus) -> None:
    before = case(status=old)

    with pytest.raises(IllegalTransition):
        before.move(new, at=AT, actor="agent_1", role=Role.AGENT)

    assert before.status is old
    assert len(before.timeline) == 1


def test_a_move_records_who_moved_it_from_where_to_where_and_why() -> None:
    submitted = case()
    due = AT + timedelta(hours=1)

    reviewing, first = submitted.move(S.REVIEWING, at=AT, actor="system", role=Role.SYSTEM)
    waiting, second = reviewing.move(
        S.AWAITING_EVIDENCE,
        at=AT + timedelta(seconds=3),
        actor="agent_7",
        role=Role.AGENT,
        reason_codes=("evidence_missing",),
        note="请上传截图",
        due_at=due,
    )

    assert first == TimelineEvent(AT, "system", Role.SYSTEM, S.SUBMITTED, S.REVIEWING)
    assert second == TimelineEvent(
        AT + timedelta(seconds=3),
        "agent_7",
        Role.AGENT,
        S.REVIEWING,
        S.AWAITING_EVIDENCE,
        ("evidence_missing",),
        "请上传截图",
    )
    assert waiting.timeline == (*submitted.timeline, first, second)
    assert (waiting.status, waiting.updated_at, waiting.due_at) == (S.AWAITING_EVIDENCE, AT + timedelta(seconds=3), due)
    assert waiting.reason_codes == ("evidence_missing",)
    assert waiting.created_at == submitted.created_at
    assert submitted.status is S.SUBMITTED  # the original is untouched
    assert submitted.timeline == (TimelineEvent(PAID_AT, "b_1", Role.BUYER, None, S.SUBMITTED),)


def test_a_move_without_codes_keeps_the_previous_codes_and_clears_the_due_time() -> None:
    waiting = case(status=S.AWAITING_EVIDENCE)
    waiting, _ = waiting.move(
        S.REVIEWING,
        at=AT,
        actor="b_1",
        role=Role.BUYER,
        reason_codes=("evidence_missing",),
        due_at=AT + timedelta(days=1),
    )

    approved, event = waiting.move(S.APPROVED, at=AT + timedelta(minutes=1), actor="system", role=Role.SYSTEM)

    assert approved.reason_codes == ("evidence_missing",)
    assert event.reason_codes == ()
    assert approved.due_at is None


def test_an_appeal_of_a_rejection_marks_the_case_appealed() -> None:
    rejected = case(status=S.REJECTED)

    appealed, event = rejected.move(S.ARBITRATION, at=AT, actor="b_1", role=Role.BUYER, reason_codes=("buyer_appeal",))
    rejected_again, _ = appealed.move(S.REJECTED, at=AT + timedelta(hours=1), actor="arb_1", role=Role.ARBITRATOR)

    assert rejected.appealed is False
    assert appealed.appealed is True
    assert rejected_again.appealed is True
    assert (event.from_status, event.to_status, event.role) == (S.REJECTED, S.ARBITRATION, Role.BUYER)


@pytest.mark.parametrize("old", [S.REVIEWING, S.MANUAL_REVIEW])
def test_escalating_before_a_decision_is_not_an_appeal(old: CaseStatus) -> None:
    escalated, _ = case(status=old).move(S.ARBITRATION, at=AT, actor="agent_1", role=Role.AGENT)

    assert escalated.appealed is False


def test_the_payout_amount_is_the_refundable_amount_less_the_fee() -> None:
    assert case(refundable=10_000, fee=100).payout_amount == Money(9_900)


def test_every_status_has_a_stage_with_its_own_key_and_the_configured_times() -> None:
    machine, manual, arbitration, evidence = (timedelta(minutes=m) for m in (1, 240, 60, 2880))

    stages = expected_times(machine, manual, arbitration, evidence)

    assert set(stages) == set(CaseStatus)
    for status, stage in stages.items():
        assert stage.key == status.value
        assert stage.zh
        assert stage.en
    assert [stages[s].zh for s in (S.SUBMITTED, S.REVIEWING, S.APPROVED, S.REJECTED, S.REFUNDING, S.REFUNDED)] == [
        "已提交",
        "材料审核中",
        "审核通过",
        "已驳回",
        "退款处理中",
        "已退款",
    ]
    assert stages[S.SUBMITTED].expected == machine
    assert stages[S.REVIEWING].expected == machine
    assert stages[S.MANUAL_REVIEW].expected == manual
    assert stages[S.ARBITRATION].expected == arbitration
    assert stages[S.AWAITING_EVIDENCE].expected == evidence
    assert {s for s, stage in stages.items() if stage.expected is None} == {
        S.APPROVED,
        S.REJECTED,
        S.REFUNDING,
        S.REFUNDED,
        S.WITHDRAWN,
        S.CLOSED,
        S.REPLACED,
    }


@given(st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_a_random_walk_through_the_table_stays_in_it(choices: list[int]) -> None:
    current: Case = case()
    moves = 0
    for n, choice in enumerate(choices):
        targets = sorted(TRANSITIONS[current.status])
        if not targets:
            assert current.status in FINAL
            break
        target = targets[choice % len(targets)]
        before = current.status
        current, event = current.move(target, at=AT + timedelta(seconds=n), actor=f"a{n}", role=Role.SYSTEM)
        moves += 1
        assert (before, current.status) in EXPECTED_MOVES
        assert (event.from_status, event.to_status) == (before, target)

    assert len(current.timeline) == moves + 1
    assert current.timeline[0].from_status is None
    for previous, event in itertools.pairwise(current.timeline):
        assert event.from_status == previous.to_status
        assert (event.from_status, event.to_status) in EXPECTED_MOVES
    assert current.timeline[-1].to_status == current.status
    assert current.appealed == any(
        (e.from_status, e.to_status) == (S.REJECTED, S.ARBITRATION) for e in current.timeline
    )


# Escalation past the time limit: a 2-hour manual review, due two hours after filing.
REVIEW_STAGE = expected_times(timedelta(minutes=1), timedelta(hours=2), timedelta(hours=1), timedelta(hours=48))
DUE = PAID_AT + timedelta(hours=2)


def waiting_case(status: CaseStatus = S.MANUAL_REVIEW) -> Case:
    return replace(case(status=status), due_at=DUE)


def test_a_review_is_due_for_escalation_only_once_past_its_deadline() -> None:
    waiting = waiting_case()
    stage = REVIEW_STAGE[S.MANUAL_REVIEW]

    assert not escalation_due(waiting, stage, DUE - timedelta(seconds=1))
    assert not escalation_due(waiting, stage, DUE)
    assert escalation_due(waiting, stage, DUE + timedelta(seconds=1))


def test_an_escalated_review_is_due_again_one_period_after_its_last_escalation() -> None:
    stage = REVIEW_STAGE[S.MANUAL_REVIEW]
    at = DUE + timedelta(minutes=5)
    once, line = waiting_case().escalate(at=at, actor="tuika", role=Role.SYSTEM)

    assert (once.escalations, once.escalated_at, once.updated_at, once.status) == (1, at, at, S.MANUAL_REVIEW)
    assert once.timeline[-1] == line
    assert line == TimelineEvent(at, "tuika", Role.SYSTEM, S.MANUAL_REVIEW, S.MANUAL_REVIEW, (ESCALATED_CODE,))
    assert not escalation_due(once, stage, at + timedelta(hours=2) - timedelta(seconds=1))
    assert escalation_due(once, stage, at + timedelta(hours=2))
    twice, _ = once.escalate(at=at + timedelta(hours=2), actor="tuika", role=Role.SYSTEM)
    assert (twice.escalations, twice.escalated_at) == (2, at + timedelta(hours=2))


@pytest.mark.parametrize("status", sorted(set(S) - {S.MANUAL_REVIEW, S.ARBITRATION}))
def test_only_cases_waiting_for_a_person_are_escalated(status: CaseStatus) -> None:
    overdue = waiting_case(status)

    assert not escalation_due(overdue, REVIEW_STAGE[status], DUE + timedelta(days=3))


def test_an_arbitration_is_escalated_by_its_own_period() -> None:
    stage = REVIEW_STAGE[S.ARBITRATION]
    once, _ = waiting_case(S.ARBITRATION).escalate(at=DUE, actor="tuika", role=Role.SYSTEM)

    assert not escalation_due(once, stage, DUE + timedelta(minutes=59))
    assert escalation_due(once, stage, DUE + timedelta(hours=1))


def test_a_move_ends_the_escalation_of_the_status_it_leaves() -> None:
    escalated, _ = waiting_case().escalate(at=DUE + timedelta(minutes=1), actor="tuika", role=Role.SYSTEM)
    handed_on, _ = escalated.move(
        S.ARBITRATION, at=DUE + timedelta(minutes=2), actor="agent_1", role=Role.AGENT, due_at=DUE + timedelta(hours=1)
    )

    assert (handed_on.escalations, handed_on.escalated_at) == (0, None)


def test_an_escalated_case_is_urgent_and_stays_urgent() -> None:
    stage = REVIEW_STAGE[S.MANUAL_REVIEW]
    assert priority(waiting_case(), stage, DUE + timedelta(seconds=1)) == "urgent"
    once, _ = waiting_case().escalate(at=DUE + timedelta(seconds=1), actor="tuika", role=Role.SYSTEM)
    twice, _ = once.escalate(at=DUE + timedelta(hours=3), actor="tuika", role=Role.SYSTEM)

    assert priority(twice, stage, DUE + timedelta(hours=5)) == "urgent"
    # Even read by a clock behind the one that escalated it, an escalated case is not demoted.
    assert priority(once, stage, DUE - timedelta(minutes=10)) == "urgent"
