"""Mask the screenshot reads already stored again, with each order's own card keys.

Reads kept before keys were masked in every spelling may show one in clear. Migration 0009
masks what is shaped like a key, but only here, with the cipher, can an order's own keys be
found in the spellings no shape gives away (``hn4k m8vb 2cx7 lp9d``, pieces of a wrapped key).
``tuika migrate`` (and every start that migrates) runs this once right after 0009;
``tuika remask-reads`` runs it on demand. Running it again changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from tuika.domain.orders import Order
from tuika.review.reading import EvidenceRead, remask
from tuika.services.context import Context
from tuika.services.orders.keys import card_key

log = logging.getLogger(__name__)

# Cases per transaction: each holds its reads and its order's keys in memory meanwhile.
PAGE = 100


def remask_reads(ctx: Context, *, page: int = PAGE) -> int:
    """Mask every stored read again with its order's card keys and the shape net; return how many changed."""
    changed = 0
    after: str | None = None
    while True:
        with ctx.uow() as uow:
            case_ids = uow.reads.cases(after, page)
            for case_id in case_ids:
                case = uow.cases.get(case_id)
                order = None if case is None else uow.orders.get(case.order_id)
                keys = [] if order is None else _keys(ctx, order)
                for read in uow.reads.for_case(case_id):
                    again = remask(read, keys)
                    if _stored(again) != _stored(read):
                        uow.reads.replace(again)
                        changed += 1
            uow.commit()
        if len(case_ids) < page:
            return changed
        after = case_ids[-1]


def _keys(ctx: Context, order: Order) -> list[str]:
    keys = []
    for item in order.items:
        if item.secret is None:
            continue
        try:
            keys.append(card_key(ctx, order, item))
        except Exception as exc:  # the cipher's own error: a key id no longer configured, a damaged token
            # The shape net still masks this item's key where it has a key's shape.
            log.warning("card key of %s/%s could not be opened to mask reads: %s", order.id, item.id, exc)
    return keys


def _stored(read: EvidenceRead) -> tuple[Any, ...]:
    # As the row holds it: lists, not tuples, so a read compares equal to itself stored.
    return (
        [[text, list(box), confidence] for text, box, confidence in read.lines],
        {k: list(v) for k, v in read.fields.items()},
        [dict(m) for m in read.matches],
    )
