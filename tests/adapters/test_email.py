"""SmtpNotifier against the sandbox SMTP server (aiosmtpd), over real SMTP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from tuika.adapters.notify.email import SmtpNotifier
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed
from tuika_dev.sandbox.smtp import SandboxSmtp, Stage

SENDER = "noreply@tuika.example"
BUYER = "alice.buyer@example.com"
MASKED = "a***@example.com"
LINK = "https://tuika.example/cases/rc_7Q2M"
MESSAGE = Outgoing(
    "msg_01J9Z",
    BUYER,
    "退款已受理:订单 RC-2024-0007",
    "您的退款申请已受理,预计3个工作日内到账。\n如有疑问,请回复客服。",
    link=LINK,
)

MakeNotifier = Callable[..., SmtpNotifier]


@pytest.fixture
def sandbox() -> Iterator[SandboxSmtp]:
    with SandboxSmtp() as running:
        yield running


@pytest.fixture
def make_notifier(sandbox: SandboxSmtp) -> MakeNotifier:
    def make(**overrides: Any) -> SmtpNotifier:
        options: dict[str, Any] = {"timeout_s": 5.0, **overrides}
        return SmtpNotifier(sandbox.host, sandbox.port, SENDER, **options)

    return make


def failure(notifier: SmtpNotifier, message: Outgoing = MESSAGE) -> SendFailed:
    with pytest.raises(SendFailed) as raised:
        notifier.send(message)
    return raised.value


def a_pass(count: int, *, gone: dict[int, str] | None = None) -> list[Outgoing]:
    """Return ``count`` messages to different mailboxes, as a pass claims them; ``gone`` names some mailboxes."""
    addresses = {i: f"buyer{i}@example.com" for i in range(count)} | (gone or {})
    return [
        Outgoing(f"msg_p{i}", addresses[i], f"退款已到账:订单 RC-2024-{i:04d} 🎉", f"第 {i} 笔退款已到账。", link=LINK)
        for i in range(count)
    ]


def taken(messages: Sequence[Outgoing]) -> list[str]:
    return [f"<{m.message_id}@tuika.example>" for m in messages]


def shown(outcomes: Sequence[str | SendFailed]) -> list[str | tuple[FailureKind, str]]:
    """Return outcomes as a test compares them: a Message-ID, or a failure's kind and code."""
    return [o if isinstance(o, str) else (o.kind, o.code) for o in outcomes]


# --- taken ---


