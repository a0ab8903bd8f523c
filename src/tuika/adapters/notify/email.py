"""Email over SMTP with the standard library's ``smtplib``: a pass's messages on one connection.

One ``Outgoing`` is one multipart/alternative message to one mailbox: a plain-text part (the
body, then the link on a line of its own) and an HTML part (the message's own HTML, or the body
escaped, with the link as an anchor). ``mime`` writes its bytes; the subject and the sender's
name may be Chinese, and go as RFC 2047 encoded words, which every mail client decodes.

A resend is recognisable: the Message-ID is ``<{message_id}@{sender's domain}>``, the same on
every try, and ``X-Tuika-Message`` carries the message id. SMTP has no idempotency key, so a
server that took a message but whose answer was lost (a timeout after the data) delivers the
resend too; mail clients that thread or dedupe by Message-ID show it once.

``send_all`` opens one connection for a pass (TLS and login once), then sends each message in
turn with MAIL, RCPT and DATA. A server's refusal of one message is that message's outcome; an
RSET clears the transaction and the next goes on. If the server hangs up or answers 421 (it is
closing), a new connection is opened, once a pass, for the messages not yet taken: the one in
flight too, unless its data had gone out (it may have arrived: it is tried again later, with its
Message-ID, rather than now). When connecting fails, every message left gets what connecting
got, after one wait, not one each.

What each SMTP answer means for the next try, kept simple on purpose:

=========================================  ==========================================
connecting refused, reset, timed out; TLS   ``UNAVAILABLE`` (``connect``, ``timeout``,
broke                                       ``tls``), for every message left in the pass
the server hung up, or answered 421,        that message and the rest go on a new
before a message's data went out            connection, once a pass; lost again, each
                                            left gets ``UNAVAILABLE`` (``disconnected``,
                                            ``smtp-421``)
the connection lost after a message's       ``UNAVAILABLE`` (``timeout``,
data went out (no answer in time)           ``disconnected``) for that message, which may
                                            have arrived; the rest go on a new connection
any 4xx reply                               ``UNAVAILABLE`` (``smtp-421``, ``smtp-451`` …)
452 (too many recipients, or no storage)    ``THROTTLED`` (``smtp-452``)
550, 551, 553 to RCPT: no such mailbox      ``ADDRESS_GONE``
535 (credentials), any other 5xx            ``REFUSED``
no STARTTLS or AUTH where asked for, no     ``REFUSED`` (``not-supported``, ``smtp``,
AUTH method in common, no SMTPUTF8 for an   ``tls-certificate``)
internationalised mailbox; a certificate
that does not verify
a malformed address or message id, a text   ``REFUSED`` (``bad-address``,
that is no valid Unicode, found before      ``bad-message-id``, ``bad-text``)
sending
=========================================  ==========================================

A failure while connecting (the greeting, TLS, the login) is every message's of that pass. One
of a message (MAIL, RCPT, DATA) is that message's only. Providers that rate-limit with 421 or
450 and "try again later" come out ``UNAVAILABLE``; that too is tried again, only sooner. The
mailbox is never written out in full: log lines and failure details show it as
``a***@example.com``.

>>> notifier = SmtpNotifier("smtp.exmail.qq.com", 465, "noreply@tuika.example", ssl=True)  # doctest: +SKIP
>>> notifier.send(Outgoing("msg_1", "buyer@example.com", "退款已受理", "您的退款申请已受理"))  # doctest: +SKIP
'<msg_1@tuika.example>'
"""

from __future__ import annotations

import html
import logging
import re
import smtplib
import ssl as tls
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import formatdate
from typing import Final

from tuika.adapters.notify import mime
from tuika.domain.masking import mask_email
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed

log = logging.getLogger(__name__)

# Said of a mailbox that does not exist (550), is not local (551) or is not a valid name (553).
_GONE_ON_RCPT: Final = frozenset({550, 551, 553})
_THROTTLED: Final = frozenset({452})
# "Service not available, closing transmission channel": the server is going; nothing was taken.
_CLOSING: Final = 421
# The first connection of a pass, and one more after the server hung up on it.
_CONNECTIONS: Final = 2
# What would break the envelope or the header if it were in an address: line breaks, spaces,
# and the punctuation that separates or quotes addresses in a header.
_NOT_IN_ADDRESS: Final = frozenset('<>(),;:"[]\\')
# RFC 5321's limit on a path, less its angle brackets.
_ADDRESS_MAX: Final = 254
# RFC 5322's dot-atom-text: what the left part of a Message-ID may be without quoting.
_DOT_ATOM: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
# tuika's ids are a few dozen characters; the bound keeps the Message-ID far inside a header line.
_MESSAGE_ID_MAX: Final = 200
# A mailbox in a server's reply ("5.1.1 <alice@example.com>: Recipient address rejected").
_MAILBOX: Final = re.compile(r"[^\s<>@]+@[^\s<>]+")


