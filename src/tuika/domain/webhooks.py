"""Webhooks to the host platform and to merchants: endpoints, their secrets, deliveries and their rules.

Pure. An *endpoint* is a URL its owner (a host platform or a merchant) registered, with the
event types it wants and the secrets its deliveries are signed with (Standard Webhooks:
``whsec_`` and base64). Each event an endpoint wants is one *delivery*, tried until the
endpoint answers 2xx, for at most ``RETRY_FOR`` after it was first due, with the waits of
``RETRY_WAITS`` between tries; each try is an *attempt*, kept for the owner to read. An
endpoint that has failed every try for ``DISABLE_AFTER`` is disabled and its owner told.

Where a delivery may go is decided here too (``refused_address``): never to loopback,
link-local, private or otherwise reserved addresses, outside demo mode, so an owner cannot
point tuika at the network it runs in.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

from tuika.domain.errors import WebhookTypesUnknown, WebhookUrlRefused
from tuika.domain.events import EventType

SECRET_PREFIX: Final = "whsec_"
SECRET_BYTES: Final = 24
# How long the secret a rotation replaced keeps signing, so the owner can roll its receiver over.
ROTATION_OVERLAP: Final = timedelta(hours=24)
# Waits between the tries of one delivery: quick at first (a receiver restarting), then
# doubling to hours; the last wait repeats until ``RETRY_FOR`` has passed.
RETRY_WAITS: Final = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
)
# An endpoint that is down is probed at least this often, whatever its deliveries' own waits.
PAUSE_AT_MOST: Final = timedelta(minutes=10)
RETRY_FOR: Final = timedelta(hours=24)
DISABLE_AFTER: Final = timedelta(hours=24)
MAX_URL: Final = 500
MAX_DESCRIPTION: Final = 200
# What of an endpoint's answer is kept for its owner to read.
EXCERPT_CHARS: Final = 500
# Signed webhooks refuse a timestamp older than this (the specification's tolerance).
TOLERANCE: Final = timedelta(minutes=5)


class Owner(StrEnum):
    """Who registered an endpoint; each sees and manages only its own."""

    PLATFORM = "platform"
    MERCHANT = "merchant"


class DeliveryState(StrEnum):
    PENDING = "pending"  # to be tried (again) at ``next_try_at``
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # tried for ``RETRY_FOR`` without a 2xx, or its endpoint was deleted


@dataclass(frozen=True, slots=True)
class Secret:
    """One signing secret, stored sealed; ``expires_at`` is set once a rotation replaced it."""

    sealed: str
    created_at: datetime
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A URL an owner registered. ``types`` empty means every event type."""

    id: str
    owner: Owner
    owner_id: str
    url: str
    description: str
    types: frozenset[EventType]
    secrets: tuple[Secret, ...]
    enabled: bool
    created_at: datetime
    updated_at: datetime
    # Set by the first failed try after a success (or after creation), cleared by a success.
    failing_since: datetime | None = None
    # Why it is disabled: "failing" (by tuika, after DISABLE_AFTER) or "owner".
    disabled_reason: str | None = None
    # While down, none of its deliveries is tried before this: not even a new one.
    resume_at: datetime | None = None

    def wants(self, type_: EventType) -> bool:
        return self.enabled and (not self.types or type_ in self.types)

    def signing(self, now: datetime) -> tuple[Secret, ...]:
        """Return the secrets that sign a delivery now: the newest, and any still overlapping it."""
        return tuple(s for s in self.secrets if s.live(now))

    def rotated(self, sealed: str, now: datetime, overlap: timedelta) -> Endpoint:
        """Return the endpoint with a new secret first; the old ones sign on for ``overlap`` at most."""
        until = now + overlap
        kept = tuple(
            replace(s, expires_at=min(s.expires_at, until) if s.expires_at is not None else until)
            for s in self.secrets
            if s.live(now) and overlap > timedelta(0)
        )
        return replace(self, secrets=(Secret(sealed, now), *kept), updated_at=now)

    def after_try(self, ok: bool, at: datetime) -> Endpoint:
        """Return the endpoint as one try leaves it: healthy again, or failing since its first failure."""
        if ok:
            healthy = self.failing_since is None and self.resume_at is None
            return self if healthy else replace(self, failing_since=None, resume_at=None)
        return self if self.failing_since is not None else replace(self, failing_since=at)

    def paused(self, now: datetime) -> Endpoint:
        """Return the endpoint resting after a pass in which it looked down, for longer the longer it has been.

        >>> from datetime import UTC
        >>> t0 = datetime(2026, 12, 3, tzinfo=UTC)
        >>> e = Endpoint("we_1", Owner.PLATFORM, "p", "https://h.example/", "", frozenset(), (), True, t0, t0)
        >>> e.after_try(False, t0).paused(t0).resume_at - t0
        datetime.timedelta(seconds=5)
        >>> e.after_try(False, t0).paused(t0 + timedelta(hours=3)).resume_at - t0
        datetime.timedelta(seconds=11400)
        """
        down_for = now - (self.failing_since or now)
        rest = next((w for w in RETRY_WAITS if w >= down_for / 4), PAUSE_AT_MOST)
        return replace(self, resume_at=now + min(rest, PAUSE_AT_MOST))

    def should_disable(self, now: datetime) -> bool:
        return self.enabled and self.failing_since is not None and now - self.failing_since >= DISABLE_AFTER


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one endpoint."""

    id: str
    endpoint_id: str
    event_id: str
    event_type: EventType
    state: DeliveryState
    attempts: int
    created_at: datetime
    next_try_at: datetime | None
    delivered_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    # The JSON body, as the endpoint's owner may read the event: written with the delivery, so
    # a delivery still owed outlives the retention of its event.
    body: str = ""


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a delivery: the endpoint's status (None if none came), how long, what it said."""

    delivery_id: str
    at: datetime
    status: int | None
    latency_ms: int
    error: str | None
    excerpt: str
    manual: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def new_secret() -> str:
    """Return a new signing secret, as Standard Webhooks writes one.

    >>> s = new_secret()
    >>> s.startswith("whsec_") and len(base64.b64decode(s.removeprefix("whsec_"))) == SECRET_BYTES
    True
    """
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def next_try(delivery: Delivery, now: datetime) -> datetime | None:
    """Return when a delivery that just failed is tried again, or None once ``RETRY_FOR`` has passed.

    >>> from datetime import UTC
    >>> t0 = datetime(2026, 12, 3, tzinfo=UTC)
    >>> d = Delivery("wd_1", "we_1", "e", EventType.CASE_DECIDED, DeliveryState.PENDING, 1, t0, t0)
    >>> next_try(d, t0) - t0
    datetime.timedelta(seconds=5)
    >>> next_try(replace(d, attempts=20), t0 + timedelta(hours=23)) is None
    True
    """
    wait = RETRY_WAITS[min(max(delivery.attempts, 1), len(RETRY_WAITS)) - 1]
    at = now + wait
    return None if at - delivery.created_at > RETRY_FOR else at


