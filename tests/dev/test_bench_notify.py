"""The notifications benchmark end to end on a small set: every message reaches its provider once.

The figures themselves are never asserted: they belong in docs/performance.md, not in a test.
"""

from __future__ import annotations

import json

from tuika_dev.bench.notify import run

KEYS = ("events", "messages", "lost", "duplicates", "messages_per_s", "p99_s")


def test_a_small_run_sends_every_planned_message_once_and_gives_well_formed_figures() -> None:
    lines: list[str] = []

    result = run(events=8, db="sqlite", live=8, writers=1, threads=2, slow_s=0.02, echo=lines.append)

    assert set(KEYS) <= result.keys()
    assert (result["events"], result["backlog_events"], result["live_events"]) == (16, 8, 8)
    assert (result["lost"], result["duplicates"], result["ok"], result["settled"]) == (0, 0, True, True)
    # Four cases, two approved and two rejected: each tells its buyer by push three times, its
    # merchant by email twice, and a rejected one its buyer by text once.
    channels = result["channels"]
    assert {name: f["planned"] for name, f in channels.items()} == {"sms": 2, "push": 12, "email": 8}
    assert {name: f["taken"] for name, f in channels.items()} == {"sms": 2, "push": 12, "email": 8}
    assert result["messages"] == 22
    # In the inbox: the buyer's three and the merchant's two of each case, and the agents' queue
    # told of each case sent to a person.
    assert result["inbox"] == 4 * (3 + 2) + 4
    healthy = result["webhooks"]["healthy"]
    assert (healthy["events"], healthy["delivered"], healthy["duplicates"]) == (16, 16, 0)
    assert result["messages_per_s"] > 0
    assert 0 <= result["p50_s"] <= result["p99_s"]
    json.dumps(result)  # the CLI prints it as one JSON line
    assert lines[-1].startswith("lost 0, duplicates 0")
