"""Request dependencies: the wired system, the use-case context and the caller."""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from tuika.domain.cases import Role
from tuika.domain.errors import TokenMissing
from tuika.http.auth import verify_token
from tuika.services.context import Actor, Context
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
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise TokenMissing("send Authorization: Bearer <token>")
    sys = system(request)
    principal = verify_token(sys.settings.secret_key, token.strip(), sys.ctx.clock.now())
    return Actor(principal.subject, Role(principal.role))


Ctx = Annotated[Context, Depends(context)]
Caller = Annotated[Actor, Depends(actor)]
