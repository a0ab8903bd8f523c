"""Where an uploaded image's bytes end, and what its own structure promises, read before decoding.

Pillow decodes pixels but says neither where an image ends (so bytes appended after it, a
PNG+ZIP polyglot, would be kept) nor how much PNG's compressed data inflates to (so a deep
16-bit image passes a pixel count at eight bytes a pixel). Both are read here from the file's
chunks and markers; nothing is decompressed until the caller has checked the size.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from typing import Final

_PNG_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_PNG_DEPTHS: Final = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
# Adam7 passes: first column, first row, column step, row step.
_ADAM7: Final = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_PNG_MAX_SIDE: Final = 2**31 - 1
_INFLATE_STEP: Final = 1 << 20  # output per zlib call, so checking a stream never holds it whole
# Encoders write image data in chunks of 8 KB and more (libpng's default), so a 10 MB upload has
# about 1,300; each chunk costs a Python step here and in Pillow, and a file of 1-byte chunks
# would hold an API thread for seconds (measured: 7.6 s CPU for 10 MB, benchmarks/uploads.py).
_PNG_MAX_CHUNKS: Final = 10_000

_JPEG_EOI: Final = 0xD9
_JPEG_SOI: Final = 0xD8
_JPEG_STANDALONE: Final = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0–7 carry no length
# The last 0xFF of a run, then a marker byte: one pass in C over a scan of any length.
_MARKER: Final = re.compile(rb"\xff[^\x00\xff]")
# Segments that carry a length (tables, metadata, frame and scan headers): a few dozen in a real
# file; a file made of thousands of empty ones is built to cost time, not to show a picture.
_JPEG_MAX_SEGMENTS: Final = 10_000

_WEBP_ANIMATION_FLAG: Final = 0x02


class Damaged(ValueError):
    """The file's structure is broken: a chunk past the end, a bad CRC, no end marker…"""


@dataclass(frozen=True, slots=True)
class Layout:
    """What the structure says: where the image ends, and for PNG its compressed data."""

    end: int  # offset just past the image's last byte; anything after it is not the image
    animated: bool = False
    inflated: int = 0  # PNG: the exact size its image data inflates to; 0 for other formats
    idat: tuple[tuple[int, int], ...] = ()  # PNG: (start, stop) of each IDAT chunk's data


