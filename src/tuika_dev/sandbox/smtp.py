"""A local SMTP server: aiosmtpd on 127.0.0.1, every message kept parsed, faults on demand.

It speaks SMTP as a mail provider's submission server does: EHLO with 8BITMIME, SMTPUTF8 and
AUTH PLAIN and LOGIN (over plain loopback too, so ``auth_require_tls=False``), STARTTLS or TLS
from the first byte when asked, with a self-signed certificate for 127.0.0.1 made on the spot.
Each message it takes is parsed with the standard library's default policy, so a test reads the
decoded subject, the text and HTML parts and the Message-ID, and has the raw bytes besides.
``connections`` counts the connections clients opened.

The faults are what a provider answers: a 421 greeting (``refuse``), a closed port (``stop``),
4xx to RCPT or DATA (``defer_next``), 4xx or 5xx to RCPT for one mailbox (``reject_next``), a
reply that comes late (``stall_next``), a connection closed right after a message was taken
(``hang_up_after``), 530 to a sender that did not log in (``require_auth``).

aiosmtpd logs each envelope, addresses in full, on its own ``mail.log`` logger; that is the
sandbox speaking, not the product. Its warning that ``Session.login_data`` is deprecated, which
it logs of its own code at every AUTH, is dropped.

>>> with SandboxSmtp() as smtp:  # doctest: +SKIP
...     smtp.require_auth("notify", "secret")
...     smtp.reject_next("gone@example.com")
...     smtp.defer_next(2)
...     smtp.hang_up_after(3)
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import ssl as tls
import tempfile
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from functools import cached_property
from ipaddress import IPv4Address
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Literal, Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST: Final = "127.0.0.1"
# What the server calls itself in its greeting; given, so that aiosmtpd does not look up the FQDN.
HOSTNAME: Final = "sandbox-smtp.tuika.test"

Stage = Literal["RCPT", "DATA"]

_AIOSMTPD_LOG: Final = "mail.log"

_REFUSED: Final = "421 4.3.2 Service not available, closing transmission channel"
_AUTH_REQUIRED: Final = "530 5.7.0 Authentication required"
_DEFERRALS: Final = {
    421: "421 4.4.2 Timeout exceeded, closing transmission channel",
    450: "450 4.2.1 Mailbox temporarily unavailable, try again later",
    451: "451 4.3.0 Requested action aborted: local error in processing",
    452: "452 4.5.3 Too many recipients, try again later",
}
# As Postfix words them, the mailbox quoted: a client must not log the reply as it is.
_REJECTIONS: Final = {
    550: "550 5.1.1 <{}>: Recipient address rejected: User unknown in virtual mailbox table",
    551: "551 5.1.6 <{}>: Recipient address rejected: User not local",
    552: "552 5.2.2 <{}>: Recipient address rejected: Mailbox full",
    553: "553 5.1.3 <{}>: Recipient address rejected: Mailbox name not allowed",
    554: "554 5.7.1 <{}>: Recipient address rejected: Access denied",
}


def _deferral(code: int) -> str:
    return _DEFERRALS.get(code, f"{code} 4.0.0 Try again later")


def _rejection(code: int, address: str) -> str:
    return _REJECTIONS.get(code, f"{code} 5.0.0 <{{}}>: Recipient address rejected").format(address)


class _NoLoginDataWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Session.login_data is deprecated")


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sandbox took: the envelope and the raw bytes, the headers and parts read from them.

    The bytes are parsed when a header or a part is first asked for, not when the message
    arrives: a mail server stores what it took, and a benchmark's thousands of messages would
    otherwise be parsed on the clock, in the process that measures the senders.
    """

    mail_from: str  # the envelope's sender, MAIL FROM
    rcpt_to: tuple[str, ...]  # the envelope's recipients, RCPT TO
    login: str | None  # who logged in to send it
    raw: bytes
    received_at: datetime

    @cached_property
    def parsed(self) -> EmailMessage:
        return _parse(self.raw)

    @property
    def sender(self) -> str:
        """The From header, encoded words decoded."""
        return self.header("From") or ""

    @property
    def to(self) -> str:
        return self.header("To") or ""

    @property
    def subject(self) -> str:
        return self.header("Subject") or ""

    @property
    def message_id(self) -> str:
        return self.header("Message-ID") or ""

    @property
    def tuika_message(self) -> str | None:
        """X-Tuika-Message."""
        return self.header("X-Tuika-Message")

    @property
    def text(self) -> str | None:
        """The plain part as a mail client shows it: decoded, its CRLF line breaks read as "\\n"."""
        part = self.parsed.get_body(("plain",))
        return None if part is None else _shown(part.get_content())

    @property
    def html(self) -> str | None:
        part = self.parsed.get_body(("html",))
        return None if part is None else _shown(part.get_content())

    def header(self, name: str) -> str | None:
        """Return one header of the message as the default policy decodes it."""
        value = self.parsed[name]
        return None if value is None else str(value)


