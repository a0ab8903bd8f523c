import re
import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tuika.domain.masking import mask_account, mask_card_key, mask_email, mask_user_id


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("ABCD-EFGH-JKLM-NPQR", "ABCD-****-****-NPQR"),
        ("1234567890123456", "1234********3456"),  # no dash the key does not have
        ("1234 5678 9012 3456", "1234 **** **** 3456"),  # its own spaces kept
        ("A1B2C3D4E5F6G7H8J9K0", "A1B2************J9K0"),
        ("ABCDEFGHJ", "ABCD*FGHJ"),
        ("ABC-DEFGH-JKLMN", "ABC-D****-*KLMN"),
        ("ABCDEFGH", "AB******"),
        ("ABCDE", "AB***"),
        ("ABCD", "****"),
        ("A1", "**"),
        ("", ""),
        ("--", "--"),
    ],
)
def test_masks_known_shapes(secret: str, masked: str) -> None:
    assert mask_card_key(secret) == masked


UPPER = string.ascii_uppercase + string.digits
LOWER = string.ascii_lowercase


@given(
    st.text(UPPER, min_size=4, max_size=4),
    st.text(LOWER, min_size=1, max_size=40),
    st.text(UPPER, min_size=4, max_size=4),
    st.sampled_from(["", "-", " "]),
)
def test_masked_form_never_contains_a_middle_character(head: str, middle: str, tail: str, sep: str) -> None:
    secret = sep.join([head, middle, tail])

    masked = mask_card_key(secret)

    assert not set(masked) & set(middle)
    assert masked.startswith(head + sep)
    assert masked.endswith(sep + tail)
    assert masked.count("*") == len(middle)


@given(st.text(min_size=0, max_size=64))
def test_shows_at_most_the_first_and_last_four_alphanumerics_in_the_keys_own_layout(secret: str) -> None:
    chars = [c for c in secret if c.isalnum()]

    masked = mask_card_key(secret)

    shown = [c for c in masked if c.isalnum()]
    assert len(masked) == len(secret)
    # Every separator stays where the key has it; only letters and digits become "*".
    assert [(i, c) for i, c in enumerate(masked) if not c.isalnum() and c != "*"] == [
        (i, c) for i, c in enumerate(secret) if not c.isalnum() and c != "*"
    ]
    if len(chars) > 8:
        assert shown == chars[:4] + chars[-4:]
    elif len(chars) > 4:
        assert shown == chars[:2]
    else:
        assert shown == []
    assert masked.count("*") - secret.count("*") == len(chars) - len(shown)


@pytest.mark.parametrize(
    ("user_id", "masked"),
    [("buyer_alice", "bu***ce"), ("buyer_1", "bu***_1"), ("abcde", "ab***de"), ("u_12", "u***"), ("a", "a***")],
)
def test_user_ids_keep_two_characters_at_each_end(user_id: str, masked: str) -> None:
    assert mask_user_id(user_id) == masked


# ---------------------------------------------------------------- accounts topped up


@pytest.mark.parametrize(
    ("account", "masked"),
    [
        # A mainland mobile number, however the platform spells it, shows as carriers show it.
        ("13800138000", "138****8000"),
        ("+86 138 0013 8000", "138****8000"),
        ("+8613800138000", "138****8000"),
        ("0086-139-1234-5678", "139****5678"),
        ("86 19912345678", "199****5678"),
        # Anything else keeps at most a third of its characters, split over both ends; the
        # middle is always four stars, so the length does not show either.
        ("12345678", "1****8"),  # a QQ number
        ("10001", "1****"),
        ("123456789012", "12****12"),  # twelve digits is no mobile number
        ("player_lee@qq.com", "pl****e@qq.com"),  # the mailbox stays, its owner's name does not
        ("a@163.com", "****@163.com"),
        ("1开 / 天下无双", "1****双"),  # server / role name
        ("电信一区 / 剑侠情缘之逍遥游", "电信****遥游"),
        ("steam_account_player_2026", "ste****026"),
        ("小明", "****"),
        ("Q", "****"),
        ("   ", ""),
        ("", ""),
    ],
)
def test_masks_accounts_of_every_kind(account: str, masked: str) -> None:
    assert mask_account(account) == masked


PHONE = re.compile(r"(?:\+?86|0086)?1[3-9]\d{9}")


@given(st.text(st.characters(blacklist_characters="@*"), max_size=40))
def test_an_account_shows_at_most_a_third_of_itself_and_only_from_its_ends(account: str) -> None:
    assume(not PHONE.fullmatch(re.sub(r"[\s-]", "", account)))
    chars = "".join(c for c in account if not c.isspace())

    masked = mask_account(account)

    if not chars:
        assert masked == ""
        return
    head, stars, tail = masked.partition("****")
    assert stars == "****"
    assert chars.startswith(head)
    assert chars.endswith(tail)
    assert len(head) + len(tail) <= len(chars) // 3


# ---------------------------------------------------------------- mailboxes in logs


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("alice@example.com", "a***@example.com"),
        ("alice.buyer+refunds@example.com", "a***@example.com"),  # the length does not show
        ("买家@例子.中国", "买***@例子.中国"),
        ("a@qq.com", "***@qq.com"),  # one character would be the whole local part
        ("alice", "***"),
        ("", "***"),
        ("@example.com", "***"),
        ("a@b@example.com", "***"),
        ("alice@example.com\r\nBcc: x@y.com", "***"),  # nothing of a header smuggled in
        ("alice @example.com", "***"),
    ],
)
def test_mailboxes_keep_one_character_and_their_domain(address: str, masked: str) -> None:
    assert mask_email(address) == masked


@given(
    st.text(st.characters(blacklist_characters="@"), min_size=1, max_size=30),
    st.from_regex(r"[a-z0-9-]{1,20}\.(com|cn|net)", fullmatch=True),
)
def test_a_mailbox_shows_at_most_the_first_character_of_its_local_part(local: str, domain: str) -> None:
    masked = mask_email(f"{local}@{domain}")

    shown, at, rest = masked.partition("***")
    assert at == "***"
    assert rest in ("", "@" + domain)
    assert shown in ("", local[0])
    if len(local) == 1:
        assert shown == ""
