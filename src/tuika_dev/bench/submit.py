"""``tuika bench submit``: concurrent buyers file claims against a server on PostgreSQL.

Without ``url`` it starts its own stack (see ``tuika_dev.bench.stack``): a fresh database,
``tuika serve --workers N`` on Redis-backed Huey with no consumer running, so the machine
reviews stay queued and the measurement covers submission only. It pushes one order per
claim through ``POST /v1/orders``, warms up, then measures ``POST /v1/refund-cases``.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from tuika.http.auth import issue_token
from tuika.settings import Settings
from tuika_dev.bench.cpu import CpuMeter, CpuUse
from tuika_dev.bench.load import Load, Phase, build_request, percentile
from tuika_dev.bench.stack import LOOPBACK, Stack, stopped_by_sigterm

WARMUP = 200
RAMP_S = 0.025  # between opening one client's connection and the next, during the order pushes
REASONS = ("not_delivered", "card_invalid")
_LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})

Echo = Callable[[str], None]


def _stdout(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True, slots=True)
class Target:
    """Where the load goes and how it may sign in."""

    port: int
    secret_key: str
    server_workers: int | None
    database: str
    meter: CpuMeter | None = None
    api_threads: int | None = None


def run(
    *,
    clients: int,
    claims: int,
    url: str | None,
    server_workers: int = 2,
    api_threads: int | None = None,
    secret_key: str | None = None,
    warmup: int = WARMUP,
    echo: Echo = _stdout,
) -> dict[str, Any]:
    """Run the submit benchmark, print its figures, and return them (the CLI prints them as JSON)."""
    if url is not None:
        if secret_key is None:
            raise ValueError("a running server needs its TUIKA_SECRET_KEY to sign the tokens")
        target = Target(_loopback_port(url), secret_key, None, "the running server's")
        return _measure(target, clients, claims, warmup, echo)
    stack = Stack(server_workers, api_threads)
    with stopped_by_sigterm():
        try:
            echo(f"starting: database {stack.database}, tuika serve --workers {server_workers} on {stack.base_url}")
            stack.start()
            assert stack.server is not None
            meter = CpuMeter(stack.server.pid, stack.postgres_pids, stack.postgres_sessions)
            database = f"PostgreSQL {stack.postgres_version()} (fresh {stack.database})"
            threads = api_threads or Settings.model_fields["api_threads"].default
            target = Target(stack.port, stack.secret_key, server_workers, database, meter, threads)
            result = _measure(target, clients, claims, warmup, echo)
            result["queued_reviews"] = stack.queued()
            echo(f"queue:          {result['queued_reviews']} machine reviews left queued in Redis (no consumer ran)")
            return result
        except Exception:
            echo(f"server log (tail):\n{stack.server_log()}")
            raise
        finally:
            stack.close()
            echo(f"cleaned up: server stopped, database {stack.database} dropped, Redis index emptied")


def _loopback_port(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme != "http" or parts.hostname not in _LOOPBACK_NAMES:
        raise ValueError(f"the benchmark only talks to http://127.0.0.1:<port>, not {url!r}")
    return parts.port or 80


def _measure(target: Target, clients: int, claims: int, warmup: int, echo: Echo) -> dict[str, Any]:
    run_id = uuid.uuid4().hex[:8]
    load_before = os.getloadavg()[0]
    host = f"{LOOPBACK}:{target.port}"
    now = datetime.now(UTC)
    total = claims + warmup
    buyers = [f"bench_{run_id}_b{n}" for n in range(max(clients * 4, 64))]
    tokens = {b: issue_token(target.secret_key, "buyer", b, 3600, now) for b in buyers}
    platform_token = issue_token(target.secret_key, "platform", f"bench_{run_id}_platform", 3600, now)
    order_ids = [f"bench_{run_id}_o{n}" for n in range(total)]
    owner = {order_id: buyers[n % len(buyers)] for n, order_id in enumerate(order_ids)}
    auth = {"Authorization": f"Bearer {platform_token}"}
    pushes = [build_request("POST", host, "/v1/orders", _order_body(o, owner[o], now), auth) for o in order_ids]
    submits = [_claim_request(host, o, tokens[owner[o]], n) for n, o in enumerate(order_ids)]
    echo(f"orders:         pushing {total} orders for {len(buyers)} buyers through POST /v1/orders")
    phases = asyncio.run(_phases(target, clients, pushes, submits[:warmup], submits[warmup:]))
    pushed, warm, measured, cpu = phases
    if pushed.errors:
        raise RuntimeError(f"{pushed.errors} orders were refused: {pushed.samples}")
    echo(f"warm-up:        {warm.ok} claims at {warm.ok / warm.duration_s:.0f}/s, {warm.errors} errors (not counted)")
    return _report(target, clients, claims, measured, cpu, load_before, echo)


async def _phases(
    target: Target, clients: int, pushes: Sequence[bytes], warmup: Sequence[bytes], submits: Sequence[bytes]
) -> tuple[Phase, Phase, Phase, CpuUse | None]:
    load = Load(LOOPBACK, target.port, clients)
    try:
        pushed = await load.run(pushes, expect=201, ramp_s=RAMP_S)
        warm = await load.run(warmup, expect=201)
        if target.meter is not None:
            target.meter.start()
        measured = await load.run(submits, expect=201)
        cpu = None if target.meter is None else target.meter.stop()
    finally:
        load.close()
    return pushed, warm, measured, cpu


def _order_body(order_id: str, buyer: str, now: datetime) -> bytes:
    paid_at = now - timedelta(hours=1)
    body = {
        "id": order_id,
        "buyer_id": buyer,
        "merchant_id": "m_bench",
        "supplier_id": "sup_bench",
        "sku": "JD-E100",
        "title": "京东E卡 100元",
        "product_kind": "card_key",
        "face_value_fen": 10000,
        "items": [{"id": f"{order_id}_k1", "card_key": f"BNCH-{order_id[-8:].upper()}-7QX2"}],
        "amount_fen": 9850,
        "payment": {"route": "alipay", "transaction_id": f"tx_{order_id}"},
        "paid_at": paid_at.isoformat(),
        "delivery": {"status": "delivered", "delivered_at": (paid_at + timedelta(seconds=30)).isoformat()},
    }
    return json.dumps(body, ensure_ascii=False).encode()


def _claim_request(host: str, order_id: str, token: str, n: int) -> bytes:
    body = {"order_id": order_id, "reason": REASONS[n % len(REASONS)], "route": "balance"}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"bench-{uuid.uuid4()}"}
    return build_request("POST", host, "/v1/refund-cases", json.dumps(body).encode(), headers)


def _report(
    target: Target, clients: int, claims: int, phase: Phase, cpu: CpuUse | None, load_before: float, echo: Echo
) -> dict[str, Any]:
    latencies = sorted(phase.latencies_ns)
    figures = {
        name: round(percentile(latencies, q), 2) for name, q in (("p50_ms", 0.5), ("p90_ms", 0.9), ("p99_ms", 0.99))
    }
    result: dict[str, Any] = {
        "claims_per_s": round(phase.ok / phase.duration_s, 1),
        **figures,
        "max_ms": round(latencies[-1] / 1e6, 2) if latencies else 0.0,
        "errors": phase.errors,
        "clients": clients,
        "claims": claims,
        "ok": phase.ok,
        "duration_s": round(phase.duration_s, 3),
        "server_workers": target.server_workers,
        "api_threads": target.api_threads,
        "database": target.database,
        "queue": "Redis-backed Huey, no consumer during the run" if target.server_workers else "as configured",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "load_average_before": round(load_before, 2),
    }
    if cpu is not None:
        result.update(cpu.per_claim_ms(phase.ok))
        result["other_programs_cpu_share"] = cpu.other_load()
        result["db_connections_opened"] = cpu.connections_opened
        result["server_cpu_split"] = list(cpu.server_split)
    echo(f"server workers: {target.server_workers if target.server_workers else 'unknown (running server)'}")
    echo(f"database:       {target.database}")
    echo(f"clients:        {clients} keep-alive connections, closed loop, one process")
    echo(f"claims:         {claims} ({phase.ok} answered 201)")
    echo(f"duration:       {phase.duration_s:.2f} s")
    echo(f"claims/s:       {result['claims_per_s']:.1f}")
    echo(
        f"latency (ms):   p50 {figures['p50_ms']:.1f}  p90 {figures['p90_ms']:.1f}  "
        f"p99 {figures['p99_ms']:.1f}  max {result['max_ms']:.1f}"
    )
    echo(f"errors:         {phase.errors}" + (f"  e.g. {phase.samples[0]}" if phase.samples else ""))
    if cpu is not None:
        per = cpu.per_claim_ms(phase.ok)
        echo(
            f"CPU per claim:  server {per['server_cpu_ms_per_claim']:.2f} ms, "
            f"PostgreSQL {per['postgres_cpu_ms_per_claim']:.2f} ms, client {per['client_cpu_ms_per_claim']:.2f} ms"
        )
        split = " / ".join(f"{share:.0%}" for share in cpu.server_split)
        echo(f"server CPU:     split {split} between the server's processes")
        echo(f"DB connections: {cpu.connections_opened} opened during the run (0 when the pools hold theirs)")
        echo(f"other programs: {cpu.other_load():.0%} of the {cpu.cores} cores during the run (should be near 0)")
    return result
