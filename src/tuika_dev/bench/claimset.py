"""The labelled claims of ``tuika bench review``: orders, supplier records and screenshots, from a seed."""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import random
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal

from tuika.domain.clock import SHANGHAI
from tuika.domain.supplier import CardState

Echo = Callable[[str], None]

OcrEngine = Literal["paddle-small", "paddle-tiny", "paddle-tiny-first"]
Label = Literal["legit", "fraud", "out_of_window"]

POLL_S: Final = 0.02  # how often the watcher looks for decisions
DECISION_TIMEOUT_S: Final = 120.0  # a case still undecided after this counts as undecided
DEGRADED_SHARE: Final = 0.3  # screenshots forwarded through a chat app before the upload
SUPPLIER: Final = "sup_bench"
FIELDS: Final = ("order_number", "card_key", "amount", "error_text")
ACTIONS: Final = ("approve", "reject", "request_evidence", "manual_review")
# (title, face value, price paid) in fen; every price is under the card rules' auto-approve limit.
PRODUCTS: Final = (
    ("腾讯Q币 100元", 10000, 9850),
    ("京东E卡 200元", 20000, 19600),
    ("网易一卡通 50元", 5000, 4900),
    ("Steam钱包 120元", 12000, 11760),
)
# Error phrases as redeem sites show them, by the key the field reader files them under.
ERRORS: Final = {
    "card_invalid": (("E2001", "卡密无效"), ("E2003", "卡号或密码错误")),
    "card_used": (("E1023", "卡密已被使用"),),
}
KEY_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
LOOKS: Final = ("#1677ff", "#ff6a00", "#07c160", "#e02e24", "#7a3cff")


class Scenario(StrEnum):
    CARD_INVALID = "legit_card_invalid"
    REDEEMED_BEFORE = "legit_redeemed_before_delivery"
    TOPUP_FAILED = "legit_topup_failed"
    USED_THEN_CLAIMED = "fraud_used_then_claimed"
    REUSED = "fraud_reused_screenshot"
    TAMPERED_AMOUNT = "fraud_tampered_amount"
    TAMPERED_ORDER = "fraud_tampered_order_number"
    WRONG_ORDER = "fraud_wrong_order"
    OUT_OF_WINDOW = "out_of_window"


@dataclass(frozen=True, slots=True)
class Kind:
    """A scenario's label, its share of the claims in percent, and the machine action it should get."""

    label: Label
    share: int
    expected: str


SCENARIOS: Final[Mapping[Scenario, Kind]] = {
    Scenario.CARD_INVALID: Kind("legit", 20, "approve"),
    Scenario.REDEEMED_BEFORE: Kind("legit", 15, "approve"),
    Scenario.TOPUP_FAILED: Kind("legit", 15, "approve"),
    Scenario.USED_THEN_CLAIMED: Kind("fraud", 12, "reject"),
    Scenario.REUSED: Kind("fraud", 10, "manual_review"),
    Scenario.TAMPERED_AMOUNT: Kind("fraud", 5, "manual_review"),
    Scenario.TAMPERED_ORDER: Kind("fraud", 5, "manual_review"),
    Scenario.WRONG_ORDER: Kind("fraud", 8, "manual_review"),
    Scenario.OUT_OF_WINDOW: Kind("out_of_window", 10, "reject"),
}
# Claims whose error screenshot a later "reused screenshot" claim may copy.
_SOURCES: Final = frozenset({Scenario.CARD_INVALID, Scenario.REDEEMED_BEFORE})


def stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Shot:
    """One screenshot as uploaded, with what was drawn on it: the truth its OCR read is checked against."""

    kind: str
    data: bytes
    order_number: str
    card_key: str
    own_key: bool  # the key of the claimed order; only such a key can be checked in full (reads are masked)
    amount_fen: int
    error: str
    degraded: bool


@dataclass(frozen=True, slots=True)
class Planned:
    """One labelled claim: the order to push, the supplier's record, the claim and its screenshots."""

    n: int
    scenario: Scenario
    order: dict[str, Any]
    reason: str
    card: tuple[CardState, datetime | None] | None
    shots: tuple[Shot, ...]
    reuse_of: int | None = None

    @property
    def buyer(self) -> str:
        """Return the buyer who files the claim."""
        return str(self.order["buyer_id"])

    @property
    def key(self) -> str | None:
        """Return the card key delivered with the order, if any."""
        item = self.order["items"][0]
        return None if "card_key" not in item else str(item["card_key"])


