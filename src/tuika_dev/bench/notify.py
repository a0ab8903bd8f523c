"""``tuika bench notify``: case events fanned out to SMS, app push, email and three webhook endpoints.

Everything tuika does here is what it does in production. Cases are opened and decided with
the ``open_case`` and ``move_case`` every service uses (submitted, machine review, sent to a
person, approved or rejected, in turn: four events a case, one transaction; ``notify_load``),
each commit waking the relay through the queue. The product's handler table runs them: the
message writer turns each event into the plan's messages (the inbox's rows at once, a text,
a push or an email ``pending``), the webhook writer into a delivery per endpoint, the review
finds each case already decided. The senders are the real ones (Alibaba Cloud's SDK, JPush
over httpx, smtplib, the webhook client) pointed at the sandboxes of
``tuika_dev.sandbox.channels`` and at three local receivers: one healthy, one that answers
each request 200 ms late, one that answers 500 to half the tries.

The relay and the send loop run as ``tuika worker`` runs them, in worker processes
(``notify_worker``; one per core on PostgreSQL, one on SQLite, whose single writer gains
nothing from more), not in this process: here live the writers, the sandboxes and the
receivers, which would otherwise take the interpreter lock from the senders they measure.
The sandboxes and receivers cost CPU on the same cores all the same; the figures show how much.

Two parts, as in ``bench events``:

1. **Backlog.** ``events`` are written with no worker running, then the workers are let go
   at once. ``messages_per_s`` is the messages the providers took (texts, pushes, emails)
   over the time from that moment to the last one taken: what the relay and the senders
   together sustain.
2. **Live.** With the workers running, ``live`` more events are written. The lag of each
   message is from its event's ``occurred_at`` to the provider's record of taking it
   (``received_at``): p50 and p99 per channel; ``p99_s`` is the worst channel's.

Each part ends when nothing is due any more: no event delivery pending, no message pending,
nothing pending for the healthy endpoint. The slow and the failing endpoint are not waited
for (a failed try is next due 5 s later, then 30 s, 2 min…): how far they got is reported.
``lost`` and ``duplicates`` (``notify_count``) must be 0, or the command exits 1.

    uv run tuika bench notify --events 10000 --db postgres
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import psycopg
from sqlalchemy import text

from tuika.bootstrap import System, build
from tuika.domain.notifications import Channel, Plan
from tuika.services.notify.writing import default_plan
from tuika.settings import Settings
from tuika_dev.bench.claimset import stdout
from tuika_dev.bench.notify_count import Phase, channel_figures, event_of, hook_figures, receipts
from tuika_dev.bench.notify_load import EVENTS_PER_CASE, Hook, Written, register_hooks, seed, write
from tuika_dev.bench.stack import PG_ADMIN_URL, Scratch, stopped_by_sigterm
from tuika_dev.bench.workers import WorkerProcesses
from tuika_dev.sandbox.channels import Channels, start

Echo = Callable[[str], None]
Database = Literal["sqlite", "postgres"]
SENT_BY_PROVIDERS: Final = (Channel.SMS, Channel.PUSH, Channel.EMAIL)
SITE: Final = "https://shop.example.com"
# Read in this order, each by the partial index its sender's claim uses: once no event
# delivery is pending every message row exists, so a pending count read after it is whole.
_PENDING: Final = (
    text("SELECT count(*) FROM event_deliveries WHERE status = 'pending'"),
    text("SELECT count(*) FROM messages WHERE status = 'pending'"),
    text("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND endpoint_id = :healthy"),
)


def run(
    events: int = 10_000,
    db: Database = "sqlite",
    *,
    live: int = 2_000,
    writers: int = 2,
    processes: int | None = None,
    threads: int = 4,
    slow_s: float = 0.2,
    echo: Echo = stdout,
) -> dict[str, Any]:
    """Write ``events`` with the workers stopped and send what they give; then ``live`` more with them running.

    Both are rounded up to whole cases. ``processes`` worker processes relay and send, each
    with ``threads`` relay threads and the send loop's own; ``slow_s`` is how late the slow
    endpoint answers.
    """
    backlog_cases = -(-events // EVENTS_PER_CASE)
    live_cases = -(-live // EVENTS_PER_CASE)
    count = processes or ((os.cpu_count() or 1) if db == "postgres" else 1)
    plan = default_plan()
    channels = start(plan)
    hooks = [Hook("healthy"), Hook("slow", delay_s=slow_s), Hook("failing", fail_share=0.5)]
    for hook in hooks:
        hook.start()
    extra = {**channels.settings, "webhooks_allow_private": True, "public_url": SITE}
    # A SIGTERM still stops the workers and drops the database on its way out.
    with stopped_by_sigterm():
        try:
            with _Place(db, extra) as place:
                result = _measure(place, plan, channels, hooks, (backlog_cases, live_cases), writers, (count, threads))
        finally:
            channels.stop()
            for hook in hooks:
                hook.stop()
    result.update(
        {
            "db": db,
            "queue": "redis" if db == "postgres" else "sqlite",
            "writers": writers,
            "worker_processes": count,
            "relay_threads": threads,
            "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            "date": datetime.now(UTC).date().isoformat(),
        }
    )
    _say(result, echo)
    return result


def _measure(
    place: _Place,
    plan: Plan,
    channels: Channels,
    hooks: list[Hook],
    cases: tuple[int, int],
    writers: int,
    workers: tuple[int, int],
) -> dict[str, Any]:
    """Seed, write the backlog, let the workers drain it, write the live part; return the figures."""
    backlog_cases, live_cases = cases
    system = build(place.settings, migrate=True)
    try:
        seed(system, backlog_cases + live_cases, channels.push)
        register_hooks(system, hooks)
        written = Written()
        write(system, written, plan, range(backlog_cases), writers)
        backlog_ids = frozenset(written.occurred)
        with Workers(place, *workers) as running:
            cpu = Cpu(running, place.scratch)
            go = running.go()
            drained = _wait(system, hooks[0], len(backlog_ids))
            used = cpu.since()
            live_started = time.time()
            write(system, written, plan, range(backlog_cases, backlog_cases + live_cases), writers)
            live_written = time.time()
            caught_up = _wait(system, hooks[0], len(written.occurred) - len(backlog_ids))
        live = Phase(frozenset(written.occurred) - backlog_ids, live_started)
        result = _figures(system, channels, hooks, written, Phase(backlog_ids, go), live)
    finally:
        if system.huey is not None:
            system.huey.storage.close()
        system.engine.dispose()
    result.update(
        {
            "settled": drained and caught_up,
            "live_written_per_s": round(len(live.events) / max(live_written - live_started, 1e-9), 1),
            "cpu_s_backlog": used,
        }
    )
    return result


class Workers(WorkerProcesses):
    """The worker processes: ``tuika worker`` as it ships, waiting for the go."""

    def __init__(self, place: _Place, count: int, threads: int) -> None:
        command = [sys.executable, "-m", "tuika_dev.bench.notify_worker", "--threads", str(threads)]
        super().__init__(Path(place.tmp.name), place.environment(), count, lambda _: command)


class Cpu:
    """CPU seconds used from its making on: by this process, the workers, PostgreSQL's backends of the run."""

    def __init__(self, workers: Workers, scratch: Scratch | None) -> None:
        self.workers = [p.pid for p in workers.procs]
        self.database = None if scratch is None else scratch.database
        self.bench = time.process_time()
        self.start = self._processes()

    def since(self) -> dict[str, float]:
        # Per process, so that a backend that ends meanwhile takes its own figure with it.
        now = self._processes()
        used = {"bench": time.process_time() - self.bench}
        for (kind, pid), seconds in now.items():
            used[kind] = used.get(kind, 0.0) + seconds - self.start.get((kind, pid), 0.0)
        return {kind: round(seconds, 2) for kind, seconds in used.items()}

    def _processes(self) -> dict[tuple[str, int], float]:
        found = {("workers", pid): _cpu_of(pid) for pid in self.workers}
        if self.database is not None:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))
                found.update({("postgres", int(row[0])): _cpu_of(int(row[0])) for row in rows.fetchall()})
        return found


