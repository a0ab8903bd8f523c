"""Request dependencies: the wired system, the use-case context and the caller."""

from __future__ import annotations

import hashlib
from typing import Annotated, Protocol

from fastapi import Depends, Request

from tuika.domain.cases import Role
from tuika.domain.errors import TokenMissing
from tuika.domain.reveals import Channel
from tuika.http.auth import verify_token
from tuika.services.context import Actor, Context
from tuika.services.orders.reveals import Asker
from tuika.settings import Settings


class Wired(Protocol):
    """What a request reads of the wired system (``tuika.bootstrap.System``): its settings and its context."""

    settings: Settings
    ctx: Context


def system(request: Request) -> Wired:
    """Return the wired system of this app."""
    return request.app.state.system  # type: ignore[no-any-return]


# Both dependencies are async on purpose: they never block (an attribute read, an HMAC
# check), and FastAPI runs a plain ``def`` dependency in a worker thread, a hand-off that
# cost more CPU per request than the rest of the claim's framework work.
async def context(request: Request) -> Context:
    """Return the use-case context."""
    return system(request).ctx


async def actor(request: Request) -> Actor:
    """Return the caller named by the bearer token; refuse a missing, bad or expired one."""
    token = bearer(request)
    if not token:
        raise TokenMissing("send Authorization: Bearer <token>")
    sys = system(request)
    principal = verify_token(sys.settings.secret_key, token, sys.ctx.clock.now())
    return Actor(principal.subject, Role(principal.role))


def bearer(request: Request) -> str:
    """Return the bearer token the request carries ('' without one); ``actor`` has checked it."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def asker(request: Request, channel: Channel, credential: str) -> Asker:
    """Return where a reveal is asked from: a digest of the session's credential (never itself), the IP, the agent.

    The page session's digest starts as its row in ``web_sessions`` does, so staff can find it.
    """
    session = hashlib.sha256(credential.encode()).hexdigest()[:32]
    ip = request.client.host if request.client is not None else None
    return Asker(channel, session, ip, request.headers.get("user-agent"))


Ctx = Annotated[Context, Depends(context)]
Caller = Annotated[Actor, Depends(actor)]