def valid_address(address: str) -> bool:
    """Return whether an address is fit to put in the envelope and the To header.

    Minimal on purpose: the server says whether the mailbox exists.

    >>> valid_address("buyer@example.com"), valid_address("买家@例子.中国")
    (True, True)
    >>> valid_address("buyer@example.com\\r\\nBcc: x@y.com"), valid_address("a@b@c"), valid_address("a b@c")
    (False, False, False)
    """
    local, at, domain = address.rpartition("@")
    return (
        bool(at and local and domain)
        and "@" not in local
        and len(address.encode()) <= _ADDRESS_MAX
        and all(c.isprintable() and not c.isspace() and c not in _NOT_IN_ADDRESS for c in address)
    )


@dataclass(frozen=True, slots=True)
class _Ready:
    """A message that passed the checks, with its place in the pass and its bytes."""

    index: int
    message: Outgoing
    data: bytes


@dataclass(frozen=True, slots=True)
class _Refusal:
    """What the server answered a message it did not take."""

    code: int
    reply: bytes | str
    rcpt: bool


class _MaybeTaken(Exception):
    """The connection was lost after a message's data began to go out: the server may have it."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class SmtpNotifier:
    """Send email through one SMTP server, one connection for each pass of messages.

    ``ssl`` speaks TLS from the first byte (port 465); ``starttls`` upgrades a plain connection
    (port 587) and fails, rather than sending in clear, when the server does not offer it.
    ``username`` and ``password`` log in after that. ``timeout_s`` bounds the connection and
    each reply. ``tls_context`` replaces the default one (the system's CAs, hostnames checked),
    for a server with a private CA, or the sandbox's certificate in tests.
    """

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        sender_name: str = "退卡 tuika",
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        ssl: bool = False,
        timeout_s: float = 10.0,
        tls_context: tls.SSLContext | None = None,
    ) -> None:
        if starttls and ssl:
            raise ValueError("starttls and ssl exclude each other: ssl is TLS from the start, starttls upgrades later")
        if (username is None) != (password is None):
            raise ValueError("username and password go together")
        # Our own address; ASCII so that its domain can name the Message-ID (an IDN in xn-- form).
        if not valid_address(sender) or not sender.isascii():
            raise ValueError(f"not a sender address: {sender!r}")
        self._host = host
        self._port = port
        self._sender = sender
        # The same on every message, so written once; joined to one line, as a title is.
        self._from = mime.address_field("From", " ".join(sender_name.split()), sender)
        self._domain = sender.rpartition("@")[2]
        self._username = username
        self._password = password
        self._starttls = starttls
        self._ssl = ssl
        self._timeout_s = timeout_s
        # Always one that verifies: given none, smtplib's STARTTLS and SMTP_SSL check no certificate.
        self._tls_context = tls_context or tls.create_default_context()

    @property
    def channel(self) -> SendChannel:
        return SendChannel.EMAIL

    def message_id(self, message: Outgoing) -> str:
        """Return the Message-ID header of a message: the same on every try."""
        return f"<{message.message_id}@{self._domain}>"

    def build(self, message: Outgoing) -> bytes:
        """Return the email for one message as it goes out: headers and both parts, CRLF line endings."""
        # A title is one line; ``mime`` refuses a header with a line break in it.
        title = " ".join(message.title.split())
        text = message.body if message.link is None else f"{message.body.rstrip()}\n\n{message.link}\n"
        page = message.html if message.html is not None else _page(message)
        fields = [
            mime.text_field("Subject", title),
            self._from,
            mime.plain_field("To", message.address),
            mime.plain_field("Date", formatdate(usegmt=True)),
            mime.plain_field("Message-ID", self.message_id(message)),
            mime.plain_field("X-Tuika-Message", message.message_id),
            # RFC 3834: a notice, so that vacation responders and list servers do not answer it.
            mime.plain_field("Auto-Submitted", "auto-generated"),
        ]
        return mime.message(fields, text, page)

    def send_all(self, messages: Sequence[Outgoing]) -> list[str | SendFailed]:
        """Send a pass's messages on one connection; return each one's Message-ID or failure, in order."""
        outcomes: list[str | SendFailed | None] = [None] * len(messages)
        queue: deque[_Ready] = deque()
        for index, message in enumerate(messages):
            ready = self._prepare(index, message)
            if isinstance(ready, SendFailed):
                outcomes[index] = ready
            else:
                queue.append(ready)
        self._deliver(queue, outcomes)
        done = [outcome for outcome in outcomes if outcome is not None]
        assert len(done) == len(messages), "every message has an outcome"
        return done

    def send(self, message: Outgoing) -> str:
        """Send one message to ``message.address``; return its Message-ID or raise ``SendFailed``."""
        [outcome] = self.send_all([message])
        if isinstance(outcome, SendFailed):
            raise outcome
        return outcome

    def _prepare(self, index: int, message: Outgoing) -> _Ready | SendFailed:
        """Return a message's bytes, or why it cannot go: found before any connection is made."""
        if not valid_address(message.address):
            return self._failed(message, FailureKind.REFUSED, "bad-address", "not a mailbox")
        if not _DOT_ATOM.fullmatch(message.message_id) or len(message.message_id) > _MESSAGE_ID_MAX:
            # It names the Message-ID; tuika's ids are always of this shape.
            return self._failed(message, FailureKind.REFUSED, "bad-message-id", "not fit for a Message-ID")
        try:
            return _Ready(index, message, self.build(message))
        except UnicodeEncodeError:
            # A lone surrogate (text decoded with surrogateescape) has no UTF-8; no retry mends it.
            return self._failed(message, FailureKind.REFUSED, "bad-text", "not valid Unicode")

    def _deliver(self, queue: deque[_Ready], outcomes: list[str | SendFailed | None]) -> None:
        """Send the queued messages on as few connections as will do; give each left over what stopped them."""
        lost: OSError | None = None
        for _ in range(_CONNECTIONS):
            if not queue:
                return
            try:
                smtp = self._connect()
            except OSError as failed:
                # smtplib's errors are OSErrors too. Connecting again for each message would only
                # wait as long again for the same answer.
                lost = failed
                break
            try:
                lost = self._session(smtp, queue, outcomes)
            except BaseException:
                smtp.close()
                raise
            if lost is None:
                _quit(smtp)
                return
            # No QUIT: the connection is gone, or the server said it is going.
            smtp.close()
            if queue:
                _, code, detail = _failure(lost)
                log.info(
                    "email: lost the connection to %s (%s %s); %d messages left",
                    self._host,
                    code,
                    _scrub(detail),
                    len(queue),
                )
        if queue:
            assert lost is not None, "only a lost or failed connection leaves messages"
            kind, code, detail = _failure(lost)
            for ready in queue:
                outcomes[ready.index] = self._failed(ready.message, kind, code, detail)
            queue.clear()

    def _connect(self) -> smtplib.SMTP:
        smtp = (
            smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout_s, context=self._tls_context)
            if self._ssl
            else smtplib.SMTP(self._host, self._port, timeout=self._timeout_s)
        )
        try:
            if self._starttls:
                smtp.starttls(context=self._tls_context)
            if self._username is not None and self._password is not None:
                smtp.login(self._username, self._password)
            # EHLO now, not at the first MAIL, so that its failure is the connection's, not a message's.
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            # No QUIT: after a timeout it would wait as long again for nothing.
            smtp.close()
            raise
        return smtp

    def _session(
        self, smtp: smtplib.SMTP, queue: deque[_Ready], outcomes: list[str | SendFailed | None]
    ) -> OSError | None:
        """Send queued messages in turn on one connection; return what lost it, or None once the queue is empty.

        A message leaves the queue with its outcome; one in flight when the connection is lost
        stays, unless its data had begun to go out.
        """
        while queue:
            ready = queue[0]
            try:
                refusal = self._transaction(smtp, ready)
            except smtplib.SMTPNotSupportedError as missing:
                # No SMTPUTF8 for an internationalised mailbox: refused before MAIL went out.
                queue.popleft()
                outcomes[ready.index] = self._failed(ready.message, FailureKind.REFUSED, "not-supported", str(missing))
                continue
            except _MaybeTaken as gone:
                queue.popleft()
                outcomes[ready.index] = self._failed(ready.message, *_failure(gone.error))
                return gone.error
            except OSError as gone:
                # Before its data: the server has none of it, so it goes on the next connection.
                return gone
            if refusal is None:
                queue.popleft()
                outcomes[ready.index] = message_id = self.message_id(ready.message)
                log.info(
                    "email %s to %s taken as %s",
                    ready.message.message_id,
                    mask_email(ready.message.address),
                    message_id,
                )
                continue
            if refusal.code == _CLOSING:
                return smtplib.SMTPResponseException(refusal.code, refusal.reply)
            queue.popleft()
            outcomes[ready.index] = self._failed(
                ready.message, _kind(refusal.code, rcpt=refusal.rcpt), f"smtp-{refusal.code}", _text(refusal.reply)
            )
            try:
                # The next message starts a transaction of its own, whatever this one left behind.
                code, reply = smtp.rset()
            except OSError as gone:
                return gone
            if code != 250:
                return smtplib.SMTPResponseException(code, reply)
        return None

    def _transaction(self, smtp: smtplib.SMTP, ready: _Ready) -> _Refusal | None:
        """Send one message with MAIL, RCPT and DATA; return None once it is taken, or the server's refusal.

        ``smtp.sendmail`` does as much, but says nothing of how far it got when the connection
        drops: here a drop before DATA leaves a message that is surely not taken.
        """
        options = [f"SIZE={len(ready.data)}"] if smtp.has_extn("size") else []
        if not ready.message.address.isascii():
            # The To header holds the mailbox as UTF-8 (RFC 6531); mail() refuses it without SMTPUTF8.
            options += ["SMTPUTF8", "BODY=8BITMIME"]
        code, reply = smtp.mail(self._sender, options)
        if code != 250:
            return _Refusal(code, reply, rcpt=False)
        code, reply = smtp.rcpt(ready.message.address)
        if code not in (250, 251):
            return _Refusal(code, reply, rcpt=True)
        try:
            code, reply = smtp.data(ready.data)
        except smtplib.SMTPDataError as refused:
            # DATA itself refused: no data went out.
            return _Refusal(refused.smtp_code, refused.smtp_error, rcpt=False)
        except OSError as gone:
            # Lost while the data went out or before its answer came (a timeout is one): the server
            # may have it all. Counted from DATA on, a little early, so as never to send it twice.
            raise _MaybeTaken(gone) from None
        if code != 250:
            return _Refusal(code, reply, rcpt=False)
        return None

    def _failed(self, message: Outgoing, kind: FailureKind, code: str, detail: str) -> SendFailed:
        detail = _scrub(detail)
        log.warning(
            "email %s to %s not taken: %s %s %s",
            message.message_id,
            mask_email(message.address),
            kind.value,
            code,
            detail,
        )
        return SendFailed(kind, code, detail)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except OSError:
        # Every message is answered; a server that hangs up before answering QUIT changes nothing.
        smtp.close()