class SandboxSmtp:
    """Serve SMTP on 127.0.0.1 from a background thread; set faults, then read ``messages``.

    ``port`` 0 takes a free one, kept across ``stop`` and ``start`` so that a client made before
    still finds it. ``starttls`` offers STARTTLS; ``ssl`` speaks TLS from the first byte; either
    makes a certificate that ``client_context`` trusts.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        starttls: bool = False,
        ssl: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if starttls and ssl:
            raise ValueError("starttls and ssl exclude each other")
        aiosmtpd_log = logging.getLogger(_AIOSMTPD_LOG)
        if not any(isinstance(f, _NoLoginDataWarning) for f in aiosmtpd_log.filters):
            aiosmtpd_log.addFilter(_NoLoginDataWarning())
        self._port = port
        self._clock = clock
        self._lock = threading.Lock()
        self._messages: list[ReceivedMail] = []
        self._controller: _Controller | None = None
        # Faults, set by tests.
        self._refusing = False
        self._deferred: dict[Stage, deque[int]] = {"RCPT": deque(), "DATA": deque()}
        self._rejected: dict[str, deque[int]] = {}
        self._stalls: deque[float] = deque()
        # For each hang-up to come, how many messages are still to be taken before it.
        self._hang_ups: list[int] = []
        self._connections = 0
        self._credentials: tuple[str, str] | None = None
        self._certificate: bytes | None = None
        self._server_context: tls.SSLContext | None = None
        if starttls or ssl:
            self._certificate, self._server_context = _self_signed(datetime.fromtimestamp(clock(), UTC))
        self._starttls = starttls
        self._ssl = ssl

    # --- where it listens ---

    @property
    def host(self) -> str:
        return HOST

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the sandbox SMTP server is not running")
        return self._port

    @property
    def url(self) -> str:
        """Return ``smtp://127.0.0.1:port``, ``smtps://`` when it speaks TLS from the start."""
        return f"{'smtps' if self._ssl else 'smtp'}://{HOST}:{self.port}"

    def client_context(self) -> tls.SSLContext:
        """Return a client TLS context that trusts this sandbox's certificate, hostname checked."""
        if self._certificate is None:
            raise RuntimeError("this sandbox speaks no TLS; make it with starttls=True or ssl=True")
        return tls.create_default_context(cadata=self._certificate.decode())

    # --- running ---

    def start(self) -> Self:
        """Listen (on the same port as before, after a ``stop``) and serve until ``stop``."""
        if self._controller is not None:
            return self
        controller = _Controller(
            self,
            self._port,
            tls_context=self._server_context if self._starttls else None,
            ssl_context=self._server_context if self._ssl else None,
        )
        controller.start()
        controller.counting = True
        self._port = controller.port
        self._controller = controller
        return self

    def stop(self) -> None:
        """Close the port, so that connecting is refused; stalled replies are dropped."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- faults ---

    def refuse(self) -> None:
        """Greet every new connection with 421 and close it, as a server out of service does, until ``accept``.

        For a refused connection, ``stop`` the sandbox: its port closes.
        """
        with self._lock:
            self._refusing = True

    def accept(self) -> None:
        """Greet new connections with 220 again."""
        with self._lock:
            self._refusing = False

    def defer_next(self, count: int = 1, *, code: int = 451, at: Stage = "RCPT") -> None:
        """Answer the next ``count`` RCPT (or DATA) commands with the 4xx ``code``."""
        if not 400 <= code < 500:
            raise ValueError(f"a deferral is a 4xx reply, not {code}")
        with self._lock:
            self._deferred[at].extend([code] * count)

    def reject_next(self, address: str, code: int = 550) -> None:
        """Answer the next RCPT of this mailbox with ``code``: 5xx (550: no such mailbox) or 4xx (451: later)."""
        if not 400 <= code < 600:
            raise ValueError(f"a rejection is a 4xx or 5xx reply, not {code}")
        with self._lock:
            self._rejected.setdefault(address, deque()).append(code)

    def hang_up_after(self, messages: int = 1) -> None:
        """Close the connection right after answering 250 to the ``messages``-th message taken from now.

        Called twice, with 2 and 4, it hangs up after the second message and after the fourth.
        """
        if messages < 1:
            raise ValueError(f"a hang-up comes after a message taken, not after {messages}")
        with self._lock:
            self._hang_ups.append(messages)

    def stall_next(self, seconds: float) -> None:
        """Keep the next message, then answer its DATA ``seconds`` late: taken, but the client may have gone."""
        with self._lock:
            self._stalls.append(seconds)

    def require_auth(self, username: str, password: str) -> None:
        """Take AUTH PLAIN or LOGIN with these credentials only, and answer 530 to MAIL before it."""
        with self._lock:
            self._credentials = (username, password)

    # --- what happened ---

    @property
    def messages(self) -> list[ReceivedMail]:
        """Return a copy of every message taken, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def connections(self) -> int:
        """Return how many connections clients opened, refused ones too; the server's own check at start is not one."""
        with self._lock:
            return self._connections

    # --- the protocol, called on the server's thread ---

    def connected(self) -> None:
        """Count a client's connection, as each is accepted."""
        with self._lock:
            self._connections += 1

    @property
    def refusing(self) -> bool:
        with self._lock:
            return self._refusing

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Check AUTH's credentials, as aiosmtpd's ``authenticator`` is called."""
        with self._lock:
            credentials = self._credentials
        if credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(errors="replace"), auth_data.password.decode(errors="replace")
        # Both compared, whatever the first gives: the time taken says nothing of which was wrong.
        login_ok = hmac.compare_digest(login.encode(), credentials[0].encode())
        password_ok = hmac.compare_digest(password.encode(), credentials[1].encode())
        if not (login_ok and password_ok):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=login)

    def on_mail(self, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        """Answer MAIL FROM."""
        with self._lock:
            needs_login = self._credentials is not None
        if needs_login and not session.authenticated:
            return _AUTH_REQUIRED
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    def on_rcpt(self, envelope: Envelope, address: str, options: list[str]) -> str:
        """Answer RCPT TO: a queued deferral first, then a rejection of this mailbox."""
        with self._lock:
            deferred = self._deferred["RCPT"]
            if deferred:
                return _deferral(deferred.popleft())
            rejected = self._rejected.get(address)
            if rejected:
                code = rejected.popleft()
                return _deferral(code) if code < 500 else _rejection(code, address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 2.1.5 OK"

    def on_data(self, session: Session, envelope: Envelope) -> tuple[str, float, bool]:
        """Keep a message unless DATA is deferred; return the reply, its delay, and whether to hang up after it."""
        with self._lock:
            deferred = self._deferred["DATA"]
            if deferred:
                return _deferral(deferred.popleft()), 0.0, False
            stall = self._stalls.popleft() if self._stalls else 0.0
            self._hang_ups = [left - 1 for left in self._hang_ups]
            hang_up = 0 in self._hang_ups
            self._hang_ups = [left for left in self._hang_ups if left > 0]
        mail = ReceivedMail(
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
            login=session.auth_data if session.authenticated and isinstance(session.auth_data, str) else None,
            raw=envelope.original_content or b"",
            received_at=datetime.fromtimestamp(self._clock(), UTC),
        )
        with self._lock:
            self._messages.append(mail)
            number = len(self._messages)
        return f"250 2.0.0 OK: queued as {number}", stall, hang_up


class _Handler:
    """aiosmtpd's hooks, each handing over to the sandbox; aiosmtpd finds them by these names."""

    def __init__(self, sandbox: SandboxSmtp) -> None:
        self._sandbox = sandbox

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        return self._sandbox.on_mail(session, envelope, address, mail_options)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        return self._sandbox.on_rcpt(envelope, address, rcpt_options)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        reply, stall, hang_up = self._sandbox.on_data(session, envelope)
        if stall:
            # Cancelled by ``stop``, so a stalled reply does not hold the sandbox up.
            await asyncio.sleep(stall)
        if hang_up and server.transport is not None:
            # Runs after aiosmtpd has written the reply, which closing the transport still sends.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return reply


