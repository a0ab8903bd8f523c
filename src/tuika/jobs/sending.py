"""The senders' loop: each worker process sends webhooks and messages from a few threads of its own.

Not a queued task: a slow endpoint would hold a queue thread per try, and deliveries and
messages are rows already, so a loop that looks for due ones is all the wake-up they need.
One endpoint is sent to by one thread of a process at a time, so a slow or failing endpoint
holds up only its own deliveries; each message channel (SMS, push, email) has a few passes at
once, so a slow provider holds up only its own channel. Leases keep processes off each other's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from tuika.domain.sending import SendChannel
from tuika.services.context import Context
from tuika.services.notify.sending import ChannelReport, send_channel
from tuika.services.webhooks.sending import due_endpoints, send_endpoint

# The busy keys of message passes; the others are webhook endpoints' ids.
_CHANNEL = "channel:"

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
        # When each channel slot that last found nothing due looks again.
        self._idle: dict[str, float] = {}
        # When to ask again which endpoints have deliveries due: at once after a webhook pass
        # or a wake-up, else each interval; a message pass ending is no reason to ask.
        self._endpoints_at = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        ctx = self._context()
        if ctx.webhook_client is None and not ctx.notifiers:
            return
        size = ctx.webhooks.threads + len(ctx.notifiers) * ctx.sending.threads
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="tuika-sending")
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
        self._endpoints_at = 0.0
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
        started = self._look_channels(ctx)
        if ctx.webhook_client is None:
            return started
        with self._lock:
            busy = [key for key in self._busy if not key.startswith(_CHANNEL)]
        room = ctx.webhooks.threads - len(busy)
        if room <= 0 or time.monotonic() < self._endpoints_at:
            return started
        self._endpoints_at = time.monotonic() + self._every
        found = due_endpoints(ctx, busy, room)
        assert self._pool is not None
        for endpoint_id in found:
            with self._lock:
                self._busy[endpoint_id] = self._pool.submit(self._send, endpoint_id)
        return started + len(found)

    def _look_channels(self, ctx: Context) -> int:
        """Start a pass on each channel slot that is free; a pass that found work starts another."""
        assert self._pool is not None
        started = 0
        for channel in ctx.notifiers:
            for slot in range(ctx.sending.threads):
                key = f"{_CHANNEL}{channel.value}:{slot}"
                with self._lock:
                    if key in self._busy or self._idle.get(key, 0.0) > time.monotonic():
                        continue
                    self._busy[key] = self._pool.submit(self._send_channel, key, channel)
                started += 1
        return started

    def _send_channel(self, key: str, channel: SendChannel) -> None:
        try:
            report = send_channel(self._context(), channel)
        except Exception:
            log.exception("sending %s messages failed; they are due again after the lease", channel.value)
            report = ChannelReport()
        finally:
            with self._lock:
                self._busy.pop(key, None)
        with self._lock:
            if report.handled:
                self._idle.pop(key, None)
            else:
                # Nothing due: this slot looks again after the loop's interval, not at once.
                self._idle[key] = time.monotonic() + self._every
        if report.handled:
            self._wake.set()

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
            self._endpoints_at = 0.0
            self._wake.set()
