"""The machine's request for evidence as its timeline note stores it, and read back from one.

The note keeps the kinds by code, so each reader (the API, the pages) names them in its own
words and language; nobody reads the stored form itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from tuika.domain.policy import EvidenceKind

_PREFIX: Final = "请补充："
_ASKS: Final = re.compile(r"^请补充：([a-z_、]+)$")


def ask_note(kinds: Iterable[EvidenceKind]) -> str:
    """Return the note the machine stores when it asks for these kinds of evidence."""
    return _PREFIX + "、".join(k.value for k in kinds)


def kinds_asked(note: str) -> tuple[EvidenceKind, ...]:
    """Return the kinds a machine's request note asks for, or none if the note is not one."""
    asked = _ASKS.match(note)
    values = tuple(asked.group(1).split("、")) if asked else ()
    known = {k.value for k in EvidenceKind}
    return tuple(EvidenceKind(v) for v in values) if values and all(v in known for v in values) else ()
