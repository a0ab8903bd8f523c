"""OCR engines on generated phone screenshots: how often every field is read right, how fast, how big.

    uv run python benchmarks/ocr_engines.py                      # faster-paddle, and tesseract if present
    uv run --with rapidocr==3.10.0 --with onnxruntime python benchmarks/ocr_engines.py   # adds rapidocr

Each configuration runs in its own process (so peak RSS is its own) on the same screenshots:
``--images`` clean ones from ``tests.support.screens.random_screen(seed)``, half of them redeem-error
pages, a quarter order pages, a quarter carrier texts, at 720x1280 or 1080x2340, and the same
ones after ``degrade`` (downscaled, JPEG 35-70, a little cropped). A screenshot counts as right
when its order id, card key, amount (¥ may be misread) and error text all appear in the text.
rapidocr and tesseract are optional: a configuration whose engine is not installed is skipped.
Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
# The screenshots are drawn by the test helpers; a script run from benchmarks/ does not see them.
sys.path.insert(0, str(ROOT))

from tests.support.screens import degrade, fields_found, random_screen  # noqa: E402

Reader = Callable[[bytes], str]
CONFIGS = (
    "faster-paddle-tiny-t2",
    "faster-paddle-tiny-t1",
    "faster-paddle-small-t2",
    "faster-paddle-small-t1",
    "rapidocr-t2",
    "tesseract-chi_sim-t2",
)


class NotInstalled(Exception):
    """The engine of a configuration is not available on this machine."""


def _faster_paddle(model_size: Literal["tiny", "small"], threads: int) -> Reader:
    from tuika.adapters.ocr.paddle import PaddleOcr

    ocr = PaddleOcr(model_size=model_size, threads=threads)
    ocr.warm_up()
    return lambda image: ocr.read(image).text


def _rapidocr(threads: int) -> Reader:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise NotInstalled("rapidocr (run with: uv run --with rapidocr==3.10.0 --with onnxruntime)") from exc
    engine = RapidOCR(
        params={
            "Global.log_level": "warning",
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    )

    def read(image: bytes) -> str:
        result = engine(image)
        return "\n".join(result.txts or ())

    read(_tiny_png())
    return read


def _tesseract(threads: int) -> Reader:
    binary = shutil.which("tesseract")
    if binary is None:
        raise NotInstalled("tesseract (apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
    langs = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, check=True).stdout.split()
    if "chi_sim" not in langs:
        raise NotInstalled("tesseract chi_sim (apt-get install tesseract-ocr-chi-sim)")
    env = {**os.environ, "OMP_THREAD_LIMIT": str(threads)}

    def read(image: bytes) -> str:
        done = subprocess.run(
            [binary, "stdin", "stdout", "-l", "chi_sim+eng"], input=image, capture_output=True, check=True, env=env
        )
        return done.stdout.decode()

    return read


def _tiny_png() -> bytes:
    from tests.support.factories import png_bytes

    return png_bytes(64, 64)


def _reader(config: str) -> Reader:
    threads = int(config.rsplit("-t", 1)[1])
    if config.startswith("faster-paddle-tiny"):
        return _faster_paddle("tiny", threads)
    if config.startswith("faster-paddle-small"):
        return _faster_paddle("small", threads)
    if config.startswith("rapidocr"):
        return _rapidocr(threads)
    return _tesseract(threads)


def _peak_rss_mb() -> float:
    # Linux reports kilobytes; tesseract runs as child processes, so count the largest of those too.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _cpu_s() -> float:
    # CPU time of every thread of this process and of finished children: unlike wall time, it does
    # not grow when other work on the machine takes the cores.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_one(config: str, images: int) -> dict[str, Any]:
    """Measure one configuration in this process; return its figures."""
    baseline = _peak_rss_mb()
    started = time.perf_counter()
    try:
        read = _reader(config)
    except NotInstalled as exc:
        return {"config": config, "skipped": f"not installed: {exc}"}
    load_s = time.perf_counter() - started
    figures: dict[str, Any] = {"config": config, "load_s": round(load_s, 2), "baseline_rss_mb": baseline}
    for variant in ("clean", "degraded"):
        seconds: list[float] = []
        cpu_seconds: list[float] = []
        right = 0
        misses: dict[str, int] = {}
        failures: list[dict[str, Any]] = []
        for seed in range(images):
            screen = random_screen(seed)
            image = screen.render() if variant == "clean" else degrade(screen.render(), seed)
            started, cpu_started = time.perf_counter(), _cpu_s()
            text = read(image)
            seconds.append(time.perf_counter() - started)
            cpu_seconds.append(_cpu_s() - cpu_started)
            found = fields_found(text, screen)
            missing = sorted(name for name, ok in found.items() if not ok)
            right += not missing
            for name in missing:
                misses[name] = misses.get(name, 0) + 1
            if missing:
                failures.append({"seed": seed, "kind": type(screen).__name__, "missing": missing})
        figures[variant] = {
            "right": right,
            "of": images,
            "median_s": round(statistics.median(seconds), 3),
            "p90_s": round(statistics.quantiles(seconds, n=10)[-1], 3),
            "median_cpu_s": round(statistics.median(cpu_seconds), 3),
            "misses": misses,
            "failures": failures,
        }
    figures["peak_rss_mb"] = _peak_rss_mb()
    return figures


def _table(results: list[dict[str, Any]]) -> str:
    head = f"{'configuration':<24} {'clean':>7} {'degraded':>9} {'s/img clean':>12} {'s/img degr.':>12} "
    head += f"{'cpu s/img':>10} {'load s':>7} {'peak RSS MB':>12}"
    rows = [head, "-" * len(head)]
    for r in results:
        if "skipped" in r:
            rows.append(f"{r['config']:<24} skipped: {r['skipped']}")
            continue
        clean, bad = r["clean"], r["degraded"]
        rows.append(
            f"{r['config']:<24} {clean['right']:>3}/{clean['of']:<3} {bad['right']:>5}/{bad['of']:<3} "
            f"{clean['median_s']:>12.3f} {bad['median_s']:>12.3f} {clean['median_cpu_s']:>10.3f} "
            f"{r['load_s']:>7.2f} {r['peak_rss_mb']:>12.1f}"
        )
    return "\n".join(rows)


def main() -> None:
    """Parse the options, run each configuration in a child process, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=40, help="clean screenshots (and as many degraded ones)")
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated, from: " + ", ".join(CONFIGS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.images), ensure_ascii=False))
        return
    load_before = os.getloadavg()[0]
    results = []
    for config in args.configs.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--child", config, "--images", str(args.images)],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"done: {config}", file=sys.stderr, flush=True)
    # Other work on the machine slows the wall times; the load average says how much there was.
    load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    print(
        f"{args.images} clean + {args.images} degraded screenshots; {os.cpu_count()} cores; "
        f"load average {load[0]:.2f} before, {load[1]:.2f} after"
    )
    print(_table(results))
    summary = {"images": args.images, "cores": os.cpu_count(), "load_average": load, "results": results}
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
