"""Comparison of the fields read from a screenshot with the order the claim is about.

OCR confuses a few shapes (O/0, I/1, l/1, S/5, B/8, Z/2); comparisons forgive those, case and
dashes or spaces. Beyond them, a long order number may differ in a few characters and
still be read as this order's: one in 12 to 19 characters, two from 20 (``tolerance``), reported
as found with that many corrections. Shorter numbers must agree exactly, since there a wrong
character is as likely a different number as a misread. Card keys always must: a key typed with
one character wrong is exactly what a redeem page calls invalid, and a refund for it would pay
for a key that works. So must the payment's trade number: a gateway numbers payments in
sequence, so the buyer's other payment of that minute is a character or two away, and which of
our orders holds it cannot be looked up. The review also searches the whole text for this
order's own numbers and keys, so a number on no label, in a shape no rule knows, is found.
What the tolerance could make of another order's number is the caller's to check against
the orders it holds (``services.review.reading``). Values are reported as read; the caller
masks card keys on output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from tuika.domain.masking import mask_card_key
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.review.fields import Fields
from tuika.review.ocr import OcrLine, OcrText

FieldName = Literal["order_number", "card_key", "amount", "time"]
MatchCode = Literal[
    "order_number_matches",  # the order's own id
    "order_number_is_transaction",  # the payment's trade number, shown as 订单号 on payment screens
    "order_number_differs",
    "card_key_matches",
    "card_key_not_in_order",
    "amount_matches_order",
    "amount_matches_item",  # one item's share of a multi-item order
    "amount_matches_face_value",
    # The tail of a number in the product's title, which wrapped: 充值卡1 / 20元. Not a price.
    "amount_in_title",
    "amount_differs",
    "time_near_paid_at",
    "time_near_delivered_at",
    "time_after_payment",  # later, not near payment or delivery: agrees, as a failed redemption is tried later
    "time_before_payment",  # a contradiction: the screenshot predates the purchase
]

TIME_TOLERANCE: Final = timedelta(minutes=10)
# The line confidence from which the engine is taken at its word: a clean read scores 0.9999,
# and a number it reads at 0.99 or more that still differs from ours by a character or two was
# drawn so (edited), not misread. Measured on the screenshot corpus (docs/performance.md).
SURE: Final = 0.99

_CONFUSIONS: Final = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})


@dataclass(frozen=True, slots=True)
class FieldMatch:
    """One value read from a screenshot, set against what the order says."""

    field: FieldName
    read: str
    expected: str | None
    matches: bool
    code: MatchCode
    item_id: str | None = None
    # Characters that differ from the expected value beyond the look-alikes; 0 where it agrees.
    corrections: int = 0


def canonical(value: str) -> str:
    """Return ``value`` as OCR comparisons see it: upper case, no dashes or spaces, look-alikes folded.

    >>> canonical("ord_demo_O16") == canonical("ORD_DEMO_016")
    True
    """
    return re.sub(r"[\s-]", "", value).upper().translate(_CONFUSIONS)


def same_reading(read: str, expected: str) -> bool:
    """Tell whether ``read`` is ``expected`` up to the OCR confusions ``canonical`` forgives."""
    return bool(expected) and canonical(read) == canonical(expected)


def tolerance(length: int) -> int:
    """Return how many characters a value this long may differ by, beyond look-alikes, and still be read as it.

    >>> tolerance(11), tolerance(12), tolerance(19), tolerance(20), tolerance(28)
    (0, 1, 1, 2, 2)
    """
    if length < 12:
        return 0
    return 1 if length < 20 else 2


def corrections(read: str, expected: str) -> int | None:
    """Return how many characters ``read`` differs from ``expected`` by within its tolerance, or None.

    >>> corrections("KM2026112O12345678901234", "KM2026112012345678901234")
    0
    >>> corrections("KM2026112012345678901284", "KM2026112012345678901234")
    1
    >>> corrections("ord_42", "ord_43") is None
    True
    """
    a, b = canonical(read), canonical(expected)
    if not a or not b:
        return None
    if a == b:
        return 0
    allowed = tolerance(len(b))
    if abs(len(a) - len(b)) > allowed:
        return None
    apart = _distance(a, b)
    return apart if apart <= allowed else None


def find(text: str, expected: str, *, exact: bool = False) -> tuple[str, int] | None:
    """Return where ``text`` shows ``expected`` (as written there) and with how many corrections, or None.

    The text's spaces, dashes and line breaks are passed over, so a number wrapped over two
    lines or grouped in fours is found; the closest place wins.

    >>> find("商家订单号\\nKM20261120 1234 5678 9012 34\\n交易成功", "KM2026112012345678901234")
    ('KM20261120 1234 5678 9012 34', 0)
    """
    target = canonical(expected)
    if not target:
        return None
    kept = [(i, c) for i, c in enumerate(text) if not (c.isspace() or c == "-")]
    folded = "".join(c for _, c in kept).upper().translate(_CONFUSIONS)
    best = _closest(folded, target, 0 if exact else tolerance(len(target)))
    if best is None:
        return None
    start, end, apart = best
    return text[kept[start][0] : kept[end - 1][0] + 1], apart


def match(
    fields: Fields, order: Order, card_keys: Mapping[str, str], text: OcrText | str = ""
) -> tuple[FieldMatch, ...]:
    """Return how each order number, card key, amount and time read compares with ``order``.

    ``card_keys`` maps item id to the item's plaintext card key; ``text`` is the whole text read,
    searched for this order's number, trade number and keys where no field rule found them. Given
    as the engine's lines, a number differing from this order's is forgiven only where the engine
    was unsure of what it read (``SURE``): a character it was sure of is no misread.
    """
    lines = text.lines if isinstance(text, OcrText) else None
    text = text.text if isinstance(text, OcrText) else text
    # A label after its value leaves the number under the line before's label (密码 then the order
    # number, then 订单编号): a "key" that is this order's own number is that number.
    own = [r for r in fields.card_keys if _is_own_number(r, order) and not _is_a_key(r, order, card_keys)]
    found = (
        *(_order_number(read, order) for read in (*fields.order_numbers, *own)),
        *(_card_key(read, order, card_keys) for read in fields.card_keys if read not in own),
    )
    numbers = (*found, *_searched(text, order, card_keys, found))
    if lines is not None:
        numbers = tuple(_unforgiven(m, order, lines) for m in numbers)
    return (
        *numbers,
        *(_amount(read, order) for read in fields.amounts),
        *(_time(read, order) for read in fields.times),
    )


def doubted(matches: Sequence[FieldMatch]) -> frozenset[FieldName]:
    """Return the fields whose reads contradict the order, as the review counts them.

    - order numbers read and none is this order's or its payment's, unless the screenshot shows
      this order's card key and every such number is unlike this order's (more than a third of
      its characters apart): a redeem or top-up site prints its own 订单号 / 充值单号 beside the
      key it refused, and the key already ties the screen to this order. A number that is
      another of *our* orders is still caught by the caller, who can look it up;
    - card keys read and none is this order's;
    - any amount that is none of the order's (paid, an item's share, the face value);
    - a time before the payment.
    """
    found: set[FieldName] = set()
    numbers = [m for m in matches if m.field == "order_number"]
    keys = [m for m in matches if m.field == "card_key"]
    # The site's own number is nothing like ours; one a character or three from this order's is
    # this order's number edited, beside its key or not.
    sites_own = all(_unlike(m.read, m.expected) for m in numbers)
    if numbers and not any(m.matches for m in numbers) and not (sites_own and any(m.matches for m in keys)):
        found.add("order_number")
    if keys and not any(m.matches for m in keys):
        found.add("card_key")
    if any(m.field == "amount" and not m.matches for m in matches):
        found.add("amount")
    if any(m.code == "time_before_payment" for m in matches):
        found.add("time")
    return frozenset(found)


def settles(matches: Sequence[FieldMatch]) -> bool:
    """Tell whether a read ties the screen to this order by its card key or its number, and nothing read contradicts it.

    Such a read needs no second, slower reading: what a cheaper engine may have missed is a
    detail shown to a person (an error code, a second time), not which order the screen is of.
    A read that needed forgiving does not settle it: how sure an engine is of a line depends on
    the engine, so whether a character was misread or edited is left to the careful one.
    """
    tied = any(m.matches and m.field in ("card_key", "order_number") for m in matches)
    forgiven = any(m.matches and m.corrections for m in matches)
    return tied and not forgiven and not doubted(matches)


def _unlike(read: str, ours: str | None) -> bool:
    """Tell whether a number read is too far from this order's to be it, misread or edited.

    >>> ours = "KM2026112012345678901234"
    >>> _unlike("CZ20261120125952766", ours), _unlike("KM2026112012345678961239", ours)
    (True, False)
    """
    if not ours:
        return True
    a, b = canonical(read), canonical(ours)
    return _distance(a, b) > max(3, len(b) // 3)


def _unforgiven(m: FieldMatch, order: Order, lines: Sequence[OcrLine]) -> FieldMatch:
    """Return ``m`` as differing if it matched only by corrections on lines the engine was sure of."""
    if not (m.field == "order_number" and m.matches and m.corrections):
        return m
    if m.expected and canonical(m.read) in canonical(m.expected):
        return m  # cut short at an edge (a bubble's, a wrapped line's): nothing on the screen differs
    sure = _confidence_of(m.read, lines)
    if sure is None or sure < SURE:
        return m
    # Read with certainty, yet a character or two from ours: this order's number edited.
    return FieldMatch("order_number", m.read, order.id, False, "order_number_differs")


def _confidence_of(read: str, lines: Sequence[OcrLine]) -> float | None:
    """Return the lowest confidence of the lines ``read`` was read from, or None if it is not found in them."""
    target = canonical(read)
    folded, owner = "", []
    for index, line in enumerate(lines):
        part = canonical(line.text)
        folded += part
        owner += [index] * len(part)
    at = folded.find(target) if target else -1
    if at < 0:
        return None
    return min(lines[i].confidence for i in set(owner[at : at + len(target)]))


def _searched(text: str, order: Order, card_keys: Mapping[str, str], found: tuple[FieldMatch, ...]) -> list[FieldMatch]:
    """Return this order's own values the text shows that no field rule took."""
    if not text:
        return []
    out: list[FieldMatch] = []
    numbers = [m for m in found if m.field == "order_number" and m.matches]
    for expected, code in _own_numbers(order):
        if any(m.expected == expected for m in numbers):
            continue
        seen = find(text, expected, exact=code == "order_number_is_transaction")
        if seen is not None and not _taken(seen[0], found):
            out.append(FieldMatch("order_number", seen[0], expected, True, code, None, seen[1]))
    keyed = {m.item_id for m in found if m.field == "card_key" and m.matches}
    for item_id in order.item_ids():
        plaintext = card_keys.get(item_id)
        if not plaintext or item_id in keyed:
            continue
        seen = find(text, plaintext, exact=True)
        if seen is not None and not _taken(seen[0], found):
            out.append(
                FieldMatch("card_key", seen[0], mask_card_key(plaintext), True, "card_key_matches", item_id, seen[1])
            )
    return out


