"""A unit of work in memory, for service tests that need no database, and the ``Context`` around it.

It keeps what the SQL repositories promise where the services rely on it: a case or a payout
is saved only if it is still in the status it was read in (compare-and-set, ``StaleState``
otherwise), a live claim holds its items, every event is stored with one pending delivery per
handler subscribed to its type, and leaving the unit of work without ``commit`` undoes what was
written in it. What it does not fake raises ``NotImplementedError`` naming itself, so a test
that strays finds out at once instead of passing on a made-up answer.

    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.REJECTED)])
    ctx = fake_context(uow)
    filing.appeal(ctx, Actor("b_1", Role.BUYER), "rc_1", "我有新证据")
    assert [e.type for e in uow.events.written] == [EventType.CASE_MOVED]
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib.resources import files
from types import TracebackType
from typing import Any, cast

from tests.support.builders import PAID_AT, default_policy_doc
from tuika.domain.alerts import PayoutAlert
from tuika.domain.cases import HOLDS_ITEMS, Case, CaseStatus, Decision, TimelineEvent
from tuika.domain.clock import FixedClock
from tuika.domain.errors import DuplicateKey, ItemsAlreadyClaimed, NotFound, StaleState
from tuika.domain.events import Delivery, DeliveryStatus, Event, EventType
from tuika.domain.findings import Finding
from tuika.domain.ids import CaseId, EventId, EvidenceId, OrderId, PayoutId
from tuika.domain.ledger import Hold, Posting
from tuika.domain.merchant import (
    MerchantResponse,
    MerchantWindow,
    Replacement,
    ReplacementKey,
    ReplacementOutcome,
    StockKey,
)
from tuika.domain.notifications import Channel, Message, Recipient
from tuika.domain.orders import Order
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.domain.preferences import Device, Preferences
from tuika.domain.reveals import Reveal
from tuika.domain.webhooks import Delivery as WebhookDelivery
from tuika.domain.webhooks import Endpoint
from tuika.review.reading import EvidenceRead
from tuika.services.context import Context, PolicyBook, subscriptions
from tuika.services.events.handlers import EVENT_HANDLERS
from tuika.services.events.relay import hint
from tuika.services.ports import (
    AnswerRepository,
    BalanceRepository,
    Cipher,
    EvidenceFiles,
    EvidenceRecord,
    MarkRepository,
    MerchantStatsRepository,
    NoticeRepository,
    SendRepository,
    SessionRepository,
    SignInLinkRepository,
    UnitOfWork,
)

NOW = PAID_AT + timedelta(hours=1)
DEFAULT_POLICY = files("tuika.policies").joinpath("default.toml").read_text(encoding="utf-8")


class NotFaked:
    """Stands for a repository or an adapter the fakes leave out: any use of it says which."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotImplementedError(f"the fake unit of work does not fake {self._name}.{attr}")


class _Fake:
    """A faked repository: its tables are the attributes named in ``tables``; other methods are not faked."""

    name = ""
    tables: tuple[str, ...] = ()

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        raise NotImplementedError(f"the fake unit of work does not fake {self.name}.{attr}")

    def _snapshot(self) -> dict[str, Any]:
        return {t: copy.deepcopy(getattr(self, t)) for t in self.tables}

    def _restore(self, state: Mapping[str, Any]) -> None:
        for table, value in state.items():
            setattr(self, table, value)


class FakeOrders(_Fake):
    name, tables = "orders", ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, Order] = {}

    def get(self, order_id: OrderId, *, lock: bool = False) -> Order | None:
        return self.rows.get(order_id)


# The columns SqlCaseRepository.save writes; the rest of a case is fixed when it is filed.
_CASE_MUTABLE = (
    "status",
    "updated_at",
    "reason_codes",
    "due_at",
    "appealed",
    "decided_by",
    "escalations",
    "escalated_at",
    "evidence_ids",
    "refundable",
    "fee",
    "liable",
    "policy_version",
)


