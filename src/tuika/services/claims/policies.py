"""Policies: publish a version; show an order's rules with its own deadlines."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from tuika.domain.cases import Role
from tuika.domain.evaluate import Claim, Path, evaluate
from tuika.domain.orders import Order
from tuika.domain.policy import Policy, Rule, parse_policy, window_start
from tuika.domain.reveals import Standing, deadline, standing
from tuika.services.context import Actor, Context
from tuika.services.ports import UnitOfWork


def ensure_default(ctx: Context, uow: UnitOfWork) -> bool:
    """Publish the shipped default policy as version 1 if nothing is published yet."""
    if uow.policies.latest_version() is not None:
        return False
    document = ctx.policies.default()
    policy = parse_policy(document, 1)
    uow.policies.add(1, policy.title, document, "tuika", ctx.clock.now())
    return True


def publish(ctx: Context, actor: Actor, document: dict[str, Any]) -> Policy:
    """Validate and publish a new version; cases already filed keep theirs."""
    actor.require(Role.ADMIN)
    with ctx.uow() as uow:
        latest = uow.policies.latest_version()
        version = 1 if latest is None else latest + 1
        policy = parse_policy(document, version)
        uow.policies.add(version, policy.title, document, actor.subject, ctx.clock.now())
        uow.commit()
    return ctx.policies.parse(version, document)


def current(ctx: Context) -> Policy:
    """Return the newest published policy."""
    with ctx.read() as uow:
        return ctx.policies.current(uow)


class WindowState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"  # the window has passed
    WAITING = "waiting"  # it opens when the order is delivered (a key cannot fail before it arrives)
    NOT_APPLICABLE = "not_applicable"  # this order's record rules it out: delivered already, activated
    NOT_REFUNDABLE = "not_refundable"


# The codes that refuse a claim under a rule, by what they say of its window for this order.
_STATE_OF: Final = {
    "refund_window_closed": WindowState.CLOSED,
    "window_not_started": WindowState.WAITING,
    "already_delivered": WindowState.NOT_APPLICABLE,
    "already_activated": WindowState.NOT_APPLICABLE,
    "reason_not_refundable": WindowState.NOT_REFUNDABLE,
}


# Where several hold, the one that says most: a rule the order's record rules out would not
# apply even inside its window, so "not for this order" comes before "its time has passed".
_FIRST_SAID: Final = (
    WindowState.NOT_REFUNDABLE,
    WindowState.NOT_APPLICABLE,
    WindowState.WAITING,
    WindowState.CLOSED,
)


@dataclass(frozen=True, slots=True)
class RuleForOrder:
    rule: Rule
    window_starts: datetime | None
    deadline: datetime | None
    open: bool
    state: WindowState = WindowState.OPEN
    # Why a claim under this rule cannot be filed now, as ``evaluate`` says it.
    why: tuple[str, ...] = ()
    # Until when a claim under this rule on a key never revealed is refunded at once (the
    # supplier saying it is unused); None where no key of the order can be.
    unrevealed_until: datetime | None = None


def for_order(
    policy: Policy, order: Order, now: datetime, revealed: Collection[str] | None = None
) -> list[RuleForOrder]:
    """Return each rule of the order's kind with the order's own window and whether a claim may use it now.

    The state is what ``evaluate`` says of a claim on every item under that rule now, so the
    policy page cannot call open a rule the claim would be refused under. ``revealed`` are the
    items whose key was shown; None leaves out the instant refund of keys never revealed. A
    rule the order's record rules out (a before-delivery rule on a delivered order) is open while
    a key of the order can still take that way: the supplier's "unused" decides the claim then.
    """
    rows = []
    for rule in policy.rules_for(order.product_kind):
        start = window_start(rule, order) if rule.refundable else None
        closes = None if start is None else start + rule.window
        outcome = evaluate(order, Claim(rule.reason, order.item_ids(), rule.evidence), policy, now)
        why = outcome.reason_codes if outcome.path is Path.REJECT else ()
        found = {_STATE_OF[c] for c in why if c in _STATE_OF}
        state = next((s for s in _FIRST_SAID if s in found), WindowState.OPEN)
        unrevealed = _unrevealed(policy, order, rule, now, revealed)
        if unrevealed is not None and state is not WindowState.OPEN:
            opens, shut = unrevealed
            row = RuleForOrder(rule, opens, shut, True, WindowState.OPEN, (), shut)
        else:
            until = None if unrevealed is None else unrevealed[1]
            row = RuleForOrder(rule, start, closes, state is WindowState.OPEN, state, why, until)
        rows.append(row)
    return rows


def _unrevealed(
    policy: Policy, order: Order, rule: Rule, now: datetime, revealed: Collection[str] | None
) -> tuple[datetime, datetime] | None:
    """Return when the instant refund of unrevealed keys opened and closes under ``rule``, if a key may take it."""
    offer = policy.unrevealed
    if revealed is None or offer is None or not rule.refundable:
        return None
    if not any(standing(policy, order, rule.reason, (i,), now, revealed) is Standing.OPEN for i in order.item_ids()):
        return None
    closes = deadline(offer, order)
    assert closes is not None  # an open standing has its anchor
    return closes - offer.window, closes
