"""Repositories: load and store domain objects. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tuika.adapters.db import mapping
from tuika.adapters.db.raw import Sql, raw_for
from tuika.adapters.db.tables import (
    BandRow,
    EvidenceRow,
    FindingRow,
    GatewayNoticeRow,
    MarkRow,
    PayoutAlertRow,
    PayoutRow,
    PolicyRow,
    ReadRow,
)
from tuika.domain.alerts import DISPUTING, AlertKind, AlertOutcome, PayoutAlert
from tuika.domain.errors import DuplicateKey, NotFound, StaleState
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.ids import CaseId, EvidenceId, OrderId, PayoutId, new_id
from tuika.domain.payouts import Payout, PayoutRoute, PayoutStatus
from tuika.review.forensics import Marks, bands
from tuika.review.reading import EvidenceRead
from tuika.services.ports import EvidenceRecord

# Built once, so SQLAlchemy reuses their cache keys and compiled SQL; the claim path's own
# statements are in ``claims``.
_LATEST_POLICY = Sql.of("SELECT max(version) AS version FROM policies")
_CASE_PAYOUTS = select(PayoutRow).where(PayoutRow.case_id == bindparam("case_id")).order_by(PayoutRow.id)
_CASE_EVIDENCE = select(EvidenceRow).where(EvidenceRow.case_id == bindparam("case_id")).order_by(EvidenceRow.id)


class SqlPayoutRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def get(self, payout_id: PayoutId, *, lock: bool = False) -> Payout | None:
        """Return the payout."""
        query = select(PayoutRow).where(PayoutRow.id == payout_id)
        row = self.s.scalars(query.with_for_update() if lock else query).one_or_none()
        return None if row is None else mapping.payout_from_row(row)

    def add(self, payout: Payout) -> None:
        """Store a new payout; a second redirect of one failed payout is a ``DuplicateKey``."""
        self.s.add(mapping.new_payout_row(payout))
        try:
            self.s.flush()
        except IntegrityError as exc:
            raise DuplicateKey(f"payout {payout.id} clashes with a stored one") from exc

    def save(self, payout: Payout, expected: PayoutStatus) -> None:
        """Store the payout if it is still in ``expected`` (compare-and-set)."""
        result = self.s.execute(
            update(PayoutRow)
            .where(PayoutRow.id == payout.id, PayoutRow.status == expected.value)
            .values(
                status=payout.status.value,
                attempts=payout.attempts,
                voucher=payout.voucher,
                failure=payout.failure,
                updated_at=payout.updated_at,
                sent_at=payout.sent_at,
                check_at=payout.check_at,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleState(f"payout {payout.id} is no longer {expected.value}")

    def for_order(self, order_id: OrderId) -> list[Payout]:
        """Return every payout of an order."""
        query = select(PayoutRow).where(PayoutRow.order_id == order_id).order_by(PayoutRow.id)
        return [mapping.payout_from_row(r) for r in self.s.scalars(query)]

    def for_case(self, case_id: CaseId) -> list[Payout]:
        """Return every payout of a case."""
        return [mapping.payout_from_row(r) for r in self.s.scalars(_CASE_PAYOUTS, {"case_id": case_id})]

    def in_status(self, statuses: Sequence[PayoutStatus], limit: int) -> list[Payout]:
        """Return payouts in the given statuses, oldest change first: a finance queue."""
        query = (
            select(PayoutRow)
            .where(PayoutRow.status.in_([s.value for s in statuses]))
            .order_by(PayoutRow.updated_at, PayoutRow.id)
            .limit(limit)
        )
        return [mapping.payout_from_row(r) for r in self.s.scalars(query)]

    def sent_between(self, route: PayoutRoute, start: datetime, end: datetime) -> list[Payout]:
        """Return the payouts of ``route`` first sent in [start, end): a statement day's refunds."""
        query = (
            select(PayoutRow)
            .where(PayoutRow.route == route.value, PayoutRow.sent_at >= start, PayoutRow.sent_at < end)
            .order_by(PayoutRow.sent_at)
        )
        return [mapping.payout_from_row(r) for r in self.s.scalars(query)]

    def redirect_of(self, payout_id: PayoutId) -> Payout | None:
        """Return the balance payout that replaced a failed one, if any."""
        row = self.s.scalars(select(PayoutRow).where(PayoutRow.redirected_from == payout_id)).one_or_none()
        return None if row is None else mapping.payout_from_row(row)


class SqlNoticeRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, provider: str, notice_id: str, refund_no: str, raw: str, at: datetime) -> bool:
        """Keep a notice; False if the provider sent this one before (it is then not kept twice)."""
        exists = select(GatewayNoticeRow.id).where(
            GatewayNoticeRow.provider == provider, GatewayNoticeRow.notice_id == notice_id
        )
        if self.s.scalar(exists) is not None:
            return False
        row = GatewayNoticeRow(
            id=new_id("gn"), provider=provider, notice_id=notice_id, refund_no=refund_no, raw=raw, received_at=at
        )
        try:
            with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError:
            # The same notice arriving twice at once: the unique key lets exactly one in.
            return False
        return True

    def count_for(self, refund_no: str) -> int:
        """Return how many distinct notices arrived for a refund number."""
        query = select(func.count()).select_from(GatewayNoticeRow).where(GatewayNoticeRow.refund_no == refund_no)
        return int(self.s.scalar(query) or 0)


class SqlAlertRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, alert: PayoutAlert) -> None:
        """Record a contradiction between a gateway and our record."""
        self.s.add(
            PayoutAlertRow(
                id=alert.id or new_id("al"),
                payout_id=alert.payout_id,
                provider=alert.provider,
                kind=alert.kind.value,
                detail=alert.detail,
                created_at=alert.at,
                note="",
            )
        )

    def get(self, alert_id: str, *, lock: bool = False) -> PayoutAlert | None:
        """Return one alert, row-locked when asked."""
        query = select(PayoutAlertRow).where(PayoutAlertRow.id == alert_id)
        row = self.s.scalar(query.with_for_update() if lock else query)
        return None if row is None else _alert(row)

    def resolve(self, alert: PayoutAlert) -> None:
        """Store finance's resolution of an open alert; one already resolved is left as it was."""
        self.s.execute(
            update(PayoutAlertRow)
            .where(PayoutAlertRow.id == alert.id, PayoutAlertRow.resolved_at.is_(None))
            .values(
                resolved_at=alert.resolved_at,
                resolved_by=alert.resolved_by,
                outcome=alert.outcome.value if alert.outcome else None,
                note=alert.note,
            )
        )

    def open(self, limit: int = 100) -> list[PayoutAlert]:
        """Return the alerts no one has resolved yet, newest first."""
        query = (
            select(PayoutAlertRow)
            .where(PayoutAlertRow.resolved_at.is_(None))
            .order_by(PayoutAlertRow.created_at.desc(), PayoutAlertRow.id.desc())
            .limit(limit)
        )
        return [_alert(r) for r in self.s.scalars(query)]

    def for_payout(self, payout_id: PayoutId) -> list[PayoutAlert]:
        """Return every alert about one payout, oldest first."""
        query = (
            select(PayoutAlertRow)
            .where(PayoutAlertRow.payout_id == payout_id)
            .order_by(PayoutAlertRow.created_at, PayoutAlertRow.id)
        )
        return [_alert(r) for r in self.s.scalars(query)]

    def disputed(self, payout_ids: Sequence[PayoutId]) -> frozenset[PayoutId]:
        """Return which of these payouts an open alert disputes (their outcome is unknown)."""
        if not payout_ids:
            return frozenset()
        query = select(PayoutAlertRow.payout_id).where(
            PayoutAlertRow.payout_id.in_(list(payout_ids)),
            PayoutAlertRow.resolved_at.is_(None),
            PayoutAlertRow.kind.in_([k.value for k in DISPUTING]),
        )
        return frozenset(PayoutId(i) for i in self.s.scalars(query))


def _alert(row: PayoutAlertRow) -> PayoutAlert:
    return PayoutAlert(
        payout_id=PayoutId(row.payout_id),
        provider=row.provider,
        kind=AlertKind(row.kind),
        detail=row.detail,
        at=row.created_at,
        id=row.id,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        outcome=AlertOutcome(row.outcome) if row.outcome else None,
        note=row.note or "",
    )


class SqlEvidenceRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, record: EvidenceRecord) -> None:
        """Store an evidence record."""
        self.s.add(
            EvidenceRow(
                id=record.id,
                owner_id=record.owner_id,
                sha256=record.sha256,
                content_type=record.content_type,
                size=record.size,
                width=record.width,
                height=record.height,
                kind=None if record.kind is None else record.kind.value,
                case_id=record.case_id,
                created_at=record.created_at,
            )
        )
        self.s.flush()

    def get(self, evidence_id: EvidenceId) -> EvidenceRecord | None:
        """Return an evidence record."""
        row = self.s.get(EvidenceRow, evidence_id)
        return None if row is None else mapping.evidence_from_row(row)

    def attach(self, evidence_ids: Sequence[EvidenceId], case_id: CaseId) -> None:
        """Link evidence to the case it backs; a file gone meanwhile (cleaned up as unused) is ``NotFound``."""
        if evidence_ids:
            result = self.s.execute(update(EvidenceRow).where(EvidenceRow.id.in_(evidence_ids)).values(case_id=case_id))
            if result.rowcount != len(set(evidence_ids)):  # type: ignore[attr-defined]
                raise NotFound("an evidence file of this claim no longer exists; upload it again")

    def unused(self, created_before: datetime, limit: int) -> list[EvidenceRecord]:
        """Return uploads that back no case and are older than ``created_before``."""
        query = (
            select(EvidenceRow)
            .where(EvidenceRow.case_id.is_(None), EvidenceRow.created_at < created_before)
            .order_by(EvidenceRow.created_at)
            .limit(limit)
        )
        return [mapping.evidence_from_row(r) for r in self.s.scalars(query)]

    def delete_unused(self, evidence_ids: Sequence[EvidenceId]) -> int:
        """Delete these records if they still back no case; return how many went."""
        if not evidence_ids:
            return 0
        result = self.s.execute(
            delete(EvidenceRow).where(EvidenceRow.id.in_(list(evidence_ids)), EvidenceRow.case_id.is_(None))
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def uses_file(self, sha256: str) -> bool:
        """Tell whether any record still names the stored file."""
        return self.s.scalar(select(EvidenceRow.id).where(EvidenceRow.sha256 == sha256).limit(1)) is not None

    def backing_other_cases(self, sha256s: Sequence[str], case_id: CaseId) -> list[tuple[str, CaseId]]:
        """Return (sha256, case id) for the same files backing other cases."""
        if not sha256s:
            return []
        query = (
            select(EvidenceRow.sha256, EvidenceRow.case_id)
            .where(
                EvidenceRow.sha256.in_(list(sha256s)), EvidenceRow.case_id.is_not(None), EvidenceRow.case_id != case_id
            )
            .order_by(EvidenceRow.case_id)
        )
        return [(sha, CaseId(str(other))) for sha, other in self.s.execute(query)]

    def for_case(self, case_id: CaseId) -> list[EvidenceRecord]:
        """Return the evidence of a case."""
        return [mapping.evidence_from_row(r) for r in self.s.scalars(_CASE_EVIDENCE, {"case_id": case_id})]


class SqlPolicyRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def latest_version(self) -> int | None:
        """Return the newest published version."""
        version = raw_for(self.s).records(_LATEST_POLICY, {})[0]["version"]
        return None if version is None else int(version)

    def get(self, version: int) -> dict[str, Any] | None:
        """Return the document of a version."""
        row = self.s.get(PolicyRow, version)
        return None if row is None else row.document

    def published_at(self, version: int) -> datetime | None:
        """Return when a version was published."""
        return self.s.scalar(select(PolicyRow.published_at).where(PolicyRow.version == version))

    def add(self, version: int, title: str, document: dict[str, Any], by: str, at: datetime) -> None:
        """Publish a version."""
        self.s.add(PolicyRow(version=version, title=title, document=document, published_by=by, published_at=at))
        self.s.flush()


class SqlFindingRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: CaseId, findings: Sequence[Finding]) -> None:
        """Record what the machine found."""
        for f in findings:
            self.s.add(
                FindingRow(
                    case_id=case_id,
                    kind=f.kind.value,
                    subject=f.subject,
                    facts=dict(f.facts),
                    codes=list(f.codes),
                    at=f.at,
                )
            )
        self.s.flush()

    def for_case(self, case_id: CaseId) -> list[Finding]:
        """Return a case's findings, oldest first."""
        rows = self.s.scalars(select(FindingRow).where(FindingRow.case_id == case_id).order_by(FindingRow.id))
        return [Finding(FindingKind(r.kind), r.subject, r.at, dict(r.facts), tuple(r.codes)) for r in rows]


class SqlMarkRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: CaseId, marked: Sequence[tuple[EvidenceRecord, Marks]]) -> None:
        """Keep each file's marks and its hash's bands."""
        for record, found in marked:
            self.s.add(
                MarkRow(
                    evidence_id=record.id,
                    case_id=case_id,
                    sha256=record.sha256,
                    phash=found.phash,
                    software=found.software,
                )
            )
        self.s.flush()
        for record, found in marked:
            for band, value in enumerate(bands(found.phash)):
                self.s.add(BandRow(evidence_id=record.id, band=band, value=value))
        self.s.flush()

    def marked(self, case_id: CaseId) -> set[EvidenceId]:
        """Return the ids of a case's files that already have marks."""
        return {EvidenceId(e) for e in self.s.scalars(select(MarkRow.evidence_id).where(MarkRow.case_id == case_id))}

    def near(self, phash: str, case_id: CaseId) -> list[tuple[EvidenceId, CaseId, str, str]]:
        """Return (evidence id, case id, sha256, phash) of other cases' files sharing a band with ``phash``."""
        shared = [and_(BandRow.band == band, BandRow.value == value) for band, value in enumerate(bands(phash))]
        query = (
            select(MarkRow.evidence_id, MarkRow.case_id, MarkRow.sha256, MarkRow.phash)
            .where(MarkRow.case_id != case_id, MarkRow.evidence_id.in_(select(BandRow.evidence_id).where(or_(*shared))))
            .order_by(MarkRow.evidence_id)
        )
        return [(EvidenceId(e), CaseId(c), sha, ph) for e, c, sha, ph in self.s.execute(query)]


class SqlReadRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, case_id: CaseId, reads: Sequence[EvidenceRead]) -> None:
        """Keep what OCR read from each piece of evidence."""
        for r in reads:
            self.s.add(
                ReadRow(
                    case_id=case_id,
                    evidence_id=r.evidence_id,
                    engine=r.engine,
                    lines=[[text, list(box), confidence] for text, box, confidence in r.lines],
                    fields={k: list(v) for k, v in r.fields.items()},
                    matches=[dict(m) for m in r.matches],
                    codes=list(r.codes),
                    at=r.at,
                )
            )
        self.s.flush()

    def for_case(self, case_id: CaseId) -> list[EvidenceRead]:
        """Return the reads of a case's evidence, in the order they were made."""
        rows = self.s.scalars(select(ReadRow).where(ReadRow.case_id == case_id).order_by(ReadRow.id))
        return [
            EvidenceRead(
                evidence_id=EvidenceId(r.evidence_id),
                engine=r.engine,
                lines=tuple((str(t), (int(b[0]), int(b[1]), int(b[2]), int(b[3])), float(c)) for t, b, c in r.lines),
                fields={k: tuple(v) for k, v in r.fields.items()},
                matches=tuple(r.matches),
                codes=tuple(r.codes),
                at=r.at,
            )
            for r in rows
        ]

    def cases(self, after: str | None, limit: int) -> list[CaseId]:
        """Return the ids of the cases that have reads, in order, the first ``limit`` after ``after``."""
        query = select(ReadRow.case_id).distinct().order_by(ReadRow.case_id).limit(limit)
        if after is not None:
            query = query.where(ReadRow.case_id > after)
        return [CaseId(c) for c in self.s.scalars(query)]

    def replace(self, read: EvidenceRead) -> None:
        """Store a read's lines, fields and matches again, masked anew; what was read, by what and when stays."""
        self.s.execute(
            update(ReadRow)
            .where(ReadRow.evidence_id == read.evidence_id)
            .values(
                lines=[[text, list(box), confidence] for text, box, confidence in read.lines],
                fields={k: list(v) for k, v in read.fields.items()},
                matches=[dict(m) for m in read.matches],
            )
        )
