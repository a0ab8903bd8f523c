"""Command line: demo, serve, worker, migrate, token, link, reconcile, events, bench and the upkeep commands."""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import signal
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

# Only light modules are imported here: `tuika token` and `tuika link` must answer at once, and the
# app, the database adapters, the queue and the services take seconds to import. Each command that
# needs them imports them in its body (tests/cli/test_cli_imports.py keeps it so).
from tuika.cli_bench import bench_app
from tuika.cli_bench import dev_tools as _dev_tools
from tuika.cli_events import events_app
from tuika.cli_settings import load_settings
from tuika.domain.clock import SHANGHAI
from tuika.domain.payouts import PayoutRoute
from tuika.http.auth import ROLES, SIGN_IN_TTL_S, issue_token, new_token_id, sign_in_token
from tuika.settings import DEFAULT_SECRET_KEY, Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

# The roles the pages sign in: buyers to their orders, staff to the console, merchants to their claims.
PAGE_ROLES: Final = ("buyer", "agent", "arbitrator", "admin", "merchant")

# Demo data, sandboxes and benchmark engines live in tuika_dev, which a dev install has and the wheel does not.

app = typer.Typer(help="tuika 退卡: the refund and after-sales engine for 卡盟 platforms.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")
app.add_typer(events_app, name="events")


class _Stopped(Exception):
    """Ctrl-C or SIGTERM asked the demo to stop."""


@contextlib.contextmanager
def _stopped_quietly() -> Iterator[None]:
    """End the block at Ctrl-C or SIGTERM as a normal stop, exiting 0: that is how a demo is meant to end.

    Uvicorn takes both signals while it serves, shuts down, puts these handlers back and raises the
    signal again; without them the process died of it and ``make demo`` reported ``Error 130`` or ``143``.
    """
    signals = (signal.SIGINT, signal.SIGTERM)

    def stop(signum: int, _frame: object) -> None:
        # Once stopping, later signals are ignored: `timeout` and `uv run` may pass the same one on again,
        # and it would break off the sandboxes' shutdown with a traceback.
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)
        raise _Stopped(signum)

    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield
    except _Stopped:
        typer.echo("演示已停止 / demo stopped", err=True)
        return
    finally:
        if signal.getsignal(signal.SIGINT) is stop:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@app.command()
def migrate() -> None:
    """Create or upgrade the database and publish the default policy if none is published."""
    from tuika.bootstrap import build

    system = build(load_settings(), migrate=True, queue=False)
    typer.echo(f"database at {system.settings.db_url()} is up to date")


@app.command("remask-reads")
def remask_reads_command() -> None:
    """Mask every stored screenshot read again with its order's card keys; safe to run again."""
    from tuika.bootstrap import build
    from tuika.services.review.remask import remask_reads

    system = build(load_settings(), migrate=True, queue=False)
    changed = remask_reads(system.ctx)
    typer.echo(f"masked {changed} stored reads again" if changed else "every stored read was masked already")


@app.command("encrypt-accounts")
def encrypt_accounts_command() -> None:
    """Encrypt the accounts still kept in clear (done once by migrate after migration 0010); safe to run again."""
    from tuika.bootstrap import build
    from tuika.services.orders.encrypt_accounts import encrypt_accounts

    system = build(load_settings(), migrate=True, queue=False)
    done = system.encrypted_accounts + encrypt_accounts(system.ctx)
    typer.echo(f"encrypted {done} accounts kept in clear" if done else "no account is kept in clear")


@app.command("seed")
def seed_command() -> None:
    """Load the demo orders into an empty database."""
    with _dev_tools("seed"):
        from tuika_dev.demo import seed
    from tuika.bootstrap import build

    system = build(load_settings(), migrate=True, queue=False)
    added = seed(system.ctx)
    typer.echo(f"added {added} demo orders" if added else "orders exist already; nothing added")


def _subject_ok(subject: str) -> None:
    if not subject.strip() or len(subject) > 64:
        typer.echo("the subject must be 1 to 64 characters", err=True)
        raise typer.Exit(2)


