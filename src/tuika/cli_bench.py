"""``tuika bench``: the benchmarks, each printing its figures and then one JSON line.

Each command loads its engine from ``tuika_dev`` inside the command, so the product runs without
the dev tools, and says so in words where they are missing (``dev_tools``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Final

import typer

from tuika.cli_settings import load_settings
from tuika.settings import Settings

bench_app = typer.Typer(help="Benchmarks that print their figures.", no_args_is_help=True)

DEV_TOOLS_MISSING: Final = (
    "tuika {command} 需要开发工具 tuika_dev（演示数据、沙箱、基准测试），安装包中不含它："
    "请在 tuika 的源码目录中运行 uv sync 后再试。\n"
    "tuika {command} needs tuika_dev (demo data, sandboxes, benchmarks), which the installed package does not "
    "include: run it from a checkout of tuika after uv sync."
)


@contextlib.contextmanager
def dev_tools(command: str) -> Iterator[None]:
    """Exit 2 saying so when the imports inside need ``tuika_dev``, which the wheel does not ship."""
    try:
        yield
    except ModuleNotFoundError as exc:
        if exc.name is None or exc.name.partition(".")[0] != "tuika_dev":
            raise
        typer.echo(DEV_TOOLS_MISSING.format(command=command), err=True)
        raise typer.Exit(2) from exc


@bench_app.command("submit")
def bench_submit(
    clients: Annotated[int, typer.Option(min=1, max=256, help="concurrent clients")] = 32,
    claims: Annotated[int, typer.Option(min=10, max=1_000_000, help="claims to submit")] = 5000,
    url: Annotated[
        str | None, typer.Option(help="a running server on 127.0.0.1 (signs with TUIKA_SECRET_KEY); default: start one")
    ] = None,
    server_workers: Annotated[int, typer.Option(min=1, max=16, help="API processes of the server it starts")] = 2,
    api_threads: Annotated[
        int | None, typer.Option(min=1, max=256, help="TUIKA_API_THREADS of the server it starts; default: its own")
    ] = None,
) -> None:
    """Submit claims concurrently and print claims/s and latency; the last line is JSON."""
    with dev_tools("bench submit"):
        from tuika_dev.bench.submit import run

    secret = load_settings(demo=Settings().demo).secret_key if url else None
    try:
        result = run(
            clients=clients,
            claims=claims,
            url=url,
            server_workers=server_workers,
            api_threads=api_threads,
            secret_key=secret,
        )
    except (RuntimeError, ValueError) as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result))


@bench_app.command("review")
def bench_review(
    claims: Annotated[int, typer.Option(min=10, max=50_000, help="labelled claims to file")] = 300,
    workers: Annotated[int, typer.Option(min=1, max=16, help="queue consumer threads of the server it starts")] = 2,
    seed: Annotated[int, typer.Option(help="seed of the claim set and its screenshots")] = 7,
    ocr: Annotated[
        str, typer.Option(help="paddle-tiny-first (the default: tiny, then small), paddle-small or paddle-tiny")
    ] = "paddle-tiny-first",
    in_flight: Annotated[
        int | None, typer.Option(min=1, max=64, help="claims awaiting their decision at once; default: --workers")
    ] = None,
) -> None:
    """Review labelled claims with screenshots for real and print accuracy and latency; the last line is JSON."""
    with dev_tools("bench review"):
        from tuika_dev.bench.claimset import OcrEngine
        from tuika_dev.bench.review import run

    engines: dict[str, OcrEngine] = {e: e for e in ("paddle-small", "paddle-tiny", "paddle-tiny-first")}
    if ocr not in engines:
        typer.echo("--ocr must be paddle-small, paddle-tiny or paddle-tiny-first", err=True)
        raise typer.Exit(2)
    try:
        result = run(claims, workers, seed=seed, ocr=engines[ocr], in_flight=in_flight)
    except RuntimeError as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result))


@bench_app.command("ocr-fields")
def bench_ocr_fields(
    per_layout: Annotated[
        int, typer.Option(min=1, max=1000, help="screens of each layout in each face, each read clean and degraded")
    ] = 5,
    seed: Annotated[int, typer.Option(help="seed of the corpus")] = 7,
    engine: Annotated[
        str, typer.Option(help="paddle-tiny-first (the default: tiny, then small), paddle-small or paddle-tiny")
    ] = "paddle-tiny-first",
    layouts: Annotated[str, typer.Option(help="comma-separated layouts to draw; default: all")] = "",
    faces: Annotated[str, typer.Option(help="comma-separated fonts to draw with; default: all")] = "",
    dump: Annotated[
        Path | None, typer.Option(help="folder to write every screenshot and reads.jsonl (labels, text, failures) to")
    ] = None,
) -> None:
    """Read labelled real-world screenshots and print each field's accuracy by layout; the last line is JSON."""
    with dev_tools("bench ocr-fields"):
        from tuika_dev.bench.ocrfields import Engine, run

    engines: dict[str, Engine] = {e: e for e in ("paddle-small", "paddle-tiny", "paddle-tiny-first")}
    if engine not in engines:
        typer.echo("--engine must be paddle-small, paddle-tiny or paddle-tiny-first", err=True)
        raise typer.Exit(2)
    try:
        result = run(
            per_layout,
            seed,
            engines[engine],
            layouts=[name for name in layouts.split(",") if name],
            faces=[name for name in faces.split(",") if name],
            dump=dump,
        )
    except ValueError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    except RuntimeError as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result, ensure_ascii=False))


