"""How a person wants to be reached: their number, mailbox and devices, the channels they turned off, quiet hours.

Pure. A buyer (or a merchant) has at most one ``Preferences``: the language the senders write
in, the channels turned off (SMS, push and email can be; the in-site inbox cannot, it is the
record of what was said), quiet hours in Beijing time during which a message that can wait
waits, and where to send: a mobile number and a mailbox, kept sealed (the repository never
sees them in clear) with a masked hint beside each for the pages. A buyer's app registers
``Device``s for push. Someone with no preferences row has every channel on and no quiet hours;
a channel with no address is not sent on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Final

from tuika.domain.clock import SHANGHAI
from tuika.domain.errors import DeviceTokenInvalid, EmailInvalid, PhoneInvalid, QuietHoursInvalid
from tuika.domain.masking import mask_account
from tuika.domain.notifications import LANGUAGES, Recipient
from tuika.domain.sending import SendChannel

_MOBILE: Final = re.compile(r"(?:\+?86)?(1[3-9]\d{9})")
# Deliberately loose: one "@", a dot in the domain, nothing a header could be split on.
_EMAIL: Final = re.compile(r"[^\s@<>()\[\],;:\"]+@[^\s@<>()\[\],;:\"]+\.[^\s@<>()\[\],;:\"]+")
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HHMM: Final = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
DEVICE_PLATFORMS: Final = ("android", "ios")


def normal_phone(raw: str) -> str:
    """Return a mainland mobile number as 11 digits; raise ``PhoneInvalid`` otherwise.

    >>> normal_phone("+86 138-0013-8000"), normal_phone("13800138000")
    ('13800138000', '13800138000')
    >>> normal_phone("12345")
    Traceback (most recent call last):
    tuika.domain.errors.contacts.PhoneInvalid: not a mainland mobile number
    """
    found = _MOBILE.fullmatch(re.sub(r"[\s-]", "", raw))
    if found is None:
        raise PhoneInvalid("not a mainland mobile number")
    return found.group(1)


def normal_email(raw: str) -> str:
    """Return an email address with its domain in lower case; raise ``EmailInvalid`` otherwise.

    >>> normal_email(" Player.Lee@QQ.com ")
    'Player.Lee@qq.com'
    """
    text = raw.strip()
    if len(text) > 254 or _EMAIL.fullmatch(text) is None:
        raise EmailInvalid("not an email address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


def check_token(raw: str) -> str:
    """Return a push registration id as given; raise ``DeviceTokenInvalid`` if it cannot be one."""
    if _TOKEN.fullmatch(raw) is None:
        raise DeviceTokenInvalid("a registration id is 1 to 64 letters, digits, '-' or '_'")
    return raw


def contact_aad(recipient: Recipient, recipient_id: str, channel: SendChannel) -> str:
    """Return what a sealed number or mailbox is bound to: whose it is and what it is."""
    return f"contact:{recipient.value}:{recipient_id}:{channel.value}"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """From ``start`` to ``end``, Beijing time; ``start`` after ``end`` spans midnight (22:00–08:00)."""

    start: time
    end: time

    @classmethod
    def parse(cls, start: str, end: str) -> QuietHours:
        """Return quiet hours from two "HH:MM" times; raise ``QuietHoursInvalid`` otherwise.

        >>> QuietHours.parse("22:00", "08:00")
        QuietHours(start=datetime.time(22, 0), end=datetime.time(8, 0))
        """
        a, b = _HHMM.fullmatch(start), _HHMM.fullmatch(end)
        if a is None or b is None or start == end:
            raise QuietHoursInvalid("quiet hours are two different times, HH:MM")
        return cls(time(int(a.group(1)), int(a.group(2))), time(int(b.group(1)), int(b.group(2))))

    def until(self, at: datetime) -> datetime | None:
        """Return when the quiet hours around ``at`` end, or None if ``at`` is not in them.

        >>> from datetime import UTC
        >>> night = QuietHours.parse("22:00", "08:00")
        >>> night.until(datetime(2026, 12, 4, 15, 30, tzinfo=UTC))  # 23:30 in Beijing
        datetime.datetime(2026, 12, 5, 0, 0, tzinfo=datetime.timezone.utc)
        >>> night.until(datetime(2026, 12, 4, 6, 0, tzinfo=UTC)) is None  # 14:00 in Beijing
        True
        """
        local = at.astimezone(SHANGHAI)
        now = local.time()
        # Hours within one day, or spanning midnight.
        inside = self.start <= now < self.end if self.start < self.end else now >= self.start or now < self.end
        if not inside:
            return None
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end.astimezone(at.tzinfo)


@dataclass(frozen=True, slots=True)
class Preferences:
    """How one person wants to be reached."""

    recipient: Recipient
    recipient_id: str
    language: str = "zh"
    off: frozenset[SendChannel] = frozenset()
    quiet: QuietHours | None = None
    phone_sealed: str | None = None
    phone_hint: str | None = None
    email_sealed: str | None = None
    email_hint: str | None = None
    updated_at: datetime | None = None
    # Staff: the newest queue message this person has seen in the console's bell.
    seen_up_to: str | None = None

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language {self.language!r} is not one of {LANGUAGES}")

    def wants(self, channel: SendChannel) -> bool:
        """Whether this person is sent messages on ``channel`` at all (an address aside)."""
        return channel not in self.off

    def has_address(self, channel: SendChannel) -> bool:
        """Whether there is somewhere to send on ``channel``; push asks the devices instead."""
        if channel is SendChannel.SMS:
            return self.phone_sealed is not None
        if channel is SendChannel.EMAIL:
            return self.email_sealed is not None
        return True

    def with_contact(self, channel: SendChannel, value: str, sealed: str) -> Preferences:
        """Return these preferences sending ``channel`` to ``value``, kept as ``sealed``, shown masked."""
        if channel is SendChannel.SMS:
            return replace(self, phone_sealed=sealed, phone_hint=mask_account(value))
        if channel is SendChannel.EMAIL:
            return replace(self, email_sealed=sealed, email_hint=mask_account(value))
        return self

    def without(self, channel: SendChannel) -> Preferences:
        """Return these preferences with ``channel``'s address forgotten: the provider says it is gone."""
        if channel is SendChannel.SMS:
            return replace(self, phone_sealed=None, phone_hint=None)
        if channel is SendChannel.EMAIL:
            return replace(self, email_sealed=None, email_hint=None)
        return self

    def send_at(self, at: datetime, *, urgent: bool) -> datetime:
        """Return when a message written at ``at`` may go: at once, or when quiet hours end if it can wait."""
        if urgent or self.quiet is None:
            return at
        return self.quiet.until(at) or at


@dataclass(frozen=True, slots=True)
class Device:
    """A buyer's app on one phone, as JPush knows it: a registration id."""

    id: str
    buyer_id: str
    platform: str
    token: str
    created_at: datetime
    last_seen_at: datetime
