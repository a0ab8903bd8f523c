"""Bodies of API v1 for how a person is reached: language, channels, quiet hours, contacts and devices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, StringConstraints

from tuika.api.schemas import Strict

HHMM = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHoursBody(Strict):
    """Beijing time; ``start`` after ``end`` spans midnight (22:00 to 08:00)."""

    start: HHMM
    end: HHMM


class ChannelsBody(Strict):
    """Each channel on or off; one left out stays as it is. The inbox cannot be turned off."""

    sms: bool | None = None
    push: bool | None = None
    email: bool | None = None
    inbox: bool | None = None


class PreferencesPatch(Strict):
    """What to change; a field left out stays. ``null`` clears quiet hours, the number or the mailbox."""

    language: Literal["zh", "en"] | None = None
    channels: ChannelsBody | None = None
    quiet_hours: QuietHoursBody | None = None
    phone: Annotated[str, StringConstraints(max_length=32, strip_whitespace=True)] | None = None
    email: Annotated[str, StringConstraints(max_length=254, strip_whitespace=True)] | None = None


class QuietHoursOut(BaseModel):
    start: str
    end: str


class PreferencesOut(BaseModel):
    """How the caller is reached; the number and the mailbox only masked."""

    # The language SMS, push and email are written in (the inbox has both).
    language: str
    channels: dict[str, bool]
    # Messages that can wait wait until these end; the money arrived never waits.
    quiet_hours: QuietHoursOut | None
    phone: str | None
    email: str | None
    # Buyers' apps registered for push.
    devices: int
    updated_at: datetime | None


class DeviceIn(Strict):
    """The app's JPush registration id, as the JPush SDK in the app gives it."""

    token: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    platform: Literal["android", "ios"]


class DeviceOut(BaseModel):
    id: str
    platform: str
    # Only its end: enough to tell one's phones apart.
    token_hint: str
    created_at: datetime
    last_seen_at: datetime


class DeviceList(BaseModel):
    items: list[DeviceOut]
