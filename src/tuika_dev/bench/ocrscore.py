"""How one corpus screenshot was read: each field found, matched against the order, or doubted.

The review reads a screenshot as ``services/review/reading.examine`` does: the field reader
(``tuika.review.fields.extract``) on the OCR text, then the matching
(``tuika.review.matching.match``) against the order the claim is about. A field drawn on the
screenshot is

- **found** when the reader filed the drawn value under that field (OCR's look-alikes forgiven
  as the matching forgives them; an amount to the fen, a time to the second; for a card sold
  as 卡号 and 密码, either part);
- **matched** when the matching set that value against the order and agreed (a time agrees when
  it is not before the payment, as the review counts it);
- **doubted** when the reads of that field make the review doubt the claim, as
  ``reading.judge_read`` does: order numbers read and none is this order's (or its payment's),
  card keys read and none is the order's, an amount that is none of the order's, a time before
  the payment.

A field is **right** when found, matched and not doubted. A screenshot is right when every
field drawn on it is, and no read raises a doubt of any kind.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tuika.domain.ids import OrderId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.review.fields import Fields, extract
from tuika.review.matching import FieldMatch, canonical, match, same_reading
from tuika.review.matching import doubted as doubted_fields
from tuika.review.ocr import OcrText
from tuika_dev.bench.ocrcorpus import Purchase, Sample, Truth
from tuika_dev.bench.ocrcorpus.values import beijing, yuan

FIELDS: Final = ("order_number", "trade_number", "amount", "card_key", "time", "error_code", "error_text")
# The matching field whose reads can raise a doubt about each drawn field.
_DOUBTED_AS: Final = {
    "order_number": "order_number",
    "trade_number": "order_number",
    "amount": "amount",
    "card_key": "card_key",
    "time": "time",
}
ITEM: Final = "oi_ocr_1"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One drawn field: found, matched, doubted; and whether OCR's text held it at all."""

    found: bool
    matched: bool
    doubted: bool
    in_text: bool

    @property
    def right(self) -> bool:
        """Return whether the review got this field right: found, matched, not doubted."""
        return self.found and self.matched and not self.doubted

    def why(self) -> str:
        """Return the failure in a few words, telling OCR's misreads from the reader's."""
        if self.right:
            return "right"
        if not self.found:
            return "not found, though in the OCR text" if self.in_text else "not found: OCR misread or lost it"
        if not self.matched:
            return "found, not matched"
        return "found and matched, but other reads doubted"


@dataclass(frozen=True, slots=True)
class Scored:
    """A screenshot's reading: the verdict for each drawn field and the doubts raised."""

    verdicts: dict[str, Verdict]
    doubts: frozenset[str]  # matching fields whose reads raised a doubt
    fields: Fields
    matches: tuple[FieldMatch, ...]

    @property
    def right(self) -> bool:
        """Return whether every drawn field is right and nothing raised a doubt."""
        return all(v.right for v in self.verdicts.values()) and not self.doubts

    def stray_doubts(self) -> frozenset[str]:
        """Return the doubts raised by reads of fields the screenshot does not show."""
        shown = {_DOUBTED_AS[name] for name in self.verdicts if name in _DOUBTED_AS}
        return self.doubts - shown


def expected_order(p: Purchase) -> tuple[Order, dict[str, str]]:
    """Return the order the claim is about, as the review knows it, and its card key by item."""
    order = Order(
        id=OrderId(p.order_number),
        buyer_id="buyer_ocr",
        merchant_id="m_ocr",
        supplier_id="sup_ocr",
        sku="card-100",
        product_kind=ProductKind.CARD_KEY,
        items=(OrderItem(id=ITEM, secret="sealed"),),
        amount=Money(p.paid_fen),
        payment_route=PaymentRoute(p.route),
        transaction_id=p.trade_number,
        paid_at=p.paid_at,
        delivery_status=DeliveryStatus.DELIVERED,
        delivered_at=p.delivered_at,
        face_value=Money(p.face_fen),
        title=p.product,
    )
    return order, {ITEM: p.key.stored}


def review_read(text: OcrText, order: Order, keys: dict[str, str]) -> tuple[Fields, tuple[FieldMatch, ...]]:
    """Read fields from the OCR text and match them against the order, as the machine review does."""
    fields = extract(text)
    # The review passes the whole text too: it searches it for this order's own numbers and keys.
    return fields, match(fields, order, keys, text)


def score(sample: Sample, text: OcrText, fields: Fields, matches: Sequence[FieldMatch]) -> Scored:
    """Return the verdicts for the fields drawn on ``sample`` given what was read."""
    doubts: frozenset[str] = doubted_fields(matches)
    verdicts = {}
    truth = sample.truth
    for name in FIELDS:
        drawn = _drawn(truth, name)
        if drawn is None:
            continue
        found = _found(name, truth, fields) or _searched(name, truth, matches)
        matched = found and _matched(name, truth, matches)
        doubted = name in _DOUBTED_AS and _DOUBTED_AS[name] in doubts
        verdicts[name] = Verdict(found, matched, doubted, _in_text(name, truth, text.text))
    return Scored(verdicts, doubts, fields, tuple(matches))


