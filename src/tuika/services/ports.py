"""Ports: what the use cases need from the outside world, as Protocols."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol

from tuika.domain.cases import Case, CaseStatus, Decision, TimelineEvent
from tuika.domain.errors import Conflict
from tuika.domain.findings import Finding
from tuika.domain.gateway import Notice, RefundAnswer, RefundRequest, StatementLine, Timing
from tuika.domain.history import BuyerHistory
from tuika.domain.ledger import Entry, Posting
from tuika.domain.money import Money
from tuika.domain.orders import Order, ProductKind
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.supplier import CardAnswer, TopupAnswer
from tuika.review.forensics import Marks
from tuika.review.ocr import OcrText
from tuika.review.reading import EvidenceRead


class DuplicateKey(Conflict):
    """A concurrent transaction stored the same unique key first; the caller retries."""

    code = "duplicate_key"
    title = "A concurrent request got there first; retry"
    title_zh = "并发请求冲突，请重试"


@dataclass(frozen=True, slots=True)
class EvidenceRecord:
    """An uploaded file's metadata; the bytes live in the evidence store."""

    id: str
    owner_id: str
    sha256: str
    content_type: str
    size: int
    width: int
    height: int
    kind: EvidenceKind | None
    case_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OrderFilter:
    buyer_id: str | None = None
    product_kind: str | None = None
    delivery_status: str | None = None
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class CaseFilter:
    buyer_id: str | None = None
    statuses: Sequence[CaseStatus] = ()
    after: str | None = None
    limit: int = 50


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a person narrows their queue to; ``None`` means any. Amounts are the refundable sum."""

    reason: Reason | None = None
    product_kind: ProductKind | None = None
    merchant_id: str | None = None
    min_amount: Money | None = None
    max_amount: Money | None = None


class OrderRepository(Protocol):
    def get(self, order_id: str, *, lock: bool = False) -> Order | None: ...
    def items_by_digest(self, digests: Sequence[str]) -> list[tuple[str, str]]: ...
    def upsert(self, order: Order) -> bool: ...
    def search(self, where: OrderFilter) -> list[Order]: ...


class CaseRepository(Protocol):
    def get(self, case_id: str, *, lock: bool = False) -> Case | None: ...
    def add(self, case: Case) -> None: ...
    def save(self, case: Case, expected: CaseStatus, event: TimelineEvent) -> None: ...
    def search(self, where: CaseFilter) -> list[Case]: ...
    def queue(self, statuses: Sequence[CaseStatus], limit: int, where: QueueFilter | None = None) -> list[Case]: ...
    def ids_in(self, statuses: Sequence[CaseStatus], updated_before: datetime, limit: int) -> list[str]: ...
    def ids_due(self, statuses: Sequence[CaseStatus], due_before: datetime, limit: int) -> list[str]: ...
    def for_order(self, order_id: str) -> list[Case]: ...
    def held_items(self, order_id: str) -> dict[str, str]: ...
    def add_decision(self, decision: Decision) -> None: ...
    def decisions(self, case_id: str) -> list[Decision]: ...
    def buyer_history(self, buyer_id: str, since: datetime, excluding: str) -> BuyerHistory: ...


class PayoutRepository(Protocol):
    def get(self, payout_id: str, *, lock: bool = False) -> Payout | None: ...
    def add(self, payout: Payout) -> None: ...
    def save(self, payout: Payout, expected: PayoutStatus) -> None: ...
    def for_order(self, order_id: str) -> list[Payout]: ...
    def for_case(self, case_id: str) -> list[Payout]: ...
    def ids_in(self, statuses: Sequence[PayoutStatus], updated_before: datetime, limit: int) -> list[str]: ...
    def in_status(self, statuses: Sequence[PayoutStatus], limit: int) -> list[Payout]: ...
    def redirect_of(self, payout_id: str) -> Payout | None: ...
    def due_for_check(self, now: datetime, limit: int) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class PayoutAlert:
    """A gateway said something that contradicts our record of a payout; nothing was changed."""

    payout_id: str
    provider: str
    kind: str
    detail: str
    at: datetime


class NoticeRepository(Protocol):
    def add(self, provider: str, notice_id: str, refund_no: str, raw: str, at: datetime) -> bool: ...
    def count_for(self, refund_no: str) -> int: ...


class AlertRepository(Protocol):
    def add(self, alert: PayoutAlert) -> None: ...
    def recent(self, limit: int = 100) -> list[PayoutAlert]: ...


class EvidenceRepository(Protocol):
    def add(self, record: EvidenceRecord) -> None: ...
    def get(self, evidence_id: str) -> EvidenceRecord | None: ...
    def attach(self, evidence_ids: Sequence[str], case_id: str) -> None: ...
    def for_case(self, case_id: str) -> list[EvidenceRecord]: ...
    def backing_other_cases(self, sha256s: Sequence[str], case_id: str) -> list[tuple[str, str]]: ...


class LedgerRepository(Protocol):
    def post(self, posting: Posting, kind: str, at: datetime) -> bool: ...
    def entries(self, account: str, limit: int = 100) -> list[tuple[datetime, str, Entry]]: ...
    def balance(self, account: str) -> Money: ...
    def total(self) -> Money: ...


class PolicyRepository(Protocol):
    def latest_version(self) -> int | None: ...
    def get(self, version: int) -> dict[str, Any] | None: ...
    def add(self, version: int, title: str, document: dict[str, Any], by: str, at: datetime) -> None: ...


class FindingRepository(Protocol):
    def add(self, case_id: str, findings: Sequence[Finding]) -> None: ...
    def for_case(self, case_id: str) -> list[Finding]: ...


class IdempotencyRepository(Protocol):
    def get(self, subject: str, key: str) -> tuple[str, str] | None: ...
    def add(self, subject: str, key: str, request_hash: str, case_id: str, at: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One transaction. Services commit; nothing else does."""

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

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def on_commit(self, action: Callable[[], None]) -> None: ...


