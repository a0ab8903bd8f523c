"""An email's bytes written directly: header fields, then a plain-text and an HTML part.

Not ``email.message.EmailMessage``: its policy folds every header through a general parser,
2–3 ms of CPU a message, and a pass sends up to 50. What a notice needs is small and fixed:

- CRLF line endings; no line over 998 octets (RFC 5322), none over 76 where a header holds
  encoded words or a part is base64 (RFC 2045, 2047).
- A header value that is plain ASCII and short stays as it is; any other becomes RFC 2047
  encoded words, ``=?utf-8?b?…?=``, each at most 75 characters, one to a line, cut only between
  characters, so that no word holds half of a UTF-8 sequence.
- ``multipart/alternative``: ``text/plain`` then ``text/html`` (the last is the one preferred),
  UTF-8, line breaks as CRLF (a text's canonical form, base64 included); ``7bit`` when a part is
  ASCII with short lines, ``base64`` otherwise. Base64 passes every relay, 8BITMIME or not, and
  is a third larger for Chinese where quoted-printable would be three times.
- A boundary drawn at random and checked to appear in neither part.

No header may hold a line break from its input: it would start a header of the sender's
choosing (``Bcc:``). Every function here refuses one with ``ValueError``, encoded or not.

>>> fields = [text_field("Subject", "退款已受理"), address_field("From", "退卡 tuika", "noreply@tuika.example")]
>>> fields
['Subject: =?utf-8?b?6YCA5qy+5bey5Y+X55CG?=\\r\\n', 'From: =?utf-8?b?6YCA5Y2hIHR1aWth?= <noreply@tuika.example>\\r\\n']
>>> message(fields, "您的退款申请已受理。", "<p>您的退款申请已受理。</p>").count(b"\\r\\n--")
3
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Sequence
from typing import Final, NewType

# One header field, name to CRLF, as the functions below write it; ``message`` takes only these.
Field = NewType("Field", str)

_PREFIX: Final = "=?utf-8?b?"
_SUFFIX: Final = "?="
# RFC 2047: an encoded word is at most 75 characters, a line holding one at most 76.
_WORD_MAX: Final = 75
_FOLDED_MAX: Final = 76
# RFC 5322's limit on any line, and the length a plain header should keep to.
_LINE_MAX: Final = 998
_PLAIN_MAX: Final = 78
# A header name longer than this would leave the first line too little room for a word.
_NAME_MAX: Final = 40
# RFC 5322 atext, words separated by single spaces: a display name that needs no quoting.
_PHRASE: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?: [A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def encoded_words(text: str, used: int = 0) -> str:
    """Return ``text`` as UTF-8 base64 encoded words, folded one to a line.

    ``used`` is how much of the first line is taken before the value (``len("Subject: ")``).

    >>> encoded_words("退款已受理")
    '=?utf-8?b?6YCA5qy+5bey5Y+X55CG?='
    >>> [len(line) for line in encoded_words("退" * 40, used=9).split("\\r\\n")]
    [64, 73, 61]
    """
    if used > _NAME_MAX + 2:
        raise ValueError(f"a header name of {used - 2} characters leaves no room on its line")
    data = text.encode()
    words = []
    start = 0
    room = min(_WORD_MAX, _FOLDED_MAX - used)
    while start < len(data):
        # Base64 writes 4 characters for every 3 bytes.
        end = min(start + (room - len(_PREFIX) - len(_SUFFIX)) // 4 * 3, len(data))
        # Back to the first byte of a character: UTF-8's continuation bytes are 0b10xxxxxx.
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end -= 1
        words.append(_PREFIX + base64.b64encode(data[start:end]).decode("ascii") + _SUFFIX)
        start = end
        # Each further word has a line of its own, after the space that marks it a continuation.
        room = _WORD_MAX
    return "\r\n ".join(words)


def text_field(name: str, value: str) -> Field:
    """Return an unstructured header (a Subject): as it is if plain ASCII and short, else encoded words.

    >>> text_field("Subject", "Refund received")
    'Subject: Refund received\\r\\n'
    >>> text_field("Subject", "Refund =?received")
    'Subject: =?utf-8?b?UmVmdW5kID0/cmVjZWl2ZWQ=?=\\r\\n'
    """
    _check(name, value)
    # Kept as is only where a reader gets it back unchanged: a reader strips the spaces at
    # either end, and decodes anything that looks like an encoded word.
    plain = value.isascii() and value.isprintable() and value == value.strip() and "=?" not in value
    if plain and len(name) + 2 + len(value) <= _PLAIN_MAX:
        return Field(f"{name}: {value}\r\n")
    return Field(f"{name}: {encoded_words(value, len(name) + 2)}\r\n")


def address_field(name: str, display: str, address: str) -> Field:
    """Return a mailbox header (a From): the display name as it is or as encoded words, then the address.

    >>> address_field("From", "tuika", "noreply@tuika.example")
    'From: tuika <noreply@tuika.example>\\r\\n'
    """
    _check(name, display)
    _check(name, address)
    angle = f"<{address}>"
    if not display:
        return _field(name, angle)
    if _PHRASE.fullmatch(display) and "=?" not in display and len(name) + len(display) + len(angle) + 3 <= _PLAIN_MAX:
        return _field(name, f"{display} {angle}")
    words = encoded_words(display, len(name) + 2)
    last = words.rpartition("\r\n")[2] if "\r\n" in words else f"{name}: {words}"
    # The address on a line of its own where the last word's line has no room for it.
    gap = " " if len(last) + 1 + len(angle) <= _FOLDED_MAX else "\r\n "
    return _field(name, f"{words}{gap}{angle}")


def plain_field(name: str, value: str) -> Field:
    """Return a header whose value goes as it is (an address, a date, an id), refused if it would break the header.

    >>> plain_field("To", "buyer@example.com\\r\\nBcc: x@y.com")
    Traceback (most recent call last):
    ...
    ValueError: To would hold a line break
    """
    _check(name, value)
    return _field(name, value)


def draw_boundary() -> str:
    """Return a random boundary; ``=_`` is in no base64 text, and the rest makes it unlikely anywhere."""
    return "=_" + secrets.token_hex(12)


def message(fields: Sequence[Field], text: str, html: str, *, boundary: Callable[[], str] = draw_boundary) -> bytes:
    """Return a multipart/alternative message: ``fields``, then ``text`` and ``html`` as its two parts.

    MIME-Version and the Content-Type are added here. ``boundary`` draws a boundary, again
    while the one drawn appears in a part.
    """
    text_encoding, text_body = _body(text)
    html_encoding, html_body = _body(html)
    drawn = boundary()
    while drawn.encode() in text_body or drawn.encode() in html_body:
        drawn = boundary()
    mark = drawn.encode("ascii")
    head = "".join(fields) + f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{drawn}"\r\n\r\n'
    return b"".join(
        [
            head.encode(),
            b"--" + mark + b"\r\n",
            _part_head("plain", text_encoding),
            text_body,
            # The line break before a boundary belongs to the boundary: the part ends where it did.
            b"\r\n--" + mark + b"\r\n",
            _part_head("html", html_encoding),
            html_body,
            b"\r\n--" + mark + b"--\r\n",
        ]
    )


def _check(name: str, value: str) -> None:
    if "\r" in value or "\n" in value:
        raise ValueError(f"{name} would hold a line break")
    if not name.isascii() or not name.replace("-", "").isalnum():
        raise ValueError(f"not a header name: {name!r}")


def _field(name: str, value: str) -> Field:
    field = f"{name}: {value}\r\n"
    if any(len(line.encode()) > _LINE_MAX for line in field.split("\r\n")):
        raise ValueError(f"{name} is longer than a header line may be")
    return Field(field)


def _part_head(subtype: str, encoding: str) -> bytes:
    return f'Content-Type: text/{subtype}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n'.encode()


def _body(text: str) -> tuple[str, bytes]:
    """Return a part's transfer encoding and its body: its lines ended by CRLF, as they are or in base64.

    Lines end at LF, CR or CRLF only (as bytes split them: a U+2028 in a text stays a character),
    and a text that does not end in a line break gets one.
    """
    lines = text.encode().splitlines()
    canonical = b"\r\n".join(lines) + b"\r\n"
    if canonical.isascii() and b"\0" not in canonical and all(len(line) <= _LINE_MAX for line in lines):
        return "7bit", canonical
    # encodebytes writes lines of 76 characters, each ended by LF; the last line break is the boundary's.
    return "base64", base64.encodebytes(canonical).replace(b"\n", b"\r\n")[:-2]