def screens_module() -> ModuleType:
    """Return ``tests.support.screens``, which draws the screenshots; it lives in the checkout, not in the package."""
    with contextlib.suppress(ModuleNotFoundError):
        return importlib.import_module("tests.support.screens")
    path = Path(__file__).resolve().parents[3] / "tests" / "support" / "screens.py"
    spec = importlib.util.spec_from_file_location("tuika_bench_screens", path) if path.is_file() else None
    if spec is None or spec.loader is None:
        raise RuntimeError(
            f"the review benchmark draws its screenshots with tests/support/screens.py, which is not at {path}: "
            "run it from a checkout of tuika (uv run tuika bench review), not from an installed package"
        )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def plan(claims: int, seed: int, now: datetime, screens: ModuleType) -> tuple[list[Planned], list[dict[str, Any]]]:
    """Return the labelled claims, and the orders of other buyers that the "wrong order" ones show."""
    rng = random.Random(seed)
    planned: list[Planned] = []
    others: list[dict[str, Any]] = []
    for n, scenario in enumerate(_mix(claims, rng)):
        planned.append(_plan_one(n, scenario, rng, now, screens, planned, others))
    return planned, others


def _mix(claims: int, rng: random.Random) -> list[Scenario]:
    """Return the scenarios in their shares (largest remainders), shuffled; a reuse always follows a source."""
    exact = {s: claims * k.share / 100 for s, k in SCENARIOS.items()}
    counts = {s: int(v) for s, v in exact.items()}
    for s in sorted(exact, key=lambda s: counts[s] - exact[s])[: claims - sum(counts.values())]:
        counts[s] += 1
    order = [s for s, count in counts.items() for _ in range(count)]
    rng.shuffle(order)
    first_reuse = next((i for i, s in enumerate(order) if s is Scenario.REUSED), len(order))
    first_source = next((i for i, s in enumerate(order) if s in _SOURCES), len(order))
    if first_reuse < first_source < len(order):
        order[first_reuse], order[first_source] = order[first_source], order[first_reuse]
    return order


def _plan_one(
    n: int,
    scenario: Scenario,
    rng: random.Random,
    now: datetime,
    screens: ModuleType,
    earlier: list[Planned],
    others: list[dict[str, Any]],
) -> Planned:
    order_id, buyer = f"DD{n + 1:05d}{rng.randrange(10**11):011d}", f"buyer_{n + 1:05d}"
    if scenario is Scenario.TOPUP_FAILED:
        paid = now - timedelta(hours=rng.uniform(0.2, 20))
        return Planned(n, scenario, _topup_order(order_id, buyer, paid), "not_delivered", None, ())
    late = scenario is Scenario.OUT_OF_WINDOW
    delivered = now - timedelta(hours=rng.uniform(73, 120) if late else rng.uniform(0.5, 70))
    product, key = rng.choice(PRODUCTS), _card_key(rng)
    order = _card_order(order_id, buyer, key, product, delivered - timedelta(seconds=rng.randint(5, 90)), delivered)
    attempt = delivered + (now - delivered) * rng.uniform(0.55, 0.95)
    card: tuple[CardState, datetime | None] = (CardState.INVALID, None)
    if scenario is Scenario.REDEEMED_BEFORE:
        card = (CardState.REDEEMED, delivered - timedelta(hours=rng.uniform(1, 48)))
    elif scenario is Scenario.USED_THEN_CLAIMED:
        card = (CardState.REDEEMED, delivered + (attempt - delivered) * rng.uniform(0.1, 0.9))
    error = "card_used" if card[0] is CardState.REDEEMED else "card_invalid"
    drawn = {"order_id": order_id, "key": key, "face": product[1], "paid": product[2], "own_key": True}
    if scenario is Scenario.TAMPERED_AMOUNT:
        extra = 10000 * rng.choice((1, 2, 3))
        drawn |= {"face": product[1] + extra, "paid": product[2] + extra}
    elif scenario is Scenario.TAMPERED_ORDER:
        at = rng.randrange(7, len(order_id))
        drawn["order_id"] = order_id[:at] + str((int(order_id[at]) + rng.randint(1, 9)) % 10) + order_id[at + 1 :]
    elif scenario is Scenario.WRONG_ORDER:
        theirs, their_product, their_key = (
            f"DD9{n + 1:04d}{rng.randrange(10**11):011d}",
            rng.choice(PRODUCTS),
            _card_key(rng),
        )
        paid_at = delivered - timedelta(minutes=rng.randint(5, 600))
        others.append(_card_order(theirs, f"other_{n + 1:05d}", their_key, their_product, paid_at, paid_at))
        drawn = {
            "order_id": theirs,
            "key": their_key,
            "face": their_product[1],
            "paid": their_product[2],
            "own_key": False,
        }
    shots = _shots(rng, screens, drawn, error, product[0], attempt, datetime.fromisoformat(order["paid_at"]))
    reuse_of = None
    if scenario is Scenario.REUSED:
        # Someone else's error screenshot, byte for byte, beside a genuine page of one's own order.
        reuse_of = next(p.n for p in reversed(earlier) if p.scenario in _SOURCES)
        shots = (replace(earlier[reuse_of].shots[0], own_key=False), shots[1])
    return Planned(n, scenario, order, "card_invalid", card, shots, reuse_of)


