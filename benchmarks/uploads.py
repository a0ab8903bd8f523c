"""What checking an upload costs the API: real phone images kept, hostile ones refused, in CPU time.

    uv run python benchmarks/uploads.py [--repeat 5]   (from the checkout's root)

Each file goes through ``EvidenceStore.save`` with the default limits, as ``POST /v1/evidence``
does: the structure walked to the image's end, the decoded size bounded from the header, the
image decoded whole, the bytes kept only up to its end. Printed per file: what happened and the
median CPU milliseconds of ``--repeat`` runs. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from tuika.adapters.evidence_store import EvidenceStore
from tuika.domain.errors import EvidenceRejected
from tuika.settings import Settings


def _screen(width: int, height: int, mode: str) -> Image.Image:
    """Return an image with the flat areas, lines and edges of a phone screenshot."""
    image = Image.new(mode, (width, height), "white")
    draw = ImageDraw.Draw(image)
    for row in range(0, height, 96):
        draw.rectangle((24, row + 8, width - 24, row + 80), outline="#d0d0d0", fill="#f7f7f7")
        for col in range(48, width - 200, 37):
            draw.text((col, row + 30), "卡" if (row + col) % 3 else "8", fill="#333333")
    return image


def _encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb() -> bytes:
    """Return the probe's 16-bit RGBA 6324×6324 PNG: 320 MB decoded from a file of a few hundred KB."""
    header = struct.pack(">IIBBBBB", 6324, 6324, 16, 6, 0, 0, 0)
    row = b"\x00" + bytes(6324 * 8)
    body = zlib.compressobj(9)
    data = b"".join(body.compress(row) for _ in range(6324)) + body.flush()
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _tiny_chunks(png: bytes, total: int) -> bytes:
    """Return ``png`` with its image data split into 1-byte IDAT chunks, padded with text chunks to ``total``."""
    start = png.index(b"IDAT") - 4
    length = struct.unpack(">I", png[start : start + 4])[0]
    data = png[start + 8 : start + 8 + length]
    head, tail = png[:start], png[start + 12 + length :]
    pieces = b"".join(_chunk(b"IDAT", data[i : i + 1]) for i in range(len(data)))
    filler = _chunk(b"tEXt", b"k\x00v")
    pad = b"".join(filler for _ in range(max(0, (total - len(png) - len(pieces)) // len(filler))))
    return head + pad + pieces + tail


def _empty_segments(jpeg: bytes, total: int) -> bytes:
    """Return ``jpeg`` with empty comment segments after its start marker, up to ``total`` bytes."""
    return jpeg[:2] + b"\xff\xfe\x00\x02" * ((total - len(jpeg)) // 4) + jpeg[2:]


def files() -> dict[str, bytes]:
    """Return the files to measure, by name."""
    phone = _screen(1440, 3200, "RGBA")
    png = _encoded(phone, "PNG")
    small = _encoded(_screen(360, 640, "RGB"), "PNG")
    return {
        "phone screenshot PNG 1440×3200 RGBA": png,
        "phone photo JPEG 4000×3000": _encoded(_screen(4000, 3000, "RGB"), "JPEG", quality=90),
        "screenshot WebP 1080×2400": _encoded(_screen(1080, 2400, "RGB"), "WEBP", quality=80),
        "PNG + ZIP polyglot (trimmed)": png + b"PK\x03\x04" + bytes(200_000),
        "16-bit RGBA 6324×6324 bomb (refused)": _bomb(),
        "10 MB of tiny PNG chunks": _tiny_chunks(small, 9_900_000),
        "10 MB of empty JPEG segments": _empty_segments(_encoded(_screen(360, 640, "RGB"), "JPEG"), 9_900_000),
    }


def measure(store: EvidenceStore, data: bytes, repeat: int) -> tuple[str, float]:
    """Return what saving ``data`` ends in and its median CPU milliseconds."""
    times, outcome = [], ""
    for _ in range(repeat):
        started = time.process_time()
        try:
            kept = store.save(data)
            outcome = f"kept {kept.size:,} of {len(data):,} bytes"
        except EvidenceRejected as exc:
            outcome = f"refused: {exc.code}"
        times.append((time.process_time() - started) * 1000)
    return outcome, statistics.median(times)


def main() -> None:
    """Measure each file, print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    defaults = Settings()
    made: Callable[[Path], EvidenceStore] = lambda root: EvidenceStore(  # noqa: E731
        root, defaults.evidence_max_bytes, defaults.evidence_max_pixels, defaults.evidence_max_decoded_bytes
    )
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = made(Path(tmp))
        for name, data in files().items():
            outcome, ms = measure(store, data, args.repeat)
            results[name] = {"bytes": len(data), "outcome": outcome, "cpu_ms": round(ms, 1)}
            print(f"{name:42s} {len(data):>11,} B  {ms:8.1f} ms CPU  {outcome}")
    json.dump({"bench": "uploads", "repeat": args.repeat, "files": results}, sys.stdout, ensure_ascii=False)
    print()


if __name__ == "__main__":
    main()
