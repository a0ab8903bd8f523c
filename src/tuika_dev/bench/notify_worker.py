"""One worker process of ``tuika bench notify``: ``tuika worker`` as it ships, held until told to go.

It is built like ``tuika worker`` (the ``TUIKA_*`` environment, the product's handler table:
the message writer, the webhook writer, the review), runs the same consumer with its relay
threads, poll and sweep, and the same send loop (SMS, push, email, webhooks) from threads of
its own. One thing differs: it waits for a line on standard input before it takes a task, so
that every process starts on the backlog at the same moment. SIGTERM stops it as it stops
``tuika worker``: once the relay tasks and the send passes under way have stored their outcomes.

    python -m tuika_dev.bench.notify_worker --threads 4
"""

from __future__ import annotations

import argparse
import sys

from tuika.bootstrap import build
from tuika.jobs.queue import worker_consumer
from tuika.settings import Settings


def main(argv: list[str] | None = None) -> None:
    """Relay and send until SIGTERM."""
    parser = argparse.ArgumentParser(prog="notify_worker")
    parser.add_argument("--threads", type=int, required=True)
    args = parser.parse_args(argv)
    system = build(Settings())
    try:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdin.readline()
        worker_consumer(system.huey, args.threads).run()
    finally:
        if system.huey is not None:
            system.huey.storage.close()
        system.engine.dispose()


if __name__ == "__main__":
    main()
