"""Telling an endpoint's owner that it was disabled: a message in the owner's inbox, from the plan."""

from __future__ import annotations

from datetime import datetime

from tuika.domain.ids import EventId, new_ulid
from tuika.domain.notifications import Channel, Message, Moment, Recipient, when
from tuika.domain.webhooks import Endpoint, Owner
from tuika.services.notify.writing import default_plan
from tuika.services.ports import UnitOfWork

_RECIPIENT = {Owner.PLATFORM: Recipient.PLATFORM, Owner.MERCHANT: Recipient.MERCHANT}


def tell_disabled(uow: UnitOfWork, endpoint: Endpoint, now: datetime) -> None:
    """Write the messages saying ``endpoint`` was disabled, in the transaction that disables it."""
    plan = default_plan()
    recipient = _RECIPIENT[endpoint.owner]
    since = endpoint.failing_since or now
    # No event stands behind this message; a fresh ULID keeps the inbox's order by time.
    key = EventId(new_ulid())
    messages = []
    for index, telling in enumerate(plan.for_moment(Moment.ENDPOINT_DISABLED)):
        if telling.recipient is not recipient:
            continue
        link = f"/v1/webhook-endpoints/{endpoint.id}"
        zh = plan.render(
            telling.moment, Channel.INBOX, "zh", {"url": endpoint.url, "since": when(since, "zh"), "link": link}
        )
        en = plan.render(
            telling.moment, Channel.INBOX, "en", {"url": endpoint.url, "since": when(since, "en"), "link": link}
        )
        messages.append(
            Message(
                id=f"{key}{index:02d}",
                event_id=key,
                moment=telling.moment,
                recipient=recipient,
                recipient_id=endpoint.owner_id,
                channel=Channel.INBOX,
                title=zh.title,
                body=zh.body,
                title_en=en.title,
                body_en=en.body,
                link=link,
                case_id=None,
                urgent=False,
                created_at=now,
            )
        )
    uow.messages.add(messages)