def _cpu_of(pid: int) -> float:
    """Return the user and system CPU seconds of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    # utime and stime: the 14th and 15th fields, the 12th and 13th after the command's name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait(system: System, healthy: Hook, events: int) -> bool:
    """Return True once nothing is due, False when waiting longer would not help."""
    deadline = time.monotonic() + max(120.0, events / 20)
    while time.monotonic() < deadline:
        with system.engine.connect() as conn:
            if not any(conn.execute(query, {"healthy": healthy.endpoint_id}).scalar_one() for query in _PENDING):
                return True
        time.sleep(0.05)
    return False


def _figures(
    system: System,
    channels: Channels,
    hooks: list[Hook],
    written: Written,
    backlog: Phase,
    live: Phase,
) -> dict[str, Any]:
    with system.engine.connect() as conn:
        rows: dict[Channel, dict[str, str]] = {c: {} for c in Channel}
        for message_id, channel, status in conn.execute(text("SELECT id, channel, status FROM messages")):
            rows[Channel(channel)][message_id] = status
        states: dict[str, Counter[str]] = {h.endpoint_id: Counter() for h in hooks}
        for endpoint_id, state, n in conn.execute(
            text("SELECT endpoint_id, state, count(*) FROM webhook_deliveries GROUP BY endpoint_id, state")
        ):
            states[endpoint_id][state] = int(n)
    got = receipts(channels)
    per_channel = {
        c.value: channel_figures(rows[c], got[c], written.planned[c], written.occurred, backlog, live)
        for c in SENT_BY_PROVIDERS
    }
    per_hook = {h.name: hook_figures(h, states[h.endpoint_id], written.occurred, backlog, live) for h in hooks}
    inbox_lost = max(0, written.planned[Channel.INBOX] - len(rows[Channel.INBOX]))
    healthy = per_hook[hooks[0].name]
    lost = sum(f["lost"] for f in per_channel.values()) + inbox_lost + (healthy["events"] - healthy["delivered"])
    duplicates = sum(f["duplicates"] for f in [*per_channel.values(), *per_hook.values()])
    drained = sum(f["backlog"] for f in per_channel.values())
    last = max(
        (at for c in SENT_BY_PROVIDERS for m, at in got[c].first.items() if event_of(m) in backlog.events),
        default=backlog.started,
    )
    p99s = [f["p99_s"] for f in per_channel.values() if f["p99_s"] is not None]
    p50s = [f["p50_s"] for f in per_channel.values() if f["p50_s"] is not None]
    return {
        "benchmark": "notify",
        "events": len(written.occurred),
        "backlog_events": len(backlog.events),
        "live_events": len(live.events),
        "messages": sum(f["taken"] for f in per_channel.values()),
        "inbox": len(rows[Channel.INBOX]),
        "backlog_messages": drained,
        "drain_s": round(last - backlog.started, 2),
        "messages_per_s": round(drained / max(last - backlog.started, 1e-9), 1),
        "p50_s": max(p50s, default=None),
        "p99_s": max(p99s, default=None),
        "channels": per_channel,
        "webhooks": per_hook,
        "lost": lost,
        "duplicates": duplicates,
        "ok": lost == 0 and duplicates == 0,
    }


def _say(result: Mapping[str, Any], echo: Echo) -> None:
    channels: Mapping[str, Mapping[str, Any]] = result["channels"]
    echo(
        f"backlog: {result['backlog_events']} events ({result['db']}, {result['worker_processes']} worker processes) "
        f"gave {result['backlog_messages']} messages to the providers in {result['drain_s']} s: "
        f"{result['messages_per_s']} messages/s, {result['inbox']} inbox rows in all"
    )
    for name, f in channels.items():
        echo(
            f"  {name}: {f['backlog']} at {f['backlog_per_s']}/s; live {f['live']}, event → provider took it "
            f"p50 {f['p50_s']} s, p99 {f['p99_s']} s, max {f['max_s']} s; "
            f"lost {f['lost']}, duplicates {f['duplicates']}"
        )
    echo(
        f"live: {result['live_events']} events written at {result['live_written_per_s']}/s "
        f"by {result['writers']} writers"
    )
    for name, h in result["webhooks"].items():
        echo(
            f"  webhooks {name}: {h['delivered']} of {h['events']} events delivered ({h['backlog_per_s']}/s on the "
            f"backlog), {h['tries']} tries, {h['refused']} answered 500, {h['pending']} waiting, "
            f"live p99 {h['live_p99_s']} s, duplicates {h['duplicates']}"
        )
    echo(f"cpu seconds on the backlog: {result['cpu_s_backlog']}")
    echo(f"lost {result['lost']}, duplicates {result['duplicates']}, everything due sent: {result['settled']}")


class _Place:
    """A fresh database and queue: a SQLite file and queue, or a PostgreSQL database and a Redis index."""

    def __init__(self, db: Database, extra: Mapping[str, Any]) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="tuika-bench-notify-")
        self.scratch = Scratch("tuika_bench") if db == "postgres" else None
        self.extra = extra
        self.settings: Settings

    def __enter__(self) -> _Place:
        data = Path(self.tmp.name)
        self.options: dict[str, Any] = {
            "demo": True,
            "data_dir": data,
            "ocr_engine": "off",
            "sweep_interval_s": 3600,
            **self.extra,
        }
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
