"""The command line: tokens, migrations, seeding, and refusing unsafe settings."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tuika.adapters.gateways.bank import BankCardGateway
from tuika.bootstrap import build
from tuika.cli import _banner, app
from tuika.domain.cases import Role, Route
from tuika.domain.gateway import RefundRequest, statement_day
from tuika.domain.money import Money
from tuika.domain.policy import Reason
from tuika.http.auth import issue_token, sign_in_token, verify_token
from tuika.services.claims import filing
from tuika.services.context import Actor
from tuika.services.orders import orders
from tuika.services.ports import OrderFilter
from tuika.settings import DEFAULT_SECRET_KEY, Settings
from tuika_dev.sandbox.gateways import start as start_sandboxes

runner = CliRunner()


def test_token_prints_a_token_for_the_role_and_subject(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    result = runner.invoke(app, ["token", "agent", "agent_wang"])
    assert result.exit_code == 0
    principal = verify_token(DEFAULT_SECRET_KEY, result.stdout.strip(), datetime.now(UTC))
    assert (principal.role, principal.subject) == ("agent", "agent_wang")


def test_token_refuses_an_unknown_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    result = runner.invoke(app, ["token", "god", "x"])
    assert result.exit_code == 2
    assert "unknown role" in result.output


def test_outside_demo_mode_the_default_secret_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TUIKA_DEMO", raising=False)
    monkeypatch.setenv("TUIKA_DATA_DIR", str(tmp_path))
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 2
    assert "refusing to start" in result.output
    assert not (tmp_path / "tuika.db").exists()


def test_migrate_then_seed_twice_reuses_the_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_DATA_DIR", str(tmp_path))
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    first = runner.invoke(app, ["seed"])
    assert first.exit_code == 0
    assert first.stdout.startswith("added 66 demo orders")
    second = runner.invoke(app, ["seed"])
    assert second.exit_code == 0
    assert "nothing added" in second.stdout


def test_token_carries_an_id_and_stays_a_bearer_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    first = runner.invoke(app, ["token", "buyer", "buyer_alice"]).stdout.strip()
    second = runner.invoke(app, ["token", "buyer", "buyer_alice"]).stdout.strip()

    now = datetime.now(UTC)
    ids = {verify_token(DEFAULT_SECRET_KEY, token, now).token_id for token in (first, second)}
    assert len(ids) == 2
    assert None not in ids
    principal = verify_token(DEFAULT_SECRET_KEY, first, now)
    assert principal.expires - principal.issued == 86400


def test_link_prints_a_fresh_single_use_sign_in_link(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_PORT", "8765")

    first = runner.invoke(app, ["link", "buyer", "buyer_alice"])
    second = runner.invoke(app, ["link", "agent", "agent_wang", "--base-url", "https://refunds.example.com/"])

    assert (first.exit_code, second.exit_code) == (0, 0), first.output + second.output
    url = first.stdout.strip()
    assert url.startswith("http://127.0.0.1:8765/sso?token=")
    assert second.stdout.strip().startswith("https://refunds.example.com/sso?token=")
    now = datetime.now(UTC)
    buyer = verify_token(DEFAULT_SECRET_KEY, url.split("token=", 1)[1], now)
    agent = verify_token(DEFAULT_SECRET_KEY, second.stdout.strip().split("token=", 1)[1], now)
    assert (buyer.subject, buyer.role, agent.subject, agent.role) == ("buyer_alice", "buyer", "agent_wang", "agent")
    assert buyer.expires - buyer.issued == 600
    assert buyer.token_id is not None
    assert agent.token_id is not None
    assert buyer.token_id != agent.token_id
    assert "single-use" in first.stderr
    assert "只能登录一次" in first.stderr


def test_link_refuses_roles_the_pages_do_not_sign_in_and_lifetimes_over_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_SIGN_IN_LINK_MAX_S", "300")

    platform = runner.invoke(app, ["link", "platform", "host"])
    too_long = runner.invoke(app, ["link", "buyer", "buyer_alice", "--ttl", "301"])
    capped = runner.invoke(app, ["link", "buyer", "buyer_alice"])

    assert (platform.exit_code, too_long.exit_code, capped.exit_code) == (2, 2, 0)
    assert "buyer, agent, arbitrator, admin, merchant" in platform.output
    assert "TUIKA_SIGN_IN_LINK_MAX_S (300)" in too_long.output
    principal = verify_token(DEFAULT_SECRET_KEY, capped.stdout.strip().split("token=", 1)[1], datetime.now(UTC))
    assert principal.expires - principal.issued == 300


def test_the_demo_banner_gives_each_buyer_and_each_console_user_a_sign_in_link_and_says_how_to_get_another(
    tmp_path: Path,
) -> None:
    settings = Settings(demo=True, data_dir=tmp_path)
    now = datetime.now(UTC)
    tokens = {"buyer buyer_alice": issue_token(settings.secret_key, "buyer", "buyer_alice", 600, now)}
    tokens["platform host"] = issue_token(settings.secret_key, "platform", "host", 600, now)
    links = {who: sign_in_token(settings.secret_key, who.split()[0], who.split()[1], now) for who in LINKED}

    banner = _banner("http://127.0.0.1:8765", settings, 66, tokens, links)

    printed = [line.split()[-1] for line in banner.splitlines() if "/sso?token=" in line]
    assert all(link.startswith("http://127.0.0.1:8765/sso?token=") for link in printed)
    signed = [verify_token(settings.secret_key, link.split("token=", 1)[1], now) for link in printed]
    # The platform's token is for the API; the pages sign in buyers, console users and merchants.
    assert [(p.subject, p.role) for p in signed] == [
        ("buyer_alice", "buyer"),
        ("agent_wang", "agent"),
        ("m_xingyun", "merchant"),
    ]
    assert all(p.token_id is not None for p in signed)
    assert "each link signs in once, within 10 minutes" in banner
    assert "TUIKA_DEMO=1 uv run tuika link buyer buyer_alice --base-url http://127.0.0.1:8765" in banner


LINKED = ("buyer buyer_alice", "agent agent_wang", "merchant m_xingyun")


def test_reconcile_refuses_a_bad_date_or_route_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_DATA_DIR", str(tmp_path))

    bad_date = runner.invoke(app, ["reconcile", "--date", "2026-13-01"])
    bad_route = runner.invoke(app, ["reconcile", "--date", "2026-11-28", "--route", "paypal"])

    assert (bad_date.exit_code, bad_route.exit_code) == (2, 2)
    assert "--date must be YYYY-MM-DD" in bad_date.output
    assert "unknown route: paypal" in bad_route.output


def test_reconcile_compares_each_gateways_bill_and_exits_1_on_a_mismatch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_DATA_DIR", str(tmp_path))
    sandboxes = start_sandboxes(tmp_path / "keys", settle_s=0.0)
    try:
        for name, value in sandboxes.settings.items():
            monkeypatch.setenv(f"TUIKA_{name.upper()}", str(value))
        assert runner.invoke(app, ["migrate"]).exit_code == 0
        day = statement_day(datetime.now(UTC)).isoformat()

        clean = runner.invoke(app, ["reconcile", "--date", day])
        # A refund made at the bank's own counter, for a payment tuika never refunded.
        sandboxes.bank.add_trade("tx_counter", "ord_counter", Money(700))
        bank = BankCardGateway(sandboxes.bank.base_url, sandboxes.bank.merchant_id, sandboxes.bank.secret)
        bank.refund(RefundRequest("po_counter", "ord_counter", "tx_counter", Money(700), Money(700)))
        bank.close()
        found = runner.invoke(app, ["reconcile", "--date", day, "--route", "bank_card"])
    finally:
        sandboxes.stop()

    assert clean.exit_code == 0, clean.output
    assert json.loads(clean.stdout.splitlines()[-1])["mismatches"] == 0
    assert found.exit_code == 1, found.output
    assert "unknown_to_us" in found.stdout
    summary = json.loads(found.stdout.splitlines()[-1])
    assert (summary["mismatches"], list(summary["routes"])) == (1, ["bank_card"])


def test_events_lists_the_outbox_and_retry_runs_a_waiting_delivery_here(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TUIKA_DEMO", "1")
    monkeypatch.setenv("TUIKA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TUIKA_OCR_ENGINE", "off")
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["seed"]).exit_code == 0
    offline = build(Settings(), queue=False)  # an API process whose wake-ups are lost
    order = orders.list_orders(offline.ctx, Actor("admin_zhao", Role.ADMIN), OrderFilter(limit=1))[0]
    buyer = Actor(order.buyer_id, Role.BUYER)
    filed = filing.submit(
        offline.ctx, buyer, filing.ClaimRequest(order.id, Reason.MISTAKEN_PURCHASE, route=Route.BALANCE), None
    )
    offline.engine.dispose()

    listed = runner.invoke(app, ["events", "list", "--type", "case.submitted"])
    assert listed.exit_code == 0, listed.output
    [line, notify, review, webhooks, total] = listed.stdout.strip().splitlines()
    event_id = line.split()[0]
    assert f"case.submitted  {filed.case.id}" in line
    assert notify.strip().startswith("notify: pending, 0 failed attempts")
    assert review.strip().startswith("review: pending, 0 failed attempts")
    assert webhooks.strip().startswith("webhooks: pending, 0 failed attempts")
    # The outbox's totals: this event's three, and the webhook writer's of the 66 orders seeded
    # with no worker running.
    assert total.startswith("1 events shown; deliveries: 69 pending, 0 done, 0 failed")

    retried = runner.invoke(app, ["events", "retry", event_id])
    assert retried.exit_code == 0, retried.output
    assert "review: done" in retried.stdout
    assert "notify: done" in retried.stdout

    unknown = runner.invoke(app, ["events", "list", "--type", "case.exploded"])
    assert unknown.exit_code == 2
    assert "unknown event type 'case.exploded'" in unknown.output
    assert runner.invoke(app, ["events", "retry", "01ZZZZZZZZZZZZZZZZZZZZZZZZ"]).exit_code == 1
    assert runner.invoke(app, ["events", "retry", "not-an-id!"]).exit_code == 2
