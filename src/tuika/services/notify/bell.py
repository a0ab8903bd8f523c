"""The console's bell: what a staff member has not seen of their queues, and their cases about to pass their time limit.

The messages are the queues' (a case came in, a case escalated), written by the message
writer. "About to pass" is read from the cases themselves each time, never stored: a case
due within ``DUE_SOON`` that nobody has decided yet, which is true until the moment it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from tuika.domain.cases import Case
from tuika.domain.orders import Order
from tuika.services import views
from tuika.services.context import Actor, Context
from tuika.services.notify import inbox

DUE_SOON: Final = timedelta(minutes=15)
# The cases due soon the bell lists, soonest first; late ones are counted up to a point.
_SHOWN: Final = 20
_COUNT_AT_MOST: Final = 1000


@dataclass(frozen=True, slots=True)
class Bell:
    """What the bell says: messages not yet seen, the cases due soon (soonest first), how many are late.

    ``overdue`` stops counting at ``_COUNT_AT_MOST``; the page says "1000+" then.
    """

    unread: int
    due_soon: list[tuple[Case, Order]]
    overdue: int

    @property
    def rings(self) -> bool:
        return bool(self.unread or self.due_soon)


def bell(ctx: Context, actor: Actor) -> Bell:
    """Return the caller's bell (agents, arbitrators, admins)."""
    statuses = views.QUEUES.get(actor.role, ())
    unread = inbox.unread(ctx, actor)
    now = ctx.clock.now()
    with ctx.read() as uow:
        late = uow.cases.ids_due(statuses, now, _COUNT_AT_MOST) if statuses else []
        soon_ids = uow.cases.ids_due(statuses, now + DUE_SOON, len(late) + _SHOWN) if statuses else []
        past = set(late)
        soon = [c for c in (uow.cases.get(i) for i in soon_ids if i not in past) if c is not None]
        orders = {o.id: o for o in (uow.orders.get(i) for i in {c.order_id for c in soon}) if o is not None}
    return Bell(unread, [(c, orders[c.order_id]) for c in soon[:_SHOWN] if c.order_id in orders], len(late))
