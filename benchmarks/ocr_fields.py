"""Real-world screenshots, read: the same code as `tuika bench ocr-fields`, for running from a checkout.

    uv run python benchmarks/ocr_fields.py --per-layout 5 --seed 7 [--engine paddle-tiny-first|paddle-small|paddle-tiny]

Draws the labelled corpus (every layout in every face, each screen clean and degraded), reads each
screenshot with the default OCR engine, runs the field reader and the matching against the order
behind it as the machine review does, prints each field's and each layout's accuracy for the
clean and the degraded half, the seconds per screenshot and the most common failures, and last
one JSON line.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tuika_dev.bench.ocrfields import run


def main() -> None:
    """Parse the options, run the benchmark, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-layout", type=int, default=5, help="screens of each layout in each face")
    parser.add_argument("--seed", type=int, default=7, help="seed of the corpus")
    engines = ("paddle-small", "paddle-tiny", "paddle-tiny-first")
    parser.add_argument("--engine", choices=engines, default="paddle-tiny-first")
    parser.add_argument("--layouts", default="", help="comma-separated layouts; default: all")
    parser.add_argument("--faces", default="", help="comma-separated fonts; default: all")
    parser.add_argument("--dump", type=Path, default=None, help="folder for every screenshot and reads.jsonl")
    args = parser.parse_args()
    result = run(
        args.per_layout,
        args.seed,
        args.engine,
        layouts=[name for name in args.layouts.split(",") if name],
        faces=[name for name in args.faces.split(",") if name],
        dump=args.dump,
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
