"""Rows are locked in one order, written down in one module: no other service asks a repository for a row lock."""

import re
from pathlib import Path

import tuika.services

SERVICES = Path(tuika.services.__file__).parent
ASKS_FOR_A_LOCK = re.compile(r"\.get\([^)]*\block=")


def test_only_the_locks_module_asks_a_repository_for_a_row_lock() -> None:
    asking = [
        path.relative_to(SERVICES).as_posix()
        for path in sorted(SERVICES.rglob("*.py"))
        if ASKS_FOR_A_LOCK.search(path.read_text(encoding="utf-8"))
    ]
    assert asking == ["locks.py"]
