"""Read a case's screenshots with OCR, outside any transaction, and say what contradicts the order.

The OCR engine is slow, so this runs in the worker between the review's two transactions.
Truth comes from records, not pixels: a value read that names another order, or no order,
sends the claim to a person; nothing read here ever rejects one.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from tuika.domain.ids import EvidenceId, OrderId
from tuika.domain.orders import Order
from tuika.review.accountmask import hide_accounts
from tuika.review.fields import Fields, extract
from tuika.review.forensics import Marks, marks
from tuika.review.matching import FieldMatch, corrections, doubted, match, settles
from tuika.review.ocr import OcrError, OcrText
from tuika.review.reading import EvidenceRead, build_read
from tuika.services.context import Context
from tuika.services.orders.keys import account, card_key, orders_holding_key
from tuika.services.ports import EvidenceRecord, UnitOfWork

log = logging.getLogger(__name__)

# Codes a read may carry that only explain; every other code is a doubt for a person.
INFORMATIVE = frozenset({"ocr_matches_order"})


@dataclass(frozen=True, slots=True)
class Examined:
    """What the worker saw in a case's new evidence: OCR reads and image marks."""

    reads: list[EvidenceRead] = field(default_factory=list)
    marked: list[tuple[EvidenceRecord, Marks]] = field(default_factory=list)


def examine(ctx: Context, order: Order, records: Sequence[EvidenceRecord], done: set[EvidenceId]) -> Examined:
    """Mark and read each file not examined before; an image the engine cannot read is a read with a doubt."""
    ocr = ctx.ocr
    keys = {item.id: card_key(ctx, order, item) for item in order.items if item.secret is not None}
    # Only to mask them in what is kept of a read: a carrier's record shows the number topped up.
    accounts = [account(ctx, order, item) for item in order.items if item.account_enc] if ocr else []
    seen = Examined()
    for record in records:
        if record.id in done:
            continue
        data = ctx.files.open(record.sha256)
        try:
            seen.marked.append((record, marks(data)))
        except (OSError, ValueError) as exc:
            log.warning("evidence %s could not be marked: %s", record.id, exc)
        if ocr is None:
            continue
        first = _quick_read(ctx, order, keys, data)
        if first is not None:
            engine, (text, fields, matches, codes) = first
        else:
            try:
                text = ocr.read(data)
            except OcrError as exc:
                log.warning("evidence %s could not be read: %s", record.id, exc)
                unreadable = ("evidence_unreadable",)
                seen.reads.append(
                    build_read(record.id, ocr.engine, OcrText(()), Fields(), (), unreadable, ctx.clock.now())
                )
                continue
            engine, (text, fields, matches, codes) = ocr.engine, _judged(ctx, order, keys, text)
        read = build_read(record.id, engine, text, fields, matches, codes, ctx.clock.now(), list(keys.values()))
        # The numbers the extractor found may be wrapped over two lines, which no shape sees.
        seen.reads.append(hide_accounts(read, [*accounts, *fields.phones]))
    return seen


_Judged = tuple[OcrText, Fields, tuple[FieldMatch, ...], tuple[str, ...]]


def _judged(ctx: Context, order: Order, keys: dict[str, str], text: OcrText) -> _Judged:
    fields = extract(text)
    matches = match(fields, order, keys, text)
    with ctx.read() as uow:
        codes = judge_read(ctx, uow, order, fields, matches)
    return text, fields, matches, codes


def _quick_read(ctx: Context, order: Order, keys: dict[str, str], data: bytes) -> tuple[str, _Judged] | None:
    """Return the quick engine's read if it settles the screenshot, else None (the thorough one reads)."""
    quick = ctx.quick_ocr
    if quick is None:
        return None
    try:
        judged = _judged(ctx, order, keys, quick.read(data))
    except OcrError:
        return None  # the thorough engine tries, and says so if it cannot either
    _, _, matches, codes = judged
    # The number may have been taken within the tolerance: judge_read has checked the orders
    # around it, and anything it found against the read sends it on.
    return (quick.engine, judged) if settles(matches) and codes == ("ocr_matches_order",) else None


# How far from this order's number another order is looked for when a number read is taken as
# this one's with corrections: those that share all but this many last characters with it, which
# is where a platform numbering its orders in sequence puts the orders placed around it.
NEIGHBOURS_DIFFER_IN: Final = 6
NEIGHBOURS_LOOKED_AT: Final = 500


def judge_read(
    ctx: Context, uow: UnitOfWork, order: Order, fields: Fields, matches: Sequence[FieldMatch]
) -> tuple[str, ...]:
    """Return what a screenshot's fields say about the claim, looking up values that name no field of this order."""
    codes: list[str] = []
    doubts = doubted(matches)
    numbers = [m for m in matches if m.field == "order_number"]
    others = [uow.orders.get(OrderId(m.read)) for m in numbers if not m.matches]
    if any(m.matches and m.corrections and _nearer_order(uow, order, m) for m in numbers):
        # Read as this order's only thanks to the tolerance, and as close to another order's:
        # that other order is what the screenshot shows.
        codes.append("evidence_names_other_order")
    elif any(other is not None and other.id != order.id for other in others) and not any(m.matches for m in numbers):
        codes.append("evidence_names_other_order")
    elif "order_number" in doubts:
        codes.append("ocr_contradicts_order")
    if "card_key" in doubts:
        holders = [h for m in matches if m.field == "card_key" for h in orders_holding_key(ctx, uow, m.read)]
        named = any(h[0] != order.id for h in holders)
        codes.append("evidence_names_other_order" if named else "ocr_contradicts_order")
    # Every amount on an error or order screen should be this order's (paid, per item, face
    # value); one that is none of them is the classic edit, so a person looks. (Even beside one
    # that matches: a product title's face value, 腾讯Q币 100元, would otherwise vouch for an
    # edited price.)
    if "amount" in doubts:
        codes.append("ocr_contradicts_order")
    if "time" in doubts:
        codes.append("screenshot_time_before_payment")
    # Any time after the payment agrees with the order, but only one near it points to this order.
    if not codes and any(m.matches and m.code != "time_after_payment" for m in matches):
        codes.append("ocr_matches_order")
    return tuple(dict.fromkeys(codes))


def _nearer_order(uow: UnitOfWork, order: Order, m: FieldMatch) -> bool:
    """Tell whether another order we hold is at least as close to what was read as this one is."""
    if uow.orders.get(OrderId(m.read)) is not None and m.read != order.id:
        return True
    expected = m.expected or order.id
    if expected != order.id:
        return False  # the trade number: the gateway's, not one of our order numbers
    stem = order.id[: max(1, len(order.id) - NEIGHBOURS_DIFFER_IN)]
    # The ids that start with the stem, as a range of the primary key's index.
    around = uow.orders.ids_between(stem, stem[:-1] + chr(ord(stem[-1]) + 1), NEIGHBOURS_LOOKED_AT)
    for other in around:
        if other == order.id:
            continue
        apart = corrections(m.read, other)
        if apart is not None and apart <= m.corrections:
            return True
    return False
