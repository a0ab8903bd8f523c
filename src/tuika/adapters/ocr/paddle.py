"""The ``Ocr`` port on faster-paddle: PP-OCR detection and recognition, bundled, CPU only.

The models ship inside the faster-paddle wheel ("tiny" and "small"), so nothing is downloaded
when an engine is built. docs/decisions/0004-ocr-engine.md says why this engine and these
defaults ("small", 2 threads).

>>> ocr = PaddleOcr(model_size="small", threads=2)
>>> ocr.warm_up()  # doctest: +SKIP
>>> ocr.read(screenshot_png).lines[4]  # doctest: +SKIP
OcrLine(text='订单号：DD202611221530120731', box=(47, 387, 506, 417), confidence=0.99988)
"""

from __future__ import annotations

import io
import queue
import threading
from collections.abc import Mapping
from typing import Any, Final, Literal, Protocol

import faster_paddle
from PIL import Image, ImageDraw, UnidentifiedImageError

from tuika.review.ocr import OcrEngineFailed, OcrLine, OcrText, UnreadableImage

ModelSize = Literal["tiny", "small"]

# What both Pillow (the check below) and the engine's decoder read.
_FORMATS: Final = ("PNG", "JPEG", "WEBP", "BMP", "TIFF", "GIF")


class _Engine(Protocol):
    """The part of ``faster_paddle.OcrEngine`` used here; the package ships no type information."""

    def ocr(self, image: bytes) -> Mapping[str, Any]: ...


class PaddleOcr:
    """Read screenshots with faster-paddle: up to ``engines`` at once, each engine built on first use.

    ``threads`` is the whole CPU budget, shared out among the engines (detector, recognisers and
    image work). One faster-paddle engine serialises its reads, so two claims in review would
    queue behind each other on one; each engine loads its own model (about 100 MB). On two
    cores, two engines of one thread read a third more screenshots a second than one engine of
    two, whose threads spin while they wait for each other (docs/performance.md).
    ``read`` may be called from any number of threads: a read takes an idle engine, builds one
    while fewer than ``engines`` exist, or waits for one to come back.
    """

    def __init__(
        self,
        model_size: ModelSize = "small",
        threads: int = 2,
        det_max_side: int = 1024,
        max_pixels: int = 40_000_000,
        engines: int = 1,
    ) -> None:
        if model_size not in ("tiny", "small"):
            # "medium" is not bundled: the engine would download it, and tuika runs offline.
            raise ValueError(f"model_size must be 'tiny' or 'small', not {model_size!r}")
        if threads < 1:
            raise ValueError(f"threads must be at least 1, not {threads}")
        if engines < 1:
            raise ValueError(f"engines must be at least 1, not {engines}")
        self.model_size: Final = model_size
        self.threads: Final = threads
        self.engines: Final = engines
        self.det_max_side: Final = det_max_side
        self.max_pixels: Final = max_pixels
        self._idle: queue.SimpleQueue[_Engine] = queue.SimpleQueue()
        self._built = 0
        self._build_lock = threading.Lock()

    @property
    def engine(self) -> str:
        """Return the engine and model that read, as kept with every read."""
        return f"faster-paddle {self.model_size}"

    @property
    def threads_each(self) -> int:
        """Return the threads of one engine: its share of ``threads``, at least one."""
        return max(1, self.threads // self.engines)

    @property
    def loaded(self) -> bool:
        """Return whether an engine has been built (by a first read or ``warm_up``)."""
        return self._built > 0

    @property
    def built(self) -> int:
        """Return how many engines have been built so far."""
        return self._built

    def read(self, image: bytes) -> OcrText:
        """Return the lines of text in ``image``; raise ``UnreadableImage`` if it is not an image."""
        width, height = self._check(image)
        engine = self._take()
        try:
            result = engine.ocr(image)
        except RuntimeError as exc:
            raise OcrEngineFailed(str(exc)) from exc
        finally:
            self._idle.put(engine)
        return _to_ocr_text(result, width, height)

    def warm_up(self) -> None:
        """Build every engine and run each once on a small image drawn in memory."""
        canvas = Image.new("RGB", (320, 96), "white")
        ImageDraw.Draw(canvas).text((16, 32), "tuika 2026-11-22", fill="black")
        buffer = io.BytesIO()
        canvas.save(buffer, "PNG")
        # Holding each engine taken until all have read makes the next take build a new one.
        taken = [self._take() for _ in range(self.engines - self._built + self._idle.qsize())]
        try:
            for engine in taken:
                engine.ocr(buffer.getvalue())
        finally:
            for engine in taken:
                self._idle.put(engine)

    def _take(self) -> _Engine:
        """Return an idle engine, a new one while fewer than ``engines`` exist, or the next to come back."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._build_lock:
            if self._built < self.engines:
                # Built under the lock: a second read waits the second it takes rather than build one too many.
                engine = _new_engine(self.model_size, self.threads_each, self.det_max_side)
                self._built += 1
                return engine
        return self._idle.get()

    def _check(self, image: bytes) -> tuple[int, int]:
        """Return the image's size once Pillow has read it whole; raise ``UnreadableImage`` if not."""
        try:
            with Image.open(io.BytesIO(image), formats=_FORMATS) as img:
                width, height = img.size
                fmt = img.format
                if width * height > self.max_pixels:
                    raise UnreadableImage(f"{width}x{height} has more than {self.max_pixels} pixels")
                if fmt == "PNG":
                    # Walks every chunk and checks its CRC: finds truncation without decoding.
                    img.verify()
                else:
                    if fmt == "JPEG":
                        # A 1/8-scale decode still reads the whole stream, at a fraction of the cost.
                        img.draft(None, (max(1, width // 8), max(1, height // 8)))
                    img.load()
        except UnreadableImage:
            raise
        except Image.DecompressionBombError as exc:
            raise UnreadableImage(str(exc)) from exc
        except UnidentifiedImageError as exc:
            raise UnreadableImage(f"not a {', '.join(_FORMATS)} image ({len(image)} bytes)") from exc
        except Exception as exc:
            # Pillow reports damage as OSError, SyntaxError, ValueError… depending on the format.
            raise UnreadableImage(f"damaged or incomplete image ({len(image)} bytes): {exc}") from exc
        return width, height


def _new_engine(model_size: str, threads: int, det_max_side: int) -> _Engine:
    """Build the engine: the models are read from the wheel and the ONNX sessions created."""
    engine: _Engine = faster_paddle.OcrEngine(model_size=model_size, threads=threads, det_max_side=det_max_side)
    return engine


def _to_ocr_text(result: Mapping[str, Any], width: int, height: int) -> OcrText:
    """Convert the engine's ``{"bounds": {i: {...}}}`` into lines with integer boxes inside the image."""
    bounds: Mapping[int, Mapping[str, Any]] = result["bounds"]
    lines: list[OcrLine] = []
    for index in sorted(bounds):
        found = bounds[index]
        text = str(found["text"]).strip()
        if not text:
            continue
        x1, y1 = found["topLeftCoord"]
        x2, y2 = found["bottomRightCoord"]
        left, right = sorted((_clamp(x1, width), _clamp(x2, width)))
        top, bottom = sorted((_clamp(y1, height), _clamp(y2, height)))
        confidence = min(1.0, max(0.0, float(found["confidence"])))
        lines.append(OcrLine(text=text, box=(left, top, right, bottom), confidence=confidence))
    return OcrText(lines=tuple(lines))


def _clamp(value: float, limit: int) -> int:
    return min(limit, max(0, round(value)))
