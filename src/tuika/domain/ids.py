"""Prefixed identifiers: ``ord_…``, ``rc_…``, ``po_…``, ``ev_…``."""

from __future__ import annotations

import secrets
import threading
import time
from datetime import date
from typing import Final, NewType

OrderId = NewType("OrderId", str)
CaseId = NewType("CaseId", str)
PayoutId = NewType("PayoutId", str)
EvidenceId = NewType("EvidenceId", str)
PostingId = NewType("PostingId", str)
EventId = NewType("EventId", str)

# Crockford's base32: no I, L, O or U, so an id read aloud or typed is not misread.
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_last_ulid = [0, 0]
_ulid_lock = threading.Lock()


def new_id(prefix: str) -> str:
    """Return a new id: the prefix, then a time-ordered, random, URL-safe body.

    The body starts with the millisecond clock in hex so ids sort roughly by
    creation, which keeps B-tree inserts local. Payout ids go to payment
    gateways as refund request numbers, so the alphabet stays within
    ``[0-9a-z_]`` and the length well under their 64-character limit.
    """
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{secrets.token_hex(8)}"


def new_ulid(millis: int | None = None) -> str:
    """Return a ULID: 48 bits of milliseconds then 80 random bits, 26 characters of Crockford base32.

    Within one process ids are strictly increasing even inside one millisecond (the random
    part is incremented), so events written by one writer sort in the order they were made.
    Across processes they sort by time only; nothing relies on more.

    >>> len(new_ulid())
    26
    """
    now = time.time_ns() // 1_000_000 if millis is None else millis
    with _ulid_lock:
        if now <= _last_ulid[0]:
            now, random = _last_ulid[0], _last_ulid[1] + 1
        else:
            random = secrets.randbits(80)
        _last_ulid[0], _last_ulid[1] = now, random
    value = (now << 80) | (random & ((1 << 80) - 1))
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def ulid_floor(millis: int) -> str:
    """Return the smallest ULID of a millisecond: every ULID made before it sorts below it.

    >>> ulid_floor(0)
    '00000000000000000000000000'
    >>> made = new_ulid()
    >>> now = time.time_ns() // 1_000_000
    >>> ulid_floor(now - 60_000) < made < ulid_floor(now + 60_000)
    True
    """
    value = max(millis, 0) << 80
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


# A refund number a buyer reads out on the phone: the claim's date in Beijing (yymmdd), then 8
# random digits, 14 in all. Random rather than counted, so no shared counter serialises filing;
# the database's unique index refuses the rare repeat and filing draws again.
CASE_NUMBER_DIGITS: Final = 14


def new_case_number(day: date) -> str:
    """Return a new refund number for a claim filed on ``day`` (a Beijing date).

    >>> len(new_case_number(date(2026, 12, 3))), new_case_number(date(2026, 12, 3))[:6]
    (14, '261203')
    """
    return f"{day:%y%m%d}{secrets.randbelow(10**8):08d}"


def spaced_number(number: str) -> str:
    """Return a refund number grouped for reading aloud: ``261203 4788 1234``.

    >>> spaced_number("26120347881234")
    '261203 4788 1234'
    """
    if len(number) != CASE_NUMBER_DIGITS:
        return number
    return f"{number[:6]} {number[6:10]} {number[10:]}"


def case_number_of(text: str) -> str | None:
    """Return the refund number a person typed (spaces and dashes allowed), or None if it is not one.

    >>> case_number_of("261203 4788-1234"), case_number_of("rc_1")
    ('26120347881234', None)
    """
    digits = "".join(c for c in text if c not in " -")
    return digits if len(digits) == CASE_NUMBER_DIGITS and digits.isdigit() else None
