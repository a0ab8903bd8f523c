"""Evidence uploads: validated and stored by content, then recorded for their owner."""

from __future__ import annotations

from tuika.domain.cases import Role
from tuika.domain.errors import NotFound
from tuika.domain.ids import new_id
from tuika.domain.policy import EvidenceKind
from tuika.services.context import Actor, Context
from tuika.services.ports import EvidenceRecord


def upload(ctx: Context, actor: Actor, data: bytes, kind: EvidenceKind | None) -> EvidenceRecord:
    """Store an uploaded screenshot; the store refuses anything but a sane image first."""
    actor.require(Role.BUYER)
    stored = ctx.files.save(data)
    record = EvidenceRecord(
        id=new_id("ev"),
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


def get(ctx: Context, actor: Actor, evidence_id: str) -> tuple[EvidenceRecord, bytes]:
    """Return an evidence record and its bytes, to its owner or staff."""
    with ctx.read() as uow:
        record = uow.evidence.get(evidence_id)
    if record is None or not actor.owns(record.owner_id):
        raise NotFound(f"evidence {evidence_id} not found")
    return record, ctx.files.open(record.sha256)
