"""Forensic hints, measured: how often the pHash and the metadata check catch a forgery, and cry wolf.

    uv run python benchmarks/forensics.py [--images 80] [--seed 7]   (from the checkout's root)

Every image is generated now (``tests/support/screens.py``), so run it from a checkout. The last line
is one JSON object. What is measured:

- pHash reuse: each clean screenshot against its own copy re-compressed (JPEG 35–70),
  resized (50–75 %), cropped (1–5 % off the edges), and as a chat app forwards it (``degrade``).
  A copy counts as caught when it is within ``SIMILAR_BITS`` of the original.
- pHash false alarms: every pair of different clean screenshots within ``SIMILAR_BITS``,
  overall and among pairs of the same layout (the hard case: same template, other values).
- metadata: clean screenshots, and the same saved by an editor that writes its name (PNG text
  or EXIF Software), and by one that writes none.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import random
import sys
import time
from itertools import combinations
from pathlib import Path

from PIL import Image, PngImagePlugin

from tuika.review.forensics import SIMILAR_BITS, distance, marks


def main() -> None:
    """Generate the images, measure both hints, print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=80)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    # The generator lives with the tests, in the checkout this script runs from.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    generator = importlib.import_module("tests.support.screens")
    degrade, random_screen = generator.degrade, generator.random_screen
    rng = random.Random(args.seed)
    screens = [random_screen(args.seed * 1000 + n) for n in range(args.images)]
    clean = [s.render() for s in screens]
    started = time.process_time()
    hashes = [marks(png).phash for png in clean]
    ms_per_image = (time.process_time() - started) * 1000 / len(clean)

    caught: dict[str, list[int]] = {"recompressed": [], "resized": [], "cropped": [], "forwarded": []}
    for n, png in enumerate(clean):
        copies = {
            "recompressed": _jpeg(png, 1.0, rng.randint(35, 70)),
            "resized": _jpeg(png, rng.uniform(0.5, 0.75), 90),
            "cropped": _cropped(png, rng.uniform(0.01, 0.05)),
            "forwarded": degrade(png, args.seed + n),
        }
        for name, copy in copies.items():
            caught[name].append(distance(hashes[n], marks(copy).phash))

    pairs = list(combinations(range(len(clean)), 2))
    same_layout = [(a, b) for a, b in pairs if type(screens[a]) is type(screens[b])]
    alarms = [(a, b) for a, b in pairs if distance(hashes[a], hashes[b]) <= SIMILAR_BITS]
    layout_alarms = [p for p in alarms if p in set(same_layout)]

    tagged = [marks(_tagged(png, n)).software is not None for n, png in enumerate(clean)]
    untagged_edits = [marks(_jpeg(png, 1.0, 90)).software is not None for png in clean]
    clean_alarms = [marks(png).software is not None for png in clean]

    result = {
        "images": len(clean),
        "phash_ms_per_image": round(ms_per_image, 1),
        **{f"phash_caught_{k}": round(sum(d <= SIMILAR_BITS for d in v) / len(v), 3) for k, v in caught.items()},
        **{f"phash_median_bits_{k}": sorted(v)[len(v) // 2] for k, v in caught.items()},
        "phash_false_alarm_pairs": round(len(alarms) / len(pairs), 4),
        "phash_false_alarm_same_layout": round(len(layout_alarms) / max(1, len(same_layout)), 4),
        "metadata_caught_tagged_edits": round(sum(tagged) / len(tagged), 3),
        "metadata_caught_untagged_edits": round(sum(untagged_edits) / len(untagged_edits), 3),
        "metadata_false_alarms": round(sum(clean_alarms) / len(clean_alarms), 3),
    }
    for key, value in result.items():
        print(f"{key:<34} {value}")
    print(json.dumps(result))


def _jpeg(png: bytes, scale: float, quality: int) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        size = (round(img.width * scale), round(img.height * scale))
        out = io.BytesIO()
        img.convert("RGB").resize(size).save(out, "JPEG", quality=quality)
        return out.getvalue()


def _cropped(png: bytes, share: float) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        dx, dy = round(img.width * share), round(img.height * share)
        out = io.BytesIO()
        img.crop((dx, dy, img.width - dx, img.height - dy)).save(out, "PNG")
        return out.getvalue()


def _tagged(png: bytes, n: int) -> bytes:
    editors = ("Adobe Photoshop 25.0", "Meitu 9.6", "PicsArt 24.1", "Snapseed 2.21", "GIMP 2.10")
    with Image.open(io.BytesIO(png)) as img:
        out = io.BytesIO()
        if n % 2:
            info = PngImagePlugin.PngInfo()
            info.add_text("Software", editors[n % len(editors)])
            img.save(out, "PNG", pnginfo=info)
        else:
            exif = Image.Exif()
            exif[0x0131] = editors[n % len(editors)]
            img.convert("RGB").save(out, "JPEG", quality=90, exif=exif.tobytes())
        return out.getvalue()


if __name__ == "__main__":
    main()