class FakeCases(_Fake):
    name, tables = "cases", ("rows", "held", "made")

    def __init__(self) -> None:
        self.rows: dict[str, Case] = {}
        self.held: dict[tuple[str, str], str] = {}  # (order id, item id) → the case holding it
        self.made: list[Decision] = []

    def get(self, case_id: CaseId, *, lock: bool = False) -> Case | None:
        return self.rows.get(case_id)

    def add(self, case: Case) -> None:
        if case.number and any(c.number == case.number for c in self.rows.values()):
            raise DuplicateKey(f"refund number {case.number} is taken")
        self._hold(case)
        self.rows[case.id] = case

    def save(self, case: Case, expected: CaseStatus, event: TimelineEvent, *, escalations: int | None = None) -> None:
        stored = self.rows.get(case.id)
        if stored is None or stored.status is not expected:
            raise StaleState(f"case {case.id} is no longer {expected.value}")
        if escalations is not None and stored.escalations != escalations:
            raise StaleState(f"case {case.id} was escalated meanwhile")
        if case.status in HOLDS_ITEMS and expected not in HOLDS_ITEMS:
            self._hold(case)
        elif case.status not in HOLDS_ITEMS:
            self.held = {k: v for k, v in self.held.items() if v != case.id}
        changed = {name: getattr(case, name) for name in _CASE_MUTABLE}
        self.rows[case.id] = replace(stored, **changed, timeline=(*stored.timeline, event))

    def for_order(self, order_id: OrderId) -> list[Case]:
        return sorted((c for c in self.rows.values() if c.order_id == order_id), key=lambda c: c.id)

    def held_items(self, order_id: OrderId) -> dict[str, CaseId]:
        return {item: case_id for (order, item), case_id in self.held.items() if order == order_id}

    def add_decision(self, decision: Decision) -> None:
        self.made.append(decision)

    def decisions(self, case_id: CaseId) -> list[Decision]:
        return [d for d in self.made if d.case_id == case_id]

    def _hold(self, case: Case) -> None:
        held = self.held_items(case.order_id)
        taken = sorted(i for i in case.item_ids if held.get(i, case.id) != case.id)
        if taken:
            raise ItemsAlreadyClaimed(f"items {', '.join(taken)} are in another claim", items=taken)
        self.held.update({(case.order_id, i): case.id for i in case.item_ids})


class FakePayouts(_Fake):
    name, tables = "payouts", ("rows", "added")

    def __init__(self) -> None:
        self.rows: dict[str, Payout] = {}
        self.added: list[Payout] = []  # what the code under test opened, oldest first

    def get(self, payout_id: PayoutId, *, lock: bool = False) -> Payout | None:
        return self.rows.get(payout_id)

    def add(self, payout: Payout) -> None:
        if payout.id in self.rows:
            raise DuplicateKey(f"payout {payout.id} clashes with a stored one")
        self.rows[payout.id] = payout
        self.added.append(payout)

    def save(self, payout: Payout, expected: PayoutStatus) -> None:
        stored = self.rows.get(payout.id)
        if stored is None or stored.status is not expected:
            raise StaleState(f"payout {payout.id} is no longer {expected.value}")
        kept = ("status", "attempts", "voucher", "failure", "updated_at", "sent_at", "check_at")
        self.rows[payout.id] = replace(stored, **{name: getattr(payout, name) for name in kept})

    def for_order(self, order_id: OrderId) -> list[Payout]:
        return sorted((p for p in self.rows.values() if p.order_id == order_id), key=lambda p: p.id)

    def for_case(self, case_id: CaseId) -> list[Payout]:
        return sorted((p for p in self.rows.values() if p.case_id == case_id), key=lambda p: p.id)


class FakeEvents(_Fake):
    """The outbox. ``written`` is every event stored, oldest first.

    Unlike ``SqlEventRepository.written``, which holds only what commit has yet to hand to the
    relay, this is the table itself: a rolled back transaction takes its events out of it.
    """

    name, tables = "events", ("written", "deliveries")

    def __init__(self, subscribed: Mapping[EventType, Sequence[str]]) -> None:
        self.subscribed = subscribed
        self.written: list[Event] = []
        self.deliveries: dict[str, list[Delivery]] = {}

    def add(self, event: Event) -> None:
        self.written.append(event)
        self.deliveries[event.id] = [
            Delivery(event.id, name, DeliveryStatus.PENDING, 0, event.starts_at)
            for name in self.subscribed.get(event.type, ())
        ]

    def get(self, event_id: EventId) -> tuple[Event, list[Delivery]] | None:
        found = next((e for e in self.written if e.id == event_id), None)
        return None if found is None else (found, sorted(self.deliveries[event_id], key=lambda d: d.handler))


