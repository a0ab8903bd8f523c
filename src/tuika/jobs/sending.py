"""The webhook sender's loop: each worker process sends to endpoints from a few threads of its own.

Not a queued task: a slow endpoint would hold a queue thread per try, and deliveries are rows
already, so a loop that looks for due ones is all the wake-up they need. One endpoint is
sent to by one thread of a process at a time, so a slow or failing endpoint holds up only its
own deliveries; leases keep processes off each other's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tuika.services.context import Context
from tuika.services.webhooks.sending import due_endpoints, send_endpoint

log = logging.getLogger(__name__)


class SendLoop:
    """Look for due deliveries every ``every`` seconds (at once after a pass that sent); send them."""

    def __init__(self, context: Callable[[], Context], *, every: float = 0.2) -> None:
        self._context = context
        self._every = every
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy: dict[str, Future[object]] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        ctx = self._context()
        if ctx.webhook_client is None:
            return
        self._pool = ThreadPoolExecutor(ctx.webhooks.threads, thread_name_prefix="tuika-webhooks")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tuika-webhook-loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop looking, and wait for the passes under way: each ends with its outcomes stored."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def wake(self) -> None:
        """Look now (a redelivery asked for, a test)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                started = self._look()
            except Exception:
                # A broken database must not end the loop; the next look tries again.
                log.exception("looking for due webhook deliveries failed")
                started = 0
            if not started:
                self._wake.wait(self._every)
                self._wake.clear()

    def _look(self) -> int:
        ctx = self._context()
        with self._lock:
            busy = list(self._busy)
        room = ctx.webhooks.threads - len(busy)
        if room <= 0:
            return 0
        found = due_endpoints(ctx, busy, room)
        assert self._pool is not None
        for endpoint_id in found:
            with self._lock:
                self._busy[endpoint_id] = self._pool.submit(self._send, endpoint_id)
        return len(found)

    def _send(self, endpoint_id: str) -> None:
        try:
            send_endpoint(self._context(), endpoint_id)
        except Exception:
            log.exception(
                "sending to webhook endpoint %s failed; its deliveries are due again after the lease", endpoint_id
            )
        finally:
            with self._lock:
                self._busy.pop(endpoint_id, None)
            self._wake.set()