@app.command()
def token(
    role: Annotated[str, typer.Argument(help=f"one of: {', '.join(ROLES)}")],
    subject: Annotated[str, typer.Argument(help="the user id the token speaks for")],
    ttl: Annotated[int, typer.Option(min=60, max=365 * 86400, help="lifetime in seconds")] = 86400,
) -> None:
    """Print a bearer token for ROLE and SUBJECT, signed with TUIKA_SECRET_KEY (for a browser, use `tuika link`)."""
    if role not in ROLES:
        typer.echo(f"unknown role {role!r}; use one of {', '.join(ROLES)}", err=True)
        raise typer.Exit(2)
    _subject_ok(subject)
    settings = load_settings(demo=Settings().demo)
    typer.echo(issue_token(settings.secret_key, role, subject, ttl, datetime.now(UTC), jti=new_token_id()))


@app.command()
def link(
    role: Annotated[str, typer.Argument(help=f"one of: {', '.join(PAGE_ROLES)}")],
    subject: Annotated[str, typer.Argument(help="the user id to sign in as")],
    ttl: Annotated[
        int | None, typer.Option(min=30, help="lifetime in seconds; default 600, at most TUIKA_SIGN_IN_LINK_MAX_S")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="where the pages are served; default http://TUIKA_HOST:TUIKA_PORT")
    ] = None,
) -> None:
    """Print a fresh sign-in link for the pages: it signs SUBJECT in once, within its short lifetime."""
    if role not in PAGE_ROLES:
        typer.echo(f"the pages sign in {', '.join(PAGE_ROLES)} only, not {role!r}", err=True)
        raise typer.Exit(2)
    _subject_ok(subject)
    settings = load_settings(demo=Settings().demo)
    allowed = settings.sign_in_link_max_s
    if ttl is not None and ttl > allowed:
        typer.echo(f"--ttl {ttl} is over TUIKA_SIGN_IN_LINK_MAX_S ({allowed}); the pages would refuse it", err=True)
        raise typer.Exit(2)
    lifetime = ttl or min(SIGN_IN_TTL_S, allowed)
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    minted = sign_in_token(settings.secret_key, role, subject, datetime.now(UTC), lifetime)
    typer.echo(f"{base}/sso?token={minted}")
    zh, en = _lasting(lifetime)
    typer.echo(f"链接只能登录一次，{zh}内有效 / single-use, valid for {en}", err=True)


notify_app = typer.Typer(help="The notification plan's messages.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("sms-templates")
def notify_sms_templates() -> None:
    """Print the plan's SMS texts as provider templates: register each, name its code in TUIKA_SMS_TEMPLATES."""
    from tuika.adapters.notify.sms import template_text
    from tuika.bootstrap import notify_plan
    from tuika.domain.notifications import Channel

    plan = notify_plan(Settings(demo=True))
    for (moment, channel, lang), template in sorted(plan.templates.items()):
        if channel is Channel.SMS:
            typer.echo(f"{moment.value}.{lang}\t{template_text(template.body)}")


sandbox_app = typer.Typer(help="What the demo's sandboxes received.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")


@sandbox_app.command("messages")
def sandbox_messages(
    base_url: Annotated[
        str | None, typer.Option(help="where the demo runs (default: http://TUIKA_HOST:TUIKA_PORT)")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
) -> None:
    """Print what the running demo's SMS, push and email sandboxes received, newest first."""
    import httpx

    # Only where the demo listens: no secret is read, so no demo-mode check is needed.
    settings = Settings(demo=True)
    base = (base_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    try:
        answer = httpx.get(f"{base}/demo/outbox.json", timeout=5.0)
    except httpx.HTTPError as exc:
        typer.echo(f"cannot reach {base} ({exc}); is `make demo` running? / 无法连接演示服务", err=True)
        raise typer.Exit(1) from None
    if answer.status_code == 404:
        typer.echo(f"{base} runs no message sandboxes: its providers are configured / 该服务未使用消息沙箱", err=True)
        raise typer.Exit(1)
    answer.raise_for_status()
    items = answer.json()["items"][:limit]
    if not items:
        typer.echo("no messages yet: file a claim and see it refunded / 还没有消息")
    for m in items:
        at = datetime.fromisoformat(m["at"]).astimezone(SHANGHAI)
        head = f"{at:%m-%d %H:%M:%S}  {m['channel']:<5} → {m['to']}"
        typer.echo(head)
        text = (m["title"] + ": " if m["title"] else "") + " ".join(m["text"].split())
        typer.echo(f"    {text[:200]}")


def _lasting(seconds: int) -> tuple[str, str]:
    """Return a lifetime in words, zh and en: minutes when whole, else seconds."""
    if seconds % 60 == 0:
        return f"{seconds // 60} 分钟", f"{seconds // 60} minutes"
    return f"{seconds} 秒", f"{seconds} seconds"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (TUIKA_HOST)")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="port (TUIKA_PORT)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="API processes")] = 1,
    embedded_worker: Annotated[
        bool | None, typer.Option(help="run the queue consumer in this process (default: without Redis)")
    ] = None,
) -> None:
    """Serve the API; with SQLite the worker runs inside, with Redis run `tuika worker` beside it."""
    from tuika.bootstrap import build

    settings = load_settings()
    _logging()
    build(settings, migrate=True, queue=False)
    _serve(settings, host, port, workers, embedded_worker)


