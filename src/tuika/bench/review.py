"""``tuika bench review``: labelled claims with screenshots through the real machine review.

It draws a labelled set of claims (legitimate, fraudulent, out of the refund window), each
card claim with two phone screenshots, and files them through API v1 against ``tuika serve``
with its embedded worker: SQLite and the Huey queue in a temporary directory, the bundled
PaddleOcr, and a ``SandboxSupplier`` on 127.0.0.1 asked through the real ``HttpSupplier``.
Then it reads every case back and prints what the machine decided against the labels, how
well the OCR read each field, the time from submission to decision and the CPU per claim.

The screenshots come from ``tests/screens.py``, so this runs from a checkout of tuika:

    uv run tuika bench review --claims 300 --workers 2 --seed 7
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import importlib.util
import json
import os
import platform
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal

import httpx

from tuika.api.auth import issue_token
from tuika.bench.cpu import machine_busy_s, own_cpu_s, process_cpu_s
from tuika.bench.load import percentile
from tuika.bench.stack import LOOPBACK, free_port, stopped_by_sigterm
from tuika.domain.masking import mask_card_key
from tuika.domain.supplier import CardState, TopupState
from tuika.review.fields import SHANGHAI
from tuika.review.matching import same_reading
from tuika.sandbox.supplier import SandboxSupplier

Echo = Callable[[str], None]
OcrEngine = Literal["paddle-small", "paddle-tiny"]
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


def _stdout(line: str) -> None:
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
    """Return ``tests.screens``, which draws the screenshots; it lives in the checkout, not in the package."""
    with contextlib.suppress(ModuleNotFoundError):
        return importlib.import_module("tests.screens")
    path = Path(__file__).resolve().parents[3] / "tests" / "screens.py"
    spec = importlib.util.spec_from_file_location("tuika_bench_screens", path) if path.is_file() else None
    if spec is None or spec.loader is None:
        raise RuntimeError(
            f"the review benchmark draws its screenshots with tests/screens.py, which is not at {path}: "
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


class Server:
    """``tuika serve`` with its embedded worker, on SQLite and the SQLite Huey queue in a temporary directory."""

    def __init__(self, settings: Mapping[str, str]) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="tuika-bench-review-")
        self.dir = Path(self._tmp.name)
        self.port = free_port()
        self.secret_key = secrets.token_urlsafe(36)
        self.process: subprocess.Popen[bytes] | None = None
        card_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        # Built from nothing, as for ``tuika bench submit``: no stray TUIKA_* setting of ours gets in.
        self.env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TUIKA_DATA_DIR": str(self.dir),
            "TUIKA_SECRET_KEY": self.secret_key,
            "TUIKA_CARD_KEYS": json.dumps({"bench": card_key}),
            "TUIKA_CARD_KEY_ACTIVE": "bench",
            **settings,
        }

    @property
    def url(self) -> str:
        """Return the server's address."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout_s: float = 120) -> None:
        """Start the server in a session of its own; return once ``/healthz`` answers (the OCR is warm by then)."""
        command = [sys.executable, "-c", "from tuika.cli import main; main()", "serve"]
        with (self.dir / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                [*command, "--host", LOOPBACK, "--port", str(self.port), "--embedded-worker"],
                env=self.env,
                cwd=self.dir,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        with httpx.Client(base_url=self.url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited early:\n{self.log()}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get("/healthz").status_code == 200:
                        return
                time.sleep(0.2)
        raise RuntimeError(f"the server did not become healthy in {timeout_s:.0f} s:\n{self.log()}")

    def log(self, tail: int = 3000) -> str:
        """Return the end of the server's output."""
        try:
            return (self.dir / "server.log").read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def close(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL to its group) and delete the directory."""
        process, self.process = self.process, None
        try:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGKILL)  # the group this process created for it
                    process.wait(timeout=10)
        finally:
            self._tmp.cleanup()


class Watch(threading.Thread):
    """Reads the statuses of the cases in flight from the database every 20 ms and notes each decision.

    A case is decided when it leaves ``submitted`` and ``reviewing``. One indexed query per tick
    on a read-only snapshot (SQLite WAL) costs the server nothing and the watcher little.
    """

    def __init__(self, database: Path) -> None:
        super().__init__(name="bench-review-watch", daemon=True)
        self.database = database
        self.changed = threading.Condition()
        self.waiting: dict[str, int] = {}  # case id → perf_counter_ns when its 201 arrived
        self.latency_ns: dict[str, int] = {}
        self.undecided: set[str] = set()
        self._halt = threading.Event()

    def add(self, case_id: str, at_ns: int) -> None:
        """Start the clock of a case just filed."""
        with self.changed:
            self.waiting[case_id] = at_ns

    def wait_until_fewer(self, count: int) -> None:
        """Block until fewer than ``count`` cases are waiting for their decision."""
        self._wait(lambda: len(self.waiting) < count)

    def wait_until_decided(self, case_id: str) -> None:
        """Block until ``case_id`` is decided (or given up on)."""
        self._wait(lambda: case_id not in self.waiting)

    def _wait(self, done: Callable[[], bool]) -> None:
        # A case undecided for DECISION_TIMEOUT_S leaves ``waiting``, so progress always comes.
        with self.changed:
            if not self.changed.wait_for(done, DECISION_TIMEOUT_S + 10):
                raise RuntimeError("the watcher saw no decision for too long; is it still running?")

    def stop(self) -> None:
        """End the thread."""
        self._halt.set()
        self.join()

    def run(self) -> None:
        """Poll until stopped."""
        conn = sqlite3.connect(self.database, timeout=30, isolation_level=None)
        try:
            while not self._halt.wait(POLL_S):
                with self.changed:
                    ids = list(self.waiting)
                if not ids:
                    continue
                marks = ",".join("?" * len(ids))
                query = f"SELECT id FROM cases WHERE id IN ({marks}) AND status NOT IN ('submitted', 'reviewing')"
                seen = [row[0] for row in conn.execute(query, ids)]
                now = time.perf_counter_ns()
                with self.changed:
                    for case_id in seen:
                        self.latency_ns[case_id] = now - self.waiting.pop(case_id)
                    for case_id, at in list(self.waiting.items()):
                        if now - at > DECISION_TIMEOUT_S * 1e9:
                            self.undecided.add(case_id)
                            del self.waiting[case_id]
                    self.changed.notify_all()
        finally:
            conn.close()


@dataclass(frozen=True, slots=True)
class Filed:
    """A claim as filed, and its case as read back after the run."""

    planned: Planned
    case_id: str
    evidence_ids: tuple[str, ...]
    case: dict[str, Any]
    latency_ns: int | None


def run(
    claims: int = 300,
    workers: int = 2,
    echo: Echo = _stdout,
    *,
    seed: int = 7,
    ocr: OcrEngine = "paddle-small",
    in_flight: int | None = None,
) -> dict[str, Any]:
    """Run the review benchmark, print its figures, and return them (the CLI prints them as JSON)."""
    in_flight = in_flight or workers
    screens = screens_module()
    now = datetime.now(UTC)
    started = time.perf_counter()
    planned, others = plan(claims, seed, now, screens)
    shots = [s for p in planned for s in p.shots]
    echo(
        f"claims:         {claims} drawn from seed {seed} in {time.perf_counter() - started:.1f} s, "
        f"{len(shots)} screenshots ({sum(s.degraded for s in shots)} degraded)"
    )
    supplier_secret = secrets.token_urlsafe(24)
    with stopped_by_sigterm(), SandboxSupplier("tuika-bench", supplier_secret) as supplier:
        for p in planned:
            if p.card is not None and p.key is not None:
                supplier.add_card(SUPPLIER, p.key, p.card[0], p.card[1], "广东 138****0000" if p.card[1] else None)
            elif p.scenario is Scenario.TOPUP_FAILED:
                item = p.order["items"][0]["id"]
                supplier.add_topup(SUPPLIER, f"{p.order['id']}:{item}", TopupState.FAILED)
        server = Server(
            {
                "TUIKA_SUPPLIER_URL": supplier.base_url,
                "TUIKA_SUPPLIER_PARTNER_ID": "tuika-bench",
                "TUIKA_SUPPLIER_SECRET": supplier_secret,
                "TUIKA_OCR_ENGINE": ocr,
                "TUIKA_WORKER_THREADS": str(workers),
            }
        )
        try:
            echo(f"starting:       tuika serve --embedded-worker ({workers} worker threads, OCR {ocr}) on {server.url}")
            server.start()
            return _measure(server, planned, others, workers, in_flight, ocr, echo)
        except Exception:
            echo(f"server log (tail):\n{server.log()}")
            raise
        finally:
            server.close()
            echo("cleaned up:     server stopped, temporary directory deleted")


def _measure(
    server: Server,
    planned: list[Planned],
    others: list[dict[str, Any]],
    workers: int,
    in_flight: int,
    ocr: str,
    echo: Echo,
) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    now = datetime.now(UTC)
    sign = server.secret_key

    def auth(role: str, subject: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {issue_token(sign, role, subject, 6 * 3600, now)}"}

    with httpx.Client(base_url=server.url, timeout=60.0, trust_env=False) as client:
        platform_auth = auth("platform", "bench")
        for body in [*(p.order for p in planned), *others]:
            _expect(client.post("/v1/orders", json=body, headers=platform_auth), 201)
        echo(f"orders:         {len(planned) + len(others)} pushed through POST /v1/orders")
        watch = Watch(server.dir / "tuika.db")
        watch.start()
        assert server.process is not None
        before = (process_cpu_s(server.process.pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
        filed: list[tuple[Planned, str, tuple[str, ...]]] = []
        try:
            for p in planned:
                watch.wait_until_fewer(in_flight)
                if p.reuse_of is not None:
                    watch.wait_until_decided(filed[p.reuse_of][1])  # a screenshot is reused after its claim
                case_id, evidence_ids = _file(client, p, auth("buyer", p.buyer))
                watch.add(case_id, time.perf_counter_ns())
                filed.append((p, case_id, evidence_ids))
            watch.wait_until_fewer(1)
        finally:
            watch.stop()
        after = (process_cpu_s(server.process.pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
        staff = auth("agent", "bench_agent")
        cases = [
            Filed(
                p,
                case_id,
                ids,
                _expect(client.get(f"/v1/refund-cases/{case_id}", headers=staff), 200),
                watch.latency_ns.get(case_id),
            )
            for p, case_id, ids in filed
        ]
    wall = after[3] - before[3]
    cpu = {
        "cpu_s_per_claim": round((after[0] - before[0]) / len(cases), 3),
        "client_cpu_s_per_claim": round((after[1] - before[1]) / len(cases), 3),
        "other_programs_cpu_share": round(
            max(0.0, (after[2] - before[2]) - (after[0] - before[0]) - (after[1] - before[1]))
            / max(wall * (os.cpu_count() or 1), 1e-9),
            3,
        ),
    }
    setup = {"workers": workers, "in_flight": in_flight, "ocr": ocr, "load_average_before": round(load_before, 2)}
    return report(cases, wall, cpu | setup, echo)


def _file(client: httpx.Client, p: Planned, headers: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """Upload the claim's screenshots and submit it as its buyer; return the case and evidence ids."""
    evidence = []
    for shot in p.shots:
        name, mime = ("s.jpg", "image/jpeg") if shot.degraded else ("s.png", "image/png")
        answer = client.post(
            "/v1/evidence", files={"file": (name, shot.data, mime)}, data={"kind": shot.kind}, headers=headers
        )
        evidence.append(str(_expect(answer, 201)["id"]))
    body = {"order_id": p.order["id"], "reason": p.reason, "evidence_ids": evidence, "route": "balance"}
    case = _expect(client.post("/v1/refund-cases", json=body, headers=headers), 201)
    return str(case["id"]), tuple(evidence)


def _expect(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: HTTP {response.status_code} {response.text[:300]}"
        )
    body: dict[str, Any] = response.json()
    return body


def machine_action(case: Mapping[str, Any]) -> str:
    """Return what the machine decided (``approve``, ``reject``, ``request_evidence``, ``manual_review``)."""
    auto = [d["action"] for d in case["decisions"] if d["tier"] == "auto"]
    return str(auto[0]) if auto else "undecided"


def fields_read(shot: Shot, read: Mapping[str, Any] | None) -> dict[str, bool | None]:
    """Return, per field, whether the OCR read found what was drawn (None: not checkable on this shot)."""
    if read is None:
        return dict.fromkeys(FIELDS, False)
    found = read["fields"]
    own_key = any(m["field"] == "card_key" and m["matches"] for m in read["matches"])
    return {
        "order_number": any(same_reading(v, shot.order_number) for v in found["order_numbers"]),
        "card_key": own_key if shot.own_key else None,
        "amount": str(shot.amount_fen) in found["amounts_fen"],
        "error_text": shot.error in found["error_texts"],
    }


def _miss(f: Filed, shot: Shot, name: str, read: Mapping[str, Any] | None) -> str:
    """Describe a field the read missed: what was drawn, and what was read instead (keys masked)."""
    drawn = {
        "order_number": shot.order_number,
        "card_key": mask_card_key(shot.card_key),
        "amount": str(shot.amount_fen),
        "error_text": shot.error,
    }[name]
    plural = {"order_number": "order_numbers", "card_key": "card_keys", "amount": "amounts_fen"}
    got = "no read" if read is None else read["fields"][plural.get(name, "error_texts")]
    look = "degraded " if shot.degraded else ""
    masked = " (masked)" if name == "card_key" else ""
    return f"{f.case_id} {f.planned.scenario.value} {look}{shot.kind}: {name} {drawn} read as {got}{masked}"


def report(cases: list[Filed], wall_s: float, extra: dict[str, Any], echo: Echo) -> dict[str, Any]:
    """Print the figures for the filed claims and return them."""
    actions = {f.case_id: machine_action(f.case) for f in cases}
    labels = {f.case_id: SCENARIOS[f.planned.scenario].label for f in cases}
    legit = [f for f in cases if labels[f.case_id] == "legit"]
    fraud = [f for f in cases if labels[f.case_id] == "fraud"]
    late = [f for f in cases if labels[f.case_id] == "out_of_window"]
    auto = [f for f in cases if actions[f.case_id] in ("approve", "reject", "request_evidence")]
    legit_rejected = sum(actions[f.case_id] == "reject" for f in legit)
    checks: dict[str, list[bool]] = {name: [] for name in FIELDS}
    misses: list[str] = []
    for f in cases:
        reads = {e["id"]: e["read"] for e in f.case["evidence"]}
        for shot, evidence_id in zip(f.planned.shots, f.evidence_ids, strict=True):
            for name, ok in fields_read(shot, reads.get(evidence_id)).items():
                if ok is not None:
                    checks[name].append(ok)
                if ok is False:
                    misses.append(_miss(f, shot, name, reads.get(evidence_id)))
    latencies = sorted(f.latency_ns for f in cases if f.latency_ns is not None)
    two = sorted(f.latency_ns for f in cases if f.latency_ns is not None and len(f.planned.shots) == 2)
    result: dict[str, Any] = {
        "claims": len(cases),
        "auto_decided_share": _share(len(auto), len(cases)),
        "fraud_auto_approved": sum(actions[f.case_id] == "approve" for f in fraud),
        "legit_auto_rejected": legit_rejected,
        "legit_auto_rejected_share": _share(legit_rejected, len(legit)),
        "legit_auto_approved_share": _share(sum(actions[f.case_id] == "approve" for f in legit), len(legit)),
        "out_of_window": {"claims": len(late), "rejected": sum(actions[f.case_id] == "reject" for f in late)},
        "ocr_field_accuracy": {name: _share(sum(oks), len(oks)) for name, oks in checks.items()},
        "p50_s": round(percentile(latencies, 0.5) / 1000, 3),
        "p99_s": round(percentile(latencies, 0.99) / 1000, 3),
        "max_s": round(latencies[-1] / 1e9, 3) if latencies else 0.0,
        "p50_two_screenshots_s": round(percentile(two, 0.5) / 1000, 3),
        "p99_two_screenshots_s": round(percentile(two, 0.99) / 1000, 3),
        **_stages(cases),
        "undecided": len(cases) - len(latencies),
        "claims_per_min": round(len(cases) / max(wall_s, 1e-9) * 60, 1),
        **extra,
        "database": "SQLite (WAL), Huey on SQLite, tuika serve --embedded-worker",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "scenarios": _scenarios(cases, actions),
        "unexpected": _unexpected(cases, actions),
        "ocr_misses": misses[:20],
    }
    _print(result, checks, echo)
    return result


def _stages(cases: list[Filed]) -> dict[str, float]:
    """Split the latency by the server's own timeline: waiting in the queue, then the review itself."""
    waits, reviews = [], []
    for f in cases:
        at = {e["to_status"]: datetime.fromisoformat(e["at"]) for e in reversed(f.case["timeline"])}
        decided = [datetime.fromisoformat(e["at"]) for e in f.case["timeline"] if e["from_status"] == "reviewing"]
        if "reviewing" in at and decided:
            waits.append(int((at["reviewing"] - at["submitted"]).total_seconds() * 1e9))
            reviews.append(int((decided[0] - at["reviewing"]).total_seconds() * 1e9))
    waits.sort()
    reviews.sort()
    figures = {"queue_wait": waits, "review": reviews}
    return {f"{name}_{p}_s": round(percentile(v, q) / 1000, 3) for name, v in figures.items() for p, q in _PS}


_PS: Final = (("p50", 0.5), ("p99", 0.99))


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _scenarios(cases: list[Filed], actions: Mapping[str, str]) -> dict[str, dict[str, int | str]]:
    table: dict[str, dict[str, int | str]] = {}
    for scenario, kind in SCENARIOS.items():
        mine = Counter(actions[f.case_id] for f in cases if f.planned.scenario is scenario)
        row: dict[str, int | str] = {"label": kind.label, "claims": sum(mine.values()), "expected": kind.expected}
        row |= {action: mine[action] for action in (*ACTIONS, "undecided")}
        table[scenario.value] = row
    return table


def _unexpected(cases: list[Filed], actions: Mapping[str, str]) -> dict[str, int]:
    """Count the claims the machine did not treat as their scenario expects, by the codes it gave."""
    seen: Counter[str] = Counter()
    for f in cases:
        scenario, action = f.planned.scenario, actions[f.case_id]
        if action != SCENARIOS[scenario].expected:
            auto = [d for d in f.case["decisions"] if d["tier"] == "auto"]
            codes = [c["code"] for c in auto[0]["reason_codes"]] if auto else []
            seen[f"{scenario.value} → {action}: {', '.join(codes)}"] += 1
    return dict(seen.most_common())


def _print(result: Mapping[str, Any], checks: Mapping[str, list[bool]], echo: Echo) -> None:
    echo(
        f"{'scenario':<32}{'label':<15}{'claims':>7}{'approve':>9}{'reject':>8}{'evidence':>10}{'manual':>8}  expected"
    )
    for name, row in result["scenarios"].items():
        counts = "".join(f"{row[a]:>{w}}" for a, w in zip(ACTIONS, (9, 8, 10, 8), strict=True))
        echo(f"{name:<32}{row['label']:<15}{row['claims']:>7}{counts}  {row['expected']}")
    for miss in result["ocr_misses"]:
        echo(f"  OCR missed: {miss}")
    for what, count in result["unexpected"].items():
        echo(f"  not as expected ×{count}: {what}")
    late = result["out_of_window"]
    echo(f"decided without a person: {result['auto_decided_share']:.1%} of {result['claims']} claims")
    echo(f"fraud auto-approved:      {result['fraud_auto_approved']} (goal 0)")
    echo(
        f"legit auto-rejected:      {result['legit_auto_rejected']} ({result['legit_auto_rejected_share']:.1%}, "
        f"goal ≤ 1 %); legit auto-approved {result['legit_auto_approved_share']:.1%}"
    )
    echo(f"out of window:            {late['rejected']} of {late['claims']} rejected (not counted as legit)")
    accuracy = ", ".join(f"{n} {result['ocr_field_accuracy'][n]:.1%} of {len(checks[n])}" for n in FIELDS)
    echo(f"OCR fields found:         {accuracy}")
    p50, p99, two50, two99 = (result[k] for k in ("p50_s", "p99_s", "p50_two_screenshots_s", "p99_two_screenshots_s"))
    echo(
        f"submit → decision:        p50 {p50:.2f} s, p99 {p99:.2f} s, max {result['max_s']:.2f} s; with two "
        f"screenshots p50 {two50:.2f} s, p99 {two99:.2f} s ({result['undecided']} undecided)"
    )
    echo(
        f"  of which:               waiting in the queue p50 {result['queue_wait_p50_s']:.2f} s, p99 "
        f"{result['queue_wait_p99_s']:.2f} s; the review itself p50 {result['review_p50_s']:.2f} s, p99 "
        f"{result['review_p99_s']:.2f} s (server's timeline)"
    )
    echo(
        f"throughput:               {result['claims_per_min']:.1f} claims/min with {result['in_flight']} in flight, "
        f"{result['workers']} worker threads, OCR {result['ocr']}"
    )
    other = result["other_programs_cpu_share"]
    echo(
        f"CPU per claim:            server {result['cpu_s_per_claim']:.3f} s, benchmark process "
        f"{result['client_cpu_s_per_claim']:.3f} s; other programs used {other:.0%} of the cores"
    )