class _Refusal(asyncio.Protocol):
    """A connection greeted with 421 and closed."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(_REFUSED.encode() + b"\r\n")
        transport.close()


class _Controller(Controller):
    """aiosmtpd's threaded controller, on a port the OS may pick, refusing when the sandbox says so."""

    def __init__(
        self,
        sandbox: SandboxSmtp,
        port: int,
        *,
        tls_context: tls.SSLContext | None,
        ssl_context: tls.SSLContext | None,
    ) -> None:
        super().__init__(
            _Handler(sandbox),
            hostname=HOST,
            port=port,
            ssl_context=ssl_context,
            server_hostname=HOSTNAME,
            tls_context=tls_context,
            # AUTH over plain loopback; auth_required stays off, the sandbox answers 530 itself.
            auth_require_tls=False,
            authenticator=sandbox.authenticate,
        )
        self._sandbox = sandbox
        # Off until ``start`` returns: its own connection, which checks the server answers, is no client's.
        self.counting = False

    def factory(self) -> asyncio.BaseProtocol:
        # Called for each connection, so a refusal set between two sends applies to the second.
        if self.counting:
            self._sandbox.connected()
        if self._sandbox.refusing:
            return _Refusal()
        return SMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Awaitable[asyncio.AbstractServer]:
        async def bind() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
            )
            # Port 0 took a free one; the controller's first connection, which checks the server
            # answers, must go to it.
            self.port = int(server.sockets[0].getsockname()[1])
            return server

        return bind()


def _shown(content: object) -> str:
    return str(content).replace("\r\n", "\n")


def _parse(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _self_signed(now: datetime) -> tuple[bytes, tls.SSLContext]:
    """Return a certificate for 127.0.0.1 (PEM) and a server context that presents it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOSTNAME)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address(HOST)), x509.DNSName("localhost")]),
            critical=False,
        )
        # Its own CA: a client trusts it by this certificate alone.
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    secret = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    context = tls.SSLContext(tls.PROTOCOL_TLS_SERVER)
    # load_cert_chain reads files only; they live as long as this call.
    with tempfile.TemporaryDirectory(prefix="sandbox-smtp-") as folder:
        cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_path.write_bytes(pem)
        key_path.write_bytes(secret)
        context.load_cert_chain(cert_path, key_path)
    return pem, context
