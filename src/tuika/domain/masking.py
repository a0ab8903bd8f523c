"""Masking of card keys for every place but the buyer's own order detail, and of user ids on pages."""

from __future__ import annotations


def mask_card_key(secret: str) -> str:
    """Keep the first and last four characters, hide the rest in dash groups.

    >>> mask_card_key("ABCD-EFGH-JKLM-NPQR")
    'ABCD-****-****-NPQR'
    >>> mask_card_key("1234567890123456")
    '1234-****-****-3456'
    """
    chars = [c for c in secret if c.isalnum()]
    if len(chars) <= 8:
        return "*" * len(chars) if len(chars) <= 4 else "".join(chars[:2]) + "****"
    hidden = len(chars) - 8
    groups = ["".join(chars[:4])]
    groups.extend("****" for _ in range(max(1, (hidden + 3) // 4)))
    groups.append("".join(chars[-4:]))
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
