"""The handler table: every reaction to every event, in one place.

A new capability plugs in here: a handler, registered under the event types it reacts to.
The outbox writes one delivery per (event, handler) listed here, in the transaction of the
change, and the relay drives each to done.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from tuika.domain.events import Event, EventType, RetryAt
from tuika.domain.ids import CaseId, PayoutId
from tuika.domain.notifications import TOLD_BY, Channel, Plan
from tuika.domain.payouts import PayoutStatus
from tuika.services.context import Context, Handler
from tuika.services.merchant import replacements
from tuika.services.notify.writing import default_plan, message_writer
from tuika.services.payouts import confirming, paying
from tuika.services.review.machine import machine_review
from tuika.services.webhooks.writing import WEBHOOK_TYPES, WEBHOOKS


def review_case(ctx: Context, event: Event) -> None:
    """Give a submitted case, or one whose evidence came, its machine review."""
    machine_review(ctx, CaseId(event.subject))


def pay(ctx: Context, event: Event) -> None:
    """Pay an opened payout: the balance at once, an original route by handing it to its gateway.

    A payout still pending afterwards waits for something: the supplier to answer about its
    keys (try again after the re-drive time) or the gateway's gap between refunds of one
    order (its check time).
    """
    payout = paying.execute(ctx, PayoutId(event.subject))
    if payout.status is PayoutStatus.PENDING:
        now = ctx.clock.now()
        later = payout.check_at if payout.check_at is not None and payout.check_at > now else None
        raise RetryAt(later or now + ctx.sla.redrive_after)


def confirm(ctx: Context, event: Event) -> None:
    """Ask the gateway about a sent refund until it says paid, failed or abnormal."""
    payout = confirming.follow_up(ctx, PayoutId(event.subject))
    if payout.status is PayoutStatus.PROCESSING:
        now = ctx.clock.now()
        raise RetryAt(
            payout.check_at if payout.check_at is not None and payout.check_at > now else now + ctx.sla.redrive_after
        )


def void_replaced(ctx: Context, event: Event) -> None:
    """Void with the supplier the keys a claim's replacement took the place of."""
    replacements.void_replaced(ctx, CaseId(event.subject))


REVIEW: Final = Handler("review", review_case)
VOID_REPLACED: Final = Handler("void_replaced", void_replaced)
PAY: Final = Handler("pay", pay)
CONFIRM: Final = Handler("confirm", confirm)

_ACTING: Final[Mapping[EventType, tuple[Handler, ...]]] = {
    EventType.CASE_SUBMITTED: (REVIEW,),
    EventType.CASE_RESUBMITTED: (REVIEW,),
    EventType.PAYOUT_OPENED: (PAY,),
    EventType.PAYOUT_SENT: (CONFIRM,),
    EventType.CASE_REPLACED: (VOID_REPLACED,),
}


def handler_table(
    plan: Plan, channels: frozenset[Channel], site_url: str = ""
) -> Mapping[EventType, tuple[Handler, ...]]:
    """Return the table with the message writer of ``plan`` writing on ``channels`` (the inbox always).

    The handlers' names are the same whatever the plan, so the deliveries already written
    find their handler after a restart with another plan or other providers.
    """
    notify = message_writer(plan, channels, site_url)
    return {
        type_: (
            *_ACTING.get(type_, ()),
            *((notify,) if type_ in TOLD_BY else ()),
            *((WEBHOOKS,) if type_ in WEBHOOK_TYPES else ()),
        )
        for type_ in EventType
        if type_ in _ACTING or type_ in TOLD_BY or type_ in WEBHOOK_TYPES
    }


# The shipped plan on the in-site inbox alone: what runs with no provider configured.
EVENT_HANDLERS: Final = handler_table(default_plan(), frozenset())
