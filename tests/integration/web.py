"""Steps the page tests share: sign in through the platform's link, as a browser would."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tuika.api.auth import issue_token
from tuika.bootstrap import System
from tuika.web.session import csrf_for


def sign_in(client: TestClient, system: System, subject: str = "buyer_1", role: str = "buyer") -> str:
    """Give ``client`` a session as ``subject`` through ``/sso``; return the session's CSRF token."""
    token = issue_token(system.settings.secret_key, role, subject, 3600, datetime.now(UTC))
    response = client.get(f"/sso?token={token}", follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_for(system.settings.secret_key, token)