class FakeIdempotency(_Fake):
    name, tables = "idempotency", ("keys",)

    def __init__(self) -> None:
        self.keys: dict[tuple[str, str], tuple[str, str]] = {}

    def get(self, subject: str, key: str) -> tuple[str, CaseId] | None:
        return self.keys.get((subject, key))

    def add(self, subject: str, key: str, request_hash: str, case_id: CaseId, at: datetime) -> None:
        if (subject, key) in self.keys:
            raise DuplicateKey(f"idempotency key {key!r} stored concurrently")
        self.keys[(subject, key)] = (request_hash, case_id)


class FakeEvidence(_Fake):
    name, tables = "evidence", ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, EvidenceRecord] = {}

    def add(self, record: EvidenceRecord) -> None:
        self.rows[record.id] = record

    def get(self, evidence_id: EvidenceId) -> EvidenceRecord | None:
        return self.rows.get(evidence_id)

    def attach(self, evidence_ids: Sequence[EvidenceId], case_id: CaseId) -> None:
        if any(e not in self.rows for e in evidence_ids):
            raise NotFound("an evidence file of this claim no longer exists; upload it again")
        for evidence_id in evidence_ids:
            self.rows[evidence_id] = replace(self.rows[evidence_id], case_id=case_id)

    def for_case(self, case_id: CaseId) -> list[EvidenceRecord]:
        return sorted((r for r in self.rows.values() if r.case_id == case_id), key=lambda r: r.id)


class FakeFindings(_Fake):
    name, tables = "findings", ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple[str, Finding]] = []

    def add(self, case_id: CaseId, findings: Sequence[Finding]) -> None:
        self.rows.extend((case_id, f) for f in findings)

    def for_case(self, case_id: CaseId) -> list[Finding]:
        return [f for owner, f in self.rows if owner == case_id]


class FakeReads(_Fake):
    name, tables = "reads", ("rows",)

    def __init__(self) -> None:
        self.rows: list[tuple[str, EvidenceRead]] = []

    def add(self, case_id: CaseId, reads: Sequence[EvidenceRead]) -> None:
        self.rows.extend((case_id, r) for r in reads)

    def for_case(self, case_id: CaseId) -> list[EvidenceRead]:
        return [r for owner, r in self.rows if owner == case_id]


class FakePolicies(_Fake):
    name, tables = "policies", ("documents", "published")

    def __init__(self) -> None:
        self.documents: dict[int, dict[str, Any]] = {}
        self.published: dict[int, datetime] = {}

    def latest_version(self) -> int | None:
        return max(self.documents, default=None)

    def get(self, version: int) -> dict[str, Any] | None:
        return self.documents.get(version)

    def published_at(self, version: int) -> datetime | None:
        return self.published.get(version)

    def add(self, version: int, title: str, document: dict[str, Any], by: str, at: datetime) -> None:
        self.documents[version] = document
        self.published[version] = at


class FakeAlerts(_Fake):
    name, tables = "alerts", ("rows",)

    def __init__(self) -> None:
        self.rows: list[PayoutAlert] = []

    def add(self, alert: PayoutAlert) -> None:
        self.rows.append(alert)

    def for_payout(self, payout_id: PayoutId) -> list[PayoutAlert]:
        return [a for a in self.rows if a.payout_id == payout_id]

    def disputed(self, payout_ids: Sequence[PayoutId]) -> frozenset[PayoutId]:
        return frozenset(a.payout_id for a in self.rows if a.payout_id in payout_ids and a.disputes)


class FakeMessages(_Fake):
    name, tables = "messages", ("rows",)

    def __init__(self) -> None:
        self.rows: list[Message] = []

    def add(self, messages: Sequence[Message]) -> None:
        keys = {(m.event_id, m.moment, m.recipient, m.recipient_id, m.channel) for m in self.rows}
        for m in messages:
            key = (m.event_id, m.moment, m.recipient, m.recipient_id, m.channel)
            if key in keys:
                raise DuplicateKey(f"message {key} exists")
            keys.add(key)
            self.rows.append(m)

    def inbox(
        self, recipient: Recipient, recipient_id: str, *, before: str | None, limit: int, case_id: str | None = None
    ) -> list[Message]:
        mine = [
            m
            for m in self.rows
            if (m.recipient, m.recipient_id, m.channel) == (recipient, recipient_id, Channel.INBOX)
            and (before is None or m.id < before)
            and (case_id is None or m.case_id == case_id)
        ]
        return sorted(mine, key=lambda m: m.id, reverse=True)[:limit]


