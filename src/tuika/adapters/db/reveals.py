"""The card keys revealed to their buyers, by order: appended, read oldest first. They never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tuika.adapters.db.tables import KeyRevealRow
from tuika.domain.ids import OrderId
from tuika.domain.reveals import Channel, Reveal


class SqlRevealRepository:
    def __init__(self, session: Session) -> None:
        self.s = session

    def add(self, reveal: Reveal) -> None:
        """Keep one reveal; flushed now, so the commit that follows has written it."""
        self.s.add(
            KeyRevealRow(
                order_id=reveal.order_id,
                item_id=reveal.item_id,
                buyer_id=reveal.buyer_id,
                at=reveal.at,
                channel=reveal.channel.value,
                session=reveal.session,
                ip=reveal.ip,
                user_agent=reveal.user_agent,
            )
        )
        self.s.flush()

    def for_order(self, order_id: OrderId) -> list[Reveal]:
        """Return every reveal of the order's keys, oldest first."""
        rows = self.s.scalars(
            select(KeyRevealRow).where(KeyRevealRow.order_id == order_id).order_by(KeyRevealRow.at, KeyRevealRow.id)
        )
        return [
            Reveal(OrderId(r.order_id), r.item_id, r.at, r.buyer_id, Channel(r.channel), r.session, r.ip, r.user_agent)
            for r in rows
        ]

    def first_seen(self, order_ids: Sequence[OrderId]) -> dict[tuple[OrderId, str], datetime]:
        """Return (order id, item id) → when that key was first revealed, for the keys ever revealed."""
        if not order_ids:
            return {}
        query = (
            select(KeyRevealRow.order_id, KeyRevealRow.item_id, func.min(KeyRevealRow.at))
            .where(KeyRevealRow.order_id.in_(order_ids))
            .group_by(KeyRevealRow.order_id, KeyRevealRow.item_id)
        )
        return {(OrderId(order_id), item_id): at for order_id, item_id, at in self.s.execute(query)}
