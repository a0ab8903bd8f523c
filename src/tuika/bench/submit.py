"""Placeholder replaced by the submit benchmark."""

from __future__ import annotations

from typing import Any


def run(*, clients: int, claims: int, url: str | None) -> dict[str, Any]:
    """Run the submit benchmark."""
    raise RuntimeError("the submit benchmark is being written")
