"""The fonts the corpus draws with: three visibly different Chinese renderings from Debian packages.

A face is a CJK font, and for some a Latin font for digits and letters, as phones draw them
(Android puts Roboto-like digits beside its Chinese fallback font). A character the chosen font
has no glyph for is drawn with the next font that has one, so nothing renders as a box.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from PIL import ImageFont

_FONTS: Final = Path("/usr/share/fonts/truetype")
# Whatever the face, a glyph it lacks comes from these, in order.
_FALLBACK: Final = (_FONTS / "dejavu/DejaVuSans.ttf", _FONTS / "wqy/wqy-microhei.ttc")
# Drawn as an advance of a fifth of an em and nothing else: the narrow gap some apps leave
# between a date and its time, which OCR usually reads as no space at all.
THIN_GAP: Final = "\u2009"


@dataclass(frozen=True, slots=True)
class Face:
    """A named rendering: the CJK font, the Latin one if digits and letters come from another."""

    name: str
    cjk: Path
    latin: Path | None = None
    latin_bold: Path | None = None

    def fonts_for(self, char: str, *, bold: bool) -> tuple[Path, ...]:
        """Return the fonts to try for ``char``, best first."""
        latin = self.latin_bold if bold and self.latin_bold else self.latin
        if latin is not None and _is_latin(char):
            return (latin, self.cjk, *_FALLBACK)
        return (self.cjk, *_FALLBACK)

    def missing(self) -> list[Path]:
        """Return the font files of this face not on this machine."""
        wanted = [self.cjk, self.latin, self.latin_bold, *_FALLBACK]
        return [path for path in wanted if path is not None and not path.is_file()]


FACES: Final = (
    # Sans, like Microsoft YaHei or an older Android skin; its own Latin glyphs.
    Face("wqy-microhei", _FONTS / "wqy/wqy-microhei.ttc"),
    # Android's Chinese fallback beside a Latin sans (DejaVu stands in for Roboto).
    Face(
        "droid-fallback+dejavu",
        _FONTS / "droid/DroidSansFallbackFull.ttf",
        _FONTS / "dejavu/DejaVuSans.ttf",
        _FONTS / "dejavu/DejaVuSans-Bold.ttf",
    ),
    # A Song (serif) face, as SimSun draws older desktop clients and web pages.
    Face("arphic-sungti", _FONTS / "arphic-gbsn00lp/gbsn00lp.ttf"),
)
# `make install` puts these on the machine; scripts/apt-ensure names them again when they are missing.
PACKAGES: Final = ("fonts-wqy-microhei", "fonts-droid-fallback", "fonts-arphic-gbsn00lp", "fonts-dejavu-core")


def face(name: str) -> Face:
    """Return the face called ``name``; fail naming the ones there are."""
    for known in FACES:
        if known.name == name:
            return known
    raise ValueError(f"no face {name!r}; the faces are {', '.join(f.name for f in FACES)}")


def check_installed(faces: tuple[Face, ...]) -> None:
    """Fail saying how to install them when a face's font files are missing."""
    missing = sorted({str(path) for f in faces for path in f.missing()})
    if missing:
        raise RuntimeError(
            f"the OCR corpus draws with fonts that are not installed ({', '.join(missing)}): run `make install`, "
            f"or apt-get install {' '.join(PACKAGES)}"
        )


@cache
def font(path: Path, px: int) -> ImageFont.FreeTypeFont:
    """Return the font file at ``px`` pixels."""
    return ImageFont.truetype(str(path), max(1, px))


def runs(text: str, f: Face, px: int, *, bold: bool = False) -> list[tuple[str, ImageFont.FreeTypeFont | None]]:
    """Split ``text`` into runs drawn with one font each; a thin gap is a run with no font."""
    out: list[tuple[str, ImageFont.FreeTypeFont | None]] = []
    for char in text:
        chosen = None if char == THIN_GAP else font(_first_with_glyph(f.fonts_for(char, bold=bold), char), px)
        if out and out[-1][1] is chosen:
            out[-1] = (out[-1][0] + char, chosen)
        else:
            out.append((char, chosen))
    return out


def _is_latin(char: str) -> bool:
    # Full-width forms (：，（）￥) and CJK punctuation belong to the CJK font, as phones draw them.
    return ord(char) < 0x2000


@cache
def _first_with_glyph(paths: tuple[Path, ...], char: str) -> Path:
    if char.isspace():
        return paths[0]
    for path in paths:
        if _has_glyph(path, char):
            return path
    return paths[-1]


@cache
def _has_glyph(path: Path, char: str) -> bool:
    # Pillow cannot ask a font for its character map; a missing glyph draws as the font's
    # .notdef, so it is compared with what a private-use character, which no font here has, draws.
    probe = font(path, 24)
    notdef = "\U0010fffd"
    return bool(
        probe.getmask(char).getbbox() != probe.getmask(notdef).getbbox()
        or probe.getlength(char) != probe.getlength(notdef)
        or bytes(probe.getmask(char)) != bytes(probe.getmask(notdef))
    )
