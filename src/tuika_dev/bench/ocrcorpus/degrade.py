"""What happens to a screenshot on its way to the review: a chat app's recompression, and worse.

``degrade`` is the degraded half of the corpus: always scaled down (the long side to 1000-1600
px, as chat apps send pictures) and saved as JPEG at quality 35-75, and by chance cropped,
turned by up to 1.2°, blurred, noised or saved twice. It returns the steps taken,
which become part of the sample's label.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageChops, ImageFilter


def degrade(png: bytes, rng: random.Random) -> tuple[bytes, tuple[str, ...]]:
    """Return the image as it often arrives, and the steps that made it so."""
    with Image.open(io.BytesIO(png)) as opened:
        image = opened.convert("RGB")
    steps: list[str] = []
    if rng.random() < 0.5:
        width, height = image.size
        # Trimmed at the edges: part of the status bar, a sliver at a side, the bottom.
        box = (
            rng.randint(0, width // 40),
            rng.randint(0, height // 30),
            width - rng.randint(0, width // 40),
            height - rng.randint(0, height // 12),
        )
        image = image.crop(box)
        steps.append("cropped")
    if rng.random() < 0.3:
        angle = rng.uniform(0.3, 1.2) * rng.choice((-1, 1))
        corner = image.getpixel((0, 0))
        fill = corner if isinstance(corner, tuple) else (255, 255, 255)
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        steps.append(f"rotated {angle:+.1f}°")
    # A chat app sending a picture without 原图 brings its long side down to 1000-1600 px; a
    # screen smaller than that is still scaled a little.
    factor = min(0.9, max(0.4, rng.uniform(1000, 1600) / max(image.size)))
    image = image.resize(
        (round(image.width * factor), round(image.height * factor)),
        rng.choice((Image.Resampling.BILINEAR, Image.Resampling.BICUBIC, Image.Resampling.LANCZOS)),
    )
    steps.append(f"scaled {factor:.2f}")
    if rng.random() < 0.5:
        radius = rng.uniform(0.3, 0.8)
        image = image.filter(ImageFilter.GaussianBlur(radius))
        steps.append(f"blurred {radius:.1f} px")
    if rng.random() < 0.3:
        amplitude = rng.randint(4, 10)
        image = noised(image, amplitude, rng)
        steps.append(f"noise ±{amplitude}")
    quality = rng.randint(35, 75)
    data = jpeg(image, quality)
    steps.append(f"jpeg {quality}")
    if rng.random() < 0.3:
        # Forwarded again: each app recompresses what it is given.
        again = rng.randint(40, 75)
        with Image.open(io.BytesIO(data)) as reopened:
            data = jpeg(reopened.convert("RGB"), again)
        steps.append(f"jpeg {again}")
    return data, tuple(steps)


def forwarded(image: Image.Image, width: int, rng: random.Random) -> tuple[Image.Image, tuple[str, ...]]:
    """Return ``image`` as a chat app shows it in a bubble: shrunk to ``width`` pixels, recompressed, softened."""
    height = round(image.height * width / image.width)
    small = image.convert("RGB").resize((width, height), Image.Resampling.BILINEAR)
    quality = rng.randint(55, 80)
    radius = rng.uniform(0.3, 0.7)
    with Image.open(io.BytesIO(jpeg(small, quality))) as opened:
        soft = opened.convert("RGB").filter(ImageFilter.GaussianBlur(radius))
    return soft, (f"shrunk to {width} px", f"jpeg {quality}", f"blurred {radius:.1f} px")


def noised(image: Image.Image, amplitude: int, rng: random.Random) -> Image.Image:
    """Return ``image`` with uniform grey noise of up to ±``amplitude`` levels, drawn from ``rng``."""
    size = image.width * image.height
    # Bytes from the seeded generator, so the noise is the same on every run.
    grain = Image.frombytes("L", image.size, rng.randbytes(size)).point(lambda v: v * 2 * amplitude // 255)
    noise = Image.merge("RGB", (grain, grain, grain))
    return ImageChops.add(image, noise, scale=1.0, offset=-amplitude)


def jpeg(image: Image.Image, quality: int) -> bytes:
    """Return ``image`` saved as JPEG at ``quality``."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
