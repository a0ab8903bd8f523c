"""What every page needs: the language, who is signed in, the CSRF token and rendering.

The session lives on the server (``tuika.services.sessions``): the HttpOnly, SameSite=Lax
cookie holds only its random key, each request looks that key up, and signing out ends the
session for every copy of the cookie. Every form that changes something carries a CSRF token
derived from that key with the server's key: a page of another site can make the browser send
the cookie (on a top-level POST, say) but cannot read the token to go with it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from typing import Annotated, Any, Final
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from tuika.domain.cases import Role
from tuika.domain.ids import spaced_number
from tuika.http.deps import system as system_of
from tuika.services.context import Actor, Context
from tuika.services.notify import bell, inbox
from tuika.services.signin import sessions
from tuika.web import i18n

SESSION: Final = "tuika_session"
CSRF_FIELD: Final = "csrf"
CSRF_HEADER: Final = "X-CSRF-Token"
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
CONSOLE_ROLES: Final = frozenset({Role.AGENT, Role.ARBITRATOR, Role.ADMIN})
MERCHANT_HOME: Final = "/merchant"
# The roles the pages sign in, each to its own home.
PAGE_HOMES: Final = CONSOLE_ROLES | {Role.BUYER, Role.MERCHANT}
# Keys are 43 characters; anything much longer is not one of ours and is not looked up.
_KEY_MAX: Final = 100
# Where a request keeps whom its cookie named, so a page looks the session up once.
_VIEWER: Final = "tuika.viewer"

templates = Jinja2Templates(directory=str(files("tuika.web").joinpath("templates")))


class PageError(Exception):
    """Stop a page and show a message from the catalogue with an HTTP status, and where to go instead."""

    def __init__(self, status: int, key: str, link: tuple[str, str] | None = None) -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        # (where, the catalogue key of its words): the page a person turned away belongs on.
        self.link = link


def ctx_of(request: Request) -> Context:
    return system_of(request).ctx


def lang_of(request: Request) -> i18n.Lang:
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(i18n.COOKIE))


def session_key(request: Request) -> str | None:
    """Return the session key the browser sent, if it looks like one."""
    key = request.cookies.get(SESSION)
    return key if key and len(key) <= _KEY_MAX else None


def signed_in(request: Request) -> Actor | None:
    """Return whoever the cookie's live session names, in any role; None without one."""
    if _VIEWER in request.scope:
        found: Actor | None = request.scope[_VIEWER]
        return found
    key = session_key(request)
    session = sessions.current(ctx_of(request), key) if key else None
    actor = None if session is None else Actor(session.subject, session.role)
    request.scope[_VIEWER] = actor
    return actor


def forget_viewer(request: Request) -> None:
    """Treat the rest of this request as signed out: its session just ended."""
    request.scope[_VIEWER] = None


def buyer_of(request: Request) -> Actor | None:
    actor = signed_in(request)
    return actor if actor is not None and actor.role is Role.BUYER else None


def home(role: Role) -> str:
    """Return where a role's pages start: buyers' orders, the merchant's claims, or the console."""
    if role is Role.BUYER:
        return "/"
    return MERCHANT_HOME if role is Role.MERCHANT else "/console"


# A merchant turned away from the buyers' pages or the console is told where its own pages are.
_TO_MERCHANT_PAGES: Final = (MERCHANT_HOME, "merchant.go_merchant")


async def require_buyer(request: Request) -> Actor:
    """Return the signed-in buyer; nobody signed in gets the sign-in message, staff and merchants a pointer home."""
    actor = signed_in(request)
    if actor is None:
        raise PageError(401, "signed_out")
    if actor.role is Role.MERCHANT:
        raise PageError(403, "merchant.elsewhere", _TO_MERCHANT_PAGES)
    if actor.role is not Role.BUYER:
        raise PageError(403, "buyer_pages_only")
    return actor


async def require_staff(request: Request) -> Actor:
    """Return the signed-in agent, arbitrator or admin; a buyer or nobody is turned away, a merchant pointed home."""
    actor = signed_in(request)
    if actor is None:
        raise PageError(401, "signed_out")
    if actor.role is Role.MERCHANT:
        raise PageError(403, "merchant.elsewhere", _TO_MERCHANT_PAGES)
    if actor.role not in CONSOLE_ROLES:
        raise PageError(403, "staff_only")
    return actor


async def require_merchant(request: Request) -> Actor:
    """Return the signed-in merchant; nobody signed in gets the sign-in message, buyers and staff a pointer home."""
    actor = signed_in(request)
    if actor is None:
        raise PageError(401, "signed_out")
    if actor.role is not Role.MERCHANT:
        words = "merchant.go_home.buyer" if actor.role is Role.BUYER else "merchant.go_home.staff"
        raise PageError(403, "merchant.only", (home(actor.role), words) if actor.role in PAGE_HOMES else None)
    return actor


def csrf_for(secret_key: str, session: str) -> str:
    """Return the CSRF token of a session: an HMAC of its key under the server's key."""
    return hmac.new(secret_key.encode(), b"csrf|" + session.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_token(request: Request) -> str:
    """Return the CSRF token that goes with this request's session ('' when signed out)."""
    key = session_key(request)
    return csrf_for(system_of(request).settings.secret_key, key) if key else ""


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token (form field or header) is missing or wrong."""
    expected = csrf_token(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise PageError(403, "csrf_failed")


Buyer = Annotated[Actor, Depends(require_buyer)]
Staff = Annotated[Actor, Depends(require_staff)]
Merchant = Annotated[Actor, Depends(require_merchant)]
CsrfChecked = Annotated[None, Depends(require_csrf)]


def shanghai(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def yuan(fen: int) -> str:
    return f"{fen / 100:.2f}"


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    """Render a template with the language, the catalogue, the viewer and the CSRF token."""
    lang = lang_of(request)
    t: Callable[[str], str] = lambda key: i18n.text(lang, key)  # noqa: E731
    buyer = buyer_of(request)
    viewer = signed_in(request)
    page = templates.TemplateResponse(
        request,
        name,
        {
            "lang": lang,
            "t": t,
            "tf": lambda key, **values: i18n.formatted(lang, key, **values),
            "yuan": yuan,
            "shanghai": shanghai,
            # A refund number grouped for reading aloud; a case without one shows its id.
            "case_no": lambda case: spaced_number(case.number) if case.number else case.id,
            "viewer": viewer,
            "buyer": buyer,
            # The badge on 消息 in the buyer's menu.
            "unread": inbox.unread(ctx_of(request), buyer) if buyer is not None else 0,
            # The console's bell in the staff's menu.
            "bell": bell.bell(ctx_of(request), viewer) if viewer is not None and viewer.role in CONSOLE_ROLES else None,
            "csrf": csrf_token(request),
            "csrf_field": CSRF_FIELD,
            **context,
        },
        status_code=status,
    )
    if request.query_params.get("lang") in i18n.LANGS:
        page.set_cookie(i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return page


def message(request: Request, status: int, key: str, link: tuple[str, str] | None = None) -> Response:
    """Render a message from the catalogue, with a link to where the person belongs if given."""
    lang = lang_of(request)
    go = None if link is None else (link[0], i18n.text(lang, link[1]))
    return render(request, "message.html", status, message=i18n.text(lang, key), go=go)


def install(app: FastAPI) -> None:
    """Show a ``PageError`` as a page in the viewer's language."""

    async def page_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PageError)
        return message(request, exc.status, exc.key, exc.link)

    app.add_exception_handler(PageError, page_error)
