"""Steps the page tests share: sign in through the platform's link, as a browser would."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tuika.bootstrap import System
from tuika.http.auth import sign_in_token
from tuika.web.session import SESSION, csrf_for


def link(system: System, subject: str = "buyer_1", role: str = "buyer") -> str:
    """Return a fresh single-use sign-in link (path and query) for ``subject``."""
    return f"/sso?token={sign_in_token(system.settings.secret_key, role, subject, datetime.now(UTC))}"


def sign_in(client: TestClient, system: System, subject: str = "buyer_1", role: str = "buyer") -> str:
    """Give ``client`` a session as ``subject`` through ``/sso``; return the session's CSRF token."""
    # A browser that is signed in as someone else is asked first; a fresh sign-in starts clean.
    client.cookies.delete(SESSION)
    response = client.get(link(system, subject, role), follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_for(system.settings.secret_key, response.cookies[SESSION])
