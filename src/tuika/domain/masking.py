"""Masking of card keys and accounts for every place but the buyer's own order detail."""

from __future__ import annotations

import re
from typing import Final

# A mainland mobile number, with or without the country code and the spaces or dashes people type.
_MOBILE: Final = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_HIDDEN: Final = "****"


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


def _ends(text: str) -> str:
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return ""
    shown = len(chars) // 3
    head, tail = min(3, (shown + 1) // 2), min(3, shown // 2)
    return "".join(chars[:head]) + _HIDDEN + ("".join(chars[-tail:]) if tail else "")
