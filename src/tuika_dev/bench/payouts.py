"""``tuika bench payouts``: approved claims paid back by Alipay, WeChat Pay and the bank, with faults.

It starts tuika as ``make demo`` runs it (``payoutstack``), pushes N card-key orders spread over
the three payment routes, registers each payment with its sandbox and files a claim that is
approved at once (not delivered, by the original route, each by a buyer of its own). For about
``fault_rate`` of the claims a fault of that sandbox is queued just before the claim is filed:
timeouts after acceptance, 5xx, duplicate, early or missing notices, bad signatures, empty
queries, busy answers, and a refund the gateway ends closed. A queued fault is taken by the next
call it fits, which under concurrency may be another payout's call; the sandboxes' own logs say
which faults were taken, and those are what the figures count.

It waits for every payout to reach a final state, then prints per route the time from approval
(the payout's creation) to that state, the refund calls, resends, queries and notices the
gateways saw, and the audit: double refunds, ledger imbalances, payouts whose state disagrees
with the gateway's record, and a reconciliation against each gateway's statement of the day.

    uv run tuika bench payouts --claims 1000 --fault-rate 0.1
"""

from __future__ import annotations

import os
import platform
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import httpx
from sqlalchemy import Engine, func, select

from tuika.adapters.db.tables import CaseRow, PayoutRow
from tuika.domain.gateway import statement_day
from tuika.domain.money import Money
from tuika_dev.bench.claimset import stdout
from tuika_dev.bench.cpu import machine_busy_s, own_cpu_s, process_cpu_s
from tuika_dev.bench.load import percentile
from tuika_dev.bench.payoutaudit import PayoutFact, Traffic, audit, gateways_of, traffic
from tuika_dev.bench.payoutplan import ROUTES, Planned, order_body, plan
from tuika_dev.bench.payoutstack import PayoutStack, Tuning
from tuika_dev.bench.stack import stopped_by_sigterm
from tuika_dev.sandbox.alipay import AlipaySandbox
from tuika_dev.sandbox.bank import BankSandbox
from tuika_dev.sandbox.gateways import GatewaySandboxes
from tuika_dev.sandbox.wechat import WechatPaySandbox

Echo = Callable[[str], None]
FINAL: Final = ("succeeded", "failed")


