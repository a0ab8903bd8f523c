"""``tuika bench ocr-fields``: the real-world screenshot corpus read by the default engine, scored field by field.

It draws the labelled corpus (``tuika_dev.bench.ocrcorpus``: every layout in every face, each
screen clean and degraded), reads each screenshot with the ``PaddleOcr`` adapter (bundled model,
nothing downloaded), one at a time on one engine of 2 threads, so its seconds are one screenshot's
alone (the review's worker runs two engines of one thread, for claims read at once: ``tuika bench
review`` measures that), runs the field reader and the matching
against the order behind the screenshot as the machine review does, and prints, for the clean
and the degraded half apart: each field found / matched / right, each layout's screenshots read
right, the seconds per screenshot, and the most common failures. The last line is one JSON object.

    uv run tuika bench ocr-fields --per-layout 5 --seed 7
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.review.matching import settles
from tuika.review.ocr import OcrText
from tuika_dev.bench.cpu import machine_busy_s, own_cpu_s
from tuika_dev.bench.load import percentile
from tuika_dev.bench.ocrcorpus import FACES, LAYOUTS, Sample, corpus, face, layout
from tuika_dev.bench.ocrscore import FIELDS, Scored, describe, expected_order, review_read, score

Echo = Callable[[str], None]
Engine = Literal["paddle-small", "paddle-tiny", "paddle-tiny-first"]
HALVES: Final = ("clean", "degraded")
# The target, on the degraded half.
TARGET_RIGHT: Final = 0.975
TARGET_S: Final = 0.5


def stdout(line: str) -> None:
    print(line, flush=True)  # noqa: T201 - a benchmark prints its figures


@dataclass(frozen=True, slots=True)
class Read:
    """One screenshot as read: where it came from, the verdicts, the time it took, its failures."""

    name: str
    layout: str
    face: str
    theme: str
    screen: str
    half: str
    scored: Scored
    seconds: float
    ocr_seconds: float
    cpu_seconds: float
    failures: tuple[dict[str, object], ...]
    passes: int = 1  # 2: the quick engine's read did not settle it, and the thorough one read again


def run(
    per_layout: int = 5,
    seed: int = 7,
    engine: Engine = "paddle-tiny-first",
    *,
    layouts: Sequence[str] = (),
    faces: Sequence[str] = (),
    echo: Echo = stdout,
    dump: Path | None = None,
) -> dict[str, Any]:
    """Read the corpus, print the figures, and return them (the CLI prints them as one JSON line)."""
    chosen = tuple(layout(name) for name in layouts) or LAYOUTS
    drawn_in = tuple(face(name) for name in faces) or FACES
    ocr = PaddleOcr(model_size="tiny" if engine == "paddle-tiny" else "small", threads=2)
    # The review's two-pass setting: tiny first, small again where tiny's read does not settle it.
    quick = PaddleOcr(model_size="tiny", threads=2) if engine == "paddle-tiny-first" else None
    started = time.perf_counter()
    for loaded in (quick, ocr):
        if loaded is not None:
            loaded.warm_up()
    load_s = time.perf_counter() - started
    total = len(chosen) * len(drawn_in) * per_layout * 2
    echo(
        f"corpus:   {len(chosen)} layouts × {len(drawn_in)} faces × {per_layout} screens, seed {seed}: "
        f"{total // 2} clean + {total // 2} degraded screenshots"
    )
    named = ocr.engine if quick is None else f"{quick.engine} first, then {ocr.engine}"
    echo(f"engine:   {named}, {ocr.threads} threads, bundled model loaded in {load_s:.1f} s")
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        (dump / "reads.jsonl").write_text("", encoding="utf-8")
    load_before, busy_before, own_before = os.getloadavg()[0], machine_busy_s(), own_cpu_s()
    reads: list[Read] = []
    drawing_s = 0.0
    mark = time.perf_counter()
    for sample in corpus(per_layout, seed, chosen, drawn_in):
        drawing_s += time.perf_counter() - mark
        read, text = _read(ocr, sample, quick)
        reads.append(read)
        if dump is not None:
            label = sample.label() | {"seconds": round(read.seconds, 3)}
            _dump(dump, sample.image, label, text.text, read.scored, read.failures)
        if len(reads) % max(1, total // 10) == 0 or len(reads) == total:
            echo(f"  read {len(reads)}/{total}")
        mark = time.perf_counter()
    busy_after, own_after = machine_busy_s(), own_cpu_s()
    busy, whole = busy_after[0] - busy_before[0], busy_after[1] - busy_before[1]
    result = _figures(reads)
    result |= {
        "engine": named,
        "read_again_share": _share(sum(r.passes == 2 for r in reads), len(reads)) if quick is not None else None,
        "ocr_threads": ocr.threads,
        "per_layout": per_layout,
        "seed": seed,
        "layouts": [x.name for x in chosen],
        "faces": [f.name for f in drawn_in],
        "drawing_s": round(drawing_s, 1),
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "load_average_before": round(load_before, 2),
            "other_programs_cpu_share": round(max(0.0, busy - (own_after - own_before)) / whole, 3) if whole else 0.0,
        },
        "date": datetime.now(UTC).date().isoformat(),
    }
    _print(result, reads, echo)
    return result


def _read(ocr: PaddleOcr, sample: Sample, quick: PaddleOcr | None = None) -> tuple[Read, OcrText]:
    """Read one screenshot as the machine review does, timing the engine and the whole, and score it."""
    order, keys = expected_order(sample.purchase)
    began, cpu_began = time.perf_counter(), own_cpu_s()
    passes, ocr_s = 1, 0.0
    text = None
    if quick is not None:
        text = quick.read(sample.image)
        ocr_s = time.perf_counter() - began
        fields, matches = review_read(text, order, keys)
        if not settles(matches):
            text, passes = None, 2
    if text is None:
        engine_began = time.perf_counter()
        text = ocr.read(sample.image)
        ocr_s += time.perf_counter() - engine_began  # the engines' time only, as "OCR alone" says
        fields, matches = review_read(text, order, keys)
    seconds, cpu_s = time.perf_counter() - began, own_cpu_s() - cpu_began
    scored = score(sample, text, fields, matches)
    failures = tuple(describe(name, sample, scored, text) for name, v in scored.verdicts.items() if not v.right)
    read = Read(
        name=sample.name,
        layout=sample.layout,
        face=sample.face,
        theme=sample.theme,
        screen=f"{sample.screen[0]}x{sample.screen[1]}",
        half="degraded" if sample.degraded else "clean",
        scored=scored,
        seconds=seconds,
        ocr_seconds=ocr_s,
        cpu_seconds=cpu_s,
        failures=failures,
        passes=passes,
    )
    return read, text


def _figures(reads: list[Read]) -> dict[str, Any]:
    fields: dict[str, dict[str, dict[str, float | int]]] = {}
    for name in FIELDS:
        fields[name] = {}
        for half in HALVES:
            verdicts = [r.scored.verdicts[name] for r in reads if r.half == half and name in r.scored.verdicts]
            fields[name][half] = {
                "shown": len(verdicts),
                "found": _share(sum(v.found for v in verdicts), len(verdicts)),
                "matched": _share(sum(v.matched for v in verdicts), len(verdicts)),
                "right": _share(sum(v.right for v in verdicts), len(verdicts)),
            }
    by: dict[str, dict[str, dict[str, float]]] = {"layout": {}, "face": {}, "theme": {}}
    for kind in by:
        groups: dict[str, list[Read]] = defaultdict(list)
        for r in reads:
            groups[getattr(r, kind)].append(r)
        for group, members in groups.items():
            by[kind][group] = {half: _share(*_right(members, half)) for half in HALVES}
    seconds = {half: sorted(round(r.seconds * 1e9) for r in reads if r.half == half) for half in HALVES}
    everything = sorted(round(r.seconds * 1e9) for r in reads)
    kinds = Counter(f"{r.layout} {f['field']}: {f['why']}" for r in reads for f in r.failures)
    strays = Counter(f"{r.layout}: {d}" for r in reads for d in r.scored.stray_doubts())
    all_right = {half: _share(*_right(reads, half)) for half in HALVES}
    p50 = percentile(everything, 0.5) / 1000
    return {
        "screenshots": len(reads),
        "all_fields_right": all_right,
        "fields": fields,
        "layouts_right": by["layout"],
        "faces_right": by["face"],
        "themes_right": by["theme"],
        "s_per_screenshot": {
            "p50": round(p50, 3),
            "p99": round(percentile(everything, 0.99) / 1000, 3),
            "mean": round(sum(everything) / max(1, len(everything)) / 1e9, 3),
            **{f"{half}_p50": round(percentile(seconds[half], 0.5) / 1000, 3) for half in HALVES},
            **{f"{half}_p99": round(percentile(seconds[half], 0.99) / 1000, 3) for half in HALVES},
            "ocr_only_p50": round(percentile(sorted(round(r.ocr_seconds * 1e9) for r in reads), 0.5) / 1000, 3),
        },
        "cpu_s_per_screenshot": round(sum(r.cpu_seconds for r in reads) / max(1, len(reads)), 3),
        "by_screen": _by_screen(reads),
        "target": {
            "degraded_all_fields_right": TARGET_RIGHT,
            "s_per_screenshot_p50": TARGET_S,
            "met": all_right["degraded"] >= TARGET_RIGHT and p50 <= TARGET_S,
        },
        "failure_kinds": dict(kinds.most_common(30)),
        "stray_doubts": dict(strays.most_common()),
    }


def _by_screen(reads: list[Read]) -> dict[str, dict[str, float | int]]:
    """Return the time a screenshot took by the screen it was taken on: the engine's time grows with the pixels."""
    groups: dict[str, list[Read]] = defaultdict(list)
    for r in reads:
        groups[r.screen].append(r)
    out: dict[str, dict[str, float | int]] = {}
    for screen in sorted(groups, key=lambda s: int(s.split("x")[0]) * int(s.split("x")[1])):
        mine = groups[screen]
        out[screen] = {
            "screenshots": len(mine),
            "p50_s": round(percentile(sorted(round(r.seconds * 1e9) for r in mine), 0.5) / 1000, 3),
            "cpu_s": round(sum(r.cpu_seconds for r in mine) / len(mine), 3),
        }
    return out