def parse_types(names: Sequence[str]) -> frozenset[EventType]:
    """Return the event types named, refusing unknown ones all at once."""
    known = {t.value: t for t in EventType}
    unknown = sorted({n for n in names if n not in known})
    if unknown:
        raise WebhookTypesUnknown(f"unknown event types: {', '.join(unknown)}", unknown=unknown)
    return frozenset(known[n] for n in names)


def check_url(url: str, *, allow_private: bool) -> str:
    """Return ``url`` if a webhook may be registered there; raise ``WebhookUrlRefused`` otherwise.

    Only http(s), with a host, no user name or password in it. A host given as an address is
    checked here; a name is checked again each time it is resolved, when a delivery is sent.

    >>> check_url("https://hooks.example.com/tuika", allow_private=False)
    'https://hooks.example.com/tuika'
    >>> check_url("http://10.0.0.5/x", allow_private=False)
    Traceback (most recent call last):
    ...
    tuika.domain.errors.webhooks.WebhookUrlRefused: the address 10.0.0.5 is not public
    """
    if len(url) > MAX_URL:
        raise WebhookUrlRefused(f"a URL is at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookUrlRefused(f"not a URL: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise WebhookUrlRefused("only http and https URLs can receive webhooks")
    if not parts.hostname:
        raise WebhookUrlRefused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise WebhookUrlRefused("a URL may not carry a user name or password; authenticate by the signature")
    if port == 0:
        raise WebhookUrlRefused("port 0 is not a port")
    host = parts.hostname
    if not allow_private:
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise WebhookUrlRefused(f"the host {host} is not public")
        address = _address(host)
        if address is not None and refused_address(address):
            raise WebhookUrlRefused(f"the address {host} is not public")
    return url


def refused_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Return whether a delivery must not go to ``address``: anything but the public internet.

    >>> refused_address(ipaddress.ip_address("127.0.0.1")), refused_address(ipaddress.ip_address("169.254.169.254"))
    (True, True)
    >>> refused_address(ipaddress.ip_address("::ffff:10.1.2.3")), refused_address(ipaddress.ip_address("100.64.0.1"))
    (True, True)
    >>> refused_address(ipaddress.ip_address("203.119.0.1"))
    False
    """
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def excerpt(text: str) -> str:
    """Return what of an answer is kept: its start, on one line's worth of characters."""
    return text[:EXCERPT_CHARS]


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
