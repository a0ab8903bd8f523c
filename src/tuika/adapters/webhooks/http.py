"""Posting webhooks: Standard Webhooks signatures, over httpx, only to public addresses.

The host is resolved here and the request sent to the address found, with the name kept for
``Host`` and for TLS (SNI and the certificate check): an owner's DNS cannot point a delivery at
the network tuika runs in between the check and the connection. No redirect is followed, the
wait is short and only the start of an answer is read.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks import Webhook

from tuika.domain.webhooks import refused_address
from tuika.services.ports import WebhookAnswer

log = logging.getLogger(__name__)

USER_AGENT: Final = "tuika-webhooks/1"
Resolve = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Return the addresses ``host`` resolves to, as the system resolver gives them."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def signed_headers(message_id: str, secrets: Sequence[str], body: bytes, at: datetime) -> dict[str, str]:
    """Return the Standard Webhooks headers of a delivery: one ``v1,`` signature per secret."""
    signatures = " ".join(Webhook(s).sign(message_id, at, body) for s in secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


class HttpWebhookClient:
    """Posts signed deliveries; ``allow_private`` lets the demo and tests post to loopback."""

    def __init__(
        self,
        *,
        timeout_s: float = 5.0,
        max_bytes: int = 64 * 1024,
        allow_private: bool = False,
        resolve: Resolve = resolve_host,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.allow_private = allow_private
        self.max_bytes = max_bytes
        self._resolve = resolve
        self._now = now
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 3.0)),
            follow_redirects=False,
            transport=transport,
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self._client.close()

    def post(self, url: str, *, message_id: str, secrets: Sequence[str], body: bytes) -> WebhookAnswer:
        """Post ``body`` to ``url``, signed; a refusal, a timeout or a non-2xx is an answer, never raised."""
        started = time.monotonic()
        try:
            target, extra, extensions = self._pinned(url)
        except _Refused as refused:
            return WebhookAnswer(None, 0, error=str(refused))
        headers = {**signed_headers(message_id, secrets, body, self._now()), **extra}
        try:
            with self._client.stream("POST", target, content=body, headers=headers, extensions=extensions) as answer:
                read = bytearray()
                for chunk in answer.iter_bytes():
                    read.extend(chunk)
                    if len(read) >= self.max_bytes:
                        break
                text = bytes(read[: self.max_bytes]).decode("utf-8", errors="replace")
                return WebhookAnswer(answer.status_code, _ms(started), text)
        except httpx.TimeoutException:
            return WebhookAnswer(None, _ms(started), error="timeout: no answer in time")
        except httpx.HTTPError as exc:
            return WebhookAnswer(None, _ms(started), error=f"{type(exc).__name__}: {exc}"[:300])

    def _pinned(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """Return the URL with the host's checked address in place of its name, the Host header, the SNI."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self._resolve(host, port)
        except OSError as exc:
            raise _Refused(f"dns: {host} does not resolve ({exc})") from exc
        if not addresses:
            raise _Refused(f"dns: {host} does not resolve")
        if not self.allow_private:
            for address in addresses:
                if refused_address(ipaddress.ip_address(address.split("%")[0])):
                    raise _Refused(f"refused: {host} resolves to {address}, which is not a public address")
        address = addresses[0]
        shown = f"[{address}]" if ":" in address else address
        netloc = f"{shown}:{parts.port}" if parts.port else shown
        host_header = parts.netloc.rsplit("@", 1)[-1]
        extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
        return urlunsplit(parts._replace(netloc=netloc)), {"host": host_header}, extensions


class _Refused(Exception):
    pass


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
