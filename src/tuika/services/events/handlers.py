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
from tuika.domain.notifications import TOLD_BY
from tuika.domain.payouts import PayoutStatus
from tuika.services.context import Context, Handler
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


REVIEW: Final = Handler("review", review_case)
PAY: Final = Handler("pay", pay)
CONFIRM: Final = Handler("confirm", confirm)
# The in-site inbox only, until a channel's sender exists: no other channel's rows are written.
NOTIFY: Final = message_writer(default_plan(), frozenset())

_ACTING: Final[Mapping[EventType, tuple[Handler, ...]]] = {
    EventType.CASE_SUBMITTED: (REVIEW,),
    EventType.CASE_RESUBMITTED: (REVIEW,),
    EventType.PAYOUT_OPENED: (PAY,),
    EventType.PAYOUT_SENT: (CONFIRM,),
}
EVENT_HANDLERS: Final[Mapping[EventType, tuple[Handler, ...]]] = {
    type_: (
        *_ACTING.get(type_, ()),
        *((NOTIFY,) if type_ in TOLD_BY else ()),
        *((WEBHOOKS,) if type_ in WEBHOOK_TYPES else ()),
    )
    for type_ in EventType
    if type_ in _ACTING or type_ in TOLD_BY or type_ in WEBHOOK_TYPES
}
