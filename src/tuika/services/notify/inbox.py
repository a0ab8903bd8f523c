"""The in-site inbox: a person's messages, newest first, what is unread, and marking them read.

Each person reads their own messages only: a buyer those to the buyer, a merchant those to
the merchant. Another person's message is not found, never forbidden, so ids tell nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden, NotFound
from tuika.domain.notifications import Channel, Message, Recipient
from tuika.services.context import Actor, Context

_RECIPIENTS = {Role.BUYER: Recipient.BUYER, Role.MERCHANT: Recipient.MERCHANT, Role.PLATFORM: Recipient.PLATFORM}


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: list[Message]
    # The id to pass as ``before`` for the next (older) page; None on the last.
    next_before: str | None
    unread: int


def recipient_of(actor: Actor) -> Recipient:
    """Return who ``actor`` is as a recipient; staff have no inbox yet (the console's bell is to come)."""
    found = _RECIPIENTS.get(actor.role)
    if found is None:
        raise Forbidden(f"role {actor.role.value} has no inbox")
    return found


def inbox(
    ctx: Context, actor: Actor, *, before: str | None = None, limit: int = 20, case_id: str | None = None
) -> InboxPage:
    """Return a page of the caller's inbox, newest first, and how many are unread."""
    recipient = recipient_of(actor)
    with ctx.read() as uow:
        found = uow.messages.inbox(recipient, actor.subject, before=before, limit=limit + 1, case_id=case_id)
        unread = uow.messages.unread(recipient, actor.subject)
    items = found[:limit]
    return InboxPage(items, items[-1].id if len(found) > limit else None, unread)


def unread(ctx: Context, actor: Actor) -> int:
    """Return how many of the caller's messages are unread."""
    recipient = recipient_of(actor)
    with ctx.read() as uow:
        return uow.messages.unread(recipient, actor.subject)


def mark_read(ctx: Context, actor: Actor, message_id: str) -> Message:
    """Mark one of the caller's messages read (again is no change); return it."""
    recipient = recipient_of(actor)
    with ctx.uow() as uow:
        message = uow.messages.get(message_id)
        if message is None or not _mine(message, recipient, actor.subject):
            raise NotFound(f"message {message_id} does not exist")
        now = ctx.clock.now()
        uow.messages.mark_read(recipient, actor.subject, [message_id], now)
        uow.commit()
    return message if message.read_at is not None else replace(message, read_at=now)


def mark_all_read(ctx: Context, actor: Actor) -> int:
    """Mark every message of the caller read; return how many were unread."""
    recipient = recipient_of(actor)
    with ctx.uow() as uow:
        marked = uow.messages.mark_read(recipient, actor.subject, None, ctx.clock.now())
        uow.commit()
    return marked


def _mine(message: Message, recipient: Recipient, subject: str) -> bool:
    return (message.recipient, message.recipient_id, message.channel) == (recipient, subject, Channel.INBOX)
