"""Page sessions and used sign-in links. They never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuika.adapters.db.tables import SignInLinkRow, WebSessionRow
from tuika.domain.cases import Role
from tuika.domain.sessions import WebSession


class SqlSessionRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, key_digest: str, session: WebSession) -> None:
        """Store a new session under the digest of its key."""
        self.s.add(
            WebSessionRow(
                key_digest=key_digest,
                subject=session.subject,
                role=session.role.value,
                created_at=session.created_at,
                expires_at=session.expires_at,
                revoked_at=session.revoked_at,
            )
        )
        self.s.flush()

    def get(self, key_digest: str) -> WebSession | None:
        """Return the session with this key digest, live or not (one primary-key lookup)."""
        row = self.s.get(WebSessionRow, key_digest)
        if row is None:
            return None
        return WebSession(row.subject, Role(row.role), row.created_at, row.expires_at, row.revoked_at)

    def revoke(self, key_digest: str, at: datetime) -> bool:
        """End a session at ``at``; False if there was none, or it had ended already."""
        result = self.s.execute(
            update(WebSessionRow)
            .where(WebSessionRow.key_digest == key_digest, WebSessionRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return int(result.rowcount) == 1  # type: ignore[attr-defined]

    def delete_expired(self, now: datetime, limit: int) -> int:
        """Delete up to ``limit`` sessions past their expiry, signed out or not; return how many went."""
        ended = list(
            self.s.scalars(
                select(WebSessionRow.key_digest)
                .where(WebSessionRow.expires_at <= now)
                .order_by(WebSessionRow.expires_at)
                .limit(limit)
            )
        )
        if not ended:
            return 0
        result = self.s.execute(delete(WebSessionRow).where(WebSessionRow.key_digest.in_(ended)))
        return int(result.rowcount)  # type: ignore[attr-defined]


class SqlSignInLinkRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def use(self, token_id: str, subject: str, expires_at: datetime, at: datetime) -> bool:
        """Remember a link as used; False if it was used before (or is being used right now)."""
        try:
            with self.s.begin_nested():
                self.s.add(SignInLinkRow(token_id=token_id, subject=subject, used_at=at, expires_at=expires_at))
        except IntegrityError:
            # Two uses at once: the primary key lets exactly one in, the other waits and lands here.
            return False
        return True

    def used(self, token_id: str) -> bool:
        """Tell whether a link with this id was used already."""
        return self.s.get(SignInLinkRow, token_id) is not None

    def delete_expired(self, now: datetime, limit: int) -> int:
        """Forget up to ``limit`` used links that have expired: they are refused as expired anyway."""
        ended = list(
            self.s.scalars(
                select(SignInLinkRow.token_id)
                .where(SignInLinkRow.expires_at <= now)
                .order_by(SignInLinkRow.expires_at)
                .limit(limit)
            )
        )
        if not ended:
            return 0
        result = self.s.execute(delete(SignInLinkRow).where(SignInLinkRow.token_id.in_(ended)))
        return int(result.rowcount)  # type: ignore[attr-defined]
