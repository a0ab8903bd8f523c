"""A net over the whole suite: no card key shows in clear in a stored read or in what a case shows.

Keys are looked for in any spelling: both sides are folded to their letters and digits,
upper case, OCR look-alikes as one (O/0, I/1, L/1, S/5, B/8, Z/2), so ``HN4K M8VB 2CX7 LP9D``,
``hn4k-m8vb-2cx7-lp9d`` and ``HN4KM8V82CX7LP9D`` are all the key ``HN4K-M8VB-2CX7-LP9D``, and
a line break or a tag between two pieces of it hides nothing.
The conftest runs ``stored_leaks`` when each test's system is taken down and ``response_leaks``
on every answer of a case, a read, the review queue or a case page (never the order detail,
where the buyer is meant to see the key).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import httpx
from sqlalchemy import text

from tuika.bootstrap import System

_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})
# Shorter keys could turn up in any page by chance; the suite's keys are 16 to 20 characters.
_SHORTEST = 10
_PIECE = 8
# Answers and pages about a case, its evidence and what was read from it.
_SCANNED = re.compile(r"^/(v1/refund-cases|v1/review-queue|v1/evidence/[^/]+$|cases|console(?!/evidence/))")


def fold(value: str) -> str:
    """Return ``value`` as its letters and digits only, upper case, look-alikes folded."""
    normal = unicodedata.normalize("NFKC", value).upper()
    return "".join(c for c in normal if c.isascii() and c.isalnum()).translate(_CONFUSIONS)


def clear_keys(system: System) -> list[str]:
    """Return every card key the system's orders hold, decrypted, whole and part by part."""
    query = text("SELECT order_id, item_id, secret_enc FROM order_items WHERE secret_enc IS NOT NULL")
    with system.engine.connect() as conn:
        sealed = conn.execute(query).all()
    keys: list[str] = []
    for order_id, item_id, secret in sealed:
        # Opened as tuika opens them (services.orders.keys.card_key): bound to "<order id>/<item id>".
        plain = system.ctx.cipher.decrypt(secret, f"{order_id}/{item_id}")
        keys.extend([plain, *re.split(r"[\s/|,;]+", plain)])
    return sorted({k for k in keys if len(fold(k)) >= _SHORTEST})


def leaks(keys: Iterable[str], where: str, body: str) -> list[tuple[str, str]]:
    """Return (where, key) for each key that ``body`` shows in any spelling, whole or eight characters of it.

    A masked key shows its first and last four only, so eight characters in a row of it are
    always some it should hide: ``HN4K-****-8VB2`` beside ``CX7LP9D`` gives ``8VB2CX7L`` away.
    """
    haystack = fold(body)
    found = []
    for key in keys:
        folded = fold(key)
        if any(folded[i : i + _PIECE] in haystack for i in range(len(folded) - _PIECE + 1)):
            found.append((where, key))
    return found


def strings(value: Any) -> Iterator[str]:
    """Yield every string in a JSON value, in order, so lines next to each other stay next to each other."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


def page_text(body: str) -> str:
    """Return what an HTML page shows: its text without tags, entities decoded."""
    return html.unescape(re.sub(r"<[^>]*>", "", body))


def json_value(column: Any) -> Any:
    """Return a JSON column's value: SQLite hands it back as text, PostgreSQL as the value."""
    return json.loads(column) if isinstance(column, str) else column


def stored_leaks(system: System) -> list[tuple[str, str]]:
    """Return the keys any stored read or finding shows in clear, with the row that shows it."""
    keys = clear_keys(system)
    if not keys:
        return []
    found: list[tuple[str, str]] = []
    with system.engine.connect() as conn:
        reads = conn.execute(text("SELECT evidence_id, lines, fields, matches FROM evidence_reads"))
        for evidence_id, *columns in reads:
            shown = "".join(strings([json_value(c) for c in columns]))
            found += leaks(keys, f"evidence_reads {evidence_id}", shown)
        findings = conn.execute(text("SELECT id, subject, facts FROM case_findings"))
        for finding_id, subject, facts in findings:
            found += leaks(keys, f"case_findings {finding_id}", "".join(strings([subject, json_value(facts)])))
    return found


def response_leaks(system: System, response: httpx.Response) -> list[tuple[str, str]]:
    """Return the keys a case's answer or page shows in clear; other answers are not looked at."""
    path = response.request.url.path
    kind = response.headers.get("content-type", "")
    if not _SCANNED.match(path) or not ("json" in kind or "html" in kind):
        return []
    return leaks(clear_keys(system), f"{response.request.method} {path}", shown(response))


def shown(response: httpx.Response) -> str:
    """Return what an answer shows: a JSON body's strings one after another, or an HTML page's text."""
    response.read()
    if "json" in response.headers.get("content-type", ""):
        return "".join(strings(response.json()))
    return page_text(response.text)