def _right(reads: Sequence[Read], half: str) -> tuple[int, int]:
    mine = [r for r in reads if r.half == half]
    return sum(r.scored.right for r in mine), len(mine)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _examples(reads: list[Read]) -> list[dict[str, object]]:
    """Return up to two failures of each kind, the degraded half's first: enough to see what goes wrong."""
    seen: Counter[str] = Counter()
    out = []
    for r in sorted(reads, key=lambda r: r.half != "clean"):
        for failure in r.failures:
            kind = f"{r.layout} {failure['field']}: {failure['why']}"
            if seen[kind] < 2:
                seen[kind] += 1
                out.append(failure)
    return out[:40]


def _print(result: dict[str, Any], reads: list[Read], echo: Echo) -> None:
    echo("")
    echo(f"{'field':<14}" + "".join(f"{half + ': shown  found matched  right':>40}" for half in HALVES))
    for name, halves in result["fields"].items():
        cells = "".join(
            f"{h['shown']:>19} {h['found']:>7.1%} {h['matched']:>7.1%} {h['right']:>6.1%}" for h in halves.values()
        )
        echo(f"{name:<14}{cells}")
    echo("")
    echo(f"{'screenshots right, by':<30}{'clean':>9}{'degraded':>10}   most missed when degraded")
    for kind in ("layout", "face", "theme"):
        for group, shares in result[f"{kind}s_right"].items():
            mine = [r for r in reads if getattr(r, kind) == group and r.half == "degraded"]
            missed = Counter(f["field"] for r in mine for f in r.failures)
            worst = ", ".join(f"{field} ×{n}" for field, n in missed.most_common(3))
            echo(f"  {kind + ' ' + group:<28}{shares['clean']:>9.1%}{shares['degraded']:>10.1%}   {worst}")
    right, s = result["all_fields_right"], result["s_per_screenshot"]
    echo("")
    echo(
        f"all fields right:   clean {right['clean']:.1%}, degraded {right['degraded']:.1%} "
        f"(target: degraded ≥ {TARGET_RIGHT:.1%})"
    )
    echo(
        f"s per screenshot:   p50 {s['p50']:.3f} s, p99 {s['p99']:.3f} s, mean {s['mean']:.3f} s (clean p50 "
        f"{s['clean_p50']:.3f} s, degraded p50 {s['degraded_p50']:.3f} s; OCR alone p50 {s['ocr_only_p50']:.3f} s); "
        f"CPU {result['cpu_s_per_screenshot']:.3f} s a screenshot (target ≤ {TARGET_S} s)"
    )
    sizes = ", ".join(f"{k} {v['p50_s']:.2f} s ({v['cpu_s']:.2f} CPU)" for k, v in result["by_screen"].items())
    echo(f"by screen, p50:     {sizes}")
    echo(f"target met:         {result['target']['met']}")
    echo("failures, most common first:")
    for kind, count in result["failure_kinds"].items():
        echo(f"  ×{count:<3} {kind}")
    for stray, count in result["stray_doubts"].items():
        echo(f"  ×{count:<3} doubt from reads of a field not drawn: {stray}")
    echo("examples (what was drawn, what the reader filed under the field, the OCR line nearest the value):")
    for example in _examples(reads):
        echo(f"  {json.dumps(example, ensure_ascii=False)}")


def _dump(
    folder: Path,
    image: bytes,
    label: dict[str, Any],
    text: str,
    scored: Scored,
    failures: tuple[dict[str, object], ...],
) -> None:
    stem = str(label["name"]).replace("/", "_").replace("+", "_")
    (folder / f"{stem}.{'jpg' if label['degraded'] else 'png'}").write_bytes(image)
    record = {
        **label,
        "ocr_text": text,
        "right": scored.right,
        "doubts": sorted(scored.doubts),
        "failures": list(failures),
    }
    with (folder / "reads.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"