@bench_app.command("payouts")
def bench_payouts(
    claims: Annotated[int, typer.Option(min=1, max=100_000, help="approved claims to pay back")] = 1000,
    fault_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="share of claims with a gateway fault queued before them")
    ] = 0.1,
    rate: Annotated[float, typer.Option(min=0.0, help="claims filed per second; 0: as fast as the clients can")] = 10.0,
    clients: Annotated[int, typer.Option(min=1, max=64, help="concurrent API clients filing claims")] = 4,
    seed: Annotated[int, typer.Option(help="seed of the routes, amounts and faults")] = 7,
    timeout: Annotated[
        float, typer.Option(min=1.0, help="seconds after the last claim for every payout to reach a final state")
    ] = 120.0,
) -> None:
    """Pay back approved claims by Alipay, WeChat Pay and the bank with injected faults; the last line is JSON.

    Exits 1 when a check fails: a double refund, a ledger imbalance, an unfinished payout, a reconciliation mismatch.
    """
    with dev_tools("bench payouts"):
        from tuika_dev.bench.payouts import run

    try:
        result = run(claims, fault_rate, rate=rate, clients=clients, seed=seed, timeout_s=timeout)
    except (RuntimeError, ValueError) as exc:
        typer.echo(f"benchmark failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result, ensure_ascii=False))
    if not result["ok"]:
        raise typer.Exit(1)


@bench_app.command("events")
def bench_events(
    events: Annotated[int, typer.Option(min=5, max=1_000_000, help="events written, then relayed")] = 10_000,
    live: Annotated[int, typer.Option(min=5, max=1_000_000, help="events written with the relay running")] = 2_000,
    db: Annotated[str, typer.Option(help="sqlite (SQLite queue) or postgres (Redis queue)")] = "sqlite",
    writers: Annotated[int, typer.Option(min=1, max=64, help="threads moving cases")] = 2,
    workers: Annotated[int, typer.Option(min=1, max=64, help="relay threads of each worker process")] = 4,
    processes: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="worker processes (default: one per core on postgres, 1 on sqlite)"),
    ] = None,
) -> None:
    """Relay events written by real case transitions to two handlers; the last line is JSON.

    Exits 1 when an event was lost or a handler ran twice.
    """
    if db not in ("sqlite", "postgres"):
        typer.echo(f"--db is sqlite or postgres, not {db!r}", err=True)
        raise typer.Exit(2)
    with dev_tools("bench events"):
        from tuika_dev.bench.events import run

    result = run(
        events,
        "postgres" if db == "postgres" else "sqlite",
        live=live,
        writers=writers,
        workers=workers,
        processes=processes,
    )
    typer.echo(json.dumps(result, ensure_ascii=False))
    if not result["ok"]:
        raise typer.Exit(1)


@bench_app.command("notify")
def bench_notify(
    events: Annotated[int, typer.Option(min=4, max=1_000_000, help="events written, then fanned out")] = 10_000,
    live: Annotated[int, typer.Option(min=4, max=1_000_000, help="events written with the workers running")] = 2_000,
    db: Annotated[str, typer.Option(help="sqlite (SQLite queue) or postgres (Redis queue)")] = "sqlite",
    writers: Annotated[int, typer.Option(min=1, max=64, help="threads moving cases")] = 2,
    workers: Annotated[int, typer.Option(min=1, max=64, help="relay threads of each worker process")] = 4,
    processes: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="worker processes (default: one per core on postgres, 1 on sqlite)"),
    ] = None,
) -> None:
    """Fan case events out to SMS, push, email and three webhook endpoints; the last line is JSON.

    Exits 1 when a message was lost or a provider took one twice.
    """
    if db not in ("sqlite", "postgres"):
        typer.echo(f"--db is sqlite or postgres, not {db!r}", err=True)
        raise typer.Exit(2)
    with dev_tools("bench notify"):
        from tuika_dev.bench.notify import run

    result = run(
        events,
        "postgres" if db == "postgres" else "sqlite",
        live=live,
        writers=writers,
        processes=processes,
        threads=workers,
    )
    typer.echo(json.dumps(result, ensure_ascii=False))
    if not result["ok"]:
        raise typer.Exit(1)