def _is_own_number(read: str, order: Order) -> bool:
    return any(
        (
            same_reading(read, expected)
            if code == "order_number_is_transaction"
            else corrections(read, expected) is not None
        )
        for expected, code in _own_numbers(order)
    )


def _is_a_key(read: str, order: Order, card_keys: Mapping[str, str]) -> bool:
    return _card_key(read, order, card_keys).matches


def _taken(read: str, found: tuple[FieldMatch, ...]) -> bool:
    # A value a field rule read already has its verdict; the search only adds what no rule saw.
    return any(canonical(m.read) == canonical(read) for m in found)


def _own_numbers(order: Order) -> list[tuple[str, MatchCode]]:
    # The order's own number first: a payment screen may show the trade number as 订单号 too.
    own: list[tuple[str, MatchCode]] = [(order.id, "order_number_matches")]
    if order.transaction_id:
        own.append((order.transaction_id, "order_number_is_transaction"))
    return own


def _order_number(read: str, order: Order) -> FieldMatch:
    for expected, code in _own_numbers(order):
        trade = code == "order_number_is_transaction"
        apart = (0 if same_reading(read, expected) else None) if trade else corrections(read, expected)
        if apart is not None:
            return FieldMatch("order_number", read, expected, True, code, None, apart)
    return FieldMatch("order_number", read, order.id, False, "order_number_differs")


