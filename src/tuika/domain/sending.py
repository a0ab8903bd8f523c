"""What a sender is handed and what it may answer: one message, on one channel, to one address.

Pure. The senders (SMS, app push, email) are adapters behind the ``Notifier`` port; each gets an
``Outgoing`` and either returns the provider's id for it or raises ``SendFailed``, saying whether
trying again later can help and whether the address itself is gone (a push token the provider
no longer knows, a number that does not exist).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


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