def _serve(
    settings: Settings,
    host: str | None,
    port: int | None,
    workers: int,
    embedded: bool | None,
    extra: Callable[[FastAPI], None] | None = None,
) -> None:
    import uvicorn

    from tuika.app import create_app
    from tuika.bootstrap import build

    host, port = host or settings.host, port or settings.port
    if workers > 1:
        if embedded:
            typer.echo("an embedded worker runs in one process only; use `tuika worker`", err=True)
            raise typer.Exit(2)
        uvicorn.run(
            "tuika.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return
    embedded = settings.redis_url is None if embedded is None else embedded
    system = build(settings)
    served = create_app(system, embedded_worker=embedded)
    if extra is not None:
        extra(served)
    uvicorn.run(served, host=host, port=port, log_level="info", access_log=False)


@app.command()
def worker(threads: Annotated[int | None, typer.Option(min=1, max=64, help="worker threads")] = None) -> None:
    """Run the queue consumer: reviews, payouts, and the sweep every TUIKA_SWEEP_INTERVAL_S seconds.

    SIGTERM or Ctrl-C stops it once running tasks finish; a second one stops it at once.
    """
    from tuika.bootstrap import build
    from tuika.jobs.queue import worker_consumer

    settings = load_settings()
    _logging()
    system = build(settings, migrate=True)
    count = threads or settings.worker_threads
    announce = (
        f"worker running with {count} threads on {'Redis' if settings.redis_url else 'SQLite'} queue, "
        f"sweeping every {settings.sweep_interval_s} s"
    )
    # Load the models before taking tasks: the first read is slower, and a claim should not pay for it.
    for engine in (system.ctx.quick_ocr, system.ctx.ocr):
        if engine is not None:
            engine.warm_up()
    consumer = worker_consumer(system.huey, count, on_ready=lambda: typer.echo(announce))
    try:
        consumer.run()
    finally:
        system.engine.dispose()


@app.command()
def demo(
    reset: Annotated[bool, typer.Option(help="delete the demo data and seed it again")] = False,
    port: Annotated[int | None, typer.Option(min=1, max=65535)] = None,
) -> None:
    """Run everything on one machine: SQLite, in-process worker, demo data; print URLs and tokens."""
    with _dev_tools("demo"), _stopped_quietly():
        _demo(reset, port)


def _demo(reset: bool, port: int | None) -> None:
    from tuika.bootstrap import build, notify_plan
    from tuika_dev.demo import BUYERS, MERCHANTS, STAFF, seed, seed_payments, seed_supplier
    from tuika_dev.demo.claims import seed_claims
    from tuika_dev.demo.examples import install as install_examples
    from tuika_dev.demo.outbox import install as install_outbox
    from tuika_dev.demo.outbox import seed_contacts
    from tuika_dev.sandbox.channels import start as start_channel_sandboxes
    from tuika_dev.sandbox.gateways import start as start_payment_sandboxes
    from tuika_dev.sandbox.supplier import SandboxSupplier

    settings = load_settings(demo=True)
    if reset:
        _reset(settings)
    sandbox = None
    if not settings.supplier_url:
        # No real supplier configured: the demo's suppliers answer from a local sandbox.
        secret = secrets.token_urlsafe(24)
        sandbox = SandboxSupplier(settings.supplier_partner_id, secret).start()
        settings = settings.model_copy(update={"supplier_url": sandbox.base_url, "supplier_secret": secret})
    payments = None
    if not (settings.alipay_url or settings.wechat_url or settings.bank_url):
        # No real gateways configured: refunds by the original route go to local sandboxes
        # that settle in seconds (the bank at its next tick), with keys made for this run.
        payments = start_payment_sandboxes(settings.data_dir / "keys", settle_s=3.0, bank_tick_s=2.0)
        update = {**payments.settings, "gateway_first_query_s": 2.0}
        settings = settings.model_copy(update=update)
    channels = None
    if not (settings.sms_access_key_id or settings.push_app_key or settings.smtp_host):
        # No message providers configured: SMS, app push and email go to local sandboxes, whose
        # catch the demo shows at /demo/outbox.
        channels = start_channel_sandboxes(notify_plan(settings))
        settings = settings.model_copy(update=channels.settings)
    system = build(settings, migrate=True, queue=False)
    added = seed(system.ctx)
    if channels is not None:
        seed_contacts(system.ctx, channels, BUYERS, tuple(MERCHANTS))
    if sandbox is not None:
        seed_supplier(system.ctx, sandbox)
    port = port or settings.port
    base = f"http://{settings.host}:{port}"
    if payments is not None:
        seed_payments(system.ctx, payments)
        payments.notify(base)
        payments.write_env(settings.data_dir / "sandbox.env")
    if added:
        # A fresh demo starts with claims waiting for an agent, one with a reused screenshot.
        seed_claims(system.ctx)
    now = datetime.now(UTC)
    people = [("buyer", b) for b in BUYERS[:2]] + list(STAFF.items())
    tokens = {f"{role} {sub}": issue_token(settings.secret_key, role, sub, 7 * 86400, now) for role, sub in people}
    lifetime = min(SIGN_IN_TTL_S, settings.sign_in_link_max_s)
    # Every demo buyer can be signed in from the banner, not only the two with API tokens.
    signing = [("buyer", b) for b in BUYERS] + list(STAFF.items()) + [("merchant", m) for m in MERCHANTS]
    links = {
        f"{role} {sub}": sign_in_token(settings.secret_key, role, sub, now, lifetime)
        for role, sub in signing
        if role in PAGE_ROLES
    }
    typer.echo(_banner(base, settings, added, tokens, links, outbox=channels is not None))

    def extras(served: FastAPI) -> None:
        install_examples(served)
        if channels is not None:
            install_outbox(served, channels)

    try:
        _serve(settings, None, port, 1, True, extras)
    finally:
        if channels is not None:
            channels.stop()
        if sandbox is not None:
            sandbox.stop()
        if payments is not None:
            payments.stop()


def _reset(settings: Settings) -> None:
    for name in ("tuika.db", "tuika.db-wal", "tuika.db-shm", "queue.db", "queue.db-wal", "queue.db-shm"):
        (settings.data_dir / name).unlink(missing_ok=True)


def _banner(
    base: str, settings: Settings, added: int, tokens: dict[str, str], links: dict[str, str], *, outbox: bool = False
) -> str:
    lifetime = min(SIGN_IN_TTL_S, settings.sign_in_link_max_s)
    secret = "" if settings.secret_key == DEFAULT_SECRET_KEY else " (with the same TUIKA_SECRET_KEY)"
    lines = [
        "",
        "tuika 退卡 demo",
        f"  data:      {Path(settings.data_dir).resolve()} ({f'seeded {added} orders' if added else 'reused'})",
        f"  API:       {base}/v1",
        f"  API docs:  {base}/docs   (OpenAPI: {base}/openapi.json)",
        f"  health:    {base}/healthz",
        f"  supplier:  {settings.supplier_url} (sandbox: verifies card keys and top-ups)",
        f"  Alipay:    {settings.alipay_url or '—'}",
        f"  WeChat:    {settings.wechat_url or '—'}",
        f"  bank card: {settings.bank_url or '—'}",
        (
            f"  messages:  {base}/demo/outbox (the SMS, push and email sandboxes; or `uv run tuika sandbox messages`)"
            if outbox
            else "  messages:  the SMS, push and email providers configured"
        ),
        f"  webhooks:  POST {base}/v1/webhook-endpoints with the platform token (docs/webhooks.md)",
        "  finance:   /v1/finance/refunds (admin), tuika reconcile --date YYYY-MM-DD",
        "  tokens (Authorization: Bearer …, valid 7 days):",
    ]
    lines += [f"    {who:<26} {tok}" for who, tok in tokens.items()]
    zh, en = _lasting(lifetime)
    lines += [f"  sign-in links (each link signs in once, within {en}; 每个链接只能登录一次，{zh}内有效):"]
    lines += ["    buyer pages (each link signs that buyer in to their orders):"]
    lines += [f"      {who[6:]:<24} {base}/sso?token={tok}" for who, tok in links.items() if who.startswith("buyer ")]
    lines += ["    agent console (each link signs that person in to /console):"]
    staff = [(who, tok) for who, tok in links.items() if not who.startswith(("buyer ", "merchant "))]
    lines += [f"      {who:<24} {base}/sso?token={tok}" for who, tok in staff]
    merchants = [(who[9:], tok) for who, tok in links.items() if who.startswith("merchant ")]
    if merchants:
        lines += ["    merchant pages (each link signs that merchant in to the claims on its goods, /merchant):"]
        lines += [f"      {who:<24} {base}/sso?token={tok}" for who, tok in merchants]
    lines += [
        f"  a fresh link{secret}, in another terminal:",
        f"    TUIKA_DEMO=1 uv run tuika link buyer buyer_alice --base-url {base}",
        "  try:",
        f"    curl -s -H 'Authorization: Bearer <buyer token>' {base}/v1/orders",
        "",
    ]
    return "\n".join(lines)


@app.command()
def reconcile(
    day: Annotated[str, typer.Option("--date", help="the statement day, YYYY-MM-DD (Beijing time)")],
    route: Annotated[list[str] | None, typer.Option(help="only these routes: alipay, wechat, bank_card")] = None,
) -> None:
    """Compare our refunds of a day with each gateway's statement and list the mismatches.

    Exits 1 when there is any mismatch, so a scheduler can page someone; the last line is JSON.
    """
    from tuika.bootstrap import build
    from tuika.services.context import SYSTEM
    from tuika.services.payouts.reconcile import reconcile as run_reconcile

    try:
        wanted = date.fromisoformat(day)
    except ValueError as exc:
        typer.echo(f"--date 须为 YYYY-MM-DD / --date must be YYYY-MM-DD: {day!r}", err=True)
        raise typer.Exit(2) from exc
    known = {r.value: r for r in PayoutRoute if r is not PayoutRoute.BALANCE}
    unknown = [r for r in route or () if r not in known]
    if unknown:
        typer.echo(f"未知渠道 / unknown route: {', '.join(unknown)} (known: {', '.join(known)})", err=True)
        raise typer.Exit(2)
    system = build(load_settings(), queue=False)
    reports = run_reconcile(system.ctx, SYSTEM, wanted, [known[r] for r in route or ()])
    if not reports:
        typer.echo("no gateway is configured; nothing to reconcile")
    for report in reports:
        typer.echo(
            f"{report.route.value}: ours {report.our_count} refunds ¥{report.our_total.yuan()}, "
            f"statement {report.their_count} refunds ¥{report.their_total.yuan()}, "
            f"{len(report.mismatches)} mismatches"
        )
        for m in report.mismatches:
            typer.echo(f"  {m.kind.value:<22} {m.refund_no:<34} ours: {m.ours:<22} theirs: {m.theirs}")
    mismatches = sum(len(r.mismatches) for r in reports)
    summary = {
        "date": wanted.isoformat(),
        "routes": {r.route.value: {"ours": r.our_count, "theirs": r.their_count} for r in reports},
        "mismatches": mismatches,
    }
    typer.echo(json.dumps(summary))
    if mismatches:
        raise typer.Exit(1)


def main() -> None:
    """Run the CLI."""
    app()


if __name__ == "__main__":
    main()
