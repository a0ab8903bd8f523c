"""What every use case receives: the unit of work, clock, relay, the handler table and the rest."""

from __future__ import annotations

import math
import threading
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from tuika.domain.cases import CaseStatus, Role, Stage, expected_times
from tuika.domain.clock import Clock
from tuika.domain.errors import Forbidden, NotFound
from tuika.domain.events import Event, EventType
from tuika.domain.history import HistoryLimits
from tuika.domain.payouts import PayoutRoute
from tuika.domain.policy import Policy, parse_policy
from tuika.domain.sending import SendChannel
from tuika.services.ports import (
    Cipher,
    EvidenceFiles,
    Gateway,
    Notifier,
    Ocr,
    Relay,
    Supplier,
    UnitOfWork,
    WebhookClient,
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is calling: the token's subject and role."""

    subject: str
    role: Role

    def require(self, *roles: Role) -> None:
        """Raise ``Forbidden`` unless the actor has one of ``roles``."""
        if self.role not in roles:
            raise Forbidden(f"role {self.role.value} may not do this")

    def owns(self, buyer_id: str) -> bool:
        """Tell whether this actor may see a buyer's data: the buyer or staff."""
        if self.role is Role.BUYER:
            return self.subject == buyer_id
        return self.role in STAFF


STAFF = frozenset({Role.AGENT, Role.ARBITRATOR, Role.ADMIN, Role.SYSTEM})
SYSTEM = Actor("tuika", Role.SYSTEM)


@dataclass(frozen=True, slots=True)
class Sla:
    """Expected times per stage, from settings."""

    machine_review: timedelta = timedelta(minutes=1)
    manual_review: timedelta = timedelta(hours=2)
    arbitration: timedelta = timedelta(hours=1)
    awaiting_evidence: timedelta = timedelta(hours=48)
    redrive_after: timedelta = timedelta(seconds=30)
    # What the merchant has to answer a claim a person reviews; the seeds' fast arbitration hour.
    merchant_response: timedelta = timedelta(hours=1)
    # What the buyer has to accept or decline a replacement before the claim goes back to a person.
    replacement_answer: timedelta = timedelta(hours=24)

    def stages(self) -> dict[CaseStatus, Stage]:
        """Return the buyer-facing stage of each status."""
        return expected_times(
            self.machine_review, self.manual_review, self.arbitration, self.awaiting_evidence, self.replacement_answer
        )

    def review_hours(self) -> int:
        """Return the manual review's time limit in whole hours, rounded up, as buyers are told it."""
        return max(1, math.ceil(self.manual_review.total_seconds() / 3600))

    def due(self, status: CaseStatus, now: datetime) -> datetime | None:
        """Return when a case moved to ``status`` at ``now`` is due; None for a stage with no expected time."""
        expected = self.stages()[status].expected
        return None if expected is None else now + expected


@dataclass(frozen=True, slots=True)
class SignInRules:
    """How long a sign-in link may live, and how long the page session it opens lasts."""

    link_max: timedelta = timedelta(minutes=15)
    session: timedelta = timedelta(hours=8)


class PolicyBook:
    """Parses each policy version once per process; versions never change once published."""

    def __init__(self, default_document: str) -> None:
        self.default_document = default_document
        self._parsed: dict[int, Policy] = {}
        self._lock = threading.Lock()

    def default(self) -> dict[str, Any]:
        """Return the shipped default policy document."""
        return tomllib.loads(self.default_document)

    def parse(self, version: int, document: dict[str, Any]) -> Policy:
        """Return the parsed policy of a version."""
        with self._lock:
            if version not in self._parsed:
                self._parsed[version] = parse_policy(document, version)
            return self._parsed[version]

    def current(self, uow: UnitOfWork) -> Policy:
        """Return the newest published policy."""
        latest = uow.policies.latest_version()
        if latest is None:
            raise NotFound("no refund policy has been published; run `tuika migrate`")
        return self.version(uow, latest)

    def version(self, uow: UnitOfWork, version: int) -> Policy:
        """Return a specific published version."""
        with self._lock:
            known = self._parsed.get(version)
        if known is not None and known.published_at is not None:
            return known
        document = uow.policies.get(version)
        if document is None:
            raise NotFound(f"policy version {version} does not exist")
        # Publishing parses before its row is written: the date comes with the first read back.
        dated = replace(self.parse(version, document), published_at=uow.policies.published_at(version))
        with self._lock:
            self._parsed[version] = dated
        return dated


@dataclass(frozen=True, slots=True)
class Handler:
    """A reaction to events, one of two kinds.

    ``run`` acts on the world (a review, a gateway, later a message): it opens its own
    transactions, is told the event (its id de-duplicates external effects) and must be safe
    to run again, since a relay that dies mid-run leaves the delivery to run once more.
    ``write`` only writes rows: it runs inside the transaction that marks its deliveries done,
    so what it writes and "done" commit together, exactly once. It is given every event of a
    relay's batch that it handles, oldest first, so that it reads what they share once (a
    case with four events in the batch, the endpoints); should it raise, each of them is
    written again alone. Either returns when done, raises ``RetryAt`` when it cannot act yet,
    and raises anything else to be retried.
    """

    name: str
    run: Callable[[Context, Event], None] | None = None
    write: Callable[[UnitOfWork, Sequence[Event]], None] | None = None

    def __post_init__(self) -> None:
        if (self.run is None) == (self.write is None):
            raise ValueError(f"handler {self.name!r} must either run or write")


@dataclass(frozen=True, slots=True)
class WebhookRules:
    """How the sender takes deliveries, and where endpoints may be."""

    # A sender's hold on the deliveries it took: longer than a batch of tries at the client's
    # timeout, so a live sender never has its deliveries taken from it.
    lease: timedelta = timedelta(seconds=120)
    batch: int = 20
    # Endpoints sent to at once by each worker process (one thread each).
    threads: int = 8
    # Loopback and private addresses allowed: the demo's and the tests' receivers.
    allow_private: bool = False


@dataclass(frozen=True, slots=True)
class SendRules:
    """How the SMS, push and email senders take messages, and what the messages point to."""

    # A sender's hold on the messages it took: longer than a batch at the providers' timeouts.
    lease: timedelta = timedelta(seconds=120)
    batch: int = 50
    # Passes at once per channel in each worker process.
    threads: int = 2
    # Where the pages are, as a buyer's phone reaches them: the links in texts, pushes and mail.
    site_url: str = "http://127.0.0.1:8000"
    # The SMS provider's template code for each "moment.language" (registered with the provider).
    sms_templates: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EventRules:
    """How the relay takes deliveries, and how long delivered events are kept."""

    # A delivery taken by a relay is left to it this long unless renewed (the relay renews it
    # while the handler runs); after that another relay takes it over: the first one died.
    lease: timedelta = timedelta(seconds=30)
    batch: int = 100
    # Events whose deliveries are all finished are deleted after this long; None keeps them.
    keep: timedelta | None = None
    # How old an event must be before the feed serves it: older than any open transaction's.
    feed_settle: timedelta = timedelta(seconds=5)


def subscriptions(handlers: Mapping[EventType, tuple[Handler, ...]]) -> dict[EventType, tuple[str, ...]]:
    """Return the names of each type's handlers: what the outbox writes a delivery for."""
    return {type_: tuple(h.name for h in found) for type_, found in handlers.items() if found}


@dataclass
class Context:
    """The dependencies of the use cases, wired in ``tuika.bootstrap``."""

    uow: Callable[[], UnitOfWork]
    # A unit of work that only reads: no write lock on SQLite, and it cannot commit.
    read: Callable[[], UnitOfWork]
    clock: Clock
    relay: Relay
    cipher: Cipher
    files: EvidenceFiles
    policies: PolicyBook
    sla: Sla = field(default_factory=Sla)
    # The original-route gateways configured; a route without one refunds to the balance only.
    gateways: Mapping[PayoutRoute, Gateway] = field(default_factory=dict)
    # The upstream that issued the keys and ran the top-ups; without one, a person verifies.
    supplier: Supplier | None = None
    # How long its answer to a pre-check stands for the review of the claim filed after it.
    answer_reuse: timedelta = timedelta(minutes=10)
    # Reads screenshots in the worker; without one, people read them.
    ocr: Ocr | None = None
    # A cheaper engine read first, when configured: its read stands when it settles the
    # screenshot (this order's key or number, and no doubt); otherwise ``ocr`` reads it again.
    quick_ocr: Ocr | None = None
    # How long an upload may wait for a claim before the sweep deletes it.
    evidence_unused: timedelta = timedelta(hours=24)
    # How far back a buyer's claims count, and how many make a person look.
    history_window: timedelta = timedelta(days=30)
    history_limits: HistoryLimits = field(default_factory=HistoryLimits)
    sign_in: SignInRules = field(default_factory=SignInRules)
    # The reactions to each type of event (``services.events.handlers``), and how they are run.
    handlers: Mapping[EventType, tuple[Handler, ...]] = field(default_factory=dict)
    events: EventRules = field(default_factory=EventRules)
    # Posts webhooks; without one, deliveries are written and wait.
    webhook_client: WebhookClient | None = None
    webhooks: WebhookRules = field(default_factory=WebhookRules)
    # The providers of SMS, app push and email; a channel without one is not written to.
    notifiers: Mapping[SendChannel, Notifier] = field(default_factory=dict)
    sending: SendRules = field(default_factory=SendRules)

    def handler(self, name: str) -> Handler | None:
        """Return the handler called ``name``."""
        return next((h for found in self.handlers.values() for h in found if h.name == name), None)

    @property
    def routes(self) -> frozenset[PayoutRoute]:
        """Return the routes that can pay out now: the balance, and each configured gateway."""
        return frozenset({PayoutRoute.BALANCE, *self.gateways})
