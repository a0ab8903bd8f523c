"""An order's rules as the policy page shows them: each window's state is what a claim would meet now."""

from __future__ import annotations

from datetime import timedelta

from tests.support.builders import PAID_AT, default_policy, default_policy_doc, item, order
from tuika.domain.orders import DeliveryStatus
from tuika.domain.policy import Reason, parse_policy
from tuika.services.claims.policies import RuleForOrder, WindowState, for_order

POLICY = default_policy()


def states(rows: list[RuleForOrder]) -> dict[Reason, WindowState]:
    return {row.rule.reason: row.state for row in rows}


def test_a_delivered_order_cannot_use_the_before_delivery_rule_and_a_late_one_is_closed() -> None:
    delivered = order()

    now = states(for_order(POLICY, delivered, PAID_AT + timedelta(hours=2)))
    later = states(for_order(POLICY, delivered, PAID_AT + timedelta(days=30)))

    assert now[Reason.MISTAKEN_PURCHASE] is WindowState.NOT_APPLICABLE
    assert now[Reason.CARD_INVALID] is WindowState.OPEN
    assert later[Reason.CARD_INVALID] is WindowState.CLOSED


def test_a_key_not_delivered_yet_cannot_be_invalid_its_window_waits_for_delivery() -> None:
    pending = order(delivery=DeliveryStatus.PENDING)

    rows = {r.rule.reason: r for r in for_order(POLICY, pending, PAID_AT + timedelta(hours=2))}

    waiting = rows[Reason.CARD_INVALID]
    assert (waiting.state, waiting.open, waiting.deadline) == (WindowState.WAITING, False, None)
    assert waiting.why == ("window_not_started",)
    assert rows[Reason.NOT_DELIVERED].state is WindowState.OPEN


def test_a_window_from_activation_counts_from_delivery_while_the_key_is_not_activated() -> None:
    doc = default_policy_doc()
    [other] = [r for r in doc["card_key"] if r["reason"] == "other"]
    other |= {"anchor": "activated_at", "anchor_fallback": "delivered_at"}
    policy = parse_policy(doc, 2)
    delivered = order()
    activated = order(items=(item(1, activated_at=PAID_AT + timedelta(days=3)),))

    [never] = [r for r in for_order(policy, delivered, PAID_AT) if r.rule.reason is Reason.OTHER]
    [used] = [r for r in for_order(policy, activated, PAID_AT) if r.rule.reason is Reason.OTHER]

    assert (never.window_starts, never.state) == (delivered.delivered_at, WindowState.OPEN)
    assert never.deadline is not None  # no longer open for ever
    assert used.window_starts == PAID_AT + timedelta(days=3)


def test_a_rule_ruled_out_and_past_its_window_says_it_does_not_apply() -> None:
    delivered = order()

    rows = {r.rule.reason: r for r in for_order(POLICY, delivered, PAID_AT + timedelta(days=30))}

    assert rows[Reason.MISTAKEN_PURCHASE].state is WindowState.NOT_APPLICABLE
    assert set(rows[Reason.MISTAKEN_PURCHASE].why) == {"refund_window_closed", "already_delivered"}
