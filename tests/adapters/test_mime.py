"""The email bytes ``mime`` writes, read back with the standard library's parser, as a mail client reads them."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuika.adapters.notify import mime
from tuika.adapters.notify.email import SmtpNotifier
from tuika.domain.sending import Outgoing

SENDER = "noreply@tuika.example"
BUYER = "alice.buyer@example.com"
LINK = "https://tuika.example/cases/rc_7Q2M"
LONG_CHINESE = (
    "您的退卡申请已通过审核，退款¥100.00已原路退回至您的平台余额，请在“我的-余额明细”中查看退款凭证；"
    "如对退款金额或到账时间有任何疑问，请在工作日九点至十八点之间联系在线客服，我们将在一个工作日内答复您。"
)
# The messages of test_email.py, which the builder this one replaced passed.
MESSAGES = [
    Outgoing(
        "msg_01J9Z",
        BUYER,
        "退款已受理:订单 RC-2024-0007",
        "您的退款申请已受理,预计3个工作日内到账。\n如有疑问,请回复客服。",
        link=LINK,
    ),
    Outgoing("msg_2", BUYER, "退款到账", "退款 ¥99.50 已到账。", html="<p>退款 <b>¥99.50</b> 已到账。</p>"),
    Outgoing("msg_3", BUYER, "<标题>", 'A <script> & "quotes"', link="https://tuika.example/?a=1&b=<2>"),
    Outgoing("msg_4", "买家@例子.中国", "退款已受理", "您的退款申请已受理。"),
    Outgoing("msg_other", BUYER, "t", "b"),
    Outgoing("msg_long", BUYER, LONG_CHINESE, LONG_CHINESE * 3, link=LINK),
]
ENCODED_WORD = re.compile(rb"=\?utf-8\?b\?([A-Za-z0-9+/=]*)\?=")


def parse(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def header_lines(raw: bytes) -> list[bytes]:
    return raw.partition(b"\r\n\r\n")[0].split(b"\r\n")


def only_crlf(raw: bytes) -> bool:
    return b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")


def canonical(text: str) -> str:
    """Return a text as a part holds it: CRLF line breaks (where LF, CR or CRLF were), one at the end."""
    return "".join(line + "\r\n" for line in re.split(r"\r\n|\r|\n", text.removesuffix("\n").removesuffix("\r")))


def subject_of(title: str) -> EmailMessage:
    return parse(mime.message([mime.text_field("Subject", title)], "t", "<p>t</p>"))


@pytest.fixture
def notifier() -> SmtpNotifier:
    return SmtpNotifier("127.0.0.1", 25, SENDER)


# --- headers ---


@pytest.mark.parametrize(
    "title",
    [
        LONG_CHINESE,
        "退款已到账：¥100.00 🎉 Your refund has arrived 👨‍👩‍👧 家庭套餐",
        "🎉" * 60,
        "Refund received",
        "A plain ASCII subject that is too long to stay on one line of seventy-eight characters",
        "Literally =?utf-8?b?5L2g?= in a title",
        " spaces at either end ",
        "",
    ],
)
def test_a_subject_decodes_to_the_original_in_words_and_lines_of_the_allowed_length(title: str) -> None:
    raw = mime.message([mime.text_field("Subject", title)], "t", "<p>t</p>")

    parsed = parse(raw)
    assert str(parsed["Subject"]) == title
    assert parsed["Subject"].defects == ()
    subject = [line for line in header_lines(raw) if not line.startswith((b"MIME-Version", b"Content-Type"))]
    assert all(len(line) <= 76 for line in subject), subject
    words = [m.group() for line in subject for m in ENCODED_WORD.finditer(line)]
    assert all(len(word) <= 75 for word in words)
    # Each word is whole characters: its bytes are UTF-8 by themselves.
    for word in ENCODED_WORD.finditer(raw):
        base64.b64decode(word.group(1)).decode("utf-8")


def test_a_long_chinese_subject_is_folded_into_several_words_each_line_a_continuation() -> None:
    raw = mime.message([mime.text_field("Subject", LONG_CHINESE)], "t", "<p>t</p>")

    lines = header_lines(raw)
    continued = lines[1 : lines.index(next(line for line in lines if line.startswith(b"MIME-Version")))]
    assert lines[0].startswith(b"Subject: =?utf-8?b?")
    assert len(continued) >= len(LONG_CHINESE.encode()) // 45
    assert all(line.startswith(b" =?utf-8?b?") and line.endswith(b"?=") for line in continued)


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=300))
def test_any_one_line_subject_decodes_to_itself(title: str) -> None:
    assert str(subject_of(title)["Subject"]) == title


@pytest.mark.parametrize("name", ["退卡 tuika", "tuika", "tuika (notices)", "tuika =?x?=", "卡盟退卡服务中心 🎫", ""])
def test_a_sender_decodes_to_its_name_and_address(name: str) -> None:
    raw = mime.message([mime.address_field("From", name, SENDER)], "t", "<p>t</p>")

    [sender] = parse(raw)["From"].addresses
    assert sender == Address(display_name=name, addr_spec=SENDER)
    assert parse(raw)["From"].defects == ()


def test_a_long_sender_name_is_folded_into_words_an_rfc_2047_reader_joins() -> None:
    name = "卡盟退卡服务中心 · 售后退款通知 🎫 " * 4
    raw = mime.message([mime.address_field("From", name, SENDER)], "t", "<p>t</p>")

    lines = header_lines(raw)[:-2]
    assert len(lines) > 3
    assert all(len(line) <= 76 for line in lines)
    # The standard library's parser keeps the space between two encoded words of a display name
    # (RFC 2047 says a reader drops it; its own generator's names come back the same); its
    # RFC 2047 decoder joins them, as mail clients do.
    value = b"".join(lines).decode().removeprefix("From: ")
    words, _, angle = value.rpartition(" ")
    assert (str(make_header(decode_header(words))), angle) == (name, f"<{SENDER}>")


@pytest.mark.parametrize("value", ["a\rb", "a\nb", "a\r\nBcc: x@y.com", "line\n"])
@pytest.mark.parametrize(
    "field",
    [
        lambda v: mime.text_field("Subject", v),
        lambda v: mime.plain_field("To", v),
        lambda v: mime.address_field("From", v, SENDER),
        lambda v: mime.address_field("From", "tuika", v),
    ],
    ids=["text", "plain", "display-name", "address"],
)
def test_no_header_holds_a_line_break_of_its_input(field: Callable[[str], mime.Field], value: str) -> None:
    with pytest.raises(ValueError, match="line break"):
        field(value)


def test_a_plain_header_longer_than_a_line_may_be_is_refused() -> None:
    mime.plain_field("Message-ID", "<" + "a" * 980 + "@x>")

    with pytest.raises(ValueError, match="longer than a header line"):
        mime.plain_field("Message-ID", "<" + "a" * 990 + "@x>")


# --- parts ---


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("您的退款申请已受理。\n如有疑问,请回复客服。\n", "base64"),
        (LONG_CHINESE * 20, "base64"),
        ("Mixed: 退款 🎉 and ASCII\r\nwith CRLF\rand a lone CR, a\u2028line separator", "base64"),
        ("Your refund has arrived.\n\nhttps://tuika.example/cases/rc_1\n", "7bit"),
        ("A line of ASCII longer than SMTP allows: " + "x" * 1000, "base64"),
        ("", "7bit"),
        ("\n\n", "7bit"),
    ],
)
def test_each_part_decodes_to_its_text_in_the_encoding_it_needs(text: str, encoding: str) -> None:
    raw = mime.message([], text, f"<p>{text}</p>")

    parsed = parse(raw)
    plain, page = parsed.get_body(("plain",)), parsed.get_body(("html",))
    assert plain is not None
    assert page is not None
    assert (plain["Content-Transfer-Encoding"], plain.get_content_charset()) == (encoding, "utf-8")
    assert plain.get_content() == canonical(text)
    assert page.get_content() == canonical(f"<p>{text}</p>")
    assert parsed.defects == plain.defects == page.defects == []
    assert only_crlf(raw)
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    if encoding == "base64":
        body = raw.split(b"\r\n\r\n")[2].partition(b"\r\n--")[0]
        assert max(len(line) for line in body.split(b"\r\n")) <= 76


def test_the_parts_are_text_then_html_in_a_multipart_alternative() -> None:
    parsed = parse(mime.message([], "text", "<p>html</p>"))

    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["MIME-Version"] == "1.0"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_a_boundary_drawn_that_is_in_a_part_is_drawn_again() -> None:
    draws: Iterator[str] = iter(["=_in-the-text", "=_in-the-html", "=_free"])

    raw = mime.message([], "a line with =_in-the-text in it", "<p>=_in-the-html</p>", boundary=lambda: next(draws))

    parsed = parse(raw)
    assert parsed.get_boundary() == "=_free"
    assert [part.get_content() for part in parsed.iter_parts()] == [
        "a line with =_in-the-text in it\r\n",
        "<p>=_in-the-html</p>\r\n",
    ]


# --- the whole message, as SmtpNotifier writes it ---


def stdlib_build(notifier: SmtpNotifier, message: Outgoing) -> EmailMessage:
    """Return the message as the builder before ``mime`` made it, with ``EmailMessage``: the reference."""
    mail = EmailMessage()
    mail["Subject"] = " ".join(message.title.split())
    mail["From"] = Address("退卡 tuika", addr_spec=SENDER)
    mail["To"] = message.address
    mail["Message-ID"] = notifier.message_id(message)
    mail["X-Tuika-Message"] = message.message_id
    mail["Auto-Submitted"] = "auto-generated"
    text = message.body if message.link is None else f"{message.body.rstrip()}\n\n{message.link}\n"
    cte = None if text.isascii() else "base64"
    mail.set_content(text, subtype="plain", charset="utf-8", cte=cte)
    page = parse(notifier.build(message)).get_body(("html",))
    assert page is not None
    html = page.get_content().replace("\r\n", "\n")
    mail.add_alternative(html, subtype="html", charset="utf-8", cte=None if html.isascii() else "base64")
    # As smtplib's send_message wrote it: 7-bit, unless the mailbox needs SMTPUTF8.
    return parse(mail.as_bytes(policy=policy.SMTP if message.address.isascii() else policy.SMTPUTF8))


@pytest.mark.parametrize("message", MESSAGES, ids=[m.message_id for m in MESSAGES])
def test_a_message_reads_as_the_standard_librarys_would_with_nothing_wrong_in_it(
    notifier: SmtpNotifier, message: Outgoing
) -> None:
    raw = notifier.build(message)

    ours, reference = parse(raw), stdlib_build(notifier, message)
    for name in ("Subject", "From", "To", "Message-ID", "X-Tuika-Message", "Auto-Submitted", "MIME-Version"):
        assert str(ours[name]) == str(reference[name]), name
        # None the reference has not: an internationalised mailbox is one to a reader of 7-bit mail.
        assert {type(d) for d in ours[name].defects} <= {type(d) for d in reference[name].defects}, name
    assert str(ours["Subject"]) == " ".join(message.title.split())
    assert (str(ours["Message-ID"]), str(ours["X-Tuika-Message"])) == (
        f"<{message.message_id}@tuika.example>",
        message.message_id,
    )
    for subtype in ("plain", "html"):
        mine, theirs = ours.get_body((subtype,)), reference.get_body((subtype,))
        assert mine is not None
        assert theirs is not None
        assert mine.get_content_type() == theirs.get_content_type()
        assert mine.get_content_charset() == theirs.get_content_charset() == "utf-8"
        # Ours holds CRLF line breaks, a text's canonical form; the reference base64-encoded LF.
        assert mine.get_content().replace("\r\n", "\n") == theirs.get_content().replace("\r\n", "\n")
        assert mine.defects == []
    assert ours.defects == []
    assert only_crlf(raw)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii() == message.address.isascii()


def test_the_date_is_now_in_gmt(notifier: SmtpNotifier) -> None:
    raw = notifier.build(MESSAGES[0])
    date = parse(raw)["Date"]

    [line] = [line for line in header_lines(raw) if line.startswith(b"Date: ")]
    assert line.endswith(b" GMT")
    assert date.datetime.utcoffset() == timedelta(0)
    assert abs(date.datetime - datetime.now(UTC)) < timedelta(minutes=1)


def test_a_text_that_is_not_valid_unicode_cannot_be_built(notifier: SmtpNotifier) -> None:
    with pytest.raises(UnicodeEncodeError):
        notifier.build(Outgoing("msg_5", BUYER, "退款", "bad \udcff byte"))
