"""Notifications benchmark: the same code as `tuika bench notify`, for running from a checkout.

    uv run python benchmarks/notify.py --events 10000 --db postgres

Writes case events by real transitions on a fresh database, then lets worker processes relay
them and send what they give rise to: texts, pushes and emails to the Alibaba Cloud SMS, JPush
and SMTP sandboxes, webhooks to three local receivers (healthy, slow, failing half the time).
Prints messages/s, the lag from each event to the provider taking its message per channel, how
far each endpoint got, and lost and duplicate messages (both must be 0); last, one JSON line.
Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys

from tuika_dev.bench.notify import run


def main() -> None:
    """Parse the options, run the benchmark, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events written, then fanned out")
    parser.add_argument("--live", type=int, default=2_000, help="events written with the workers running")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="sqlite or postgres (Redis)")
    parser.add_argument("--writers", type=int, default=2, help="threads moving cases")
    parser.add_argument("--workers", type=int, default=4, help="relay threads of each worker process")
    parser.add_argument("--processes", type=int, default=None, help="worker processes (default: by database)")
    args = parser.parse_args()
    result = run(
        args.events,
        "postgres" if args.db == "postgres" else "sqlite",
        live=args.live,
        writers=args.writers,
        processes=args.processes,
        threads=args.workers,
    )
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
