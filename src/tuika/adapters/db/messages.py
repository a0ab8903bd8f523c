"""Messages to people: written by the message writer, read back as each person's inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from tuika.adapters.db.leases import take
from tuika.adapters.db.tables import MessageRow
from tuika.domain.ids import EventId
from tuika.domain.notifications import Channel, Message, Moment, Recipient
from tuika.domain.sending import SendState

_INBOX = Channel.INBOX.value
_PENDING = SendState.PENDING.value


class SqlMessageRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, messages: Sequence[Message]) -> None:
        """Write messages; the writer runs once per event, and the unique key holds it to that."""
        if not messages:
            return
        # One bulk INSERT, not a unit-of-work flush of one object per row: the writer runs for
        # every event, and nothing reads these rows back as objects in its transaction.
        self.s.execute(insert(MessageRow), [_columns(m) for m in messages])

    def inbox(
        self, recipient: Recipient, recipient_id: str, *, before: str | None, limit: int, case_id: str | None = None
    ) -> list[Message]:
        """Return a person's inbox, newest first, from just before the message ``before``."""
        query = select(MessageRow).where(
            MessageRow.recipient == recipient.value,
            MessageRow.recipient_id == recipient_id,
            MessageRow.channel == _INBOX,
        )
        if before is not None:
            query = query.where(MessageRow.id < before)
        if case_id is not None:
            query = query.where(MessageRow.case_id == case_id)
        rows = self.s.scalars(query.order_by(MessageRow.id.desc()).limit(limit))
        return [_message(r) for r in rows]

    def queue_inbox(self, queues: Sequence[str], *, before: str | None, limit: int) -> list[Message]:
        """Return the messages of several staff queues together, newest first."""
        query = select(MessageRow).where(
            MessageRow.recipient == Recipient.STAFF.value,
            MessageRow.recipient_id.in_(list(queues)),
            MessageRow.channel == _INBOX,
        )
        if before is not None:
            query = query.where(MessageRow.id < before)
        return [_message(r) for r in self.s.scalars(query.order_by(MessageRow.id.desc()).limit(limit))]

    def queue_newer(self, queues: Sequence[str], after: str | None) -> int:
        """Return how many messages of these staff queues are newer than ``after``."""
        query = (
            select(func.count())
            .select_from(MessageRow)
            .where(
                MessageRow.recipient == Recipient.STAFF.value,
                MessageRow.recipient_id.in_(list(queues)),
                MessageRow.channel == _INBOX,
            )
        )
        if after is not None:
            query = query.where(MessageRow.id > after)
        return int(self.s.scalar(query) or 0)

    def unread(self, recipient: Recipient, recipient_id: str) -> int:
        """Return how many of a person's inbox messages are unread."""
        count = self.s.scalar(
            select(func.count())
            .select_from(MessageRow)
            .where(
                MessageRow.recipient == recipient.value,
                MessageRow.recipient_id == recipient_id,
                MessageRow.read_at.is_(None),
                MessageRow.channel == _INBOX,
            )
        )
        return int(count or 0)

    def mark_read(self, recipient: Recipient, recipient_id: str, ids: Sequence[str] | None, at: datetime) -> int:
        """Mark a person's messages read (``None``: all of them); return how many were unread."""
        query = update(MessageRow).where(
            MessageRow.recipient == recipient.value,
            MessageRow.recipient_id == recipient_id,
            MessageRow.channel == _INBOX,
            MessageRow.read_at.is_(None),
        )
        if ids is not None:
            query = query.where(MessageRow.id.in_(ids))
        result = self.s.execute(query.values(read_at=at).execution_options(synchronize_session=False))
        return int(getattr(result, "rowcount", 0) or 0)

    def get(self, message_id: str) -> Message | None:
        """Return one message."""
        row = self.s.get(MessageRow, message_id)
        return None if row is None else _message(row)


def _columns(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "event_id": m.event_id,
        "moment": m.moment.value,
        "recipient": m.recipient.value,
        "recipient_id": m.recipient_id,
        "channel": m.channel.value,
        "title": m.title[:200],
        "body": m.body,
        "title_en": m.title_en[:200],
        "body_en": m.body_en,
        "link": m.link[:200],
        "case_id": m.case_id,
        "urgent": m.urgent,
        "created_at": m.created_at,
        "read_at": m.read_at,
        "status": m.status.value,
        "attempts": m.attempts,
        "next_try_at": m.next_try_at,
        "sent_at": m.sent_at,
        "provider_id": m.provider_id,
        "last_error": None if m.last_error is None else m.last_error[:300],
        "params": None if m.params is None else {lang: dict(v) for lang, v in m.params.items()},
    }


def _message(r: MessageRow) -> Message:
    return Message(
        id=r.id,
        event_id=EventId(r.event_id),
        moment=Moment(r.moment),
        recipient=Recipient(r.recipient),
        recipient_id=r.recipient_id,
        channel=Channel(r.channel),
        title=r.title,
        body=r.body,
        title_en=r.title_en,
        body_en=r.body_en,
        link=r.link,
        case_id=r.case_id,
        urgent=r.urgent,
        created_at=r.created_at,
        read_at=r.read_at,
        status=SendState(r.status),
        attempts=r.attempts,
        next_try_at=r.next_try_at,
        sent_at=r.sent_at,
        provider_id=r.provider_id,
        last_error=r.last_error,
        params=r.params,
    )


class SqlMessageSends:
    """The senders' side of ``messages``: what is due on a channel, and how each send went."""

    def __init__(self, session: Session) -> None:
        self.s = session

    def claim(self, channel: Channel, now: datetime, lease_until: datetime, limit: int) -> list[Message]:
        """Take up to ``limit`` of a channel's due messages, soonest first, until ``lease_until``.

        The lease is the message's ``next_try_at``: a sender that dies leaves them due again when
        it ends. On PostgreSQL SKIP LOCKED lets several senders take different ones at once.
        """
        due = [MessageRow.channel == channel.value, MessageRow.status == _PENDING]
        return [_message(r) for r in take(self.s, MessageRow, due, now, lease_until, limit)]

    def finish(self, messages: Sequence[Message]) -> None:
        """Store how each send went: its state, tries, next try, the provider's id and last word."""
        if not messages:
            return
        # One UPDATE by primary key run for every row (executemany), not a statement built per row.
        self.s.execute(
            update(MessageRow),
            [
                {
                    "id": m.id,
                    "status": m.status.value,
                    "attempts": m.attempts,
                    "next_try_at": m.next_try_at,
                    "sent_at": m.sent_at,
                    "provider_id": m.provider_id,
                    "last_error": None if m.last_error is None else m.last_error[:300],
                }
                for m in messages
            ],
        )

    def of_case(self, case_id: str) -> list[Message]:
        """Return every message a case gave rise to, on every channel, oldest first (for staff)."""
        rows = self.s.scalars(select(MessageRow).where(MessageRow.case_id == case_id).order_by(MessageRow.id))
        return [_message(r) for r in rows]

    def counts(self, channel: Channel | None = None) -> dict[tuple[Channel, SendState], int]:
        """Return how many messages stand where, per channel (the CLI, the benchmark)."""
        query = select(MessageRow.channel, MessageRow.status, func.count()).group_by(
            MessageRow.channel, MessageRow.status
        )
        if channel is not None:
            query = query.where(MessageRow.channel == channel.value)
        return {(Channel(c), SendState(s)): int(n) for c, s, n in self.s.execute(query)}