def _failure(error: OSError) -> tuple[FailureKind, str, str]:
    """Return what a lost or failed connection means for the messages it leaves: kind, code, detail."""
    if isinstance(error, smtplib.SMTPResponseException):
        # The greeting, HELO, STARTTLS or AUTH answered with an error, or a 421 said it was closing.
        return _kind(error.smtp_code), f"smtp-{error.smtp_code}", _text(error.smtp_error)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        # smtplib turns a reply that timed out into a disconnection; say which it was.
        why = "timeout" if str(error).endswith("timed out") else "disconnected"
        return FailureKind.UNAVAILABLE, why, str(error)
    if isinstance(error, smtplib.SMTPNotSupportedError):
        # STARTTLS or AUTH asked for and not offered: sending anyway would leak what TLS protects.
        return FailureKind.REFUSED, "not-supported", str(error)
    if isinstance(error, smtplib.SMTPException):
        return FailureKind.REFUSED, "smtp", str(error)
    if isinstance(error, tls.SSLCertVerificationError):
        return FailureKind.REFUSED, "tls-certificate", error.verify_message
    if isinstance(error, tls.SSLError):
        return FailureKind.UNAVAILABLE, "tls", error.reason or str(error)
    if isinstance(error, TimeoutError):
        return FailureKind.UNAVAILABLE, "timeout", "no answer in time"
    return FailureKind.UNAVAILABLE, "connect", str(error) or type(error).__name__


