"""The system ``tuika bench payouts`` measures: ``tuika serve --embedded-worker`` and three payment sandboxes.

tuika runs as ``make demo`` runs it, in a process of its own: a fresh SQLite database and SQLite
Huey queue in a temporary directory, the queue's consumer in threads of the API process, the
sweep on its timer. The Alipay, WeChat Pay and bank sandboxes run in the benchmark's process,
so that their work (signing, settling, sending notices) is not counted as tuika's and their own
records can be read afterwards. tuika reaches them over HTTP through the real SDKs, and they
POST their notices to ``/v1/notify/<route>`` over HTTP, as the providers would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from tuika.adapters.db.engine import make_engine
from tuika.http.auth import issue_token
from tuika_dev.bench.reviewstack import Server
from tuika_dev.sandbox import gateways
from tuika_dev.sandbox.gateways import GatewaySandboxes

_LEVEL = re.compile(r" (WARNING|ERROR|CRITICAL) ")


@dataclass(frozen=True, slots=True)
class Tuning:
    """The short times that make a run of minutes out of refunds that take hours for real."""

    workers: int = 4  # TUIKA_WORKER_THREADS: queue consumer threads in the API process
    api_threads: int = 4  # TUIKA_API_THREADS
    settle_s: float = 0.2  # Alipay and WeChat Pay keep a refund processing this long
    bank_tick_s: float = 0.2  # the bank settles T+0 refunds at its next tick
    first_query_s: float = 0.5  # TUIKA_GATEWAY_FIRST_QUERY_S
    timeout_s: float = 1.0  # TUIKA_GATEWAY_TIMEOUT_S: what an injected stall costs
    sweep_s: int = 1  # TUIKA_SWEEP_INTERVAL_S

    @property
    def stall_s(self) -> float:
        """How long a sandbox holds an answer it was told to stall: past the adapter's timeout."""
        return self.timeout_s + 1.0

    def env(self) -> dict[str, str]:
        """Return the ``TUIKA_*`` settings of these times."""
        return {
            "TUIKA_OCR_ENGINE": "off",  # nothing to read: a failed delivery is approved on the order's facts
            "TUIKA_WORKER_THREADS": str(self.workers),
            "TUIKA_API_THREADS": str(self.api_threads),
            "TUIKA_SWEEP_INTERVAL_S": str(self.sweep_s),
            "TUIKA_GATEWAY_TIMEOUT_S": str(self.timeout_s),
            "TUIKA_GATEWAY_FIRST_QUERY_S": str(self.first_query_s),
        }


class PayoutStack:
    """The server and the sandboxes; ``close`` stops both and deletes the directory, whatever happened."""

    def __init__(self, tuning: Tuning) -> None:
        self.tuning = tuning
        self.server = Server(tuning.env())
        self.dir = self.server.dir
        self.sandboxes: GatewaySandboxes | None = None

    @property
    def url(self) -> str:
        """Return the API's address."""
        return self.server.url

    def start(self) -> GatewaySandboxes:
        """Start the sandboxes, point tuika's settings at them, start the server; return the sandboxes."""
        t = self.tuning
        self.sandboxes = gateways.start(
            self.dir / "keys", settle_s=t.settle_s, bank_settle_days=0, bank_tick_s=t.bank_tick_s, stall_s=t.stall_s
        )
        self.server.env.update(settings_env(self.sandboxes.settings))
        self.sandboxes.notify(self.url)
        self.server.start()
        return self.sandboxes

    def token(self, role: str, subject: str) -> dict[str, str]:
        """Return the Authorization header of a token for ``role`` and ``subject``."""
        token = issue_token(self.server.secret_key, role, subject, 6 * 3600, datetime.now(UTC))
        return {"Authorization": f"Bearer {token}"}

    def engine(self) -> Engine:
        """Return an engine on the server's database, for reading it back; dispose of it after."""
        return make_engine(f"sqlite:///{self.dir / 'tuika.db'}", pool_size=1)

    def reconcile(self, day: date) -> tuple[int, dict[str, Any]]:
        """Run ``tuika reconcile --date DAY`` as an operator would; return its exit code and its JSON line."""
        command = [sys.executable, "-c", "from tuika.cli import main; main()", "reconcile", "--date", day.isoformat()]
        done = subprocess.run(
            command, env=self.server.env, cwd=self.dir, capture_output=True, text=True, timeout=120, check=False
        )
        lines = done.stdout.strip().splitlines()
        try:
            summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        except ValueError:
            summary = {}
        summary["lines"] = lines[:-1][:20] if summary else (lines + done.stderr.splitlines())[-20:]
        return done.returncode, summary

    def logged(self) -> tuple[dict[str, int], list[str]]:
        """Count the server log's warnings and errors; return the counts and the first error lines."""
        try:
            text = (self.dir / "server.log").read_text(errors="replace")
        except OSError:
            return {}, []
        counts: dict[str, int] = {}
        errors: list[str] = []
        for line in text.splitlines():
            found = _LEVEL.search(line)
            if found is None:
                continue
            level = found.group(1).lower()
            counts[level] = counts.get(level, 0) + 1
            if level != "warning" and len(errors) < 10:
                errors.append(line[:300])
        return counts, errors

    def close(self) -> None:
        """Stop the server (it stops its worker), then the sandboxes; delete the directory."""
        try:
            self.server.close()
        finally:
            if self.sandboxes is not None:
                self.sandboxes.stop()
                self.sandboxes = None

    def __enter__(self) -> PayoutStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def settings_env(settings: dict[str, Any]) -> dict[str, str]:
    """Return ``Settings`` fields by name as the ``TUIKA_*`` variables that set them."""
    return {f"TUIKA_{name.upper()}": str(value) for name, value in settings.items()}
