"""``tuika bench events``: events written by real case transitions, relayed to two handlers.

Writers move cases through their lifecycle with the same ``move_case`` every service uses,
one transaction per case (a claim filed, reviewed, sent to a person, approved, refunding:
five events), each commit waking the relay through the queue, as in production. The relay
runs as production runs it: in worker processes (one per core on PostgreSQL, one on SQLite),
each ``tuika worker``'s consumer with its threads, wake-ups, poll and leases, sharing the
queue (Redis on PostgreSQL, the SQLite queue on SQLite). Each event has two handlers: one
that does nothing, and one that writes a row in the transaction that marks it done.

It prints events relayed per second (from the moment the relay starts to the last handler
done), the lag from each event's commit to each of its handlers finishing (p50, p99), and two
checks that must be 0: ``lost`` (an event whose handler never ran) and ``duplicates`` (a
handler run twice for one event), counted from what every process's handlers saw and from
the rows they wrote. The last line is one JSON object.

    uv run tuika bench events --events 10000 --db postgres
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import text

from tuika.adapters.db.raw import Sql, raw_for
from tuika.bootstrap import System, build
from tuika.domain.cases import Case, CaseStatus, Role, Route, TimelineEvent
from tuika.domain.events import DeliveryStatus, Event, EventType
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus as Delivered
from tuika.domain.orders import Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.policy import LiableParty, Reason
from tuika.services.context import Actor, Context, Handler
from tuika.services.moves import move_case, open_case
from tuika.services.ports import UnitOfWork
from tuika.settings import Settings
from tuika_dev.bench.claimset import stdout
from tuika_dev.bench.load import percentile
from tuika_dev.bench.stack import Scratch
from tuika_dev.bench.workers import WorkerProcesses

Echo = Callable[[str], None]
Database = Literal["sqlite", "postgres"]
LIFECYCLE: Final = (CaseStatus.REVIEWING, CaseStatus.MANUAL_REVIEW, CaseStatus.APPROVED, CaseStatus.REFUNDING)
EVENTS_PER_CASE: Final = 1 + len(LIFECYCLE)
AGENT: Final = Actor("agent_bench", Role.AGENT)
_RELAYED: Final = Sql.of("INSERT INTO bench_relayed (event_id, subject) VALUES (:e, :s)")
# Read by the partial index the relay's own claim uses: cheap while the relay runs.
_PENDING: Final = text("SELECT count(*) FROM event_deliveries WHERE status = 'pending'")


class Tally:
    """What the handlers saw: runs per (handler, event), and when each finished.

    Times are wall-clock seconds, as the writers and the relay are different processes.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.runs: Counter[tuple[str, str]] = Counter()
        self.finished: dict[tuple[str, str], float] = {}
        self.committed: dict[str, float] = {}

    def ran(self, handler: str, event: Event) -> None:
        now = time.time()
        with self.lock:
            self.runs[(handler, event.id)] += 1
            self.finished.setdefault((handler, event.id), now)

    def dump(self) -> list[tuple[str, str, int, float]]:
        """Each (handler, event) run: how often, and when it first finished."""
        with self.lock:
            return [(h, e, n, self.finished[(h, e)]) for (h, e), n in self.runs.items()]

    def add(self, runs: list[tuple[str, str, int, float]]) -> None:
        """Count another process's runs with these; the earliest finish of a pair is kept."""
        with self.lock:
            for handler, event_id, count, finished in runs:
                self.runs[(handler, event_id)] += count
                known = self.finished.get((handler, event_id))
                self.finished[(handler, event_id)] = finished if known is None else min(known, finished)

    def table(self) -> dict[EventType, tuple[Handler, ...]]:
        def nothing(ctx: Context, event: Event) -> None:
            self.ran("noop", event)

        def write(uow: UnitOfWork, events: Sequence[Event]) -> None:
            # A row in the transaction that marks these deliveries done: both commit, or neither.
            # Hand-written, as the outbox's own rows are (decision 0003).
            raw = raw_for(uow.session)  # type: ignore[attr-defined]
            raw.run_many(_RELAYED, [{"e": event.id, "s": event.subject} for event in events])
            for event in events:
                self.ran("row", event)

        both = (Handler("noop", nothing), Handler("row", write=write))
        return {EventType.CASE_SUBMITTED: both, EventType.CASE_MOVED: both, EventType.CASE_DECIDED: both}


