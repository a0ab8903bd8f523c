"""What ``tuika bench payouts`` files: claims over the three routes, and the faults queued with them.

Each claim is a card-key order paid an hour ago whose delivery failed, claimed as not delivered
by the original route, by a buyer of its own: the machine review approves it at once, and its
payout goes to the order's gateway. A share of the claims carries one of its sandbox's faults,
queued at the sandbox just before the claim is filed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

ROUTES: Final = ("alipay", "wechat", "bank_card")
# The faults each sandbox offers that a refund by the original route must survive, and CLOSED,
# after which the payout must end failed with nothing paid. Left out: WeChat's ABNORMAL (a person
# takes it from there, so it never ends by itself) and the bank's BAD_SIGNATURE (a notice may take
# it, and the bank's log would not say so).
FAULTS: Final[Mapping[str, tuple[str, ...]]] = {
    "alipay": (
        "timeout_after_accept",
        "error_500",
        "duplicate_notice",
        "notice_before_response",
        "no_notice",
        "empty_query",
        "system_error",
        "bad_signature",
        "closed",
    ),
    "wechat": (
        "timeout_after_accept",
        "error_500",
        "duplicate_notice",
        "notice_before_response",
        "no_notice",
        "bad_signature",
        "bad_notice_signature",
        "closed",
    ),
    "bank_card": (
        "timeout_after_accept",
        "error_500",
        "duplicate_notice",
        "notice_before_response",
        "no_notice",
        "closed",
    ),
}


@dataclass(frozen=True, slots=True)
class Planned:
    """One claim to file: its order, buyer, route, amount, and the fault queued just before it."""

    order_id: str
    buyer: str
    route: str
    amount_fen: int
    fault: str | None


def plan(claims: int, fault_rate: float, seed: int) -> list[Planned]:
    """Draw the claims: routes in equal shares, amounts from ¥1 to ¥500, faults cycling through each route's modes."""
    rng = random.Random(seed)
    routes = [ROUTES[i % len(ROUTES)] for i in range(claims)]
    rng.shuffle(routes)
    faulted = set(rng.sample(range(claims), round(claims * fault_rate)))
    cycles = dict.fromkeys(ROUTES, 0)
    planned = []
    for i, route in enumerate(routes):
        fault = None
        if i in faulted:
            modes = FAULTS[route]
            fault = modes[cycles[route] % len(modes)]
            cycles[route] += 1
        # Each run has a database of its own, so the same ids in every run do no harm.
        name = f"bp{seed}_{i:05d}"
        planned.append(Planned(f"ord_{name}", f"buyer_{name}", route, rng.randrange(100, 50_001), fault))
    return planned


def _key_of(order_id: str) -> str:
    digest = hashlib.sha256(order_id.encode()).hexdigest().upper()
    return "-".join(digest[i : i + 4] for i in range(0, 16, 4))


def order_body(p: Planned, now: datetime) -> dict[str, Any]:
    """Return the POST /v1/orders body of a card-key order paid an hour ago whose delivery failed."""
    paid_at = now - timedelta(hours=1)
    return {
        "id": p.order_id,
        "buyer_id": p.buyer,
        "merchant_id": "merchant_bench",
        "supplier_id": "supplier_bench",
        "sku": "JD-100",
        "title": "京东E卡 100元",
        "product_kind": "card_key",
        # A key of its own: one key in two orders would rightly go to a person, not be paid.
        "items": [{"id": f"{p.order_id}_i0", "card_key": _key_of(p.order_id)}],
        "amount_fen": p.amount_fen,
        "payment": {"route": p.route, "transaction_id": f"tx_{p.order_id}"},
        "paid_at": paid_at.isoformat(),
        "delivery": {"status": "failed", "delivered_at": None},
    }