def run(
    claims: int = 1000,
    fault_rate: float = 0.1,
    echo: Echo = stdout,
    *,
    seed: int = 7,
    rate: float | None = 10.0,
    clients: int = 4,
    tuning: Tuning | None = None,
    timeout_s: float = 120.0,
) -> dict[str, Any]:
    """Run the payout benchmark, print its figures, and return them (the CLI prints them as JSON).

    ``rate`` paces the claims (per second; None or 0: as fast as ``clients`` can file them): below
    what the worker keeps up with, the times are the service's own; above it, they are mostly the
    queue's backlog.
    ``timeout_s`` is how long after the last claim the payouts may take to reach a final state.
    """
    if claims < 1 or not 0 <= fault_rate <= 1 or (rate is not None and rate < 0):
        raise ValueError("--claims must be at least 1, --fault-rate between 0 and 1, --rate not negative")
    rate = rate or None
    tuning = tuning or Tuning()
    planned = plan(claims, fault_rate, seed)
    with stopped_by_sigterm(), PayoutStack(tuning) as stack:
        try:
            sandboxes = stack.start()
            echo(
                f"started:        tuika serve --embedded-worker on {stack.url} ({tuning.workers} worker threads, "
                f"SQLite + SQLite queue); Alipay, WeChat Pay, bank sandboxes (settle {tuning.settle_s} s, bank T+0)"
            )
            engine = stack.engine()
            try:
                assert stack.server.process is not None
                pid = stack.server.process.pid
                load = os.getloadavg()[0]
                before = (process_cpu_s(pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
                filed = _file_all(stack, sandboxes, planned, clients, rate)
                pace = f"paced at {rate:g}/s" if rate else "unpaced"
                speed = f"{claims / filed:.1f}/s, {pace}, {clients} clients"
                echo(f"filed:          {claims} claims in {filed:.1f} s ({speed})")
                waited = _wait_final(engine, claims, timeout_s)
                echo(f"final:          {waited:.1f} s after the last claim was filed")
                after = (process_cpu_s(pid), own_cpu_s(), machine_busy_s()[0], time.perf_counter())
                cpu = [b - a for a, b in zip(before, after, strict=True)]
                result = _measure(stack, engine, sandboxes, planned)
            finally:
                engine.dispose()
        except Exception:
            echo(f"server log (tail):\n{stack.server.log()}")
            raise
    echo("cleaned up:     server and worker stopped, sandboxes stopped, temporary directory deleted")
    result |= {
        "filing_s": round(filed, 2),
        "claims_per_s": round(claims / filed, 1),
        "rate": rate,
        "clients": clients,
        "final_after_s": round(waited, 2),
        "payouts_per_s": round(claims / (filed + waited), 1),
        "tuika_cpu_s_per_payout": round(cpu[0] / claims, 4),
        "sandboxes_and_client_cpu_s_per_payout": round(cpu[1] / claims, 4),
        # What else ran meanwhile: the machine is shared, and a busy one slows every figure.
        "other_programs_cpu_share": round(max(0.0, cpu[2] - cpu[0] - cpu[1]) / (cpu[3] * (os.cpu_count() or 1)), 3),
        "load_average_before": round(load, 2),
        "settings": {
            "worker_threads": tuning.workers,
            "api_threads": tuning.api_threads,
            "settle_s": tuning.settle_s,
            "first_query_s": tuning.first_query_s,
            "gateway_timeout_s": tuning.timeout_s,
            "sweep_interval_s": tuning.sweep_s,
            "fault_rate": fault_rate,
            "seed": seed,
        },
    }
    _print(result, echo)
    return result


def _file_all(
    stack: PayoutStack, sandboxes: GatewaySandboxes, planned: list[Planned], clients: int, rate: float | None
) -> float:
    """File every claim through API v1 from ``clients`` threads, paced at ``rate``; return how long it took."""
    todo: queue.SimpleQueue[tuple[int, Planned] | None] = queue.SimpleQueue()
    for item in enumerate(planned):
        todo.put(item)
    errors: list[str] = []
    platform_auth = stack.token("platform", "bench")
    now = datetime.now(UTC)
    started = time.perf_counter()

    def work() -> None:
        with httpx.Client(base_url=stack.url, timeout=60.0, trust_env=False) as client:
            while (item := todo.get()) is not None and not errors:
                n, p = item
                if rate:
                    time.sleep(max(0.0, started + n / rate - time.perf_counter()))
                try:
                    body = order_body(p, now)
                    _expect(client.post("/v1/orders", json=body, headers=platform_auth), 201)
                    _register(sandboxes, p, datetime.fromisoformat(body["paid_at"]))
                    claim = {"order_id": p.order_id, "reason": "not_delivered", "route": "original"}
                    _expect(client.post("/v1/refund-cases", json=claim, headers=stack.token("buyer", p.buyer)), 201)
                except Exception as exc:
                    errors.append(f"{p.order_id}: {exc}")

    threads = [threading.Thread(target=work, name=f"bench-payouts-client-{n}", daemon=True) for n in range(clients)]
    for thread in threads:
        todo.put(None)
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"filing failed: {errors[0]}")
    return time.perf_counter() - started


def _register(sandboxes: GatewaySandboxes, p: Planned, paid_at: datetime) -> None:
    """Tell the order's sandbox about its payment, then queue the claim's fault there, if it has one."""
    transaction, total = f"tx_{p.order_id}", Money(p.amount_fen)
    sandbox: AlipaySandbox | WechatPaySandbox | BankSandbox
    if p.route == "alipay":
        sandbox = sandboxes.alipay
        sandbox.add_trade(transaction, p.order_id, total)
    elif p.route == "wechat":
        sandbox = sandboxes.wechat
        sandbox.add_trade(transaction, p.order_id, total, paid_at=paid_at)
    else:
        sandbox = sandboxes.bank
        sandbox.add_trade(transaction, p.order_id, total)
    if p.fault is not None:
        sandbox.fail_next(p.fault)


def _expect(response: httpx.Response, status: int) -> None:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: HTTP {response.status_code} {response.text[:300]}"
        )


def _wait_final(engine: Engine, claims: int, timeout_s: float) -> float:
    """Wait until every claim has a payout in a final state, at most ``timeout_s``; return the wait."""
    started = time.perf_counter()
    final = select(func.count()).select_from(PayoutRow).where(PayoutRow.status.in_(FINAL))
    while time.perf_counter() - started < timeout_s:
        with engine.connect() as conn:
            if conn.execute(final).scalar_one() >= claims:
                break
        time.sleep(0.2)
    return time.perf_counter() - started


