"""How the Alipay sandbox delivers asynchronous notices: POST a form, resend until ``success``.

Alipay resends a notice whose answer is not the plain text ``success`` (over 25 hours, 8
times); the sandbox resends ``retries`` times, ``retry_s`` apart, so tests see it in seconds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import httpx

# A callable target stands in for the app's endpoint: it takes the headers and body, returns the status.
NoticeHandler = Callable[[dict[str, str], bytes], int]
Target = str | NoticeHandler | None

HEADERS: Final = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@dataclass(frozen=True, slots=True)
class SentNotice:
    """One delivery attempt of a notice, with what the app answered."""

    refund_no: str
    notify_id: str
    body: bytes
    status: int  # 0: the app could not be reached
    accepted: bool


class Courier:
    """Deliver notices, now or later, each with resends; remember every attempt."""

    def __init__(self, retries: int, retry_s: float, timeout_s: float = 5.0) -> None:
        self.retries = retries
        self.retry_s = retry_s
        self._timeout_s = timeout_s
        self._target: Target = None
        self._done = threading.Condition()
        self._sent: list[SentNotice] = []
        self._stopping = threading.Event()
        self._workers: list[threading.Timer] = []
        # Notices promised but not yet through all their tries: a test waits for none pending
        # rather than for a count, so a notice the sandbox was told never to send costs no wait.
        self._pending = 0

    def set_target(self, target: Target) -> None:
        """Send notices to a URL, to a callable, or (None) nowhere."""
        self._target = target

    @property
    def sent(self) -> list[SentNotice]:
        with self._done:
            return list(self._sent)

    def wait(self, count: int, timeout_s: float) -> bool:
        """Wait until ``count`` attempts were made; return whether they were."""
        with self._done:
            return self._done.wait_for(lambda: len(self._sent) >= count, timeout_s)

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until no notice is pending; return whether none is."""
        with self._done:
            return self._done.wait_for(lambda: self._pending == 0, timeout_s)

    def promise(self) -> None:
        """Count a notice that will be sent (now or later) until ``kept`` says it went."""
        with self._done:
            self._pending += 1

    def kept(self) -> None:
        with self._done:
            self._pending = max(0, self._pending - 1)
            self._done.notify_all()

    def deliver(self, refund_no: str, notify_id: str, body: bytes) -> bool:
        """Send one notice, resending it until the app accepts it; return whether it did."""
        for attempt in range(self.retries + 1):
            if attempt and self._stopping.wait(self.retry_s):
                return False
            target = self._target
            if target is None:
                return False
            status, accepted = self._send(target, body)
            with self._done:
                self._sent.append(SentNotice(refund_no, notify_id, body, status, accepted))
                self._done.notify_all()
            if accepted:
                return True
        return False

    def later(self, delay_s: float, send: Callable[[], object]) -> None:
        """Run ``send`` in the background after ``delay_s`` seconds."""
        worker = threading.Timer(delay_s, send)
        worker.daemon = True
        with self._done:
            if self._stopping.is_set():
                return
            self._workers.append(worker)
            worker.start()  # under the lock, so that ``close`` never joins a thread not yet started

    def open(self) -> None:
        self._stopping.clear()

    def close(self) -> None:
        """Cancel pending notices and wait for those in flight."""
        with self._done:
            self._stopping.set()
            workers, self._workers = self._workers, []
            self._pending = 0
            self._done.notify_all()
        for worker in workers:
            worker.cancel()
            worker.join(self._timeout_s)

    def _send(self, target: str | NoticeHandler, body: bytes) -> tuple[int, bool]:
        if callable(target):
            status = target(dict(HEADERS), body)
            return status, status == 200
        try:
            response = httpx.post(target, content=body, headers=HEADERS, timeout=self._timeout_s)
        except httpx.HTTPError:
            return 0, False
        return response.status_code, response.status_code == 200 and response.text.strip() == "success"
