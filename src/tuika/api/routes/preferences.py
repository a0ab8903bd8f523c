"""How the caller is reached: their notification settings, and (buyers) the apps registered for push."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from tuika.api import preference_schemas as p
from tuika.api.contract import answers
from tuika.domain.errors import Forbidden, InvalidInput, NotFound
from tuika.domain.preferences import Device
from tuika.domain.sending import SendChannel
from tuika.http.deps import Caller, Ctx
from tuika.services.notify import preferences
from tuika.services.notify.preferences import UNSET, Chosen, Unset

router = APIRouter(tags=["notifications"])

_DEVICE = r"^dev_[0-9a-z]{26}$"


def _out(found: Chosen) -> p.PreferencesOut:
    prefs = found.preferences
    channels = {"inbox": True} | {c.value: prefs.wants(c) for c in SendChannel}
    quiet = (
        None
        if prefs.quiet is None
        else p.QuietHoursOut(start=f"{prefs.quiet.start:%H:%M}", end=f"{prefs.quiet.end:%H:%M}")
    )
    return p.PreferencesOut(
        language=prefs.language,
        channels=channels,
        quiet_hours=quiet,
        phone=prefs.phone_hint,
        email=prefs.email_hint,
        devices=found.devices,
        updated_at=prefs.updated_at,
    )


def _device(d: Device) -> p.DeviceOut:
    return p.DeviceOut(
        id=d.id,
        platform=d.platform,
        token_hint="…" + d.token[-4:],
        created_at=d.created_at,
        last_seen_at=d.last_seen_at,
    )


@router.get("/v1/me/notifications", response_model=p.PreferencesOut, responses=answers(Forbidden))
def read_settings(ctx: Ctx, caller: Caller) -> p.PreferencesOut:
    """Return how the caller is reached (buyers and merchants): everything on until they change it."""
    return _out(preferences.read(ctx, caller))


@router.patch("/v1/me/notifications", response_model=p.PreferencesOut, responses=answers(Forbidden, InvalidInput))
def change_settings(body: p.PreferencesPatch, ctx: Ctx, caller: Caller) -> p.PreferencesOut:
    """Change what the body gives; ``null`` clears quiet hours, the number or the mailbox."""
    given = body.model_fields_set
    channels = None
    if body.channels is not None:
        channels = {k: v for k, v in body.channels.model_dump().items() if v is not None}
    quiet: tuple[str, str] | Unset | None = UNSET
    if "quiet_hours" in given:
        quiet = None if body.quiet_hours is None else (body.quiet_hours.start, body.quiet_hours.end)
    found = preferences.update(
        ctx,
        caller,
        language=body.language,
        channels=channels,
        quiet=quiet,
        phone=body.phone if "phone" in given else UNSET,
        email=body.email if "email" in given else UNSET,
    )
    return _out(found)


@router.get("/v1/devices", response_model=p.DeviceList, responses=answers(Forbidden))
def list_devices(ctx: Ctx, caller: Caller) -> p.DeviceList:
    """Return the caller's apps registered for push, most recently seen first (buyers)."""
    return p.DeviceList(items=[_device(d) for d in preferences.devices(ctx, caller)])


@router.post(
    "/v1/devices",
    response_model=p.DeviceOut,
    status_code=201,
    responses={200: {"description": "known already: seen again"}, **answers(Forbidden, InvalidInput)},
)
def register_device(body: p.DeviceIn, ctx: Ctx, caller: Caller, response: Response) -> p.DeviceOut:
    """Register the caller's app for push (buyers); a registration id seen before is 200 and moves to the caller."""
    device, new = preferences.register_device(ctx, caller, body.token, body.platform)
    response.status_code = 201 if new else 200
    return _device(device)


@router.delete("/v1/devices/{device_id}", status_code=204, responses=answers(Forbidden, NotFound))
def remove_device(
    device_id: Annotated[str, Path(max_length=40, pattern=_DEVICE)], ctx: Ctx, caller: Caller
) -> Response:
    """Forget one of the caller's apps (signed out): it is sent no more pushes."""
    preferences.remove_device(ctx, caller, device_id)
    return Response(status_code=204)
