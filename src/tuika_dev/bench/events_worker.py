"""One relay process of ``tuika bench events``: ``tuika worker`` with the benchmark's two handlers.

It is configured like ``tuika worker`` (the ``TUIKA_*`` environment), runs the same consumer
with the same signals, wake-ups, poll and leases, and differs in two things only: its handler
table is the benchmark's, and it waits for a line on standard input before it takes a task,
so that every process starts relaying at the same moment. On SIGTERM it stops once running
tasks finish and writes what its handlers saw to ``--out`` as JSON.

    python -m tuika_dev.bench.events_worker --threads 4 --out tally.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tuika.bootstrap import build
from tuika.jobs.queue import worker_consumer
from tuika.settings import Settings
from tuika_dev.bench.events import Tally


def main(argv: list[str] | None = None) -> None:
    """Relay until SIGTERM, then write the tally."""
    parser = argparse.ArgumentParser(prog="events_worker")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    tally = Tally()
    system = build(Settings(), handlers=tally.table())
    try:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
        worker_consumer(system.huey, args.threads).run()
    finally:
        if system.huey is not None:
            system.huey.storage.close()
        system.engine.dispose()
    args.out.write_text(json.dumps(tally.dump()), encoding="utf-8")


if __name__ == "__main__":
    main()
