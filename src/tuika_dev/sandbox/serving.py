"""The HTTP machinery every sandbox shares: a threaded server on a free port of 127.0.0.1.

A sandbox hands ``LocalServer`` one callable that answers a request given its method, target
(path and query), lower-cased headers and body; the server sends the answer with its
Content-Length, keeps quiet on stderr, and does not mind a client that gave up waiting.

>>> server = LocalServer(lambda method, target, headers, body: (200, {}, b"ok"), "the echo sandbox")
>>> server.start()
>>> httpx.get(server.base_url + "/anything").text  # doctest: +SKIP
'ok'
>>> server.stop()
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, with work to do once it is sent (such as a notice that must come after it)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    after: Callable[[], None] | None = None


# (method, target, lower-cased headers, body) -> an Answer, or just (status, headers, body).
Handle = Callable[[str, str, Mapping[str, str], bytes], Answer | tuple[int, Mapping[str, str], bytes]]


class LocalServer:
    """Serve ``handle`` on a free port of 127.0.0.1 from a daemon thread, between ``start`` and ``stop``."""

    def __init__(
        self,
        handle: Handle,
        label: str,
        *,
        thread_name: str | None = None,
        methods: Collection[str] = ("GET", "POST"),
    ) -> None:
        self.label = label  # names the sandbox in "… is not running"
        self._handle = handle
        self._thread_name = thread_name
        self._methods = methods  # any other method is answered 501, as http.server does
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self.label} is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Listen on a free port and serve until ``stop``."""
        # The socket listens once the server is built, so a client can connect before the thread runs.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._handle, self._methods))
        # A short poll interval makes ``stop`` quick; the default half second adds up over a test run.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.01,), name=self._thread_name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket; a request still being answered finishes on its own thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None


class Served:
    """A sandbox served by a ``LocalServer``: ``base_url``, ``start``, ``stop`` and a ``with`` block.

    A sandbox sets ``_http`` and ``_stopping`` in its constructor, and overrides ``_open`` and
    ``_close`` for what must start before it listens or stop before it closes (Alipay's notice
    courier, WeChat's settlement timers).
    """

    _http: LocalServer
    _stopping: threading.Event  # set by ``stop``, which wakes every answer stalled on it

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def start(self) -> Self:
        """Listen on a free port and serve until ``stop``."""
        self._stopping.clear()
        self._open()
        self._http.start()
        return self

    def stop(self) -> None:
        """Stop serving and wake every stalled answer."""
        self._stopping.set()
        self._close()
        self._http.stop()

    def _open(self) -> None:
        """Start what runs beside the server; it is not listening yet."""

    def _close(self) -> None:
        """Stop what runs beside the server; stalled answers are awake, the server still listens."""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _handler(handle: Handle, methods: Collection[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = handle(self.command, self.path, headers, raw)
            if not isinstance(answer, Answer):
                answer = Answer(*answer)
            try:
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as a timeout fault intends
            if answer.after is not None:
                answer.after()

        def log_message(self, format: str, *args: object) -> None:
            pass  # tests read what the sandbox recorded, not stderr

    for method in methods:
        setattr(Handler, f"do_{method}", Handler.answer)
    return Handler