def _card_key(read: str, order: Order, card_keys: Mapping[str, str]) -> FieldMatch:
    for item_id in order.item_ids():
        plaintext = card_keys.get(item_id)
        if not plaintext:
            continue
        # A key stored as 卡号 and 密码 together may be shown one part at a time.
        if any(same_reading(read, part) for part in (plaintext, *re.split(r"[\s/|,;]+", plaintext))):
            return FieldMatch("card_key", read, mask_card_key(plaintext), True, "card_key_matches", item_id)
    return FieldMatch("card_key", read, None, False, "card_key_not_in_order")


def _distance(a: str, b: str) -> int:
    """Return the edit distance of two strings (insertions, deletions, substitutions)."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _closest(text: str, target: str, allowed: int) -> tuple[int, int, int] | None:
    """Return (start, end, distance) of the substring of ``text`` closest to ``target``, within ``allowed``.

    Approximate substring search (Sellers): one pass over the text, each column the distance of
    the target to the best substring ending there, carrying where that substring started.
    """
    if allowed == 0:
        at = text.find(target)
        return None if at < 0 else (at, at + len(target), 0)
    n = len(target)
    # cost[i], start[i]: target[:i] against the best substring ending at the current column.
    cost = list(range(n + 1))
    start = [0] * (n + 1)
    best: tuple[int, int, int] | None = None
    for j, c in enumerate(text, 1):
        prev_cost, prev_start = cost[0], start[0]
        cost[0], start[0] = 0, j
        for i in range(1, n + 1):
            here, here_start = cost[i], start[i]
            options = (
                (prev_cost + (target[i - 1] != c), prev_start),
                (here + 1, here_start),
                (cost[i - 1] + 1, start[i - 1]),
            )
            cost[i], start[i] = min(options)
            prev_cost, prev_start = here, here_start
        if cost[n] <= allowed and (best is None or cost[n] < best[2]):
            best = (start[n], j, cost[n])
    return best


def _amount(read: Money, order: Order) -> FieldMatch:
    if read == order.amount:
        return FieldMatch("amount", read.yuan(), order.amount.yuan(), True, "amount_matches_order")
    shares = [i for i in order.item_ids() if order.amount_for((i,)) == read]
    if shares:
        # Equal shares cannot say which item was shown.
        item_id = shares[0] if len(shares) == 1 else None
        return FieldMatch("amount", read.yuan(), read.yuan(), True, "amount_matches_item", item_id)
    if order.face_value is not None and read == order.face_value:
        return FieldMatch("amount", read.yuan(), order.face_value.yuan(), True, "amount_matches_face_value")
    titled = _in_title(read, order.title)
    if titled is not None:
        shown, whole = titled
        # The title states each card's face value (网易一卡通50元×2); a tail of it is the title wrapped.
        code: MatchCode = "amount_matches_face_value" if whole else "amount_in_title"
        return FieldMatch("amount", read.yuan(), shown, True, code)
    return FieldMatch("amount", read.yuan(), order.amount.yuan(), False, "amount_differs")


def _in_title(read: Money, title: str) -> tuple[str, bool] | None:
    """Return the title's "120元" when ``read`` is it (True) or its tail (False): the title wrapped, 充值卡1 / 20元.

    >>> _in_title(Money(2000), "Steam钱包充值卡120元"), _in_title(Money(5000), "网易一卡通50元×2")
    (('120元', False), ('50元', True))
    """
    if read.fen % 100:
        return None
    told = str(read.fen // 100)
    for shown in re.findall(r"(\d+)\s*元", title):
        if shown.endswith(told):
            return f"{shown}元", len(shown) == len(told)
    return None


def _time(read: datetime, order: Order) -> FieldMatch:
    anchors: list[tuple[datetime, MatchCode]] = [(order.paid_at, "time_near_paid_at")]
    if order.delivered_at is not None:
        anchors.append((order.delivered_at, "time_near_delivered_at"))
    near = [(abs(read - at), at, code) for at, code in anchors if abs(read - at) <= TIME_TOLERANCE]
    if near:
        _, at, code = min(near, key=lambda n: n[0])
        return FieldMatch("time", read.isoformat(), at.isoformat(), True, code)
    if read < order.paid_at - TIME_TOLERANCE:
        return FieldMatch("time", read.isoformat(), order.paid_at.isoformat(), False, "time_before_payment")
    latest = order.delivered_at or order.paid_at
    return FieldMatch("time", read.isoformat(), latest.isoformat(), True, "time_after_payment")
