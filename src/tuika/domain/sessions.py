"""Page sessions and the sign-in links that open them: single-use, short-lived, revocable.

A sign-in link is the platform's signed token with an id; it opens one session, once, and
only if it lives no longer than the operator allows. The session itself is a row on the
server named by a random key: the browser holds the key, the server only its digest, so a
copy of the database opens no session.

>>> from datetime import UTC, datetime, timedelta
>>> at = datetime(2026, 1, 1, tzinfo=UTC)
>>> link = SignInLink("buyer_1", Role.BUYER, "j1", at, at + timedelta(minutes=10))
>>> check_link(link, max_lifetime=timedelta(minutes=15))
>>> WebSession("buyer_1", Role.BUYER, at, at + timedelta(hours=8)).live(at + timedelta(hours=8))
False
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from tuika.domain.cases import Role
from tuika.domain.errors import LinkNotSingleUse, LinkTooLong


@dataclass(frozen=True, slots=True)
class SignInLink:
    """What a verified sign-in token says: who, in which role, its id and its lifetime."""

    subject: str
    role: Role
    token_id: str | None
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in browser: who, in which role, until when, and whether it was ended."""

    subject: str
    role: Role
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        """Tell whether the session still signs its browser in at ``now``."""
        return self.revoked_at is None and now < self.expires_at


def check_link(link: SignInLink, max_lifetime: timedelta) -> None:
    """Raise ``SignInRefused`` unless the link has an id and lives no longer than ``max_lifetime``."""
    if link.token_id is None:
        raise LinkNotSingleUse(f"the link for {link.subject} carries no jti")
    if link.expires_at - link.issued_at > max_lifetime:
        raise LinkTooLong(f"the link lives {link.expires_at - link.issued_at}, more than {max_lifetime}")


def digest(key: str) -> str:
    """Return what the server keeps of a session key: its SHA-256, in hex.

    The key is 256 random bits, so a plain hash is enough; no salt or stretching is needed.
    """
    return hashlib.sha256(key.encode()).hexdigest()
