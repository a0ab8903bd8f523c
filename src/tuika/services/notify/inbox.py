"""The in-site inbox: a person's messages, newest first, what is unread, and marking them read.

Each person reads their own messages only: a buyer those to the buyer, a merchant those to
the merchant. Another person's message is not found, never forbidden, so ids tell nothing.
Staff read the messages of the queues their console shows (an agent manual review's, an
arbitrator and an admin arbitration's too): the console's bell. Those messages are shared,
so what each person has seen is theirs: everything up to the newest they opened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden, NotFound
from tuika.domain.notifications import STAFF_QUEUES, Channel, Message, Recipient, queue_recipient
from tuika.domain.preferences import Preferences
from tuika.services import views
from tuika.services.context import Actor, Context
from tuika.services.ports import UnitOfWork

_RECIPIENTS = {Role.BUYER: Recipient.BUYER, Role.MERCHANT: Recipient.MERCHANT, Role.PLATFORM: Recipient.PLATFORM}


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: list[Message]
    # The id to pass as ``before`` for the next (older) page; None on the last.
    next_before: str | None
    unread: int


def recipient_of(actor: Actor) -> Recipient:
    """Return who ``actor`` is as a recipient: buyer, merchant, platform, or staff."""
    if actor.role in views.QUEUES:
        return Recipient.STAFF
    found = _RECIPIENTS.get(actor.role)
    if found is None:
        raise Forbidden(f"role {actor.role.value} has no inbox")
    return found


def queues_of(actor: Actor) -> tuple[str, ...]:
    """Return the recipient ids of the queues a staff member's console shows."""
    return tuple(queue_recipient(s) for s in views.QUEUES.get(actor.role, ()) if s in STAFF_QUEUES)


def inbox(
    ctx: Context, actor: Actor, *, before: str | None = None, limit: int = 20, case_id: str | None = None
) -> InboxPage:
    """Return a page of the caller's inbox, newest first, and how many are unread."""
    recipient = recipient_of(actor)
    if recipient is Recipient.STAFF:
        return _staff_inbox(ctx, actor, before, limit)
    with ctx.read() as uow:
        found = uow.messages.inbox(recipient, actor.subject, before=before, limit=limit + 1, case_id=case_id)
        unread = uow.messages.unread(recipient, actor.subject)
    items = found[:limit]
    return InboxPage(items, items[-1].id if len(found) > limit else None, unread)


def _staff_inbox(ctx: Context, actor: Actor, before: str | None, limit: int) -> InboxPage:
    queues = queues_of(actor)
    with ctx.read() as uow:
        seen = _seen(uow, actor)
        found = uow.messages.queue_inbox(queues, before=before, limit=limit + 1)
        unread = uow.messages.queue_newer(queues, seen)
    items = [replace(m, read_at=m.created_at) if seen is not None and m.id <= seen else m for m in found[:limit]]
    return InboxPage(items, items[-1].id if len(found) > limit else None, unread)


def _seen(uow: UnitOfWork, actor: Actor) -> str | None:
    found = uow.preferences.get(Recipient.STAFF, actor.subject)
    return None if found is None else found.seen_up_to


def _mark_seen(ctx: Context, actor: Actor, up_to: str | None) -> int:
    """Move a staff member's "seen up to" forward to ``up_to`` (the newest, if None); return how many that was."""
    queues = queues_of(actor)
    with ctx.uow() as uow:
        found = uow.preferences.get(Recipient.STAFF, actor.subject)
        current = found if found is not None else Preferences(Recipient.STAFF, actor.subject)
        newest = uow.messages.queue_inbox(queues, before=None, limit=1)
        target = up_to if up_to is not None else (newest[0].id if newest else None)
        if target is None or (current.seen_up_to is not None and target <= current.seen_up_to):
            return 0
        marked = uow.messages.queue_newer(queues, current.seen_up_to) - uow.messages.queue_newer(queues, target)
        uow.preferences.save(replace(current, seen_up_to=target), ctx.clock.now())
        uow.commit()
    return marked


def unread(ctx: Context, actor: Actor) -> int:
    """Return how many of the caller's messages are unread."""
    recipient = recipient_of(actor)
    with ctx.read() as uow:
        if recipient is Recipient.STAFF:
            return uow.messages.queue_newer(queues_of(actor), _seen(uow, actor))
        return uow.messages.unread(recipient, actor.subject)


def mark_read(ctx: Context, actor: Actor, message_id: str) -> Message:
    """Mark one of the caller's messages read (again is no change); return it.

    For staff, a queue's message read marks the older ones of their queues read too.
    """
    recipient = recipient_of(actor)
    if recipient is Recipient.STAFF:
        with ctx.read() as uow:
            message = uow.messages.get(message_id)
        if message is None or not _ours(message, queues_of(actor)):
            raise NotFound(f"message {message_id} does not exist")
        _mark_seen(ctx, actor, message_id)
        return replace(message, read_at=message.read_at or ctx.clock.now())
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
    if recipient is Recipient.STAFF:
        return _mark_seen(ctx, actor, None)
    with ctx.uow() as uow:
        marked = uow.messages.mark_read(recipient, actor.subject, None, ctx.clock.now())
        uow.commit()
    return marked


def _ours(message: Message, queues: tuple[str, ...]) -> bool:
    return message.recipient is Recipient.STAFF and message.recipient_id in queues and message.channel is Channel.INBOX


def _mine(message: Message, recipient: Recipient, subject: str) -> bool:
    return (message.recipient, message.recipient_id, message.channel) == (recipient, subject, Channel.INBOX)