def _kind(code: int, *, rcpt: bool = False) -> FailureKind:
    """Return what an SMTP reply code means for the next try; 550 means a gone mailbox only to RCPT.

    >>> [_kind(code).value for code in (421, 451, 452, 535, 550)]
    ['unavailable', 'unavailable', 'throttled', 'refused', 'refused']
    >>> _kind(550, rcpt=True).value
    'address_gone'
    """
    if code in _THROTTLED:
        return FailureKind.THROTTLED
    if 400 <= code < 500:
        return FailureKind.UNAVAILABLE
    if rcpt and code in _GONE_ON_RCPT:
        return FailureKind.ADDRESS_GONE
    return FailureKind.REFUSED


def _page(message: Outgoing) -> str:
    """Return the HTML part for a message that has none: its body, escaped, then its link."""
    paragraphs = [p for p in message.body.split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p.strip()).replace(chr(10), '<br>')}</p>\n" for p in paragraphs)
    if message.link is not None:
        link = html.escape(message.link)
        body += f'<p><a href="{link}">{link}</a></p>\n'
    title = html.escape(" ".join(message.title.split()))
    head = f'<head><meta charset="utf-8"><title>{title}</title></head>'
    return f"<!DOCTYPE html>\n<html>\n{head}\n<body>\n{body}</body>\n</html>\n"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _scrub(text: str) -> str:
    """Return ``text`` with every mailbox in it masked: servers quote the recipient in their replies.

    >>> _scrub("5.1.1 <alice@example.com>: Recipient address rejected")
    '5.1.1 <a***@example.com>: Recipient address rejected'
    """
    return _MAILBOX.sub(lambda m: mask_email(m.group()), text)
