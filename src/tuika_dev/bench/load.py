"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams.

Requests are built as bytes before the clock starts, and responses are parsed only as
far as the status line and ``Content-Length``: in one process this costs a few tens of
microseconds a request, so on a 2-core machine nearly all the CPU is left to the server
being measured (``httpx.AsyncClient`` spends several times more per request).

>>> req = build_request("POST", "127.0.0.1:8000", "/v1/things", b'{"a": 1}', {"Authorization": "Bearer t"})
>>> req.splitlines()[0]
b'POST /v1/things HTTP/1.1'
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


def build_request(method: str, host: str, path: str, body: bytes, headers: Mapping[str, str]) -> bytes:
    """Return one complete HTTP/1.1 keep-alive request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Content-Type: application/json"]
    lines += [f"Content-Length: {len(body)}", "Connection: keep-alive"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@dataclass
class Phase:
    """What one pass of requests gave: latencies of the expected answers, and the rest."""

    started: float = 0.0
    finished: float = 0.0
    latencies_ns: list[int] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    broken: int = 0
    samples: list[str] = field(default_factory=list)

    @property
    def ok(self) -> int:
        """Return how many requests got the expected status."""
        return len(self.latencies_ns)

    @property
    def errors(self) -> int:
        """Return how many requests got another status or no answer."""
        return sum(self.statuses.values()) + self.broken

    def note(self, problem: str) -> None:
        """Keep the first few problems, to show what went wrong."""
        if len(self.samples) < 5:
            self.samples.append(problem)

    @property
    def duration_s(self) -> float:
        """Return the wall time from the first send to the last full response."""
        return max(self.finished - self.started, 1e-9)


class Connection:
    """One keep-alive connection that sends a request and reads its full response."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect, or reconnect after the server closed the connection."""
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        """Close the connection if it is open."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send ``request``; return the status and body of the response."""
        if self.writer is None:
            await self.open()
        assert self.reader is not None
        assert self.writer is not None
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = -1, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        if length < 0:
            raise ValueError("response without Content-Length")
        body = await self.reader.readexactly(length)
        if close:
            self.close()
        return status, body


class Load:
    """``clients`` connections that share one list of requests, each sending one at a time."""

    def __init__(self, host: str, port: int, clients: int) -> None:
        self.connections = [Connection(host, port) for _ in range(clients)]

    def close(self) -> None:
        """Close every connection."""
        for connection in self.connections:
            connection.close()

    async def run(self, requests: Sequence[bytes], expect: int, ramp_s: float = 0.0) -> Phase:
        """Send every request once; latency is from the send to the last byte of the response.

        A connection opens at its first request. With ``ramp_s`` the clients start one after
        another, ``ramp_s`` apart: connections opened all at once are mostly accepted by
        whichever server worker wakes first, while one arriving under load goes to an idle one.
        """
        pending = deque(requests)
        phase = Phase()
        phase.started = time.perf_counter()
        clients = (self._client(c, pending, expect, phase, n * ramp_s) for n, c in enumerate(self.connections))
        await asyncio.gather(*clients)
        phase.finished = time.perf_counter()
        return phase

    @staticmethod
    async def _client(connection: Connection, pending: deque[bytes], expect: int, phase: Phase, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        clock = time.perf_counter_ns
        while pending:
            request = pending.popleft()
            sent = clock()
            try:
                status, body = await connection.exchange(request)
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                connection.close()
                phase.broken += 1
                phase.note(f"{type(exc).__name__}: {exc}")
                continue
            if status == expect:
                phase.latencies_ns.append(clock() - sent)
            else:
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                phase.note(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")


def percentile(sorted_ns: Sequence[int], fraction: float) -> float:
    """Return the nearest-rank percentile of sorted nanoseconds, in milliseconds.

    >>> percentile([1_000_000 * n for n in range(1, 101)], 0.99)
    99.0
    """
    if not sorted_ns:
        return 0.0
    rank = min(len(sorted_ns), max(1, math.ceil(fraction * len(sorted_ns) - 1e-9)))
    return sorted_ns[rank - 1] / 1e6
