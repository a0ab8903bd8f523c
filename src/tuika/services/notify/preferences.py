"""A person's own say over how they are reached: language, channels, quiet hours, number, mailbox, devices.

Buyers and merchants set their own; nobody else reads or writes them. The number and the
mailbox are sealed before they reach the repository and shown back masked. An order synced
from the host platform may carry the buyer's contacts (``orders.sync_order``): they fill what
the buyer has not set, never overwrite what the buyer chose.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Final

from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden, InboxAlwaysOn, InvalidInput, NotFound
from tuika.domain.errors.contacts import MAX_DEVICES
from tuika.domain.ids import new_ulid
from tuika.domain.notifications import LANGUAGES, Recipient
from tuika.domain.preferences import (
    DEVICE_PLATFORMS,
    Device,
    Preferences,
    QuietHours,
    check_token,
    contact_aad,
    normal_email,
    normal_phone,
)
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor, Context
from tuika.services.ports import Cipher

_WHO: Final = {Role.BUYER: Recipient.BUYER, Role.MERCHANT: Recipient.MERCHANT}


class Unset:
    """A field the caller left out, as opposed to one set to nothing."""


UNSET: Final = Unset()


@dataclass(frozen=True, slots=True)
class Chosen:
    """Someone's preferences as they read them back, with how many devices they registered."""

    preferences: Preferences
    devices: int


def _recipient(actor: Actor) -> Recipient:
    found = _WHO.get(actor.role)
    if found is None:
        raise Forbidden(f"role {actor.role.value} has no notification settings")
    return found


def read(ctx: Context, actor: Actor) -> Chosen:
    """Return the caller's settings (everything on, no quiet hours, until they set any)."""
    recipient = _recipient(actor)
    with ctx.read() as uow:
        found = uow.preferences.get(recipient, actor.subject)
        devices = len(uow.preferences.devices(actor.subject)) if recipient is Recipient.BUYER else 0
    return Chosen(found if found is not None else Preferences(recipient, actor.subject), devices)


def update(
    ctx: Context,
    actor: Actor,
    *,
    language: str | None = None,
    channels: dict[str, bool] | None = None,
    quiet: tuple[str, str] | Unset | None = UNSET,
    phone: str | Unset | None = UNSET,
    email: str | Unset | None = UNSET,
) -> Chosen:
    """Change what the caller gave; what they left out stays. Everything is checked before anything changes."""
    recipient = _recipient(actor)
    if language is not None and language not in LANGUAGES:
        raise InvalidInput(f"language {language!r} is not one of {', '.join(LANGUAGES)}")
    off_changes: dict[SendChannel, bool] = {}
    for name, on in (channels or {}).items():
        if name == "inbox":
            if not on:
                raise InboxAlwaysOn("the in-site inbox is the record of what was said: it cannot be turned off")
            continue
        try:
            off_changes[SendChannel(name)] = on
        except ValueError:
            raise InvalidInput(f"no channel {name!r}: sms, push, email or inbox") from None
    hours = quiet if isinstance(quiet, Unset) or quiet is None else QuietHours.parse(*quiet)
    number = phone if isinstance(phone, Unset) or phone is None else normal_phone(phone)
    mailbox = email if isinstance(email, Unset) or email is None else normal_email(email)
    with ctx.uow() as uow:
        now = ctx.clock.now()
        found = uow.preferences.get(recipient, actor.subject)
        current = found if found is not None else Preferences(recipient, actor.subject)
        off = set(current.off)
        for channel, on in off_changes.items():
            (off.discard if on else off.add)(channel)
        changed = replace(current, off=frozenset(off))
        if language is not None:
            changed = replace(changed, language=language)
        if not isinstance(hours, Unset):
            changed = replace(changed, quiet=hours)
        if not isinstance(number, Unset):
            changed = _with_contact(ctx.cipher, changed, SendChannel.SMS, number)
        if not isinstance(mailbox, Unset):
            changed = _with_contact(ctx.cipher, changed, SendChannel.EMAIL, mailbox)
        uow.preferences.save(changed, now)
        devices = len(uow.preferences.devices(actor.subject)) if recipient is Recipient.BUYER else 0
        uow.commit()
    return Chosen(replace(changed, updated_at=now), devices)


def _with_contact(cipher: Cipher, p: Preferences, channel: SendChannel, value: str | None) -> Preferences:
    if value is None:
        return p.without(channel)
    return p.with_contact(channel, value, cipher.encrypt(value, aad=contact_aad(p.recipient, p.recipient_id, channel)))


# --- devices ---


def devices(ctx: Context, actor: Actor) -> list[Device]:
    """Return the caller's devices, most recently seen first (buyers only)."""
    actor.require(Role.BUYER)
    with ctx.read() as uow:
        return uow.preferences.devices(actor.subject)


def register_device(ctx: Context, actor: Actor, token: str, platform: str) -> tuple[Device, bool]:
    """Register the caller's app for push; return the device and whether it is new.

    A registration id already known moves to the caller (a phone changes hands, an account
    signs out and another in). A buyer keeps their ``MAX_DEVICES`` most recent devices.
    """
    actor.require(Role.BUYER)
    check_token(token)
    if platform not in DEVICE_PLATFORMS:
        raise InvalidInput(f"platform {platform!r} is not one of {', '.join(DEVICE_PLATFORMS)}")
    with ctx.uow() as uow:
        now = ctx.clock.now()
        known = uow.preferences.device_of_token(token)
        if known is not None:
            device = replace(known, buyer_id=actor.subject, platform=platform, last_seen_at=now)
        else:
            device = Device(f"dev_{new_ulid().lower()}", actor.subject, platform, token, now, now)
        uow.preferences.save_device(device)
        mine = uow.preferences.devices(actor.subject)
        uow.preferences.remove_devices([d.id for d in mine[MAX_DEVICES:]])
        uow.commit()
    return device, known is None


def remove_device(ctx: Context, actor: Actor, device_id: str) -> None:
    """Forget one of the caller's devices (signed out of the app); another's is not found."""
    actor.require(Role.BUYER)
    with ctx.uow() as uow:
        if not any(d.id == device_id for d in uow.preferences.devices(actor.subject)):
            raise NotFound(f"device {device_id} does not exist")
        uow.preferences.remove_devices([device_id])
        uow.commit()
