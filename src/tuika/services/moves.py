"""Moving a case: the transition, its timeline event and the compare-and-set save, in one step."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from tuika.domain.cases import Case, CaseStatus, Role
from tuika.services.context import Actor
from tuika.services.ports import UnitOfWork


def move_case(
    uow: UnitOfWork,
    case: Case,
    to: CaseStatus,
    *,
    at: datetime,
    actor: Actor,
    codes: tuple[str, ...] = (),
    note: str = "",
    due: datetime | None = None,
) -> Case:
    """Move ``case`` to ``to`` and store it only if it is still in its current status."""
    moved, event = case.move(to, at=at, actor=actor.subject, role=actor.role, reason_codes=codes, note=note, due_at=due)
    if actor.role is not Role.SYSTEM and to in (CaseStatus.APPROVED, CaseStatus.REJECTED):
        moved = replace(moved, decided_by=actor.subject)
    uow.cases.save(moved, case.status, event)
    return moved
