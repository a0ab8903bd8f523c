"""Image marks that hint at a recycled or edited screenshot. Hints for a person, never verdicts.

Measured in docs/performance.md: a perceptual hash finds a screenshot re-compressed or resized
for another claim, and an editing program's name in the file's metadata shows it was opened in
one. Pixel-level forgery detection (ELA and the like) scored at chance in earlier measurements,
so it is not attempted.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Final

from PIL import Image

HASH_SIDE: Final = 16  # a 16×16 pHash: 256 bits
SAMPLE_SIDE: Final = 64  # the image is reduced to 64×64 grey before the DCT
SIMILAR_BITS: Final = 8  # at most this many differing bits: probably the same screenshot
BANDS: Final = 16  # 16 bands of 16 bits: two hashes within 8 bits share at least 8 bands

# Programs whose name in a screenshot's metadata means someone edited it; phones' own
# screenshot tools write no such tag.
_EDITORS: Final = re.compile(
    r"photoshop|gimp|美图|meitu|picsart|snapseed|lightroom|pixlr|canva|醒图|photoroom|paint\.net|affinity|acdsee",
    re.IGNORECASE,
)
_SOFTWARE_TAG: Final = 0x0131


@dataclass(frozen=True, slots=True)
class Marks:
    phash: str  # 64 hex digits
    software: str | None  # the editing program named in the metadata, if any
    captured_at: datetime | None = None  # EXIF DateTimeOriginal, read as China time
    modified_after_capture: bool = False  # EXIF DateTime later than DateTimeOriginal


def marks(image: bytes) -> Marks:
    """Return the image's perceptual hash and any editing program its metadata names."""
    with Image.open(io.BytesIO(image)) as img:
        software = _software(img)
        captured, modified = _capture_times(img)
        grey = img.convert("L").resize((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.LANCZOS)
        pixels = list(grey.tobytes())
    later = captured is not None and modified is not None and modified > captured + _SAVE_SLACK
    return Marks(_phash(pixels), software, captured, later)


def distance(a: str, b: str) -> int:
    """Return how many bits two hashes differ in."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


def bands(phash: str) -> tuple[int, ...]:
    """Return the hash cut into ``BANDS`` integers, to find near hashes with an index."""
    width = len(phash) // BANDS
    return tuple(int(phash[i * width : (i + 1) * width], 16) for i in range(BANDS))


def _phash(pixels: list[int]) -> str:
    # Separable DCT-II of the 64×64 sample, keeping the 16×16 lowest frequencies.
    n, k = SAMPLE_SIDE, HASH_SIDE
    basis = _basis()
    rows = [pixels[r * n : (r + 1) * n] for r in range(n)]
    partial = [[sum(row[x] * basis[u][x] for x in range(n)) for u in range(k)] for row in rows]
    coeffs = [[sum(partial[y][u] * basis[v][y] for y in range(n)) for u in range(k)] for v in range(k)]
    flat = [c for row in coeffs for c in row]
    median = sorted(flat)[len(flat) // 2]
    bits = "".join("1" if c > median else "0" for c in flat)
    return f"{int(bits, 2):0{k * k // 4}x}"


@cache
def _basis() -> tuple[tuple[float, ...], ...]:
    n = SAMPLE_SIDE
    return tuple(tuple(math.cos(math.pi * (2 * x + 1) * u / (2 * n)) for x in range(n)) for u in range(HASH_SIDE))


def _software(img: Image.Image) -> str | None:
    named = [str(img.getexif().get(_SOFTWARE_TAG) or "")]
    for key, value in img.info.items():
        if isinstance(key, str) and key.lower() in _TEXT_KEYS:
            named.append(value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value))
    for value in named:
        if _EDITORS.search(value):
            return value.strip()[:80]
    return None


def _capture_times(img: Image.Image) -> tuple[datetime | None, datetime | None]:
    exif = img.getexif()
    original = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME_ORIGINAL)
    return _exif_time(original), _exif_time(exif.get(_DATETIME))


def _exif_time(value: object) -> datetime | None:
    # EXIF times carry no zone; a buyer's phone in China writes China time.
    try:
        local = datetime.strptime(f"{str(value).strip()} +0800", "%Y:%m:%d %H:%M:%S %z")
    except ValueError:
        return None
    return local.astimezone(UTC)


_EXIF_IFD: Final = 0x8769
_DATETIME: Final = 0x0132
_DATETIME_ORIGINAL: Final = 0x9003
_SAVE_SLACK: Final = timedelta(minutes=2)  # a phone may stamp both a moment apart
_TEXT_KEYS: Final = frozenset({"software", "creator tool", "xmp", "xml:com.adobe.xmp", "comment", "description"})
