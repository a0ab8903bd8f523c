"""Every string the pages show, in zh-CN (the default) and English, in one catalogue.

Each area of the pages keeps its words in its own module under ``tuika.web.words``; they are
merged here into the one catalogue, and two areas claiming the same key is an error at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from tuika.web.words import balance, case, claim, common, console, finance, signin

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
    common.WORDS, signin.WORDS, claim.WORDS, case.WORDS, balance.WORDS, console.WORDS, finance.WORDS
)


def text(lang: Lang, key: str) -> str:
    """Return the string for ``key`` in ``lang``; a missing key is a bug, so it raises."""
    zh, en = CATALOGUE[key]
    return zh if lang == "zh" else en


def formatted(lang: Lang, key: str, **values: object) -> str:
    """Return the string for ``key`` with ``{name}`` placeholders filled."""
    return text(lang, key).format(**values)


def pick(query: str | None, cookie: str | None) -> Lang:
    """Return the language asked for: ``?lang=`` first, then the cookie, else Chinese."""
    for asked in (query, cookie):
        if asked in LANGS:
            return asked
    return "zh"