def _measure(stack: PayoutStack, engine: Engine, sandboxes: GatewaySandboxes, planned: list[Planned]) -> dict[str, Any]:
    """Read back the payouts, the sandboxes' records and the books; reconcile; return the figures."""
    query = select(PayoutRow, CaseRow.created_at.label("filed_at")).join(CaseRow, CaseRow.id == PayoutRow.case_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    books = audit(engine, gateways_of(sandboxes), [PayoutFact(r.id, r.route, r.status) for r in rows])
    seen = traffic(sandboxes)
    code, reconciled = stack.reconcile(statement_day(datetime.now(UTC)))
    logged, errors = stack.logged()
    queued = Counter((p.route, p.fault) for p in planned if p.fault is not None)
    routes = {
        route: _route_figures(route, [r for r in rows if r.route == route], seen[route], queued) for route in ROUTES
    }
    done = [r for r in rows if r.status in FINAL]
    latencies = sorted(_ns(r.created_at, r.updated_at) for r in done)
    end_to_end = sorted(_ns(r.filed_at, r.updated_at) for r in done)
    unfinished = [f"{r.id} {r.route} {r.status} {r.failure or ''}".strip() for r in rows if r.status not in FINAL]
    result: dict[str, Any] = {
        "payouts": len(rows),
        "claims": len(planned),
        "not_approved": len(planned) - len(rows),
        "refunded": sum(f["refunded"] for f in routes.values()),
        "failed": sum(f["failed"] for f in routes.values()),
        "unfinished": len(unfinished),
        "double_refunds": len(books.double_refunds),
        "ledger_imbalances": len(books.imbalances),
        "disagreements": len(books.disagreements),
        "unexpected_failures": sum(f["unexpected_failures"] for f in routes.values()),
        "reconcile_mismatches": int(reconciled.get("mismatches", -1)) if code in (0, 1) else -1,
        "alerts": books.alerts,
        "p50_s": _s(percentile(latencies, 0.5)),
        "p99_s": _s(percentile(latencies, 0.99)),
        "max_s": round(latencies[-1] / 1e9, 3) if latencies else 0.0,
        "filed_to_final_p50_s": _s(percentile(end_to_end, 0.5)),
        "filed_to_final_p99_s": _s(percentile(end_to_end, 0.99)),
        "faults_queued": sum(queued.values()),
        "faults_taken": sum(sum(f["faults_taken"].values()) for f in routes.values()),
        "retries": {
            key: sum(f[key] for f in routes.values())
            for key in ("refund_calls", "resent", "queries", "sent_more_than_once")
        },
        "routes": routes,
        "log": logged,
        "examples": {
            "unfinished": unfinished[:5],
            "double_refunds": books.double_refunds[:5],
            "ledger_imbalances": books.imbalances[:5],
            "disagreements": books.disagreements[:5],
            "reconcile": reconciled["lines"][:5] if code else [],
            "errors_logged": errors[:5],
        },
        "database": "SQLite (WAL), Huey on SQLite, tuika serve --embedded-worker",
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "cpu": cpu_model(),
        "date": datetime.now(UTC).date().isoformat(),
    }
    checks = ("not_approved", "unfinished", "double_refunds", "ledger_imbalances", "disagreements")
    problems = [name for name in (*checks, "unexpected_failures", "reconcile_mismatches") if result[name]]
    result["ok"] = not problems
    result["problems"] = problems
    return result


def _route_figures(route: str, rows: list[Any], seen: Traffic, queued: Counter[tuple[str, str]]) -> dict[str, Any]:
    latencies = sorted(_ns(r.created_at, r.updated_at) for r in rows if r.status in FINAL)
    failed = sum(r.status == "failed" for r in rows)
    closed = seen.faults.get("closed", 0)
    return {
        "payouts": len(rows),
        "refunded": sum(r.status == "succeeded" for r in rows),
        "failed": failed,
        # A payout may end failed only where the gateway was told to close a refund.
        "unexpected_failures": max(0, failed - closed),
        "unfinished": sum(r.status not in FINAL for r in rows),
        "p50_s": _s(percentile(latencies, 0.5)),
        "p99_s": _s(percentile(latencies, 0.99)),
        "max_s": round(latencies[-1] / 1e9, 3) if latencies else 0.0,
        "faults_queued": {mode: n for (r, mode), n in sorted(queued.items()) if r == route},
        "faults_taken": dict(sorted(seen.faults.items())),
        "refund_calls": seen.refund_calls,
        "resent": max(0, seen.refund_calls - len(rows)),
        "queries": seen.queries,
        "sent_more_than_once": sum(r.attempts > 1 for r in rows),
        "notice_deliveries": seen.deliveries,
        "notices_refused": seen.refused,
    }


def _ns(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() * 1e9)


def _s(ms: float) -> float:
    return round(ms / 1000, 3)


def cpu_model() -> str:
    """Return the CPU's model name from /proc/cpuinfo (empty where there is none)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _print(result: Mapping[str, Any], echo: Echo) -> None:
    echo(
        f"{'route':<11}{'payouts':>8}{'refunded':>9}{'failed':>7}{'open':>6}{'p50 s':>8}{'p99 s':>8}{'max s':>8}"
        f"{'faults':>8}{'calls':>7}{'resent':>7}{'queries':>8}{'notices':>8}{'refused':>8}"
    )
    for route, f in result["routes"].items():
        echo(
            f"{route:<11}{f['payouts']:>8}{f['refunded']:>9}{f['failed']:>7}{f['unfinished']:>6}{f['p50_s']:>8.2f}"
            f"{f['p99_s']:>8.2f}{f['max_s']:>8.2f}{sum(f['faults_taken'].values()):>8}{f['refund_calls']:>7}"
            f"{f['resent']:>7}{f['queries']:>8}{f['notice_deliveries']:>8}{f['notices_refused']:>8}"
        )
    r = result["retries"]
    echo(
        f"{'all':<11}{result['payouts']:>8}{result['refunded']:>9}{result['failed']:>7}{result['unfinished']:>6}"
        f"{result['p50_s']:>8.2f}{result['p99_s']:>8.2f}{result['max_s']:>8.2f}{result['faults_taken']:>8}"
        f"{r['refund_calls']:>7}{r['resent']:>7}{r['queries']:>8}"
    )
    echo("  (seconds from approval to a final state; open: not final when the wait ended)")
    for route, f in result["routes"].items():
        taken = ", ".join(f"{mode} {n}" for mode, n in f["faults_taken"].items()) or "none"
        echo(f"faults {route + ':':<10} {taken}")
    echo(
        f"faults:            {result['faults_queued']} queued for {result['claims']} claims, {result['faults_taken']} "
        f"taken by a call; {result['failed']} payouts failed, each where a gateway closed the refund "
        f"({result['unexpected_failures']} otherwise)"
    )
    echo(f"double refunds:    {result['double_refunds']} (must be 0)")
    echo(f"ledger imbalances: {result['ledger_imbalances']} (must be 0)")
    echo(f"books vs gateways: {result['disagreements']} payouts whose state disagrees with the gateway's (must be 0)")
    echo(f"reconciliation:    {result['reconcile_mismatches']} mismatches in `tuika reconcile` for today")
    echo(f"not approved:      {result['not_approved']}; unfinished: {result['unfinished']}; alerts: {result['alerts']}")
    for kind, examples in result["examples"].items():
        for example in examples:
            echo(f"  {kind}: {example}")
    pace = f"paced at {result['rate']:g}/s" if result["rate"] else "unpaced"
    echo(
        f"claim → final:     p50 {result['filed_to_final_p50_s']:.2f} s, p99 {result['filed_to_final_p99_s']:.2f} s "
        f"(from the claim's filing, review included)"
    )
    echo(
        f"throughput:        filed {result['claims_per_s']:.1f} claims/s ({pace}), all final "
        f"{result['final_after_s']:.1f} s after the last: {result['payouts_per_s']:.1f} payouts/s overall"
    )
    echo(
        f"CPU per payout:    tuika {result['tuika_cpu_s_per_payout']:.3f} s, sandboxes and client "
        f"{result['sandboxes_and_client_cpu_s_per_payout']:.3f} s; other programs used "
        f"{result['other_programs_cpu_share']:.0%} of the cores (load average {result['load_average_before']} before)"
    )
    log = result["log"]
    echo(f"server log:        {log.get('warning', 0)} warnings, {log.get('error', 0)} errors")
    echo(f"machine:           {result['cores']} cores, {result['cpu']}, Python {result['python']}, {result['date']}")
    echo("result:            OK" if result["ok"] else f"result:            FAILED ({', '.join(result['problems'])})")
