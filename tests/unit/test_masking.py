import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuika.domain.masking import mask_card_key, mask_user_id


@pytest.mark.parametrize(
    ("secret", "masked"),
    [
        ("ABCD-EFGH-JKLM-NPQR", "ABCD-****-****-NPQR"),
        ("1234567890123456", "1234-****-****-3456"),
        ("1234 5678 9012 3456", "1234-****-****-3456"),
        ("A1B2C3D4E5F6G7H8J9K0", "A1B2-****-****-****-J9K0"),
        ("ABCDEFGHJ", "ABCD-****-FGHJ"),  # one hidden character still gets a full group
        ("ABCDEFGHJKLMN", "ABCD-****-****-KLMN"),  # 5 hidden → two groups
        ("ABCDEFGH", "AB****"),
        ("ABCDE", "AB****"),
        ("ABCD", "****"),
        ("A1", "**"),
        ("", ""),
        ("--", ""),
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
    assert masked.startswith(head + "-")
    assert masked.endswith("-" + tail)
    assert masked.count("*") >= len(middle)


@given(st.text(min_size=0, max_size=64))
def test_shows_at_most_the_first_and_last_four_alphanumerics(secret: str) -> None:
    chars = [c for c in secret if c.isalnum()]

    masked = mask_card_key(secret)

    shown = [c for c in masked if c.isalnum()]
    if len(chars) > 8:
        assert shown == chars[:4] + chars[-4:]
        assert masked.count("*") == 4 * max(1, (len(chars) - 8 + 3) // 4)
    elif len(chars) > 4:
        assert shown == chars[:2]
    else:
        assert masked == "*" * len(chars)


@pytest.mark.parametrize(
    ("user_id", "masked"),
    [("buyer_alice", "bu***ce"), ("buyer_1", "bu***_1"), ("abcde", "ab***de"), ("u_12", "u***"), ("a", "a***")],
)
def test_user_ids_keep_two_characters_at_each_end(user_id: str, masked: str) -> None:
    assert mask_user_id(user_id) == masked