def _card_key(rng: random.Random) -> str:
    return "-".join("".join(rng.choices(KEY_ALPHABET, k=4)) for _ in range(4))


def _card_order(
    order_id: str, buyer: str, key: str, product: tuple[str, int, int], paid_at: datetime, delivered_at: datetime
) -> dict[str, Any]:
    title, face, paid = product
    return {
        "id": order_id,
        "buyer_id": buyer,
        "merchant_id": "m_bench",
        "supplier_id": SUPPLIER,
        "sku": f"CARD-{face}",
        "title": title,
        "product_kind": "card_key",
        "face_value_fen": face,
        "items": [{"id": f"{order_id}_1", "card_key": key}],
        "amount_fen": paid,
        "payment": {"route": "alipay", "transaction_id": f"T{order_id}"},
        "paid_at": paid_at.isoformat(),
        "delivery": {"status": "delivered", "delivered_at": delivered_at.isoformat()},
    }


def _topup_order(order_id: str, buyer: str, paid_at: datetime) -> dict[str, Any]:
    delivered = paid_at + timedelta(seconds=40)  # our record says delivered; the upstream says it failed
    return {
        **_card_order(order_id, buyer, "", ("移动话费 100元", 10000, 9950), paid_at, delivered),
        "product_kind": "direct_topup",
        "sku": "TOPUP-100",
        "items": [{"id": f"{order_id}_1", "account": "13800138000"}],
    }


def _shots(
    rng: random.Random,
    screens: ModuleType,
    drawn: dict[str, Any],
    error: str,
    title: str,
    attempt: datetime,
    paid_at: datetime,
) -> tuple[Shot, ...]:
    """Return a redeem-error page and an order page showing ``drawn``, some of them degraded."""
    code, text = rng.choice(ERRORS[error])
    look = {"font_size": rng.choice((28, 30, 32)), "size": rng.choice(((720, 1280), (1080, 2340)))}
    order_id, key, own = drawn["order_id"], drawn["key"], drawn["own_key"]
    redeem = screens.RedeemError(
        order_id=order_id,
        card_key=key,
        error_code=code,
        error_text=text,
        amount=_yuan(drawn["face"]),
        time=_shown(attempt),
        product=title,
        accent=rng.choice(LOOKS),
        **look,
    )
    detail = screens.OrderDetail(
        order_id=order_id,
        card_key=key,
        amount=_yuan(drawn["paid"]),
        status=f"{text}，售后处理中",
        time=_shown(paid_at),
        product=title,
        accent=rng.choice(LOOKS),
        **look,
    )
    shots = []
    for kind, screen, fen in (("error_screenshot", redeem, drawn["face"]), ("order_screenshot", detail, drawn["paid"])):
        data, degraded = screen.render(), rng.random() < DEGRADED_SHARE
        if degraded:
            data = screens.degrade(data, rng.randrange(2**31))
        shots.append(Shot(kind, data, order_id, key, own, fen, error, degraded))
    return tuple(shots)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _shown(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
