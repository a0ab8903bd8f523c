"""The events benchmark end to end on a small set, on both stacks: it runs, loses and repeats nothing.

The figures themselves are never asserted: they belong in docs/performance.md, not in a test.
"""

from __future__ import annotations

import json

import pytest

from tuika_dev.bench.events import run

KEYS = ("events", "events_per_s", "lag_p50_ms", "lag_p99_ms", "lost", "duplicates")


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis])])
def test_a_small_run_relays_every_event_once_and_gives_well_formed_figures(db: str) -> None:
    lines: list[str] = []

    result = run(events=50, live=25, db=db, writers=2, workers=2, echo=lines.append)  # type: ignore[arg-type]

    assert set(KEYS) <= result.keys()
    assert (result["events"], result["backlog_events"], result["live_events"]) == (75, 50, 25)
    assert (result["lost"], result["duplicates"], result["pending"], result["failed"]) == (0, 0, 0, 0)
    assert result["rows_written"] == result["events_stored"] == 75
    assert result["ok"] is True
    assert result["events_per_s"] > 0
    assert 0 <= result["lag_p50_ms"] <= result["lag_p99_ms"] <= result["lag_max_ms"]
    json.dumps(result)  # the CLI prints it as one JSON line
    assert lines[-1].startswith("lost 0, duplicates 0")
