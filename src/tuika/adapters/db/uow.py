"""The unit of work: one SQLAlchemy session, one transaction, and the relay woken after it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tuika.adapters.db.answers import SqlAnswerRepository
from tuika.adapters.db.balances import SqlBalanceRepository
from tuika.adapters.db.claims import SqlCaseRepository, SqlIdempotencyRepository, SqlOrderRepository
from tuika.adapters.db.engine import READ_ONLY
from tuika.adapters.db.events import SqlEventRepository
from tuika.adapters.db.ledger import SqlLedgerRepository
from tuika.adapters.db.merchant import SqlMerchantRepository
from tuika.adapters.db.merchant_stats import SqlMerchantStatsRepository
from tuika.adapters.db.messages import SqlMessageRepository, SqlMessageSends
from tuika.adapters.db.preferences import SqlPreferencesRepository
from tuika.adapters.db.raw import forget
from tuika.adapters.db.repositories import (
    SqlAlertRepository,
    SqlEvidenceRepository,
    SqlFindingRepository,
    SqlMarkRepository,
    SqlNoticeRepository,
    SqlPayoutRepository,
    SqlPolicyRepository,
    SqlReadRepository,
)
from tuika.adapters.db.reveals import SqlRevealRepository
from tuika.adapters.db.sessions import SqlSessionRepository, SqlSignInLinkRepository
from tuika.adapters.db.webhooks import SqlWebhookRepository
from tuika.domain.events import Event, EventType
from tuika.services.ports import (
    AlertRepository,
    AnswerRepository,
    BalanceRepository,
    CaseRepository,
    EventRepository,
    EvidenceRepository,
    FindingRepository,
    IdempotencyRepository,
    LedgerRepository,
    MarkRepository,
    MerchantRepository,
    MerchantStatsRepository,
    MessageRepository,
    NoticeRepository,
    OrderRepository,
    PayoutRepository,
    PolicyRepository,
    PreferencesRepository,
    ReadRepository,
    RevealRepository,
    SendRepository,
    SessionRepository,
    SignInLinkRepository,
    WebhookRepository,
)

log = logging.getLogger(__name__)


# What a unit of work tells once it has committed events: the relay's hint.
Wake = Callable[[Sequence[Event]], None]


class SqlUnitOfWork:
    """A transaction over all repositories; leaving it without ``commit`` rolls back.

    Events written in it are handed to ``wake`` once it commits, so their handlers start at
    once; a wake that is lost costs only time, since the relay's sweep finds pending rows.
    """

    orders: OrderRepository
    cases: CaseRepository
    payouts: PayoutRepository
    evidence: EvidenceRepository
    ledger: LedgerRepository
    policies: PolicyRepository
    idempotency: IdempotencyRepository
    findings: FindingRepository
    reads: ReadRepository
    marks: MarkRepository
    notices: NoticeRepository
    alerts: AlertRepository
    sessions: SessionRepository
    links: SignInLinkRepository
    events: EventRepository
    answers: AnswerRepository
    messages: MessageRepository
    sends: SendRepository
    preferences: PreferencesRepository
    webhooks: WebhookRepository
    merchant: MerchantRepository
    merchant_stats: MerchantStatsRepository
    balances: BalanceRepository
    reveals: RevealRepository

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        read_only: bool = False,
        subscriptions: Mapping[EventType, Sequence[str]] | None = None,
        wake: Wake | None = None,
    ) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._subscriptions = subscriptions or {}
        self._wake = wake

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._sessions()
        if self._read_only:
            self.session.connection(execution_options={READ_ONLY: True})
        self.orders = SqlOrderRepository(self.session)
        self.cases = SqlCaseRepository(self.session)
        self.payouts = SqlPayoutRepository(self.session)
        self.evidence = SqlEvidenceRepository(self.session)
        self.ledger = SqlLedgerRepository(self.session)
        self.policies = SqlPolicyRepository(self.session)
        self.idempotency = SqlIdempotencyRepository(self.session)
        self.findings = SqlFindingRepository(self.session)
        self.reads = SqlReadRepository(self.session)
        self.marks = SqlMarkRepository(self.session)
        self.notices = SqlNoticeRepository(self.session)
        self.alerts = SqlAlertRepository(self.session)
        self.sessions = SqlSessionRepository(self.session)
        self.links = SqlSignInLinkRepository(self.session)
        self.answers = SqlAnswerRepository(self.session)
        self.messages = SqlMessageRepository(self.session)
        self.sends = SqlMessageSends(self.session)
        self.preferences = SqlPreferencesRepository(self.session)
        self.webhooks = SqlWebhookRepository(self.session)
        self.merchant = SqlMerchantRepository(self.session)
        self.merchant_stats = SqlMerchantStatsRepository(self.session)
        self.balances = SqlBalanceRepository(self.session)
        self.reveals = SqlRevealRepository(self.session)
        self._events = SqlEventRepository(self.session, self._subscriptions)
        self.events = self._events
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        forget(self.session)
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        """Commit, then wake the relay for the events written; a failed wake-up is only logged."""
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        forget(self.session)
        self.session.commit()
        written, self._events.written = self._events.written, []
        # Only events some handler reacts to need the relay; the rest are the audit trail.
        waking = [event for event in written if self._subscriptions.get(event.type)]
        if waking and self._wake is not None:
            try:
                self._wake(waking)
            except Exception:
                # The relay's poll finds what a lost wake-up would have run, so a broken
                # queue must not turn a committed request into an error.
                log.exception("waking the relay failed; its poll will run the handlers")

    def rollback(self) -> None:
        """Discard the transaction and what was waiting for it."""
        self._events.written = []
        forget(self.session)
        self.session.rollback()

    def savepoint(self) -> AbstractContextManager[object]:
        """Return a nested transaction: what is written in it is undone alone if it raises."""
        nested = self.session.begin_nested()
        # SQLAlchemy emits the SAVEPOINT when the session next asks for its connection; the
        # raw statements of the claim path use the DBAPI connection directly, so ask now.
        self.session.connection()
        return nested


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return the session factory every unit of work draws from."""
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