def png_layout(data: bytes) -> Layout:
    """Walk a PNG's chunks to IEND, checking every CRC; raise ``Damaged`` if any is broken."""
    view = memoryview(data)
    pos = 8
    header: tuple[int, int, int, int, int] | None = None
    idat: list[tuple[int, int]] = []
    animated = False
    for _ in range(_PNG_MAX_CHUNKS):
        if pos + 12 > len(data):
            raise Damaged("the file ends before the IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, pos)
        stop = pos + 8 + length
        if stop + 4 > len(data):
            raise Damaged(f"the {kind!r} chunk runs past the end of the file")
        if zlib.crc32(view[pos + 4 : stop]) != struct.unpack_from(">I", data, stop)[0]:
            raise Damaged(f"the {kind!r} chunk's CRC is wrong")
        if (header is None) != (kind == b"IHDR"):
            raise Damaged("IHDR is not the first chunk, or comes twice")
        if kind == b"IHDR":
            header = _ihdr(data[pos + 8 : stop])
        elif kind == b"IDAT":
            idat.append((pos + 8, stop))
        elif kind == b"acTL":
            animated = True
        elif kind == b"IEND":
            if header is None or not idat:
                raise Damaged("no image data before IEND")
            return Layout(end=stop + 4, animated=animated, inflated=_inflated_size(*header), idat=tuple(idat))
        pos = stop + 4
    raise Damaged(f"more than {_PNG_MAX_CHUNKS} chunks before IEND")


def check_png_data(data: bytes, layout: Layout) -> None:
    """Inflate the image data in bounded steps; raise ``Damaged`` unless it is exactly one whole stream."""
    view = memoryview(data)
    inflater = zlib.decompressobj()
    total = 0
    try:
        for start, stop in layout.idat:
            pending: bytes | memoryview = view[start:stop]
            while pending:
                if inflater.eof:
                    raise Damaged("bytes follow the end of the compressed image data")
                total += len(inflater.decompress(pending, _INFLATE_STEP))
                if total > layout.inflated:
                    raise Damaged(f"the image data inflates past the {layout.inflated} bytes its header promises")
                pending = inflater.unconsumed_tail
        total += len(inflater.flush())
    except zlib.error as exc:
        raise Damaged(f"the compressed image data is broken: {exc}") from exc
    if not inflater.eof or inflater.unused_data:
        raise Damaged("the compressed image data is cut short")
    if total != layout.inflated:
        raise Damaged(f"the image data inflates to {total} bytes, not the {layout.inflated} its header promises")


def jpeg_layout(data: bytes) -> Layout:
    """Follow a JPEG's markers to its end (EOI); raise ``Damaged`` if it has none."""
    pos = 2
    segments = 0
    while True:
        marker, pos = _next_marker(data, pos)
        if marker == _JPEG_EOI:
            return Layout(end=pos)
        if marker in _JPEG_STANDALONE:
            continue
        if marker == _JPEG_SOI or pos + 2 > len(data):
            raise Damaged("a marker out of place, or the file ends inside one")
        # A segment's length covers itself; skipping it whole means an end marker inside a
        # comment or an EXIF thumbnail is never taken for the image's own.
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > len(data):
            raise Damaged(f"the segment of marker 0x{marker:02X} runs past the end of the file")
        segments += 1
        if segments > _JPEG_MAX_SEGMENTS:
            raise Damaged(f"more than {_JPEG_MAX_SEGMENTS} segments before the end-of-image marker")
        pos += length


def webp_layout(data: bytes) -> Layout:
    """Return where the RIFF container its size field declares ends; raise ``Damaged`` past the file."""
    end = 8 + int.from_bytes(data[4:8], "little")
    if end < 12 or end > len(data):
        raise Damaged(f"the RIFF size says {end} bytes, the file has {len(data)}")
    animated = data[12:16] == b"VP8X" and len(data) > 20 and bool(data[20] & _WEBP_ANIMATION_FLAG)
    return Layout(end=end, animated=animated)


def _ihdr(body: bytes) -> tuple[int, int, int, int, int]:
    if len(body) != 13:
        raise Damaged("IHDR is not 13 bytes")
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if not (0 < width <= _PNG_MAX_SIDE and 0 < height <= _PNG_MAX_SIDE):
        raise Damaged(f"impossible size {width}x{height}")
    if depth not in _PNG_DEPTHS.get(colour, ()) or compression or filtering or interlace not in (0, 1):
        raise Damaged(f"impossible IHDR: depth {depth}, colour type {colour}, interlace {interlace}")
    return width, height, depth, colour, interlace


def _inflated_size(width: int, height: int, depth: int, colour: int, interlace: int) -> int:
    bits = _PNG_CHANNELS[colour] * depth

    def scanlines(w: int, h: int) -> int:
        # Each row is a filter-type byte, then its pixels packed to whole bytes.
        return h * (1 + (w * bits + 7) // 8) if w > 0 and h > 0 else 0

    if not interlace:
        return scanlines(width, height)
    return sum(scanlines((width - x + dx - 1) // dx, (height - y + dy - 1) // dy) for x, y, dx, dy in _ADAM7)


def _next_marker(data: bytes, pos: int) -> tuple[int, int]:
    """Return the next marker at or after ``pos`` and the offset past it.

    As libjpeg reads: 0xFF 0x00 is a stuffed byte of entropy-coded data, runs of 0xFF are fill,
    and anything else between segments is skipped.
    """
    found = _MARKER.search(data, pos)
    if found is None:
        raise Damaged("the file ends before the end-of-image marker")
    return data[found.start() + 1], found.end()
