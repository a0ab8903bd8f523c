"""How people want to be reached: numbers and mailboxes read as people type them, quiet hours, the senders' waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tuika.domain.errors import DeviceTokenInvalid, EmailInvalid, PhoneInvalid, QuietHoursInvalid
from tuika.domain.notifications import Recipient
from tuika.domain.preferences import Preferences, QuietHours, check_token, normal_email, normal_phone
from tuika.domain.sending import SEND_FOR, FailureKind, SendChannel, next_send

T0 = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # 20:00 in Beijing


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("13800138000", "13800138000"),
        ("+86 138 0013 8000", "13800138000"),
        ("86-199-1234-5678", "19912345678"),
        (" 15012345678 ", "15012345678"),
    ],
)
def test_a_mainland_mobile_number_is_read_as_people_type_it(typed: str, number: str) -> None:
    assert normal_phone(typed) == number


@pytest.mark.parametrize("typed", ["", "1380013800", "23800138000", "12800138000", "138001380001", "+1 415 555 0100"])
def test_anything_else_is_not_a_number_to_text(typed: str) -> None:
    with pytest.raises(PhoneInvalid):
        normal_phone(typed)


@pytest.mark.parametrize(
    "typed",
    ["player", "a@b", "a b@qq.com", "a@qq.com\r\nBcc: x@y.com", "<a@qq.com>", "a@@qq.com", "x" * 250 + "@qq.com"],
)
def test_a_mailbox_that_could_not_be_one_or_could_split_a_header_is_refused(typed: str) -> None:
    with pytest.raises(EmailInvalid):
        normal_email(typed)


def test_a_mailbox_keeps_its_local_part_and_lowers_its_domain() -> None:
    assert normal_email("Wang.Lei+shop@163.COM") == "Wang.Lei+shop@163.com"


@pytest.mark.parametrize("token", ["", "a" * 65, "abc def", "abc/def", "中文"])
def test_a_push_registration_id_is_letters_digits_dashes_and_underscores(token: str) -> None:
    with pytest.raises(DeviceTokenInvalid):
        check_token(token)


@pytest.mark.parametrize(
    ("start", "end"), [("22:00", "22:00"), ("24:00", "08:00"), ("7:00", "08:00"), ("22:00", "8"), ("", "")]
)
def test_quiet_hours_are_two_different_times(start: str, end: str) -> None:
    with pytest.raises(QuietHoursInvalid):
        QuietHours.parse(start, end)


@pytest.mark.parametrize(
    ("beijing", "until"),
    [
        # 22:00–08:00 spans midnight: late evening and early morning are quiet, until 08:00.
        ((2026, 12, 4, 22, 0), (2026, 12, 5, 8, 0)),
        ((2026, 12, 4, 23, 59), (2026, 12, 5, 8, 0)),
        ((2026, 12, 5, 0, 30), (2026, 12, 5, 8, 0)),
        ((2026, 12, 5, 7, 59), (2026, 12, 5, 8, 0)),
        ((2026, 12, 5, 8, 0), None),
        ((2026, 12, 4, 21, 59), None),
        ((2026, 12, 4, 13, 0), None),
    ],
)
def test_quiet_hours_across_midnight_end_the_next_morning(
    beijing: tuple[int, ...], until: tuple[int, ...] | None
) -> None:
    at = datetime(*beijing, tzinfo=UTC) - timedelta(hours=8)
    expected = None if until is None else datetime(*until, tzinfo=UTC) - timedelta(hours=8)
    assert QuietHours.parse("22:00", "08:00").until(at) == expected


def test_quiet_hours_within_a_day_hold_a_message_until_they_end() -> None:
    lunch = QuietHours.parse("12:00", "14:00")
    at = datetime(2026, 12, 4, 12, 30, tzinfo=UTC) - timedelta(hours=8)
    assert lunch.until(at) == datetime(2026, 12, 4, 14, 0, tzinfo=UTC) - timedelta(hours=8)
    assert lunch.until(at + timedelta(hours=2)) is None


def test_a_message_that_can_wait_waits_out_quiet_hours_and_the_money_arrived_never_does() -> None:
    night = Preferences(Recipient.BUYER, "b", quiet=QuietHours.parse("19:00", "08:00"))
    assert night.send_at(T0, urgent=False) == datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
    assert night.send_at(T0, urgent=True) == T0
    assert Preferences(Recipient.BUYER, "b").send_at(T0, urgent=False) == T0


def test_an_address_the_provider_says_is_gone_is_forgotten_with_its_hint() -> None:
    p = Preferences(Recipient.BUYER, "b").with_contact(SendChannel.SMS, "13800138000", "sealed")
    assert (p.phone_hint, p.has_address(SendChannel.SMS)) == ("138****8000", True)
    gone = p.without(SendChannel.SMS)
    assert (gone.phone_sealed, gone.phone_hint, gone.has_address(SendChannel.SMS)) == (None, None, False)


def test_a_language_the_senders_do_not_write_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        Preferences(Recipient.BUYER, "b", language="fr")


def test_a_failing_provider_is_given_more_time_each_try_and_a_day_at_most() -> None:
    waits = [next_send(FailureKind.UNAVAILABLE, n, T0, T0) for n in range(1, 9)]
    seconds = [(w - T0).total_seconds() for w in waits if w is not None]
    assert seconds == sorted(seconds)
    assert seconds[:3] == [10, 30, 120]
    assert next_send(FailureKind.UNAVAILABLE, 3, T0, T0 + SEND_FOR) is None


def test_a_rate_limit_doubles_the_wait_and_a_refusal_or_a_gone_address_is_not_tried_again() -> None:
    throttled = [next_send(FailureKind.THROTTLED, n, T0, T0) for n in (1, 2, 3)]
    assert [(t - T0).total_seconds() for t in throttled if t is not None] == [60, 120, 240]
    assert next_send(FailureKind.REFUSED, 1, T0, T0) is None
    assert next_send(FailureKind.ADDRESS_GONE, 1, T0, T0) is None
