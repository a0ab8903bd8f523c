"""What a sender is handed and what it may answer: one message, on one channel, to one address.

Pure. The senders (SMS, app push, email) are adapters behind the ``Notifier`` port; each gets an
``Outgoing`` and either returns the provider's id for it or raises ``SendFailed``, saying whether
trying again later can help and whether the address itself is gone (a push token the provider
no longer knows, a number that does not exist).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final


class SendChannel(StrEnum):
    """The channels a sender exists for; the in-site inbox needs none, it is only rows."""

    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send.

    ``message_id`` stays the same across retries: a provider that takes an idempotency key or
    an "out id" is given it, so a second send after a crash is recognised where it can be.
    ``template`` and ``params`` are the SMS provider's template code and its parameters (an SMS
    is sent from a registered template, not as free text); ``body`` is the rendered text, kept
    for the channels that send text and for the record. ``html`` is an email's HTML part.
    A push goes to every device of its recipient at once: its ``address`` is their
    registration ids joined by commas (they never hold one).
    """

    message_id: str
    address: str
    title: str
    body: str
    template: str | None = None
    params: Mapping[str, str] = field(default_factory=dict)
    link: str | None = None
    html: str | None = None


class FailureKind(StrEnum):
    """Why a provider did not take a message, as far as what to do next goes."""

    UNAVAILABLE = "unavailable"  # down, timed out, answered 5xx: try again later
    THROTTLED = "throttled"  # the provider's rate limit: try again later, after a longer wait
    REFUSED = "refused"  # this message will never be taken (a template refused, a bad signature)
    ADDRESS_GONE = "address_gone"  # the number, token or mailbox does not exist: stop using it


class SendFailed(Exception):
    """A provider did not take a message; ``code`` is the provider's own, kept for staff."""

    def __init__(self, kind: FailureKind, code: str, detail: str = "") -> None:
        super().__init__(f"{kind.value}: {code} {detail}".strip())
        self.kind = kind
        self.code = code
        self.detail = detail

    @property
    def retry(self) -> bool:
        """Whether trying again later can help."""
        return self.kind in (FailureKind.UNAVAILABLE, FailureKind.THROTTLED)


def one_by_one(send: Callable[[Outgoing], str], messages: Sequence[Outgoing]) -> list[str | SendFailed]:
    """Send ``messages`` in turn with ``send``: a provider with no way to take several at once.

    >>> def send(m: Outgoing) -> str:
    ...     if m.address == "gone":
    ...         raise SendFailed(FailureKind.ADDRESS_GONE, "gone")
    ...     return "id-" + m.message_id
    >>> [str(o) for o in one_by_one(send, [Outgoing("a", "x", "t", "b"), Outgoing("b", "gone", "t", "b")])]
    ['id-a', 'address_gone: gone']
    """
    outcomes: list[str | SendFailed] = []
    for message in messages:
        try:
            outcomes.append(send(message))
        except SendFailed as failed:
            outcomes.append(failed)
    return outcomes


class SendState(StrEnum):
    """Where a message stands: the inbox's are ``sent`` once written; the others wait for their sender."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # given up: refused, the address gone, or still failing after ``SEND_FOR``
    SKIPPED = "skipped"  # not sent after all: the channel turned off or the address removed since


# How long a message may keep failing before it is given up: a day-old "claim received" helps nobody.
SEND_FOR: Final = timedelta(hours=24)
# The waits after each failure: a provider that is down gets a little time, then more.
SEND_WAITS: Final = (
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
)
# A provider's rate limit (per number per minute, per hour) passes only with time.
THROTTLED_WAIT: Final = timedelta(minutes=1)


def next_send(kind: FailureKind, attempts: int, created_at: datetime, now: datetime) -> datetime | None:
    """Return when a message whose ``attempts``-th try failed this way is tried again, or None to give up.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 12, 4, tzinfo=UTC)
    >>> next_send(FailureKind.UNAVAILABLE, 1, t0, t0) - t0
    datetime.timedelta(seconds=10)
    >>> next_send(FailureKind.THROTTLED, 3, t0, t0) - t0
    datetime.timedelta(seconds=240)
    >>> next_send(FailureKind.REFUSED, 1, t0, t0) is None, next_send(FailureKind.UNAVAILABLE, 9, t0, t0 + SEND_FOR)
    (True, None)
    """
    if kind in (FailureKind.REFUSED, FailureKind.ADDRESS_GONE):
        return None
    if kind is FailureKind.THROTTLED:
        wait = THROTTLED_WAIT * 2 ** min(max(attempts - 1, 0), 6)
    else:
        wait = SEND_WAITS[min(max(attempts, 1), len(SEND_WAITS)) - 1]
    at = now + wait
    return None if at - created_at > SEND_FOR else at
