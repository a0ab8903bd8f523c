"""Email over SMTP, with the standard library's ``smtplib``; ``mime`` writes the messages' bytes.

One ``Outgoing`` is one multipart/alternative message to one mailbox: a plain-text part (the
body, then the link on a line of its own) and an HTML part (the message's own HTML, or the body
escaped, with the link as an anchor). The subject and the sender's name may be Chinese, and go
as RFC 2047 encoded words, which every mail client decodes.

A resend is recognisable: the Message-ID is ``<{message_id}@{sender's domain}>``, the same on
every try, and ``X-Tuika-Message`` carries the message id. SMTP has no idempotency key, so a
server that took a message but whose answer was lost (a timeout after the data) delivers the
resend too; mail clients that thread or dedupe by Message-ID show it once.

What each SMTP answer means for the next try, kept simple on purpose:

=========================================  ==========================================
connection refused, reset, timed out;       ``UNAVAILABLE`` (``connect``, ``timeout``,
the server hung up; TLS broke mid-way       ``disconnected``, ``tls``)
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
connecting
=========================================  ==========================================

Providers that rate-limit with 421 or 450 and "try again later" come out ``UNAVAILABLE``; that
too is tried again, only sooner. The mailbox is never written out in full: log lines and
failure details show it as ``a***@example.com``.

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
from collections.abc import Sequence
from email.utils import formatdate
from typing import Final

from tuika.adapters.notify import mime
from tuika.domain.masking import mask_email
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed, one_by_one

log = logging.getLogger(__name__)

# Said of a mailbox that does not exist (550), is not local (551) or is not a valid name (553).
_GONE_ON_RCPT: Final = frozenset({550, 551, 553})
_THROTTLED: Final = frozenset({452})
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


class SmtpNotifier:
    """Send email through one SMTP server, a new connection for each message.

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
        # The same on every message, so written once; a name with a line break is refused here.
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
        """Send a pass's messages, one request each."""
        return one_by_one(self.send, messages)

    def send(self, message: Outgoing) -> str:
        """Send one message to ``message.address``; return its Message-ID or raise ``SendFailed``."""
        if not valid_address(message.address):
            raise self._failed(message, FailureKind.REFUSED, "bad-address", "not a mailbox")
        if not _DOT_ATOM.fullmatch(message.message_id) or len(message.message_id) > _MESSAGE_ID_MAX:
            # It names the Message-ID; tuika's ids are always of this shape.
            raise self._failed(message, FailureKind.REFUSED, "bad-message-id", "not fit for a Message-ID")
        try:
            mail = self.build(message)
        except UnicodeEncodeError:
            # A lone surrogate (text decoded with surrogateescape) has no UTF-8; no retry mends it.
            raise self._failed(message, FailureKind.REFUSED, "bad-text", "not valid Unicode") from None
        try:
            self._deliver(mail, message.address)
        except smtplib.SMTPRecipientsRefused as refused:
            # One recipient a message, so one answer.
            code, reply = next(iter(refused.recipients.values()))
            raise self._failed(message, _kind(code, rcpt=True), f"smtp-{code}", _text(reply)) from None
        except smtplib.SMTPResponseException as answered:
            # The greeting, HELO, AUTH, MAIL or DATA answered with an error.
            code = answered.smtp_code
            raise self._failed(message, _kind(code), f"smtp-{code}", _text(answered.smtp_error)) from None
        except smtplib.SMTPServerDisconnected as gone:
            # smtplib turns a reply that timed out into a disconnection; say which it was.
            why = "timeout" if str(gone).endswith("timed out") else "disconnected"
            raise self._failed(message, FailureKind.UNAVAILABLE, why, str(gone)) from None
        except smtplib.SMTPNotSupportedError as missing:
            # STARTTLS or AUTH asked for and not offered: sending anyway would leak what TLS protects.
            raise self._failed(message, FailureKind.REFUSED, "not-supported", str(missing)) from None
        except smtplib.SMTPException as other:
            raise self._failed(message, FailureKind.REFUSED, "smtp", str(other)) from None
        except tls.SSLCertVerificationError as untrusted:
            raise self._failed(message, FailureKind.REFUSED, "tls-certificate", untrusted.verify_message) from None
        except tls.SSLError as broken:
            raise self._failed(message, FailureKind.UNAVAILABLE, "tls", broken.reason or str(broken)) from None
        except TimeoutError:
            raise self._failed(message, FailureKind.UNAVAILABLE, "timeout", "no answer in time") from None
        except OSError as unreachable:
            detail = str(unreachable) or type(unreachable).__name__
            raise self._failed(message, FailureKind.UNAVAILABLE, "connect", detail) from None
        message_id = self.message_id(message)
        log.info("email %s to %s taken as %s", message.message_id, mask_email(message.address), message_id)
        return message_id

    def _deliver(self, mail: bytes, address: str) -> None:
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
            # The To header holds an internationalised mailbox as UTF-8 (RFC 6531): SMTPUTF8 or nothing.
            options = [] if address.isascii() else ["SMTPUTF8", "BODY=8BITMIME"]
            smtp.sendmail(self._sender, [address], mail, mail_options=options)
        except BaseException:
            # No QUIT: after a timeout it would wait as long again for nothing.
            smtp.close()
            raise
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            # The message is taken; a server that hangs up before answering QUIT changes nothing.
            smtp.close()

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
