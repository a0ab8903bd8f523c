"""A webhook receiver for tests: a real HTTP server on 127.0.0.1 that keeps what it was sent."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tuika_dev.sandbox.serving import LocalServer

DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@dataclass(frozen=True)
class Received:
    path: str
    headers: Mapping[str, str]
    body: bytes
    # What the receiver answered it.
    status: int


class Receiver:
    """Answers ``status`` (or each of ``script`` in turn, then ``status``), after ``delay`` seconds."""

    def __init__(self, status: int = 200, answer: bytes = b"ok") -> None:
        self.status = status
        self.answer = answer
        self.delay = 0.0
        self.script: list[int] = []
        self.extra: dict[str, str] = {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server = LocalServer(self._handle, "the webhook receiver")

    def _handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.delay:
            time.sleep(self.delay)
        with self._lock:
            status = self.script.pop(0) if self.script else self.status
            self.received.append(Received(target, dict(headers), body, status))
        return status, dict(self.extra), self.answer

    @property
    def url(self) -> str:
        return self._server.base_url + "/hooks"

    def accepted(self) -> list[str]:
        """Return the ``webhook-id`` of each delivery answered 2xx, in the order they came."""
        with self._lock:
            return [r.headers["webhook-id"] for r in self.received if 200 <= r.status < 300]

    def start(self) -> Self:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def snippet(name: str) -> Any:
    """Return the ``verify`` function of a code block of docs/webhooks.md, as a reader would copy it."""
    found = re.search(rf"```python {re.escape(name)}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert found is not None, f"docs/webhooks.md has no block {name}"
    scope: dict[str, Any] = {}
    exec(compile(found.group(1), f"docs/webhooks.md:{name}", "exec"), scope)
    return scope["verify"]
