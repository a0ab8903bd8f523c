"""Payout benchmark: the same code as `tuika bench payouts`, for running from a checkout.

    uv run python benchmarks/payouts.py --claims 1000 --fault-rate 0.1 --rate 10

Starts `tuika serve --embedded-worker` on SQLite in a temporary directory and the Alipay, WeChat
Pay and bank sandboxes, files approved claims by the original route with faults queued at the
sandboxes, waits for every payout to end, and prints per route the time from approval to a final
state, the retries, and the audit (double refunds and ledger imbalances must be 0); last, one
JSON line. Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import sys

from tuika_dev.bench.payouts import run


def main() -> None:
    """Parse the options, run the benchmark, print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=1000, help="approved claims to pay back")
    parser.add_argument("--fault-rate", type=float, default=0.1, help="share of claims with a gateway fault queued")
    parser.add_argument("--rate", type=float, default=10.0, help="claims filed per second; 0: as fast as possible")
    parser.add_argument("--clients", type=int, default=4, help="concurrent API clients filing claims")
    parser.add_argument("--seed", type=int, default=7, help="seed of the routes, amounts and faults")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds after the last claim to end them all")
    args = parser.parse_args()
    try:
        result = run(
            args.claims, args.fault_rate, rate=args.rate, clients=args.clients, seed=args.seed, timeout_s=args.timeout
        )
    except (RuntimeError, ValueError) as exc:
        sys.exit(f"benchmark failed: {exc}")
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