def describe(name: str, sample: Sample, scored: Scored, text: OcrText) -> dict[str, object]:
    """Return one failure as the next engineer needs it: what was drawn, what OCR and the reader made of it."""
    drawn = _drawn(sample.truth, name)
    # An error is labelled by its meaning; what OCR saw is its wording.
    worded = sample.truth.error_phrase if name == "error_text" else drawn
    verdict = scored.verdicts[name]
    return {
        "sample": sample.name,
        "field": name,
        "why": verdict.why(),
        "drawn": f"{drawn} ({worded})" if worded != drawn else drawn,
        "read": _read(name, scored.fields),
        "closest_ocr_line": _closest_line(str(worded), text),
        "doubts": sorted(scored.doubts),
        "note": sample.truth.note,
    }


def _drawn(truth: Truth, name: str) -> str | None:
    value: object = getattr(truth, "amount_fen" if name == "amount" else name)
    if value is None:
        return None
    if name == "amount" and isinstance(value, int):
        return yuan(value)
    if name == "time" and truth.time is not None:
        return f"{beijing(truth.time):%Y-%m-%d %H:%M:%S}"
    return str(value)


def _found(name: str, truth: Truth, fields: Fields) -> bool:
    if name in ("order_number", "trade_number"):
        return any(same_reading(read, str(getattr(truth, name))) for read in fields.order_numbers)
    if name == "card_key":
        return any(same_reading(read, part) for read in fields.card_keys for part in _key_parts(truth))
    if name == "amount":
        return truth.amount_fen is not None and Money(truth.amount_fen) in fields.amounts
    if name == "time":
        return truth.time in fields.times
    if name == "error_code":
        return any(same_reading(read, str(truth.error_code)) for read in fields.error_codes)
    return any(key == truth.error_text for key, _ in fields.error_texts)


def _searched(name: str, truth: Truth, matches: Sequence[FieldMatch]) -> bool:
    """Tell whether the matching found the value in the text where no field rule filed it."""
    if name in ("order_number", "trade_number"):
        return any(m.field == "order_number" and m.matches and m.expected == getattr(truth, name) for m in matches)
    if name == "card_key":
        return _matched(name, truth, matches)
    return False


def _matched(name: str, truth: Truth, matches: Sequence[FieldMatch]) -> bool:
    if name == "card_key":
        parts = _key_parts(truth)
        return any(m.field == "card_key" and m.matches and any(same_reading(m.read, p) for p in parts) for m in matches)
    if name in ("order_number", "trade_number"):
        wanted = str(getattr(truth, name))
        # Read with a few characters corrected on a long number is this order's, as the review says.
        return any(
            m.field == "order_number" and m.matches and (same_reading(m.read, wanted) or m.expected == wanted)
            for m in matches
        )
    if name == "amount" and truth.amount_fen is not None:
        return any(m.field == "amount" and m.matches and m.read == Money(truth.amount_fen).yuan() for m in matches)
    if name == "time" and truth.time is not None:
        at = truth.time.isoformat()
        return any(m.field == "time" and m.read == at and m.code != "time_before_payment" for m in matches)
    # Error codes and texts are not compared with the order: found is all there is.
    return True


def _key_parts(truth: Truth) -> tuple[str, ...]:
    # A card sold as 卡号 and 密码 is proven by either part read whole.
    return tuple(part for part in (truth.card_key, truth.card_number) if part)


def _in_text(name: str, truth: Truth, text: str) -> bool:
    flat = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if name == "time" and truth.time is not None:
        return f"{beijing(truth.time):%Y%m%d%H%M%S}" in re.sub(r"\D", "", flat)
    if name == "amount" and truth.amount_fen is not None:
        return yuan(truth.amount_fen) in flat
    if name == "error_text":
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", truth.error_phrase or "")) in flat
    if name == "card_key":
        return any(canonical(part) in canonical(flat) for part in _key_parts(truth))
    return canonical(str(_drawn(truth, name))) in canonical(flat)


def _read(name: str, fields: Fields) -> list[str]:
    if name in ("order_number", "trade_number"):
        return list(fields.order_numbers)
    if name == "card_key":
        return list(fields.card_keys)
    if name == "amount":
        return [m.yuan() for m in fields.amounts]
    if name == "time":
        return [f"{beijing(t):%Y-%m-%d %H:%M:%S}" for t in fields.times]
    if name == "error_code":
        return list(fields.error_codes)
    return [f"{key} ({phrase})" for key, phrase in fields.error_texts]


def _closest_line(drawn: str, text: OcrText) -> str:
    # The line sharing the longest run of characters with the drawn value: where OCR put it, if anywhere.
    def shared(line: str) -> int:
        return difflib.SequenceMatcher(None, drawn, line, autojunk=False).find_longest_match().size

    lines = [line.text for line in text.lines]
    return max(lines, key=shared) if lines else ""
