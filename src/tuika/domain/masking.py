"""Masking of card keys and accounts for every place but the buyer's own order detail, of user ids on pages,
and of mailboxes in logs."""

from __future__ import annotations

import re
from typing import Final

# A mainland mobile number, with or without the country code and the spaces or dashes people type.
_MOBILE: Final = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_HIDDEN: Final = "****"
_HIDDEN_MAILBOX: Final = "***"


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
    """Keep the first and last four letters and digits, hide the rest, and keep the key's own layout.

    The buyer compares the mask with the key on the card, so its spaces and dashes stay where they
    are and none is added.

    >>> mask_card_key("ABCD-EFGH-JKLM-NPQR")
    'ABCD-****-****-NPQR'
    >>> mask_card_key("1234567890123456")
    '1234********3456'
    >>> mask_card_key("6926 7162 2061 1478")
    '6926 **** **** 1478'
    >>> mask_card_key("Q8XK2M")
    'Q8****'
    """
    count = sum(c.isalnum() for c in secret)
    head, tail = shown_ends(count)
    out: list[str] = []
    seen = 0
    for c in secret:
        if not c.isalnum():
            out.append(c)
            continue
        out.append(c if seen < head or seen >= count - tail else "*")
        seen += 1
    return "".join(out)


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


def mask_account(account: str) -> str:
    """Show a mobile number as carriers do, any other account by at most a third of it, from its ends.

    The hidden middle is always four stars, so the mask does not tell the length either; a
    mailbox keeps its domain, which says nothing about its owner.

    >>> mask_account("+86 138 0013 8000")
    '138****8000'
    >>> mask_account("12345678")
    '1****8'
    >>> mask_account("player_lee@qq.com")
    'pl****e@qq.com'
    >>> mask_account("1开 / 天下无双")
    '1****双'
    >>> mask_account("小明")
    '****'
    """
    mobile = _MOBILE.fullmatch(re.sub(r"[\s-]", "", account))
    if mobile is not None:
        number = mobile.group(1)
        return number[:3] + _HIDDEN + number[-4:]
    local, at, domain = account.strip().rpartition("@")
    if at and local.strip() and domain:
        return _ends(local) + "@" + domain
    return _ends(account)


def mask_email(address: str) -> str:
    """Show a mailbox by the first character of its local part and its whole domain, for logs.

    Enough for staff to tell which provider refused it, not enough to write to its owner. A local
    part of one character shows none, since it would be the whole of it; text that is no mailbox
    shows nothing, since it may be anything (an address pasted with a line break, a phone number).

    >>> mask_email("alice@example.com")
    'a***@example.com'
    >>> mask_email("a@qq.com")
    '***@qq.com'
    >>> mask_email("not an address")
    '***'
    >>> mask_email("a@b.com\\r\\nBcc: x@y.com")
    '***'
    """
    local, at, domain = address.rpartition("@")
    one_line = all(c.isprintable() and not c.isspace() for c in address)
    if not (at and local and domain and one_line) or "@" in local:
        return _HIDDEN_MAILBOX
    head = local[0] if len(local) > 1 else ""
    return f"{head}{_HIDDEN_MAILBOX}@{domain}"


def _ends(text: str) -> str:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return ""
    shown = len(chars) // 3
    head, tail = min(3, (shown + 1) // 2), min(3, shown // 2)
    return "".join(chars[:head]) + _HIDDEN + ("".join(chars[-tail:]) if tail else "")
