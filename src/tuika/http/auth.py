"""Bearer tokens: issue and verify HS256 JWTs that carry a subject and a role.

The same token, with a ``jti`` (token id) and a short lifetime, is a sign-in link for the
pages (``/sso?token=…``); the pages use each id once. Pure helpers with an injected ``now``;
the FastAPI dependency lives elsewhere.

>>> from datetime import UTC, datetime
>>> now = datetime(2025, 1, 1, tzinfo=UTC)
>>> token = issue_token("s" * 32, role="buyer", subject="u_1", ttl_s=60, now=now)
>>> verify_token("s" * 32, token, now=now)
Principal(subject='u_1', role='buyer')
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import jwt

from tuika.domain.errors import TokenExpired, TokenInvalid

ROLES: Final = ("buyer", "agent", "arbitrator", "merchant", "admin", "platform")
ALGORITHM: Final = "HS256"
_CLAIMS: Final = ["sub", "role", "exp", "iat"]
MAX_TOKEN_ID: Final = 128
# What a sign-in link minted here lives for; the pages refuse any over TUIKA_SIGN_IN_LINK_MAX_S.
SIGN_IN_TTL_S: Final = 600


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and in which role."""

    subject: str
    role: str
    # Seconds since the epoch and the token's id; not part of who is calling, so equality ignores them.
    expires: int = field(default=0, compare=False)
    issued: int = field(default=0, compare=False)
    token_id: str | None = field(default=None, compare=False)


def _epoch(now: datetime) -> int:
    # A naive time would silently mean the server's local zone.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def new_token_id() -> str:
    """Return a fresh random token id (``jti``)."""
    return secrets.token_urlsafe(16)


def issue_token(secret: str, role: str, subject: str, ttl_s: int, now: datetime, jti: str | None = None) -> str:
    """Return a signed token for ``subject`` as ``role``, valid for ``ttl_s`` seconds, with id ``jti`` if given."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    if not subject:
        raise ValueError("subject must not be empty")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    if jti is not None and not 0 < len(jti) <= MAX_TOKEN_ID:
        raise ValueError(f"jti must be 1 to {MAX_TOKEN_ID} characters")
    issued_at = _epoch(now)
    claims: dict[str, Any] = {"sub": subject, "role": role, "iat": issued_at, "exp": issued_at + ttl_s}
    if jti is not None:
        claims["jti"] = jti
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def sign_in_token(secret: str, role: str, subject: str, now: datetime, ttl_s: int = SIGN_IN_TTL_S) -> str:
    """Return a single-use sign-in token: short-lived, with a fresh ``jti``."""
    return issue_token(secret, role, subject, ttl_s, now, jti=new_token_id())


def verify_token(secret: str, token: str, now: datetime) -> Principal:
    """Return the principal of a genuine, unexpired token; raise ``TokenRejected`` otherwise."""
    current = _epoch(now)
    try:
        # PyJWT would compare exp/iat with the wall clock; they are checked below
        # against the injected ``now`` instead. Only HS256 is accepted, never "none".
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": _CLAIMS, "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid(str(exc)) from exc
    subject, role, expires, issued = (claims[name] for name in _CLAIMS)
    if not isinstance(subject, str) or not subject:
        raise TokenInvalid("sub must be a non-empty string")
    if role not in ROLES:
        raise TokenInvalid(f"unknown role {role!r}")
    # bool is an int subclass; a true/false timestamp is a forgery, not a time.
    if any(isinstance(v, bool) or not isinstance(v, int) for v in (expires, issued)):
        raise TokenInvalid("exp and iat must be integers")
    token_id = claims.get("jti")
    if token_id is not None and not (isinstance(token_id, str) and 0 < len(token_id) <= MAX_TOKEN_ID):
        raise TokenInvalid(f"jti must be a string of 1 to {MAX_TOKEN_ID} characters")
    if issued > current:
        raise TokenInvalid("token issued in the future")
    if current >= expires:
        raise TokenExpired(f"expired at {expires}")
    return Principal(subject=subject, role=role, expires=expires, issued=issued, token_id=token_id)