def run(
    events: int = 10_000,
    db: Database = "sqlite",
    *,
    live: int = 2_000,
    writers: int = 2,
    workers: int = 4,
    processes: int | None = None,
    echo: Echo = stdout,
) -> dict[str, Any]:
    """Write ``events`` with the relay stopped, then relay them; then ``live`` more with it running.

    The first part measures how fast the relay drains a backlog (events/s); the second, the
    lag from commit to handler done while writers and relay share the machine. Both are
    rounded up to whole cases. ``processes`` worker processes relay, each with ``workers``
    threads: by default one per core on PostgreSQL and one on SQLite, whose single writer
    gains nothing from more.
    """
    backlog_cases = -(-events // EVENTS_PER_CASE)
    live_cases = -(-live // EVENTS_PER_CASE)
    count = processes or ((os.cpu_count() or 1) if db == "postgres" else 1)
    with _Place(db) as place:
        tally = Tally()
        system = build(place.settings, handlers=tally.table(), migrate=True)
        try:
            with system.engine.begin() as conn:
                conn.execute(text("CREATE TABLE bench_relayed (event_id VARCHAR(26) PRIMARY KEY, subject VARCHAR(64))"))
            _orders(system, backlog_cases + live_cases)
            _write(system, tally, range(backlog_cases), writers)
            backlog = set(tally.committed)
            with Relayers(place, count, workers) as relayers:
                drain_started = relayers.go()
                _wait(system, len(backlog))
                live_started = time.time()
                _write(system, tally, range(backlog_cases, backlog_cases + live_cases), writers)
                wrote = time.time()
                _wait(system, len(tally.committed) - len(backlog))
            for runs in relayers.tallies:
                tally.add(runs)
            drained = _last_done(tally, backlog, drain_started)
            phases = Phases(backlog, drain_started, drained, live_started, wrote)
            return _figures(system, tally, db, phases, writers, (count, workers), echo)
        finally:
            if system.huey is not None:
                system.huey.storage.close()
            system.engine.dispose()


class Relayers(WorkerProcesses):
    """The worker processes that relay; each leaves a tally of the handlers it ran when it stops."""

    def __init__(self, place: _Place, count: int, threads: int) -> None:
        data = Path(place.tmp.name)
        super().__init__(
            data,
            place.environment(),
            count,
            lambda index: [
                sys.executable,
                "-m",
                "tuika_dev.bench.events_worker",
                "--threads",
                str(threads),
                "--out",
                str(data / f"tally{index}.json"),
            ],
        )
        self.tallies: list[list[tuple[str, str, int, float]]] = []

    def __exit__(self, *exc: object) -> None:
        super().__exit__(*exc)
        if exc and exc[0] is not None:
            # Failed already: the tallies would say nothing.
            return
        for index in range(len(self.procs)):
            out = self.data / f"tally{index}.json"
            if not out.exists():
                raise RuntimeError(f"relay process {index} ended without its tally: {self.log(index)}")
            self.tallies.append([(h, e, int(n), float(t)) for h, e, n, t in json.loads(out.read_text("utf-8"))])


HANDLERS: Final = ("noop", "row")


@dataclass(frozen=True, slots=True)
class Phases:
    backlog: set[str]
    drain_started: float
    drained: float
    live_started: float
    live_written: float


def _last_done(tally: Tally, ids: set[str], default: float) -> float:
    return max((tally.finished[(h, e)] for e in ids for h in HANDLERS if (h, e) in tally.finished), default=default)


def _wait(system: System, events: int) -> None:
    """Return once no delivery is pending, or when waiting longer would not help."""
    deadline = time.monotonic() + max(60.0, events / 100)
    while time.monotonic() < deadline:
        with system.engine.connect() as conn:
            if not conn.execute(_PENDING).scalar_one():
                return
        time.sleep(0.05)


def _orders(system: System, cases: int) -> None:
    paid = datetime.now(UTC)
    for start in range(0, cases, 500):
        with system.ctx.uow() as uow:
            for n in range(start, min(cases, start + 500)):
                uow.orders.upsert(_order(n, paid))
            uow.commit()


def _order(n: int, paid: datetime) -> Order:
    return Order(
        id=OrderId(f"ord_be{n}"),
        buyer_id=f"buyer_be{n}",
        merchant_id="merchant_bench",
        supplier_id="supplier_bench",
        sku="sku_bench",
        product_kind=ProductKind.DIRECT_TOPUP,
        items=(OrderItem(id=f"ord_be{n}_i0", secret=None),),
        amount=Money(1000),
        payment_route=PaymentRoute.BALANCE,
        transaction_id=f"tx_be{n}",
        paid_at=paid,
        delivery_status=Delivered.FAILED,
    )


def _write(system: System, tally: Tally, cases: range, writers: int) -> None:
    def writer(index: int) -> None:
        for n in cases[index::writers]:
            now = system.ctx.clock.now()
            with system.ctx.uow() as uow:
                case = _case(n, now)
                open_case(uow, case, merchant_id="merchant_bench")
                for status in LIFECYCLE:
                    case = move_case(uow, case, status, at=now, actor=AGENT)
                ids = [e.id for e in uow.events.written]  # type: ignore[attr-defined]
                uow.commit()
            committed = time.time()
            with tally.lock:
                for event_id in ids:
                    tally.committed[event_id] = committed

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _case(n: int, now: datetime) -> Case:
    submitted = TimelineEvent(now, f"buyer_be{n}", Role.BUYER, None, CaseStatus.SUBMITTED)
    return Case(
        id=CaseId(f"rc_be{n}"),
        order_id=OrderId(f"ord_be{n}"),
        buyer_id=f"buyer_be{n}",
        reason=Reason.NOT_DELIVERED,
        item_ids=(f"ord_be{n}_i0",),
        route=Route.BALANCE,
        status=CaseStatus.SUBMITTED,
        policy_version=1,
        created_at=now,
        updated_at=now,
        refundable=Money(1000),
        fee=Money(0),
        liable=LiableParty.SUPPLIER,
        timeline=(submitted,),
    )


def _figures(
    system: System,
    tally: Tally,
    db: Database,
    phases: Phases,
    writers: int,
    relay: tuple[int, int],
    echo: Echo,
) -> dict[str, Any]:
    with system.ctx.read() as uow:
        counts = uow.events.counts()
    with system.engine.connect() as conn:
        rows = int(conn.execute(text("SELECT count(*) FROM bench_relayed")).scalar_one())
        stored = int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    written = list(tally.committed)
    live = [e for e in written if e not in phases.backlog]
    lost = sum(1 for e in written for h in HANDLERS if (h, e) not in tally.finished)
    duplicates = sum(n - 1 for n in tally.runs.values() if n > 1) + max(0, rows - len(written))
    lags = sorted(
        int((tally.finished[(h, e)] - tally.committed[e]) * 1e9)
        for e in live
        for h in HANDLERS
        if (h, e) in tally.finished
    )
    live_done = _last_done(tally, set(live), phases.live_started)
    drain_s = max(phases.drained - phases.drain_started, 1e-9)
    result: dict[str, Any] = {
        "benchmark": "events",
        "db": db,
        "queue": "redis" if db == "postgres" else "sqlite",
        "events": len(written),
        "events_stored": stored,
        "deliveries": 2 * len(written),
        "backlog_events": len(phases.backlog),
        "events_per_s": round(len(phases.backlog) / drain_s, 1),
        "live_events": len(live),
        "live_written_per_s": round(len(live) / max(phases.live_written - phases.live_started, 1e-9), 1),
        "live_relayed_per_s": round(len(live) / max(live_done - phases.live_started, 1e-9), 1),
        "lag_p50_ms": round(percentile(lags, 0.50), 1) if lags else None,
        "lag_p99_ms": round(percentile(lags, 0.99), 1) if lags else None,
        "lag_max_ms": round(lags[-1] / 1e6, 1) if lags else None,
        "lost": lost,
        "duplicates": duplicates,
        "rows_written": rows,
        "pending": counts[DeliveryStatus.PENDING],
        "failed": counts[DeliveryStatus.FAILED],
        "writers": writers,
        "relay_processes": relay[0],
        "relay_threads": relay[1],
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
    }
    result["ok"] = lost == 0 and duplicates == 0 and rows == len(written)
    echo(f"backlog: {result['backlog_events']} events ({db}) relayed at {result['events_per_s']} events/s")
    echo(
        f"live: {result['live_events']} events written at {result['live_written_per_s']}/s by {writers} writers "
        f"({EVENTS_PER_CASE} per transaction), relayed at {result['live_relayed_per_s']}/s"
    )
    echo(f"lag commit → handler done (live): p50 {result['lag_p50_ms']} ms, p99 {result['lag_p99_ms']} ms")
    echo(f"lost {lost}, duplicates {duplicates}, pending {result['pending']}, failed {result['failed']}")
    return result


class _Place:
    """A fresh database and queue: a SQLite file and queue, or a PostgreSQL database and a Redis index."""

    def __init__(self, db: Database) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="tuika-bench-events-")
        self.scratch = Scratch("tuika_bench_ev") if db == "postgres" else None
        self.settings: Settings

    def __enter__(self) -> _Place:
        data = Path(self.tmp.name)
        self.options: dict[str, Any] = {"demo": True, "data_dir": data, "ocr_engine": "off", "sweep_interval_s": 3600}
        if self.scratch is not None:
            self.scratch.open()
            self.options["database_url"] = self.scratch.database_url
            self.options["redis_url"] = self.scratch.redis_url
        else:
            self.options["database_url"] = f"sqlite:///{data / 'tuika.db'}"
        self.settings = Settings(**self.options)
        return self

    def environment(self) -> dict[str, str]:
        """These settings as the ``TUIKA_*`` variables a worker process reads them from."""
        return {f"TUIKA_{name.upper()}": str(value) for name, value in self.options.items()}

    def __exit__(self, *exc: object) -> None:
        try:
            if self.scratch is not None:
                self.scratch.close()
        finally:
            self.tmp.cleanup()
