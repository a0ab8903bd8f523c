"""The daily reconciliation: our refunds of a day against each gateway's own statement of it.

Every refund we sent that day (Beijing time) must be in the gateway's bill with the same
amount and state; every refund in the bill must be one of ours. Each difference is listed for
finance; nothing is changed (a person decides, with ``/v1/finance/refunds`` and the alerts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from tuika.domain.cases import Role
from tuika.domain.gateway import GatewayRefused, GatewayUnavailable, RefundState, StatementLine
from tuika.domain.ids import PayoutId
from tuika.domain.money import Money
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.services.context import Actor, Context

_BEIJING_OFFSET = timedelta(hours=8)
_AS_STATE = {
    PayoutStatus.SUCCEEDED: RefundState.SUCCEEDED,
    PayoutStatus.FAILED: RefundState.FAILED,
    PayoutStatus.ABNORMAL: RefundState.ABNORMAL,
    PayoutStatus.PROCESSING: RefundState.PROCESSING,
}


class MismatchKind(StrEnum):
    MISSING_AT_GATEWAY = "missing_at_gateway"  # we paid it that day; the bill has no such refund
    UNKNOWN_TO_US = "unknown_to_us"  # the bill has a refund no payout of ours asked for
    AMOUNT_DIFFERS = "amount_differs"
    STATE_DIFFERS = "state_differs"
    STATEMENT_UNAVAILABLE = "statement_unavailable"


@dataclass(frozen=True, slots=True)
class Mismatch:
    kind: MismatchKind
    route: PayoutRoute
    refund_no: str
    ours: str
    theirs: str


@dataclass(frozen=True, slots=True)
class RouteReport:
    route: PayoutRoute
    our_count: int
    our_total: Money
    their_count: int
    their_total: Money
    mismatches: tuple[Mismatch, ...]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """Return the UTC start and end of a statement day (midnight to midnight, Beijing time)."""
    start = datetime.combine(day, time(0), tzinfo=UTC) - _BEIJING_OFFSET
    return start, start + timedelta(days=1)


def reconcile(ctx: Context, actor: Actor, day: date, routes: Sequence[PayoutRoute] = ()) -> list[RouteReport]:
    """Compare our refunds of ``day`` with each configured gateway's statement; return the differences."""
    actor.require(Role.ADMIN, Role.SYSTEM)
    start, end = day_bounds(day)
    reports = []
    for route, gateway in sorted(ctx.gateways.items()):
        if routes and route not in routes:
            continue
        with ctx.read() as uow:
            ours = uow.payouts.sent_between(route, start, end)
        try:
            lines = gateway.statement(day)
        except (GatewayUnavailable, GatewayRefused, ValueError) as exc:
            missing = Mismatch(MismatchKind.STATEMENT_UNAVAILABLE, route, "", "", str(exc))
            reports.append(RouteReport(route, len(ours), _sum(p.amount for p in ours), 0, Money(0), (missing,)))
            continue
        with ctx.read() as uow:
            theirs_known = {line.refund_no: uow.payouts.get(PayoutId(line.refund_no)) for line in lines}
        found = compare(route, ours, lines, theirs_known)
        reports.append(
            RouteReport(
                route,
                len(ours),
                _sum(p.amount for p in ours),
                len(lines),
                _sum(line.amount for line in lines),
                tuple(found),
            )
        )
    return reports


def compare(
    route: PayoutRoute,
    ours: Sequence[Payout],
    lines: Sequence[StatementLine],
    known: dict[str, Payout | None],
) -> list[Mismatch]:
    """Return every difference between the refunds we sent that day and the gateway's lines."""
    found: list[Mismatch] = []
    listed = {line.refund_no: line for line in lines}
    for payout in ours:
        # A refund the gateway refused outright never exists there, and nothing was paid.
        if payout.id not in listed and payout.status is not PayoutStatus.FAILED:
            found.append(Mismatch(MismatchKind.MISSING_AT_GATEWAY, route, payout.id, _ours(payout), "—"))
    for line in lines:
        known_one = known.get(line.refund_no)
        if known_one is None:
            found.append(Mismatch(MismatchKind.UNKNOWN_TO_US, route, line.refund_no, "—", _theirs(line)))
            continue
        if line.amount != known_one.amount:
            kind = MismatchKind.AMOUNT_DIFFERS
        elif _AS_STATE.get(known_one.status) is not line.state:
            kind = MismatchKind.STATE_DIFFERS
        else:
            continue
        found.append(Mismatch(kind, route, line.refund_no, _ours(known_one), _theirs(line)))
    return found


def _ours(payout: Payout) -> str:
    return f"{payout.status.value} {payout.amount.yuan()}"


def _theirs(line: StatementLine) -> str:
    return f"{line.state.value} {line.amount.yuan()}"


def _sum(amounts: Iterable[Money]) -> Money:
    return sum(amounts, Money(0))
