"""The system ``tuika bench review`` measures: ``tuika serve`` with its worker, and a watcher of decisions."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx

from tuika_dev.bench.claimset import DECISION_TIMEOUT_S, POLL_S
from tuika_dev.bench.stack import LOOPBACK, free_port

Echo = Callable[[str], None]


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