class FakeWebhooks(_Fake):
    """Endpoints and the deliveries the webhook writer adds; the sender's side runs on a real database."""

    name, tables = "webhooks", ("endpoints_by_id", "deliveries")

    def __init__(self) -> None:
        self.endpoints_by_id: dict[str, Endpoint] = {}
        self.deliveries: list[WebhookDelivery] = []

    def enabled(self) -> list[Endpoint]:
        return [e for e in self.endpoints_by_id.values() if e.enabled]

    def add_deliveries(self, deliveries: Sequence[WebhookDelivery]) -> None:
        known = {(d.endpoint_id, d.event_id) for d in self.deliveries}
        for d in deliveries:
            if (d.endpoint_id, d.event_id) in known:
                raise DuplicateKey(f"delivery of {d.event_id} to {d.endpoint_id} exists")
            self.deliveries.append(d)


class FakeLedger(_Fake):
    """The postings written and the claims' holds; balances and statements run on a real database."""

    name, tables = "ledger", ("postings", "holds")

    def __init__(self) -> None:
        self.postings: list[tuple[str, Posting]] = []
        self.holds: dict[CaseId, Hold] = {}

    def post(self, posting: Posting, kind: str, at: datetime) -> bool:
        if posting.payout_id is not None and any(
            k == kind and p.payout_id == posting.payout_id for k, p in self.postings
        ):
            return False
        self.postings.append((kind, posting))
        return True

    def hold_of(self, case_id: CaseId) -> Hold | None:
        return self.holds.get(case_id)

    def save_hold(self, held: Hold) -> None:
        self.holds[held.case_id] = held


