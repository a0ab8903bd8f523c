"""A throwaway stack for a benchmark: its own PostgreSQL database, Redis index and server.

Everything listens on or talks to 127.0.0.1 only, and everything made here is removed
again by ``Stack.close``, which ``run`` calls in a ``finally``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import httpx
import psycopg
import redis

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
REDIS_BASE_URL = "redis://127.0.0.1:6379"
LOOPBACK = "127.0.0.1"
_MARKER = "tuika:bench:owner"


@contextlib.contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Turn the first SIGTERM into ``SystemExit`` meanwhile, so that ``finally`` blocks still clean up."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal received
        if not received:  # a second one must not interrupt the cleanup the first started
            received = True
            raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class Scratch:
    """A PostgreSQL database and a Redis index of one benchmark run's own: made fresh, given back after."""

    def __init__(self, prefix: str) -> None:
        self.run_id = secrets.token_hex(4)
        self.database = f"{prefix}_{self.run_id}"
        self.redis_db: int | None = None
        self._db_created = False

    @property
    def database_url(self) -> str:
        """Return the SQLAlchemy URL of the database."""
        return f"postgresql+psycopg://postgres@{LOOPBACK}:5432/{self.database}"

    @property
    def redis_url(self) -> str:
        """Return the URL of the Redis index; only after ``open``."""
        assert self.redis_db is not None
        return f"{REDIS_BASE_URL}/{self.redis_db}"

    def open(self) -> None:
        """Create the database and claim an empty Redis index."""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        self._db_created = True
        self.redis_db = _claim_redis_db(self.run_id)

    def close(self) -> None:
        """Drop the database and empty the Redis index; each step runs regardless."""
        try:
            if self._db_created:
                with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                self._db_created = False
        finally:
            self._release_redis()

    def _release_redis(self) -> None:
        if self.redis_db is None:
            return
        client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{self.redis_db}")
        try:
            # Only an index that was empty when claimed is ever flushed (see _claim_redis_db).
            if client.get(_MARKER) == self.run_id.encode():
                client.flushdb()
        finally:
            client.close()
            self.redis_db = None


class Stack:
    """A fresh database, an empty Redis index and ``tuika serve --workers N`` on them."""

    def __init__(self, workers: int, api_threads: int | None = None) -> None:
        self.workers = workers
        self.api_threads = api_threads
        self.scratch = Scratch("tuika_bench")
        self.secret_key = secrets.token_urlsafe(36)  # 48 characters
        self.port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="tuika-bench-")
        self.log_path = Path(self._tmp.name) / "server.log"

    @property
    def database(self) -> str:
        """Return the name of the run's PostgreSQL database."""
        return self.scratch.database

    @property
    def base_url(self) -> str:
        """Return the server's address."""
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        """Create the database, claim a Redis index, migrate, start the server and wait for it."""
        self.scratch.open()
        env = self._env()
        # Run from the temporary directory: alembic.ini's ``prepend_sys_path = src`` is relative
        # to the working directory, and the uvicorn workers inherit the path the migration set,
        # so from another checkout they would import that checkout's tuika.
        here = self._tmp.name
        migrated = subprocess.run(_tuika("migrate"), env=env, cwd=here, capture_output=True, check=False, timeout=120)
        if migrated.returncode != 0:
            raise RuntimeError(f"tuika migrate failed: {migrated.stderr.decode(errors='replace')[-2000:]}")
        command = _tuika("serve", "--workers", str(self.workers), "--host", LOOPBACK, "--port", str(self.port))
        with self.log_path.open("wb") as log:
            # A session of its own, so the uvicorn supervisor and its workers stop together.
            self.server = subprocess.Popen(
                command, env=env, cwd=here, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_healthy(timeout_s=60)

    def _env(self) -> dict[str, str]:
        # Built from nothing rather than copied from ours, so that no stray TUIKA_* setting of
        # the caller (another database, a production Redis) reaches the benchmark's server.
        card_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")
        threads = {} if self.api_threads is None else {"TUIKA_API_THREADS": str(self.api_threads)}
        return {
            **threads,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "TUIKA_DATABASE_URL": self.scratch.database_url,
            "TUIKA_REDIS_URL": self.scratch.redis_url,
            "TUIKA_SECRET_KEY": self.secret_key,
            "TUIKA_CARD_KEYS": json.dumps({"bench": card_key}),
            "TUIKA_CARD_KEY_ACTIVE": "bench",
            "TUIKA_DATA_DIR": self._tmp.name,
            "TUIKA_HOST": LOOPBACK,
            "TUIKA_PORT": str(self.port),
        }

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        # trust_env=False: no proxy setting may send this anywhere but 127.0.0.1.
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.server is not None and self.server.poll() is not None:
                    raise RuntimeError(f"the server exited early:\n{self.server_log()}")
                try:
                    if client.get("/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"the server did not become healthy in {timeout_s:.0f} s:\n{self.server_log()}")

    def server_log(self, tail: int = 3000) -> str:
        """Return the end of the server's output."""
        try:
            return self.log_path.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    def postgres_version(self) -> str:
        """Return the server's PostgreSQL version, e.g. ``15.20``."""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return "" if row is None else str(row[0]).split()[0]

    def postgres_sessions(self) -> int:
        """Return how many connections this run's database has accepted so far."""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            row = conn.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (self.database,)).fetchone()
        return 0 if row is None or row[0] is None else int(row[0])

    def postgres_pids(self) -> list[int]:
        """Return the PostgreSQL backends serving this run's database."""
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,)).fetchall()
        return [int(row[0]) for row in rows]

    def queued(self) -> int:
        """Return how many tasks wait in this run's Redis queue (no consumer runs)."""
        if self.scratch.redis_db is None:
            return 0
        client = redis.Redis.from_url(self.scratch.redis_url)
        try:
            return sum(int(client.llen(key)) for key in client.scan_iter("huey.redis.*"))
        finally:
            client.close()

    def close(self) -> None:
        """Stop the server, drop the database, empty the Redis index; each step runs regardless."""
        try:
            self._stop_server()
        finally:
            try:
                self.scratch.close()
            finally:
                self._tmp.cleanup()

    def _stop_server(self) -> None:
        server, self.server = self.server, None
        if server is None or server.poll() is not None:
            return
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # The group is the one this process created for the server in ``start``.
            _kill_group(server.pid)
            server.wait(timeout=10)
        # Workers outlive a supervisor that died first; the group id is still the server's.
        _kill_group(server.pid)


def _tuika(*args: str) -> list[str]:
    # The console script installed next to this interpreter; no shell, no PATH lookup.
    return [sys.executable, "-c", "from tuika.cli import main; main()", *args]


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _claim_redis_db(run_id: str) -> int:
    """Return a Redis index that was empty, marked as this run's so no other run takes it."""
    for index in range(15, 0, -1):
        client = redis.Redis.from_url(f"{REDIS_BASE_URL}/{index}")
        try:
            if not client.set(_MARKER, run_id, nx=True):
                continue
            if client.dbsize() == 1:
                return index
            client.delete(_MARKER)
        finally:
            client.close()
    raise RuntimeError("no empty Redis database index (1-15) is free for the benchmark")
