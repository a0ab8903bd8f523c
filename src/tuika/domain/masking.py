"""Masking of card keys for every place but the buyer's own order detail, and of user ids on pages."""

from __future__ import annotations


def shown_ends(count: int) -> tuple[int, int]:
    """Return how many of a key's ``count`` letters and digits stay readable at its start and at its end.

    >>> shown_ends(16), shown_ends(6), shown_ends(4)
    ((4, 4), (2, 0), (0, 0))
    """
    if count <= 4:
        return 0, 0
    if count <= 8:
        return 2, 0
    return 4, 4


def mask_card_key(secret: str) -> str:
    """Keep the first and last four characters, hide the rest in dash groups.

    >>> mask_card_key("ABCD-EFGH-JKLM-NPQR")
    'ABCD-****-****-NPQR'
    >>> mask_card_key("1234567890123456")
    '1234-****-****-3456'
    """
    chars = [c for c in secret if c.isalnum()]
    head, tail = shown_ends(len(chars))
    if not tail:
        return "".join(chars[:head]) + "*" * (len(chars) if not head else 4)
    hidden = len(chars) - head - tail
    groups = ["".join(chars[:head])]
    groups.extend("****" for _ in range(max(1, (hidden + 3) // 4)))
    groups.append("".join(chars[-tail:]))
    return "-".join(groups)


def mask_user_id(user_id: str) -> str:
    """Keep the first and last two characters of a user id, enough to tell two apart, and hide the rest.

    >>> mask_user_id("buyer_alice")
    'bu***ce'
    >>> mask_user_id("u_1")
    'u***'
    """
    if len(user_id) <= 4:
        return user_id[:1] + "***"
    return f"{user_id[:2]}***{user_id[-2:]}"