class FakeMerchant(_Fake):
    """The merchants' responses and the windows they have to answer in."""

    name, tables = "merchant", ("response_rows", "windows", "offers", "stock", "taken")

    def __init__(self) -> None:
        self.response_rows: list[MerchantResponse] = []
        self.windows: dict[CaseId, MerchantWindow] = {}
        self.offers: dict[CaseId, Replacement] = {}
        self.stock: list[StockKey] = []
        # stock key id → the claim whose offer took it
        self.taken: dict[str, CaseId] = {}

    def add_response(self, response: MerchantResponse) -> None:
        self.response_rows.append(response)

    def responses(self, case_id: CaseId) -> list[MerchantResponse]:
        return [r for r in self.response_rows if r.case_id == case_id]

    def open_window(self, window: MerchantWindow) -> bool:
        if window.case_id in self.windows:
            return False
        self.windows[window.case_id] = window
        return True

    def window(self, case_id: CaseId) -> MerchantWindow | None:
        return self.windows.get(case_id)

    def close_window(self, case_id: CaseId, at: datetime, outcome: str) -> bool:
        window = self.windows.get(case_id)
        if window is None or not window.open:
            return False
        self.windows[case_id] = replace(window, closed_at=at, outcome=outcome)
        return True

    def overdue(self, now: datetime, limit: int) -> list[CaseId]:
        due = sorted((w for w in self.windows.values() if w.overdue(now)), key=lambda w: w.respond_by)
        return [w.case_id for w in due[:limit]]

    def add_replacement(self, offer: Replacement) -> None:
        self.offers[offer.case_id] = offer

    def replacement(self, case_id: CaseId) -> Replacement | None:
        return self.offers.get(case_id)

    def answer_replacement(self, case_id: CaseId, at: datetime, outcome: ReplacementOutcome) -> bool:
        offer = self.offers.get(case_id)
        if offer is None or not offer.open:
            return False
        self.offers[case_id] = replace(offer, answered_at=at, outcome=outcome)
        return True

    def save_replacement_key(self, case_id: CaseId, key: ReplacementKey) -> None:
        offer = self.offers[case_id]
        keys = tuple(key if k.item_id == key.item_id else k for k in offer.keys)
        self.offers[case_id] = replace(offer, keys=keys)

    def replaced_items(self, case_ids: Sequence[CaseId]) -> set[str]:
        return {
            k.item_id
            for o in self.offers.values()
            if o.case_id in case_ids and o.outcome is ReplacementOutcome.ACCEPTED
            for k in o.keys
        }

    def unanswered_replacements(self, now: datetime, limit: int) -> list[CaseId]:
        due = sorted((o for o in self.offers.values() if o.open and o.answer_by <= now), key=lambda o: o.answer_by)
        return [o.case_id for o in due[:limit]]

    def add_stock(self, keys: Sequence[StockKey]) -> None:
        self.stock.extend(keys)

    def stock_holds(self, digests: Sequence[str]) -> bool:
        return any(k.digest in digests for k in self.stock)

    def stock_counts(self, merchant_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for k in self.stock:
            if k.merchant_id == merchant_id and k.id not in self.taken:
                counts[k.sku] = counts.get(k.sku, 0) + 1
        return dict(sorted(counts.items()))

    def take_stock(self, merchant_id: str, sku: str, n: int, case_id: CaseId, at: datetime) -> list[StockKey]:
        free = [k for k in self.stock if k.merchant_id == merchant_id and k.sku == sku and k.id not in self.taken]
        free.sort(key=lambda k: (k.added_at, k.id))
        if len(free) < n:
            return []
        for k in free[:n]:
            self.taken[k.id] = case_id
        return free[:n]

    def return_stock(self, case_id: CaseId) -> int:
        back = [key for key, taker in self.taken.items() if taker == case_id]
        for key in back:
            del self.taken[key]
        return len(back)


class FakePreferences(_Fake):
    """People's preferences and the buyers' devices, as the message writer reads them."""

    name, tables = "preferences", ("rows", "device_rows")

    def __init__(self) -> None:
        self.rows: dict[tuple[Recipient, str], Preferences] = {}
        self.device_rows: list[Device] = []

    def get(self, recipient: Recipient, recipient_id: str) -> Preferences | None:
        return self.rows.get((recipient, recipient_id))

    def many(self, recipient: Recipient, recipient_ids: Sequence[str]) -> dict[str, Preferences]:
        return {i: self.rows[(recipient, i)] for i in recipient_ids if (recipient, i) in self.rows}

    def save(self, p: Preferences, at: datetime) -> None:
        self.rows[(p.recipient, p.recipient_id)] = replace(p, updated_at=at)

    def buyers_with_devices(self, buyer_ids: Sequence[str]) -> set[str]:
        return {d.buyer_id for d in self.device_rows if d.buyer_id in buyer_ids}


class FakeReveals(_Fake):
    name, tables = "reveals", ("rows",)

    def __init__(self) -> None:
        self.rows: list[Reveal] = []

    def add(self, reveal: Reveal) -> None:
        self.rows.append(reveal)

    def for_order(self, order_id: OrderId) -> list[Reveal]:
        return sorted((r for r in self.rows if r.order_id == order_id), key=lambda r: r.at)

    def first_seen(self, order_ids: Sequence[OrderId]) -> dict[tuple[OrderId, str], datetime]:
        first: dict[tuple[OrderId, str], datetime] = {}
        for r in sorted(self.rows, key=lambda r: r.at, reverse=True):
            if r.order_id in order_ids:
                first[r.order_id, r.item_id] = r.at
        return first


class FakeUnitOfWork:
    """One transaction at a time over the faked repositories; ``committed`` tells whether anyone committed.

    The constructor's rows are there already, as a migrated database with the default policy
    (version 1) and those rows would be: they write no event and are no one's ``added``.
    """

    marks: MarkRepository
    notices: NoticeRepository
    sessions: SessionRepository
    links: SignInLinkRepository
    answers: AnswerRepository
    sends: SendRepository
    merchant_stats: MerchantStatsRepository
    balances: BalanceRepository

    def __init__(
        self,
        *,
        orders: Iterable[Order] = (),
        cases: Iterable[Case] = (),
        payouts: Iterable[Payout] = (),
        evidence: Iterable[EvidenceRecord] = (),
        alerts: Iterable[PayoutAlert] = (),
        subscribed: Mapping[EventType, Sequence[str]] | None = None,
    ) -> None:
        self.orders = FakeOrders()
        self.cases = FakeCases()
        self.payouts = FakePayouts()
        self.events = FakeEvents(subscriptions(EVENT_HANDLERS) if subscribed is None else subscribed)
        self.idempotency = FakeIdempotency()
        self.evidence = FakeEvidence()
        self.findings = FakeFindings()
        self.reads = FakeReads()
        self.policies = FakePolicies()
        self.alerts = FakeAlerts()
        self.messages = FakeMessages()
        self.webhooks = FakeWebhooks()
        self.preferences = FakePreferences()
        self.merchant = FakeMerchant()
        self.ledger = FakeLedger()
        self.reveals = FakeReveals()
        for name in ("marks", "notices", "sessions", "links", "answers", "sends", "merchant_stats", "balances"):
            setattr(self, name, NotFaked(name))
        self.orders.rows = {o.id: o for o in orders}
        for c in cases:
            self.cases.rows[c.id] = c
            if c.status in HOLDS_ITEMS:
                self.cases.held.update({(c.order_id, i): c.id for i in c.item_ids})
        self.payouts.rows = {p.id: p for p in payouts}
        self.evidence.rows = {r.id: r for r in evidence}
        self.alerts.rows = list(alerts)
        self.policies.documents = {1: default_policy_doc()}
        self.relay = WokenRelay()  # woken by commit, as the SQL unit of work wakes the real one
        self.committed = False
        self._open = False
        self._saved = self._snapshot()
        self._mark = 0  # events.written up to here are committed

    @property
    def _faked(self) -> tuple[_Fake, ...]:
        return (
            self.orders,
            self.cases,
            self.payouts,
            self.events,
            self.idempotency,
            self.evidence,
            self.findings,
            self.reads,
            self.policies,
            self.alerts,
            self.messages,
            self.webhooks,
            self.preferences,
            self.merchant,
            self.ledger,
            self.reveals,
        )

    def _snapshot(self) -> list[dict[str, Any]]:
        return [repository._snapshot() for repository in self._faked]

    def _restore(self, saved: list[dict[str, Any]]) -> None:
        for repository, state in zip(self._faked, saved, strict=True):
            repository._restore(state)

    def __enter__(self) -> FakeUnitOfWork:
        if self._open:
            raise RuntimeError("the fake unit of work holds one transaction at a time; this one is open already")
        self._open = True
        self._saved = self._snapshot()
        self._mark = len(self.events.written)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()
        self._open = False

    def commit(self) -> None:
        """Keep what was written, then wake the relay for the events a handler reacts to, as ``SqlUnitOfWork`` does."""
        self.committed = True
        self._saved = self._snapshot()
        written, self._mark = self.events.written[self._mark :], len(self.events.written)
        waking = [event for event in written if self.events.subscribed.get(event.type)]
        if waking:
            hint(self.relay, waking)

    def rollback(self) -> None:
        """Undo what was written since the transaction began or last committed."""
        self._restore(self._saved)

    @contextmanager
    def savepoint(self) -> Iterator[object]:
        """Undo what is written inside alone, if it raises."""
        saved = self._snapshot()
        try:
            yield self
        except BaseException:
            self._restore(saved)
            raise


@dataclass
class WokenRelay:
    """A relay that only notes the events it was woken for, and with what delay."""

    woken: list[tuple[str, float]] = field(default_factory=list)

    def wake(self, event_ids: Sequence[str], delay_s: float = 0.0) -> None:
        self.woken.extend((event_id, delay_s) for event_id in event_ids)


def fake_context(uow: FakeUnitOfWork, *, at: datetime = NOW) -> Context:
    """Return a ``Context`` whose every unit of work is ``uow``, at a fixed time, with a relay that notes its wakes.

    The balance is the only refund route (no gateway); no supplier, OCR, cipher or evidence file store.
    """
    # Its repositories are the fakes' own classes, narrower than the ports' (a Protocol's
    # attributes are invariant), so the unit of work is a UnitOfWork only by a cast.
    same = cast("Callable[[], UnitOfWork]", lambda: uow)
    return Context(
        uow=same,
        read=same,
        clock=FixedClock(at),
        relay=uow.relay,
        cipher=cast(Cipher, NotFaked("cipher")),
        files=cast(EvidenceFiles, NotFaked("files")),
        policies=PolicyBook(DEFAULT_POLICY),
        handlers=EVENT_HANDLERS,
    )
