"""Submit benchmark: the same code as `tuika bench submit`, for running from a checkout.

    uv run python benchmarks/submit.py --clients 32 --claims 5000 --server-workers 2

Starts its own server on a fresh PostgreSQL database (dropped afterwards), prints the
figures, and last one JSON line.
"""

from __future__ import annotations

import argparse
import json

from tuika_dev.bench.submit import run


def main() -> None:
    """Parse the options, run the benchmark, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--claims", type=int, default=5000, help="claims to submit after the warm-up")
    parser.add_argument("--server-workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--api-threads", type=int, default=None, help="TUIKA_API_THREADS of the server")
    args = parser.parse_args()
    result = run(
        clients=args.clients,
        claims=args.claims,
        url=None,
        server_workers=args.server_workers,
        api_threads=args.api_threads,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
