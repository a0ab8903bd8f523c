"""Policies: publish a version; show an order's rules with its own deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tuika.domain.cases import Role
from tuika.domain.orders import Order, anchor_time
from tuika.domain.policy import Policy, Rule, parse_policy
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


@dataclass(frozen=True, slots=True)
class RuleForOrder:
    rule: Rule
    window_starts: datetime | None
    deadline: datetime | None
    open: bool


def for_order(policy: Policy, order: Order, now: datetime) -> list[RuleForOrder]:
    """Return each rule of the order's kind with the order's own window."""
    rows = []
    for rule in policy.rules_for(order.product_kind):
        start = anchor_time(order, rule.anchor.value) if rule.refundable else None
        deadline = None if start is None else start + rule.window
        is_open = rule.refundable and (deadline is None or now <= deadline)
        rows.append(RuleForOrder(rule, start, deadline, is_open))
    return rows
