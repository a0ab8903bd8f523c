"""Bearer tokens: issue and verify HS256 JWTs that carry a subject and a role.

Pure helpers with an injected ``now``; the FastAPI dependency lives elsewhere.

>>> from datetime import UTC, datetime
>>> now = datetime(2025, 1, 1, tzinfo=UTC)
>>> token = issue_token("s" * 32, role="buyer", subject="u_1", ttl_s=60, now=now)
>>> verify_token("s" * 32, token, now=now)
Principal(subject='u_1', role='buyer')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import jwt

ROLES: Final = ("buyer", "agent", "arbitrator", "merchant", "admin", "platform")
ALGORITHM: Final = "HS256"
_CLAIMS: Final = ["sub", "role", "exp", "iat"]


class TokenRejected(Exception):
    """A bearer token was refused."""

    code = "token_rejected"
    title = "The access token was rejected"
    title_zh = "访问令牌被拒绝"


class TokenInvalid(TokenRejected):
    """The token is malformed, forged, or carries unusable claims."""

    code = "token_invalid"
    title = "The access token is invalid"
    title_zh = "访问令牌无效"


class TokenExpired(TokenRejected):
    """The token was genuine but its lifetime has ended."""

    code = "token_expired"
    title = "The access token has expired"
    title_zh = "访问令牌已过期"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, and in which role."""

    subject: str
    role: str
    # Seconds since the epoch; not part of who is calling, so equality ignores it.
    expires: int = field(default=0, compare=False)


def _epoch(now: datetime) -> int:
    # A naive time would silently mean the server's local zone.
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return int(now.timestamp())


def issue_token(secret: str, role: str, subject: str, ttl_s: int, now: datetime) -> str:
    """Return a signed token for ``subject`` acting as ``role``, valid for ``ttl_s`` seconds."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    if not subject:
        raise ValueError("subject must not be empty")
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    issued_at = _epoch(now)
    claims = {"sub": subject, "role": role, "iat": issued_at, "exp": issued_at + ttl_s}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


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
    if issued > current:
        raise TokenInvalid("token issued in the future")
    if current >= expires:
        raise TokenExpired(f"expired at {expires}")
    return Principal(subject=subject, role=role, expires=expires)
