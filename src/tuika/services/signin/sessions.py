"""Page sessions: open one with a single-use sign-in link, find it on each request, end it."""

from __future__ import annotations

import secrets

from tuika.domain.errors import LinkUsed
from tuika.domain.sessions import SignInLink, WebSession, check_link, digest
from tuika.services.context import Context


def check(ctx: Context, link: SignInLink) -> None:
    """Raise ``SignInRefused`` if the link could not open a session now; use nothing."""
    check_link(link, ctx.sign_in.link_max)
    assert link.token_id is not None  # check_link refuses a link without one
    with ctx.read() as uow:
        if uow.links.used(link.token_id):
            raise LinkUsed(f"the link {link.token_id} was used already")


def open_session(ctx: Context, link: SignInLink, *, replacing: str | None = None) -> tuple[str, WebSession]:
    """Use up the link and open a session; return the key for the cookie and the session.

    ``replacing`` is the key of the browser's current session, ended in the same transaction.
    """
    check_link(link, ctx.sign_in.link_max)
    assert link.token_id is not None
    now = ctx.clock.now()
    key = secrets.token_urlsafe(32)
    session = WebSession(link.subject, link.role, now, now + ctx.sign_in.session)
    with ctx.uow() as uow:
        if not uow.links.use(link.token_id, link.subject, link.expires_at, now):
            raise LinkUsed(f"the link {link.token_id} was used already")
        if replacing is not None:
            uow.sessions.revoke(digest(replacing), now)
        uow.sessions.add(digest(key), session)
        uow.commit()
    return key, session


def current(ctx: Context, key: str) -> WebSession | None:
    """Return the live session a cookie's key names; None when unknown, signed out or expired."""
    with ctx.read() as uow:
        session = uow.sessions.get(digest(key))
    return session if session is not None and session.live(ctx.clock.now()) else None


def close(ctx: Context, key: str) -> bool:
    """End the session a key names, for every copy of its cookie; False if it was not open."""
    with ctx.uow() as uow:
        ended = uow.sessions.revoke(digest(key), ctx.clock.now())
        uow.commit()
    return ended


def forget_expired(ctx: Context, limit: int) -> tuple[int, int]:
    """Delete sessions and used links past their expiry; return how many of each went."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        sessions = uow.sessions.delete_expired(now, limit)
        links = uow.links.delete_expired(now, limit)
        uow.commit()
    return sessions, links
