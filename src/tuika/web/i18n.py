"""Every string the pages show, in zh-CN (the default) and English, in one catalogue.

Each area of the pages keeps its words in its own module under ``tuika.web.words``; they are
merged here into the one catalogue, and two areas claiming the same key is an error at import.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final, Literal

from tuika.web.words import balance, case, claim, common, console, finance, ledger, merchant, notify, signin

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
COOKIE: Final = "tuika_lang"


def _merge(*parts: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise RuntimeError(f"catalogue keys defined twice: {sorted(twice)}")
        merged.update(part)
    return merged


CATALOGUE: Final = _merge(
    common.WORDS,
    signin.WORDS,
    claim.WORDS,
    case.WORDS,
    balance.WORDS,
    console.WORDS,
    finance.WORDS,
    ledger.WORDS,
    notify.WORDS,
    merchant.WORDS,
)


def text(lang: Lang, key: str) -> str:
    """Return the string for ``key`` in ``lang``; a missing key is a bug, so it raises."""
    zh, en = CATALOGUE[key]
    return zh if lang == "zh" else en


def formatted(lang: Lang, key: str, **values: object) -> str:
    """Return the string for ``key`` with ``{name}`` placeholders filled."""
    return text(lang, key).format(**values)


def time_left(lang: Lang, seconds: float) -> str:
    """Return a time left as a person says it: days and hours, hours and minutes under a day, minutes under an hour.

    Rounded up to the minute, so a window still open never reads as "0 minutes left".

    >>> time_left("zh", 159 * 3600), time_left("zh", 5 * 3600 + 1200), time_left("en", 61)
    ('还剩 6 天 15 小时', '还剩 5 小时 20 分钟', '2 min left')
    """
    minutes = max(0, math.ceil(seconds / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return formatted(lang, "left.days_hours", d=days, h=hours) if hours else formatted(lang, "left.days", d=days)
    if hours:
        return (
            formatted(lang, "left.hours_minutes", h=hours, m=minutes)
            if minutes
            else formatted(lang, "left.hours", h=hours)
        )
    return formatted(lang, "left.minutes", m=minutes)


def ruled_out(lang: Lang, why: tuple[str, ...]) -> str:
    """Return what in the order's record rules a policy rule out, as the buyer reads it."""
    said = [text(lang, f"ruled_out.{code}") for code in why if f"ruled_out.{code}" in CATALOGUE]
    return said[0] if said else text(lang, "ruled_out.other")


def pick(query: str | None, cookie: str | None) -> Lang:
    """Return the language asked for: ``?lang=`` first, then the cookie, else Chinese."""
    for asked in (query, cookie):
        if asked in LANGS:
            return asked
    return "zh"
