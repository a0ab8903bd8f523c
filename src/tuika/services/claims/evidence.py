"""Evidence uploads: validated and stored by content, then recorded for their owner."""

from __future__ import annotations

from datetime import timedelta

from tuika.domain.cases import Role
from tuika.domain.errors import Conflict, InvalidInput, NotFound
from tuika.domain.ids import EvidenceId, new_id
from tuika.domain.policy import EvidenceKind
from tuika.services.context import Actor, Context
from tuika.services.ports import EvidenceRecord, UnitOfWork


def upload(ctx: Context, actor: Actor, data: bytes, kind: EvidenceKind | None) -> EvidenceRecord:
    """Store an uploaded screenshot, a buyer's for a claim or a merchant's for its answer; the store
    refuses anything but a sane image first."""
    actor.require(Role.BUYER, Role.MERCHANT)
    stored = ctx.files.save(data)
    record = EvidenceRecord(
        id=EvidenceId(new_id("ev")),
        owner_id=actor.subject,
        sha256=stored.sha256,
        content_type=stored.content_type,
        size=stored.size,
        width=stored.width,
        height=stored.height,
        kind=kind,
        case_id=None,
        created_at=ctx.clock.now(),
    )
    with ctx.uow() as uow:
        uow.evidence.add(record)
        uow.commit()
    return record


def get(ctx: Context, actor: Actor, evidence_id: EvidenceId) -> tuple[EvidenceRecord, bytes]:
    """Return an evidence record and its bytes, to its owner, staff, or a party to the claim it backs.

    The parties are the claim's buyer and the merchant it is against: each reads the files the
    other gave (the buyer's screenshots, the merchant's proof of delivery).
    """
    with ctx.read() as uow:
        record = uow.evidence.get(evidence_id)
        seen = record is not None and (actor.owns(record.owner_id) or _party_to(uow, actor, record))
    if record is None or not seen:
        raise NotFound(f"evidence {evidence_id} not found")
    return record, ctx.files.open(record.sha256)


def unattached_of(uow: UnitOfWork, actor: Actor, evidence_ids: tuple[EvidenceId, ...]) -> list[EvidenceRecord]:
    """Return the actor's own uploads named, each backing no case yet; else refuse them all."""
    if len(set(evidence_ids)) != len(evidence_ids):
        raise InvalidInput("evidence_ids lists a file twice")
    records = []
    for evidence_id in evidence_ids:
        record = uow.evidence.get(evidence_id)
        if record is None or record.owner_id != actor.subject:
            raise NotFound(f"evidence {evidence_id} not found")
        if record.case_id is not None:
            raise Conflict(f"evidence {evidence_id} already backs case {record.case_id}")
        records.append(record)
    return records


def _party_to(uow: UnitOfWork, actor: Actor, record: EvidenceRecord) -> bool:
    """Tell whether the actor is the buyer of the claim this evidence backs, or the merchant it is against."""
    if actor.role not in (Role.BUYER, Role.MERCHANT) or record.case_id is None:
        return False
    case = uow.cases.get(record.case_id)
    if case is None:
        return False
    if actor.role is Role.BUYER:
        return case.buyer_id == actor.subject
    order = uow.orders.get(case.order_id)
    return order is not None and order.merchant_id == actor.subject


def forget_unused(ctx: Context, older_than: timedelta, limit: int = 200) -> int:
    """Delete uploads that back no claim after ``older_than``, and their files once nothing names them.

    A buyer who uploads and never files leaves screenshots of their orders behind; keeping them
    serves nobody. A file is removed only if no record names it and it was not saved again
    within ``older_than``: an upload of the same picture a moment ago keeps it.
    """
    cutoff = ctx.clock.now() - older_than
    with ctx.uow() as uow:
        stale = uow.evidence.unused(cutoff, limit)
        gone = uow.evidence.delete_unused([r.id for r in stale])
        uow.commit()
    for sha256 in {r.sha256 for r in stale}:
        with ctx.read() as uow:
            named = uow.evidence.uses_file(sha256)
        if not named:
            ctx.files.remove_if_older(sha256, cutoff)
    return gone