def test_a_message_arrives_with_its_chinese_subject_and_body_in_both_parts(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()

    message_id = notifier.send(MESSAGE)

    assert notifier.channel is SendChannel.EMAIL
    assert message_id == "<msg_01J9Z@tuika.example>"
    [mail] = sandbox.messages
    assert (mail.mail_from, mail.rcpt_to, mail.to) == (SENDER, (BUYER,), BUYER)
    assert mail.sender == "退卡 tuika <noreply@tuika.example>"
    assert mail.subject == "退款已受理:订单 RC-2024-0007"
    assert mail.text == (
        "您的退款申请已受理,预计3个工作日内到账。\n如有疑问,请回复客服。\n\nhttps://tuika.example/cases/rc_7Q2M\n"
    )
    assert mail.html == (
        "<!DOCTYPE html>\n<html>\n"
        '<head><meta charset="utf-8"><title>退款已受理:订单 RC-2024-0007</title></head>\n'
        "<body>\n"
        "<p>您的退款申请已受理,预计3个工作日内到账。<br>如有疑问,请回复客服。</p>\n"
        '<p><a href="https://tuika.example/cases/rc_7Q2M">https://tuika.example/cases/rc_7Q2M</a></p>\n'
        "</body>\n</html>\n"
    )
    assert (mail.message_id, mail.tuika_message) == (message_id, "msg_01J9Z")
    assert mail.header("Auto-Submitted") == "auto-generated"
    assert mail.login is None
    # Encoded words and base64: the Chinese passes relays that take 7-bit only.
    assert mail.raw.isascii()


def test_the_messages_own_html_is_its_html_part_and_a_message_without_a_link_has_none(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    message = Outgoing("msg_2", BUYER, "退款到账", "退款 ¥99.50 已到账。", html="<p>退款 <b>¥99.50</b> 已到账。</p>")

    make_notifier().send(message)

    [mail] = sandbox.messages
    assert (mail.text, mail.html) == ("退款 ¥99.50 已到账。\n", "<p>退款 <b>¥99.50</b> 已到账。</p>\n")


def test_the_html_made_from_the_body_escapes_it(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    message = Outgoing("msg_3", BUYER, "<标题>", 'A <script> & "quotes"', link="https://tuika.example/?a=1&b=<2>")

    make_notifier().send(message)

    [mail] = sandbox.messages
    assert mail.html == (
        "<!DOCTYPE html>\n<html>\n"
        '<head><meta charset="utf-8"><title>&lt;标题&gt;</title></head>\n'
        "<body>\n"
        "<p>A &lt;script&gt; &amp; &quot;quotes&quot;</p>\n"
        '<p><a href="https://tuika.example/?a=1&amp;b=&lt;2&gt;">https://tuika.example/?a=1&amp;b=&lt;2&gt;</a></p>\n'
        "</body>\n</html>\n"
    )


def test_every_try_of_one_message_carries_the_same_message_id(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()

    first, again = notifier.send(MESSAGE), notifier.send(MESSAGE)
    other = notifier.send(Outgoing("msg_other", BUYER, "t", "b"))

    assert first == again == "<msg_01J9Z@tuika.example>"
    assert other == "<msg_other@tuika.example>"
    assert [m.message_id for m in sandbox.messages] == [first, first, other]


def test_an_internationalised_mailbox_goes_out_with_smtputf8(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    make_notifier().send(Outgoing("msg_4", "买家@例子.中国", "退款已受理", "您的退款申请已受理。"))

    [mail] = sandbox.messages
    assert (mail.rcpt_to, mail.to, mail.subject) == (("买家@例子.中国",), "买家@例子.中国", "退款已受理")


# --- a pass on one connection ---


def test_a_pass_of_messages_goes_on_one_connection_and_each_arrives_once_with_its_headers_and_parts(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    messages = a_pass(12)

    outcomes = make_notifier().send_all(messages)

    assert outcomes == taken(messages)
    assert sandbox.connections == 1
    mails = sandbox.messages
    assert [m.message_id for m in mails] == taken(messages)
    for message, mail in zip(messages, mails, strict=True):
        assert (mail.mail_from, mail.rcpt_to, mail.to) == (SENDER, (message.address,), message.address)
        assert (mail.subject, mail.tuika_message) == (message.title, message.message_id)
        assert mail.sender == "退卡 tuika <noreply@tuika.example>"
        assert mail.text == f"{message.body}\n\n{LINK}\n"
        assert mail.html is not None
        assert f'<a href="{LINK}">' in mail.html
        assert mail.header("Auto-Submitted") == "auto-generated"
        assert mail.header("Date") is not None


def test_a_pass_logs_in_once_and_a_wrong_password_fails_every_message_on_that_one_connection(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    sandbox.require_auth("notify", "app-password")
    messages = a_pass(4)

    refused = make_notifier(username="notify", password="not-it").send_all(messages)
    sent = make_notifier(username="notify", password="app-password").send_all(messages)

    assert shown(refused) == [(FailureKind.REFUSED, "smtp-535")] * 4
    assert sent == taken(messages)
    assert sandbox.connections == 2
    assert [m.login for m in sandbox.messages] == ["notify"] * 4


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (550, FailureKind.ADDRESS_GONE),
        (554, FailureKind.REFUSED),
        (451, FailureKind.UNAVAILABLE),
        (452, FailureKind.THROTTLED),
    ],
)
def test_a_mailbox_refused_in_the_middle_of_a_pass_fails_only_its_message_and_the_rest_arrive(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier, code: int, kind: FailureKind
) -> None:
    messages = a_pass(5, gone={2: "gone@example.com"})
    sandbox.reject_next("gone@example.com", code)

    outcomes = make_notifier().send_all(messages)

    assert shown(outcomes) == [*taken(messages[:2]), (kind, f"smtp-{code}"), *taken(messages[3:])]
    # An RSET after the refusal: the next MAIL is not "nested" in the refused transaction.
    assert [m.message_id for m in sandbox.messages] == taken(messages[:2] + messages[3:])
    assert sandbox.connections == 1


def test_a_message_refused_before_connecting_costs_only_itself(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    good = a_pass(2)
    messages = [
        good[0],
        Outgoing("msg_bad", f"{BUYER}\r\nBcc: x@y.com", "t", "b"),
        Outgoing("msg 1>", BUYER, "t", "b"),
        Outgoing("msg_text", BUYER, "退款", "bad \udcff byte"),
        good[1],
    ]

    outcomes = make_notifier().send_all(messages)

    assert shown(outcomes) == [
        taken(good)[0],
        (FailureKind.REFUSED, "bad-address"),
        (FailureKind.REFUSED, "bad-message-id"),
        (FailureKind.REFUSED, "bad-text"),
        taken(good)[1],
    ]
    assert [m.message_id for m in sandbox.messages] == taken(good)
    assert sandbox.connections == 1


def test_a_pass_with_nothing_fit_to_send_connects_to_no_one(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    outcomes = make_notifier().send_all([Outgoing("msg_bad", "alice", "t", "b")])

    assert shown(outcomes) == [(FailureKind.REFUSED, "bad-address")]
    assert make_notifier().send_all([]) == []
    assert sandbox.connections == 0


def test_a_server_that_hangs_up_mid_pass_is_connected_to_again_and_the_rest_arrive_none_twice(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    messages = a_pass(6)
    sandbox.hang_up_after(2)

    outcomes = make_notifier().send_all(messages)

    # The third found the connection gone at MAIL: not taken, so sent on the next connection.
    assert outcomes == taken(messages)
    assert [m.message_id for m in sandbox.messages] == taken(messages)
    assert sandbox.connections == 2


def test_a_server_that_answers_421_mid_pass_is_connected_to_again_for_that_message_and_the_rest(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    messages = a_pass(5)
    sandbox.reject_next(messages[2].address, 421)

    outcomes = make_notifier().send_all(messages)

    assert outcomes == taken(messages)
    assert [m.message_id for m in sandbox.messages] == taken(messages)
    assert sandbox.connections == 2


def test_a_second_hang_up_in_one_pass_leaves_the_rest_to_a_later_pass(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    messages = a_pass(6)
    sandbox.hang_up_after(2)
    sandbox.hang_up_after(4)

    outcomes = make_notifier().send_all(messages)

    assert shown(outcomes) == [*taken(messages[:4]), *[(FailureKind.UNAVAILABLE, "disconnected")] * 2]
    assert all(isinstance(o, str) or o.retry for o in outcomes)
    assert [m.message_id for m in sandbox.messages] == taken(messages[:4])
    assert sandbox.connections == 2


def test_a_message_whose_answer_times_out_is_not_sent_again_in_the_pass_and_the_rest_arrive(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    messages = a_pass(4)
    sandbox.stall_next(30.0)  # the first is kept, its answer cut short when the sandbox stops

    outcomes = make_notifier(timeout_s=0.3).send_all(messages)

    assert shown(outcomes) == [(FailureKind.UNAVAILABLE, "timeout"), *taken(messages[1:])]
    # The server may have the first, and has it: once, a later pass's resend aside.
    assert [m.message_id for m in sandbox.messages] == taken(messages)
    assert sandbox.connections == 2


def test_a_stopped_server_fails_every_message_of_the_pass_as_connect(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    sandbox.stop()

    outcomes = notifier.send_all(a_pass(20))

    assert shown(outcomes) == [(FailureKind.UNAVAILABLE, "connect")] * 20
    assert sandbox.messages == []


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """Return the address of a port that takes connections and never greets: a server hung."""
    with socket.create_server(("127.0.0.1", 0), backlog=64) as listening:
        yield "127.0.0.1", int(listening.getsockname()[1])


def test_a_server_that_never_answers_costs_a_pass_one_timeout_not_one_for_each_message(
    silent_server: tuple[str, int],
) -> None:
    host, port = silent_server
    notifier = SmtpNotifier(host, port, SENDER, timeout_s=0.2)

    started = time.monotonic()
    outcomes = notifier.send_all(a_pass(20))
    took = time.monotonic() - started

    assert shown(outcomes) == [(FailureKind.UNAVAILABLE, "timeout")] * 20
    assert took < 2.0


# --- logging in ---


def test_a_login_with_the_right_password_is_taken(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    sandbox.require_auth("notify@tuika.example", "app-password")

    make_notifier(username="notify@tuika.example", password="app-password").send(MESSAGE)

    assert [m.login for m in sandbox.messages] == ["notify@tuika.example"]


def test_a_wrong_password_is_refused_and_nothing_is_sent(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    sandbox.require_auth("notify@tuika.example", "app-password")

    failed = failure(make_notifier(username="notify@tuika.example", password="not-it"))

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.REFUSED, "smtp-535", False)
    assert sandbox.messages == []


def test_a_sender_that_does_not_log_in_where_it_must_is_refused(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    sandbox.require_auth("notify@tuika.example", "app-password")

    failed = failure(make_notifier())

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "smtp-530")
    assert sandbox.messages == []


# --- TLS ---


def test_starttls_then_a_login_is_taken() -> None:
    with SandboxSmtp(starttls=True) as sandbox:
        sandbox.require_auth("notify", "app-password")
        notifier = SmtpNotifier(
            sandbox.host,
            sandbox.port,
            SENDER,
            username="notify",
            password="app-password",
            starttls=True,
            tls_context=sandbox.client_context(),
        )

        notifier.send(MESSAGE)

        assert [(m.message_id, m.login) for m in sandbox.messages] == [("<msg_01J9Z@tuika.example>", "notify")]


def test_tls_from_the_first_byte_is_taken() -> None:
    with SandboxSmtp(ssl=True) as sandbox:
        notifier = SmtpNotifier(sandbox.host, sandbox.port, SENDER, ssl=True, tls_context=sandbox.client_context())

        notifier.send(MESSAGE)

        assert [m.subject for m in sandbox.messages] == [MESSAGE.title]


def test_a_certificate_the_system_does_not_trust_is_refused() -> None:
    with SandboxSmtp(ssl=True) as sandbox:
        failed = failure(SmtpNotifier(sandbox.host, sandbox.port, SENDER, ssl=True))

        assert (failed.kind, failed.code) == (FailureKind.REFUSED, "tls-certificate")
        assert sandbox.messages == []


def test_starttls_asked_of_a_server_that_does_not_offer_it_is_refused_not_sent_in_clear(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    failed = failure(make_notifier(starttls=True, username="notify", password="app-password"))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "not-supported")
    assert sandbox.messages == []


# --- try again later ---


def test_a_stopped_server_is_unavailable_until_it_starts_again(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    sandbox.stop()

    failed = failure(notifier)
    sandbox.start()
    notifier.send(MESSAGE)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "connect", True)
    assert len(sandbox.messages) == 1


def test_a_server_out_of_service_greets_with_421_and_is_unavailable(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    sandbox.refuse()

    failed = failure(notifier)
    sandbox.accept()
    notifier.send(MESSAGE)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "smtp-421", True)
    assert len(sandbox.messages) == 1


@pytest.mark.parametrize("at", ["RCPT", "DATA"])
def test_a_451_is_unavailable_and_the_retry_is_taken(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier, at: Stage
) -> None:
    notifier = make_notifier()
    sandbox.defer_next(1, code=451, at=at)

    failed = failure(notifier)
    notifier.send(MESSAGE)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "smtp-451", True)
    assert [m.message_id for m in sandbox.messages] == ["<msg_01J9Z@tuika.example>"]


def test_a_452_is_throttled(sandbox: SandboxSmtp, make_notifier: MakeNotifier) -> None:
    sandbox.defer_next(1, code=452)

    failed = failure(make_notifier())

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.THROTTLED, "smtp-452", True)
    assert sandbox.messages == []


def test_a_reply_later_than_the_timeout_is_unavailable_and_the_resend_has_the_same_message_id(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier(timeout_s=0.3)
    sandbox.stall_next(30.0)  # cut short when the sandbox stops

    failed = failure(notifier)
    notifier.send(MESSAGE)

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.UNAVAILABLE, "timeout", True)
    # The server kept the first but answered too late: SMTP delivers both, recognisably one message.
    assert [m.message_id for m in sandbox.messages] == ["<msg_01J9Z@tuika.example>"] * 2


# --- the mailbox ---


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (550, FailureKind.ADDRESS_GONE),
        (551, FailureKind.ADDRESS_GONE),
        (553, FailureKind.ADDRESS_GONE),
        (552, FailureKind.REFUSED),
        (554, FailureKind.REFUSED),
    ],
)
def test_a_mailbox_refused_at_rcpt_maps_by_its_code(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier, code: int, kind: FailureKind
) -> None:
    sandbox.reject_next(BUYER, code)

    failed = failure(make_notifier())

    assert (failed.kind, failed.code, failed.retry) == (kind, f"smtp-{code}", False)
    assert sandbox.messages == []


@pytest.mark.parametrize(
    "address",
    ["", "alice", "alice@", "@example.com", "a@b@example.com", "alice buyer@example.com", f"{BUYER}\r\nBcc: x@y.com"],
)
def test_a_malformed_address_is_refused_without_connecting(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier, address: str
) -> None:
    notifier = make_notifier()
    sandbox.stop()  # a connection attempt would fail as "connect"

    failed = failure(notifier, Outgoing("msg_bad", address, "t", "b"))

    assert (failed.kind, failed.code, failed.retry) == (FailureKind.REFUSED, "bad-address", False)
    assert sandbox.messages == []


def test_a_message_id_unfit_for_a_message_id_header_is_refused_without_connecting(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier
) -> None:
    notifier = make_notifier()
    sandbox.stop()

    failed = failure(notifier, Outgoing("msg 1>", BUYER, "t", "b"))

    assert (failed.kind, failed.code) == (FailureKind.REFUSED, "bad-message-id")


def test_the_mailbox_never_appears_in_full_in_logs_or_failures(
    sandbox: SandboxSmtp, make_notifier: MakeNotifier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    notifier = make_notifier(timeout_s=0.3)
    failures: list[SendFailed] = []
    notifier.send(MESSAGE)
    sandbox.reject_next(BUYER)  # the reply quotes the mailbox, as Postfix's does
    failures.append(failure(notifier))
    sandbox.defer_next(1, code=452)
    failures.append(failure(notifier))
    sandbox.stall_next(30.0)
    failures.append(failure(notifier))
    failures.append(failure(notifier, Outgoing("msg_bad", f"{BUYER}\r\nBcc: x@y.com", "t", "b")))
    sandbox.stop()
    failures.append(failure(notifier))

    # aiosmtpd logs the envelopes it receives on mail.log: that is the server, not tuika.
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    shown = ours + "".join(str(f) + f.detail + "".join(traceback.format_exception(f)) for f in failures)
    assert BUYER not in shown
    assert "alice.buyer" not in shown
    assert MASKED in ours
    assert [f.code for f in failures] == ["smtp-550", "smtp-452", "timeout", "bad-address", "connect"]


# --- settings ---


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ({"starttls": True, "ssl": True}, "exclude each other"),
        ({"username": "notify"}, "go together"),
        ({"password": "app-password"}, "go together"),
        ({"sender": "noreply"}, "not a sender address"),
        ({"sender": "noreply@例子.中国"}, "not a sender address"),
    ],
)
def test_contradictory_or_incomplete_settings_are_refused_at_once(options: dict[str, Any], says: str) -> None:
    sender = options.pop("sender", SENDER)

    with pytest.raises(ValueError, match=says):
        SmtpNotifier("127.0.0.1", 25, sender, **options)