class Dispatcher(Protocol):
    """Hands work to the background worker once the transaction that created it commits."""

    def review(self, case_id: str) -> None: ...
    def pay(self, payout_id: str) -> None: ...
    def follow_up(self, payout_id: str, delay_s: float) -> None: ...


class Cipher(Protocol):
    def encrypt(self, plain: str, aad: str) -> str: ...
    def decrypt(self, token: str, aad: str) -> str: ...
    def digest(self, plain: str) -> str: ...
    def digests(self, plain: str) -> tuple[str, ...]: ...


class StoredFile(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def content_type(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...


class EvidenceFiles(Protocol):
    @property
    def max_bytes(self) -> int: ...
    def save(self, data: bytes) -> StoredFile: ...
    def open(self, sha256: str) -> bytes: ...


class Supplier(Protocol):
    """The upstream that issued a card key or ran a top-up; raises ``SupplierUnavailable`` when it cannot answer."""

    def query_card(self, supplier_id: str, card_key: str) -> CardAnswer: ...
    def void_card(self, supplier_id: str, card_key: str) -> CardAnswer: ...
    def query_topup(self, supplier_id: str, reference: str) -> TopupAnswer: ...


class Gateway(Protocol):
    """A payment gateway's refund API, adapted: the same calls for Alipay, WeChat Pay and the bank channel.

    ``refund`` and ``query`` raise ``GatewayUnavailable`` when the outcome is unknown (timeout,
    5xx) and ``GatewayRefused`` when the gateway refuses the request itself; a refund call's
    answer is never final, only a query or a verified notice is. ``notice`` verifies and parses
    an asynchronous notice, raising ``NoticeRejected``; ``notice_reply`` is what the provider
    expects back once it is stored. ``statement`` is the gateway's refund bill of a day.
    """

    route: PayoutRoute
    timing: Timing

    def refund(self, request: RefundRequest) -> RefundAnswer: ...
    def query(self, request: RefundRequest) -> RefundAnswer: ...
    def resolve_abnormal(self, request: RefundRequest, gateway_refund_id: str) -> RefundAnswer: ...
    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice: ...
    def notice_reply(self, accepted: bool) -> tuple[int, dict[str, str], bytes]: ...
    def statement(self, day: date) -> list[StatementLine]: ...


class Ocr(Protocol):
    """Reads the text of a screenshot; slow, so it runs in the worker, never in a request.

    ``read`` raises ``tuika.review.ocr.OcrError`` for an image it cannot read.
    """

    @property
    def engine(self) -> str: ...
    def read(self, image: bytes) -> OcrText: ...
    def warm_up(self) -> None: ...


class MarkRepository(Protocol):
    def add(self, case_id: str, marked: Sequence[tuple[EvidenceRecord, Marks]]) -> None: ...
    def near(self, phash: str, case_id: str) -> list[tuple[str, str, str, str]]: ...
    def marked(self, case_id: str) -> set[str]: ...


class ReadRepository(Protocol):
    def add(self, case_id: str, reads: Sequence[EvidenceRead]) -> None: ...
    def for_case(self, case_id: str) -> list[EvidenceRead]: ...
