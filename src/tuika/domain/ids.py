"""Prefixed identifiers: ``ord_…``, ``rc_…``, ``po_…``, ``ev_…``."""

from __future__ import annotations

import secrets
import time
from typing import NewType

OrderId = NewType("OrderId", str)
CaseId = NewType("CaseId", str)
PayoutId = NewType("PayoutId", str)
EvidenceId = NewType("EvidenceId", str)
PostingId = NewType("PostingId", str)


def new_id(prefix: str) -> str:
    """Return a new id: the prefix, then a time-ordered, random, URL-safe body.

    The body starts with the millisecond clock in hex so ids sort roughly by
    creation, which keeps B-tree inserts local. Payout ids go to payment
    gateways as refund request numbers, so the alphabet stays within
    ``[0-9a-z_]`` and the length well under their 64-character limit.
    """
    millis = time.time_ns() // 1_000_000
    return f"{prefix}_{millis:012x}{secrets.token_hex(8)}"
