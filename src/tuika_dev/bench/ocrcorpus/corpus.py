"""The corpus: every layout in every face, each screen read as saved and again degraded, with its labels."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final, Literal

from tuika_dev.bench.ocrcorpus.apps import chat_forward, desktop_error, game_redeem
from tuika_dev.bench.ocrcorpus.canvas import DARK, LIGHT, Canvas
from tuika_dev.bench.ocrcorpus.chrome import DESKTOPS, PHONES
from tuika_dev.bench.ocrcorpus.degrade import degrade
from tuika_dev.bench.ocrcorpus.faces import FACES, Face, check_installed
from tuika_dev.bench.ocrcorpus.payments import alipay_bill, wechat_bill
from tuika_dev.bench.ocrcorpus.shop import card_site_result, shop_order_after, shop_order_below
from tuika_dev.bench.ocrcorpus.values import KeyStyle, Purchase, Truth, purchase

Draw = Callable[[Canvas, Purchase, random.Random], Truth]
Screen = Literal["phone", "landscape", "desktop"]
DARK_SHARE: Final = 0.35


@dataclass(frozen=True, slots=True)
class Layout:
    """A kind of screenshot: how it is drawn, on which screen, with which card keys and payment route."""

    name: str
    draw: Draw
    screen: Screen
    keys: tuple[KeyStyle, ...]
    route: Literal["alipay", "wechat"] | None = None  # None: either
    themed: bool = True  # has a dark mode


_SHOP_KEYS: Final[tuple[KeyStyle, ...]] = ("digits_spaced", "alnum_dashed", "alnum_plain", "digits_plain", "pair")
LAYOUTS: Final = (
    Layout("alipay_bill", alipay_bill, "phone", _SHOP_KEYS, route="alipay"),
    Layout("wechat_bill", wechat_bill, "phone", _SHOP_KEYS, route="wechat"),
    Layout("game_redeem", game_redeem, "landscape", ("alnum_plain", "alnum_dashed", "digits_spaced"), themed=False),
    Layout("desktop_error", desktop_error, "desktop", ("alnum_5x5", "alnum_dashed")),
    Layout("shop_order_below", shop_order_below, "phone", _SHOP_KEYS),
    Layout("shop_order_after", shop_order_after, "phone", _SHOP_KEYS),
    Layout("card_site_result", card_site_result, "phone", ("pair", "digits_spaced", "digits_plain", "alnum_dashed")),
    Layout("chat_forward", chat_forward, "phone", _SHOP_KEYS),
)


@dataclass(frozen=True, slots=True)
class Sample:
    """One screenshot of the corpus: the image, and the labels its reading is scored against."""

    layout: str
    face: str
    theme: str
    screen: tuple[int, int]  # the screen's pixels as drawn, before any degradation
    degraded: bool
    steps: tuple[str, ...]  # what degraded it, in order
    index: int  # which of the layout's screens in this face
    truth: Truth
    purchase: Purchase
    image: bytes

    @property
    def name(self) -> str:
        """Return a name that finds this sample again: layout/face/index/clean or degraded."""
        return f"{self.layout}/{self.face}/{self.index}/{'degraded' if self.degraded else 'clean'}"

    def label(self) -> dict[str, Any]:
        """Return the labels as JSON-ready values (times in ISO 8601, the amount in fen)."""
        shown = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in self.truth.shown().items()}
        return {
            "name": self.name,
            "layout": self.layout,
            "face": self.face,
            "theme": self.theme,
            "screen": f"{self.screen[0]}x{self.screen[1]}",
            "degraded": self.degraded,
            "steps": list(self.steps),
            "fields": shown,
            "note": self.truth.note,
        }


def layout(name: str) -> Layout:
    """Return the layout called ``name``; fail naming the ones there are."""
    for known in LAYOUTS:
        if known.name == name:
            return known
    raise ValueError(f"no layout {name!r}; the layouts are {', '.join(x.name for x in LAYOUTS)}")


def corpus(
    per_layout: int, seed: int, layouts: tuple[Layout, ...] = LAYOUTS, faces: tuple[Face, ...] = FACES
) -> Iterator[Sample]:
    """Yield ``per_layout`` screens of each layout in each face, each clean then degraded.

    Each screen has its own generator seeded from ``seed`` and its place, so a screen is the
    same whatever else is drawn beside it.
    """
    check_installed(faces)
    for shown in layouts:
        for face in faces:
            for index in range(per_layout):
                rng = random.Random(f"{seed}/{shown.name}/{face.name}/{index}")
                yield from _screen(shown, face, index, rng)


def _screen(shown: Layout, face: Face, index: int, rng: random.Random) -> Iterator[Sample]:
    theme = DARK if shown.themed and rng.random() < DARK_SHARE else LIGHT
    if shown.screen == "desktop":
        width, height, scale = rng.choice(DESKTOPS)
        zoom = 1.0
    else:
        width, height, scale = rng.choice(PHONES)
        if shown.screen == "landscape":
            width, height = height, width
        # The phone's text size setting, from small to large.
        zoom = rng.choice((0.92, 1.0, 1.0, 1.1, 1.18))
    route: Literal["alipay", "wechat"] = shown.route or ("alipay" if rng.random() < 0.5 else "wechat")
    bought = purchase(rng, route, shown.keys)
    canvas = Canvas((width, height), scale, face, theme, zoom=zoom)
    truth = shown.draw(canvas, bought, rng)
    clean = canvas.png()
    degraded, steps = degrade(clean, rng)
    theme_name = "game" if not shown.themed else theme.name
    for data, worse, done in ((clean, False, ()), (degraded, True, steps)):
        yield Sample(shown.name, face.name, theme_name, (width, height), worse, done, index, truth, bought, data)
