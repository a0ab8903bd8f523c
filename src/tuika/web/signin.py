"""Signing in with the platform's link, switching accounts only when asked, and signing out.

A GET never changes who is signed in on a browser that already has a session: a link for
someone else gets a question, and only its CSRF-protected answer (a POST) switches. That
keeps another site from swapping a signed-in buyer into its own account (login CSRF).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from tuika.domain.cases import Role
from tuika.domain.errors import SignInRefused, TokenExpired, TokenInvalid
from tuika.domain.masking import mask_user_id
from tuika.domain.sessions import SignInLink, WebSession
from tuika.http.auth import verify_token
from tuika.http.deps import system as system_of
from tuika.services.context import Actor
from tuika.services.signin import sessions
from tuika.web import i18n
from tuika.web.session import (
    PAGE_HOMES,
    SESSION,
    CsrfChecked,
    ctx_of,
    forget_viewer,
    home,
    lang_of,
    message,
    render,
    session_key,
    signed_in,
)

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Query(max_length=4096)]
PostedToken = Annotated[str, Form(max_length=4096)]


class _Refused(Exception):
    """The link cannot sign anyone in; ``page`` says why."""

    def __init__(self, page: Response) -> None:
        super().__init__("sign-in refused")
        self.page = page


@router.get("/sso")
def sign_in(request: Request, token: Token = "") -> Response:
    """Sign in with the platform's single-use link; ask first if someone else is signed in here."""
    try:
        link = _link(request, token)
        current = signed_in(request)
        if current == Actor(link.subject, link.role):
            return RedirectResponse(home(link.role), status_code=303)
        if current is None:
            return _open(request, link)
        _check(request, link)
    except _Refused as refused:
        return refused.page
    lang = lang_of(request)
    return render(
        request,
        "switch.html",
        current=_who(lang, current.role, current.subject),
        wanted=_who(lang, link.role, link.subject),
        token=token,
        stay=home(current.role),
    )


@router.post("/sso")
def switch(request: Request, _: CsrfChecked, token: PostedToken = "") -> Response:
    """Switch this browser to the link's account, as its current session confirmed."""
    try:
        link = _link(request, token)
        if signed_in(request) == Actor(link.subject, link.role):
            return RedirectResponse(home(link.role), status_code=303)
        return _open(request, link, replacing=session_key(request))
    except _Refused as refused:
        return refused.page


@router.post("/signout")
def sign_out(request: Request, _: CsrfChecked) -> Response:
    """End the session: this cookie, and every copy of it, no longer signs anyone in."""
    key = session_key(request)
    if key is not None:
        sessions.close(ctx_of(request), key)
    forget_viewer(request)
    gone = message(request, 200, "signed_out_done")
    gone.delete_cookie(SESSION)
    return gone


def _link(request: Request, token: str) -> SignInLink:
    """Return what a genuine, unexpired sign-in token says; refuse anything else."""
    system = system_of(request)
    try:
        principal = verify_token(system.settings.secret_key, token, system.ctx.clock.now())
    except (TokenInvalid, TokenExpired) as exc:
        raise _Refused(message(request, 401, "sign_in_failed")) from exc
    role = Role(principal.role)
    if role not in PAGE_HOMES:
        raise _Refused(message(request, 403, "sign_in_failed"))
    return SignInLink(
        principal.subject,
        role,
        principal.token_id,
        datetime.fromtimestamp(principal.issued, UTC),
        datetime.fromtimestamp(principal.expires, UTC),
    )


def _check(request: Request, link: SignInLink) -> None:
    try:
        sessions.check(ctx_of(request), link)
    except SignInRefused as exc:
        raise _Refused(_refusal(request, exc)) from exc


def _open(request: Request, link: SignInLink, replacing: str | None = None) -> Response:
    """Open a session with the link and send the browser home with its cookie."""
    try:
        key, session = sessions.open_session(ctx_of(request), link, replacing=replacing)
    except SignInRefused as exc:
        raise _Refused(_refusal(request, exc)) from exc
    landing = RedirectResponse(home(link.role), status_code=303)
    landing.set_cookie(
        SESSION,
        key,
        max_age=_seconds_left(session, request),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return landing


def _seconds_left(session: WebSession, request: Request) -> int:
    return max(0, int((session.expires_at - ctx_of(request).clock.now()).total_seconds()))


def _refusal(request: Request, exc: SignInRefused) -> Response:
    lang = lang_of(request)
    allowed = int(ctx_of(request).sign_in.link_max.total_seconds())
    if allowed % 60 == 0:
        limit = i18n.formatted(lang, "sign_in.minutes", n=allowed // 60)
    else:
        limit = i18n.formatted(lang, "sign_in.seconds", n=allowed)
    return render(request, "message.html", 401, message=i18n.formatted(lang, f"sign_in.{exc.code}", limit=limit))


def _who(lang: i18n.Lang, role: Role, subject: str) -> str:
    """Name an account for a person: its role in words and its id masked."""
    named = i18n.text(lang, f"switch.role.{role.value}")
    return i18n.formatted(lang, "switch.who", role=named, id=mask_user_id(subject))
