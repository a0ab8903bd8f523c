"""Review benchmark: the same code as `tuika bench review`, for running from a checkout.

    uv run python benchmarks/review.py --claims 300 --workers 2 --seed 7

Draws labelled claims with screenshots, starts `tuika serve --embedded-worker` on SQLite in a
temporary directory with a sandbox supplier, files the claims, prints what the machine decided
against the labels, OCR accuracy, latency and CPU, and last one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

# The screenshots are drawn by tests/support/screens.py; a script run from benchmarks/ does not see it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tuika_dev.bench.review import run


def main() -> None:
    """Parse the options, run the benchmark, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=300, help="labelled claims to file")
    parser.add_argument("--workers", type=int, default=2, help="queue consumer threads of the server")
    parser.add_argument("--seed", type=int, default=7, help="seed of the claim set and its screenshots")
    engines = ("paddle-tiny-first", "paddle-small", "paddle-tiny")
    parser.add_argument("--ocr", choices=engines, default="paddle-tiny-first")
    parser.add_argument("--in-flight", type=int, default=None, help="claims awaiting a decision at once")
    args = parser.parse_args()
    result = run(args.claims, args.workers, seed=args.seed, ocr=args.ocr, in_flight=args.in_flight)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
