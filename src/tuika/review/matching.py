"""Comparison of the fields read from a screenshot with the order the claim is about.

OCR confuses a few shapes (O/0, I/1, l/1, S/5, B/8, Z/2); comparisons forgive exactly those,
case and dashes or spaces, and nothing more: a degraded screenshot gives believable wrong
digits, and turning one of those into a match would hide a forgery. Values are reported as
read; the caller masks card keys on output.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from tuika.domain.masking import mask_card_key
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.review.fields import Fields

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
    "amount_differs",
    "time_near_paid_at",
    "time_near_delivered_at",
    "time_after_payment",  # later, not near payment or delivery: agrees, as a failed redemption is tried later
    "time_before_payment",  # a contradiction: the screenshot predates the purchase
]

TIME_TOLERANCE: Final = timedelta(minutes=10)

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


def canonical(value: str) -> str:
    """Return ``value`` as OCR comparisons see it: upper case, no dashes or spaces, look-alikes folded.

    >>> canonical("ord_demo_O16") == canonical("ORD_DEMO_016")
    True
    """
    return re.sub(r"[\s-]", "", value).upper().translate(_CONFUSIONS)


def same_reading(read: str, expected: str) -> bool:
    """Tell whether ``read`` is ``expected`` up to the OCR confusions ``canonical`` forgives."""
    return bool(expected) and canonical(read) == canonical(expected)


def match(fields: Fields, order: Order, card_keys: Mapping[str, str]) -> tuple[FieldMatch, ...]:
    """Return how each order number, card key, amount and time read compares with ``order``.

    ``card_keys`` maps item id to the item's plaintext card key.
    """
    return (
        *(_order_number(read, order) for read in fields.order_numbers),
        *(_card_key(read, order, card_keys) for read in fields.card_keys),
        *(_amount(read, order) for read in fields.amounts),
        *(_time(read, order) for read in fields.times),
    )


def _order_number(read: str, order: Order) -> FieldMatch:
    if same_reading(read, order.id):
        return FieldMatch("order_number", read, order.id, True, "order_number_matches")
    if same_reading(read, order.transaction_id):
        return FieldMatch("order_number", read, order.transaction_id, True, "order_number_is_transaction")
    return FieldMatch("order_number", read, order.id, False, "order_number_differs")


def _card_key(read: str, order: Order, card_keys: Mapping[str, str]) -> FieldMatch:
    for item_id in order.item_ids():
        plaintext = card_keys.get(item_id)
        # A key stored as 卡号 and 密码 together may be shown one part at a time.
        if plaintext and any(same_reading(read, part) for part in (plaintext, *re.split(r"[\s/|,;]+", plaintext))):
            return FieldMatch("card_key", read, mask_card_key(plaintext), True, "card_key_matches", item_id)
    return FieldMatch("card_key", read, None, False, "card_key_not_in_order")


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
    return FieldMatch("amount", read.yuan(), order.amount.yuan(), False, "amount_differs")


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
