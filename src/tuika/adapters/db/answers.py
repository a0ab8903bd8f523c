"""The supplier's recent answers, by order and item: a pre-check asks, the review reuses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tuika.adapters.db.tables import AnswerRow
from tuika.domain.ids import OrderId
from tuika.domain.supplier import Asked, CardAnswer, CardState, TopupAnswer, TopupState

# The supplier's free text (who redeemed, the carrier's reference) as far as the column holds it.
_DETAIL = 128


class SqlAnswerRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, order_id: OrderId, answers: Sequence[Asked]) -> None:
        """Keep answers just given; older ones stay until the sweep, and the newest is read."""
        for a in answers:
            if a.card is not None:
                kind, state, at, detail = "card", a.card.state.value, a.card.redeemed_at, a.card.redeemed_by
            elif a.topup is not None:
                kind, state, at, detail = "topup", a.topup.state.value, a.topup.at, a.topup.carrier_ref
            else:
                continue
            self.s.add(
                AnswerRow(
                    order_id=order_id,
                    item_id=a.item_id,
                    kind=kind,
                    state=state,
                    happened_at=at,
                    detail=None if detail is None else detail[:_DETAIL],
                    asked_at=a.at,
                )
            )
        self.s.flush()

    def since(self, order_id: OrderId, since: datetime) -> list[Asked]:
        """Return the newest answer per item and kind given at or after ``since``."""
        rows = self.s.scalars(
            select(AnswerRow)
            .where(AnswerRow.order_id == order_id, AnswerRow.asked_at >= since)
            .order_by(AnswerRow.asked_at.desc(), AnswerRow.id.desc())
        )
        newest: dict[tuple[str, str], Asked] = {}
        for r in rows:
            if (r.item_id, r.kind) in newest:
                continue
            if r.kind == "card":
                card = CardAnswer(CardState(r.state), r.happened_at, r.detail)
                newest[r.item_id, r.kind] = Asked(r.item_id, r.asked_at, card=card)
            else:
                topup = TopupAnswer(TopupState(r.state), r.detail, r.happened_at)
                newest[r.item_id, r.kind] = Asked(r.item_id, r.asked_at, topup=topup)
        return list(newest.values())

    def delete_before(self, before: datetime, limit: int) -> int:
        """Delete up to ``limit`` answers asked before ``before``; return how many went."""
        old = list(
            self.s.scalars(select(AnswerRow.id).where(AnswerRow.asked_at < before).order_by(AnswerRow.id).limit(limit))
        )
        if not old:
            return 0
        self.s.execute(delete(AnswerRow).where(AnswerRow.id.in_(old)))
        return len(old)
