"""The buyer's 通知设置 page: channels, quiet hours, number, mailbox, language and push devices.

It goes through the same service as ``PATCH /v1/me/notifications``: the service checks every
field before it changes any, so a refused form changes nothing and is shown again as it was
sent, with the error's own words. The number and the mailbox are only ever shown masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from tuika.domain.errors import EmailInvalid, InvalidInput, NotFound, PhoneInvalid, QuietHoursInvalid
from tuika.domain.preferences import Preferences
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor
from tuika.services.notify import preferences
from tuika.services.notify.preferences import UNSET
from tuika.web.session import Buyer, CsrfChecked, ctx_of, lang_of, message, render

router = APIRouter(include_in_schema=False)

PAGE: Final = "/messages/settings"
# What the notice after a redirect may say; anything else in ``?done=`` is ignored.
DONE: Final = frozenset({"saved", "phone_removed", "email_removed", "device_removed"})
# Where a refused field is marked on the form.
_FIELD: Final[dict[type[InvalidInput], str]] = {
    PhoneInvalid: "phone",
    EmailInvalid: "email",
    QuietHoursInvalid: "quiet",
}
# Shown in the time inputs while quiet hours are off: a night, the usual choice.
_NIGHT: Final = ("22:00", "08:00")


@dataclass(frozen=True, slots=True)
class Draft:
    """What the form holds: the saved settings, or what the buyer sent when it was refused."""

    on: frozenset[str]
    quiet_on: bool
    start: str
    end: str
    language: str
    phone: str = ""
    email: str = ""

    @classmethod
    def of(cls, saved: Preferences) -> Draft:
        """Return the form as the saved settings fill it: new number and mailbox empty."""
        start, end = _NIGHT if saved.quiet is None else (f"{saved.quiet.start:%H:%M}", f"{saved.quiet.end:%H:%M}")
        on = frozenset(c.value for c in SendChannel if saved.wants(c))
        return cls(on, saved.quiet is not None, start, end, saved.language)


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the form was refused, in the viewer's language, and the field it is about."""

    field: str
    text: str


@router.get(PAGE, response_class=HTMLResponse)
def settings_page(request: Request, buyer: Buyer, done: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """Show how the buyer is reached, and the form to change it."""
    return _show(request, buyer, notice=done if done in DONE else None)


@router.post(PAGE)
def save(
    request: Request,
    buyer: Buyer,
    _: CsrfChecked,
    channel: Annotated[list[str] | None, Form()] = None,
    quiet: Annotated[str, Form()] = "",
    quiet_start: Annotated[str, Form()] = "",
    quiet_end: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
) -> Response:
    """Save the whole form; a new number or mailbox only when one is typed. Refused: shown again, nothing changed."""
    chosen = frozenset(channel or ())
    draft = Draft(chosen, quiet == "on", quiet_start, quiet_end, language, phone.strip(), email.strip())
    try:
        preferences.update(
            ctx_of(request),
            buyer,
            language=language or None,
            # The inbox is left out: it is always on, and the form has no way to say otherwise.
            channels={c.value: c.value in chosen for c in SendChannel},
            quiet=(quiet_start, quiet_end) if draft.quiet_on else None,
            phone=draft.phone or UNSET,
            email=draft.email or UNSET,
        )
    except InvalidInput as exc:
        text = exc.title_zh if lang_of(request) == "zh" else exc.title
        return _show(request, buyer, draft, status=422, problem=Problem(_FIELD.get(type(exc), "form"), text))
    return RedirectResponse(f"{PAGE}?done=saved", status_code=303)


@router.post(PAGE + "/{what}/remove")
def remove_contact(request: Request, buyer: Buyer, _: CsrfChecked, what: Literal["phone", "email"]) -> Response:
    """Forget the buyer's number or mailbox: nothing more is sent to it."""
    if what == "phone":
        preferences.update(ctx_of(request), buyer, phone=None)
    else:
        preferences.update(ctx_of(request), buyer, email=None)
    return RedirectResponse(f"{PAGE}?done={what}_removed", status_code=303)


@router.post(PAGE + "/devices/{device_id}/remove")
def remove_device(
    request: Request,
    buyer: Buyer,
    _: CsrfChecked,
    device_id: Annotated[str, Path(max_length=40, pattern=r"^dev_[0-9a-z]{26}$")],
) -> Response:
    """Forget one of the buyer's devices: it is sent no more pushes until its app registers again."""
    try:
        preferences.remove_device(ctx_of(request), buyer, device_id)
    except NotFound:
        return message(request, 404, "notify.device_not_found")
    return RedirectResponse(f"{PAGE}?done=device_removed", status_code=303)


def _show(
    request: Request,
    buyer: Actor,
    draft: Draft | None = None,
    *,
    status: int = 200,
    problem: Problem | None = None,
    notice: str | None = None,
) -> Response:
    ctx = ctx_of(request)
    saved = preferences.read(ctx, buyer).preferences
    return render(
        request,
        "notify_settings.html",
        status,
        saved=saved,
        devices=preferences.devices(ctx, buyer),
        # Channels this site has a provider for; a channel without one sends nothing, whatever is chosen.
        offered=frozenset(c.value for c in ctx.notifiers),
        channels=[c.value for c in SendChannel],
        draft=draft or Draft.of(saved),
        problem=problem,
        notice=notice,
    )
