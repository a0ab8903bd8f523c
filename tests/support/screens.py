"""Phone screenshots drawn at run time, for the OCR tests and benchmarks; no image is committed.

Three kinds of screen a buyer uploads as evidence, each a dataclass whose fields are drawn
verbatim, so a test can make a screenshot that matches an order or one that does not:

>>> screen = RedeemError(order_id="DD202611220000000001", card_key="KM8F-3AQ7-XP2L-VN9D")
>>> png = screen.render()  # PNG bytes, 720x1280
>>> jpeg = degrade(png, seed=7)  # as it arrives after a trip through a chat app
>>> all(fields_found(ocr.read(png).text, screen).values())  # doctest: +SKIP
True

Drawing needs a CJK font from Debian (`make install` installs fonts-wqy-microhei).
"""

from __future__ import annotations

import io
import random
import re
import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

FONT_PATHS: Final = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
)
BASE_WIDTH: Final = 720
BASE_HEIGHT: Final = 1280
# Card systems leave out 0/O and 1/I, so keys survive being read aloud; so do we.
KEY_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
ERRORS: Final = (
    ("E1023", "卡密已被使用"),
    ("E1007", "卡密已过期"),
    ("E2001", "卡密不存在"),
    ("E3002", "充值账号与卡密不匹配"),
    ("E4004", "该卡已冻结"),
)
SMS_ERRORS: Final = ("该充值卡已被使用", "充值卡密码错误", "该充值卡已过期", "充值卡已被锁定")
PRODUCTS: Final = ("腾讯Q币 100元", "网易一卡通 50元", "京东E卡 200元", "移动话费 100元", "Steam钱包 120元")
ACCENTS: Final = ("#1677ff", "#ff6a00", "#07c160", "#e02e24", "#7a3cff")


def cjk_font_path() -> Path:
    """Return a CJK font: one of the usual Debian files, else any that fontconfig knows; fail saying how to get one."""
    for path in FONT_PATHS:
        if path.is_file():
            return path
    # Where `make install` cannot use apt-get, any Chinese font fontconfig knows will do.
    if fc_list := shutil.which("fc-list"):
        listed = subprocess.run([fc_list, ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
        files = sorted(Path(line.strip().rstrip(":")) for line in listed.splitlines() if line.strip())
        if files:
            return files[0]
    searched = ", ".join(str(path) for path in FONT_PATHS)
    raise FileNotFoundError(
        f"no CJK font found (searched {searched} and `fc-list :lang=zh`); run `make install`, which "
        "installs the Debian package fonts-wqy-microhei, or `apt-get install fonts-wqy-microhei`"
    )


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), size)


class _Page:
    """A phone screen: status bar, app bar, then rows top to bottom; laid out 720 wide, drawn at ``size``."""

    def __init__(
        self, size: tuple[int, int], title: str, accent: str, title_fill: str = "#ffffff", clock: str = "15:31"
    ) -> None:
        self.scale = size[0] / BASE_WIDTH
        self.image = Image.new("RGB", size, "#f2f3f5")
        self.draw = ImageDraw.Draw(self.image)
        self.y = 0.0
        self.rect(0, 0, BASE_WIDTH, 44, "#ffffff")
        self.text(24, 8, clock, 22)
        self.text(590, 8, "5G 87%", 22)
        self.rect(0, 44, BASE_WIDTH, 124, accent)
        self.text(24, 62, "<", 34, title_fill)
        self.centred(62, title, 34, title_fill)
        self.y = 150

    def _s(self, value: float) -> int:
        return round(value * self.scale)

    def rect(self, left: float, top: float, right: float, bottom: float, fill: str) -> None:
        self.draw.rectangle((self._s(left), self._s(top), self._s(right), self._s(bottom)), fill=fill)

    def text(self, x: float, y: float, text: str, size: int, fill: str = "#1f2329") -> None:
        self.draw.text((self._s(x), self._s(y)), text, font=_font(self._s(size)), fill=fill)

    def centred(self, y: float, text: str, size: int, fill: str = "#1f2329") -> None:
        width = _font(self._s(size)).getlength(text) / self.scale
        self.text((BASE_WIDTH - width) / 2, y, text, size, fill)

    def panel(self, rows: list[tuple[str, str]], size: int, value_fill: str = "#1f2329") -> None:
        """Draw ``label：value`` rows on a white card; long values wrap under the label."""
        line_height = size * 1.7
        # Values start after the label and its full-width colon, one em per character.
        wrapped = [(label, self.wrap(value, size, 616 - (len(label) + 1) * size)) for label, value in rows]
        height = sum(len(lines) for _, lines in wrapped) * line_height + 32
        self.rect(24, self.y, BASE_WIDTH - 24, self.y + height, "#ffffff")
        y = self.y + 16
        for label, lines in wrapped:
            self.text(48, y, f"{label}：", size, "#646a73")
            for line in lines:
                self.text(48 + (len(label) + 1) * size, y, line, size, value_fill)
                y += line_height
        self.y += height + 24

    def wrap(self, text: str, size: int, width: float) -> list[str]:
        """Split ``text`` into lines no wider than ``width`` (base pixels), character by character."""
        font, lines, line = _font(self._s(size)), [], ""
        for char in text:
            if line and font.getlength(line + char) / self.scale > width:
                lines.append(line)
                line = ""
            line += char
        return [*lines, line]

    def disc(self, y: float, diameter: float, fill: str) -> None:
        left = (BASE_WIDTH - diameter) / 2
        self.draw.ellipse((self._s(left), self._s(y), self._s(left + diameter), self._s(y + diameter)), fill=fill)

    def button(self, text: str, accent: str) -> None:
        self.rect(48, self.y, BASE_WIDTH - 48, self.y + 80, accent)
        self.centred(self.y + 20, text, 32, "#ffffff")
        self.y += 104

    def png(self) -> bytes:
        buffer = io.BytesIO()
        self.image.save(buffer, "PNG")
        return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class RedeemError:
    """The page a card-redeem site shows when a key is refused."""

    order_id: str = "DD202611221530120731"
    card_key: str = "KM8F-3AQ7-XP2L-VN9D"
    error_code: str = "E1023"
    error_text: str = "卡密已被使用"
    amount: str = "100.00"
    time: str = "2026-11-22 15:30:12"
    product: str = "腾讯Q币 100元"
    title: str = "卡密充值"
    accent: str = "#1677ff"
    font_size: int = 30
    size: tuple[int, int] = (BASE_WIDTH, BASE_HEIGHT)

    def render(self) -> bytes:
        """Return the screen as PNG bytes."""
        # The phone's clock when the screen was taken: the minute the redeem failed.
        page = _Page(self.size, self.title, self.accent, clock=self.time[11:16] or "15:31")
        page.disc(170, 100, "#f54a45")
        page.centred(182, "!", 60, "#ffffff")
        page.centred(290, "充值失败", 40, "#f54a45")
        page.y = 370
        page.panel(
            [
                ("订单号", self.order_id),
                ("卡密", self.card_key),
                ("商品", self.product),
                ("金额", f"¥{self.amount}"),
                ("时间", self.time),
            ],
            self.font_size,
        )
        page.panel([("错误码", f"{self.error_code} {self.error_text}")], self.font_size, "#f54a45")
        page.button("重新充值", self.accent)
        page.button("联系客服", "#8f959e")
        return page.png()

    def expected(self) -> dict[str, str]:
        """Return the fields a reader must find: order id, card key, amount, error."""
        return {"order_id": self.order_id, "card_key": self.card_key, "amount": self.amount, "error": self.error_text}


@dataclass(frozen=True, slots=True)
class OrderDetail:
    """A marketplace's order page with the card that was delivered and its after-sale status."""

    order_id: str = "DD202611221530120731"
    card_key: str = "KM8F-3AQ7-XP2L-VN9D"
    amount: str = "100.00"
    status: str = "卡密已被使用，售后处理中"
    time: str = "2026-11-22 15:30:12"
    product: str = "腾讯Q币 100元"
    shop: str = "鑫源卡盟旗舰店"
    quantity: int = 1
    accent: str = "#ff6a00"
    font_size: int = 30
    size: tuple[int, int] = (BASE_WIDTH, BASE_HEIGHT)

    def render(self) -> bytes:
        """Return the screen as PNG bytes."""
        page = _Page(self.size, "订单详情", self.accent)
        page.panel([("店铺", self.shop), ("商品", self.product), ("数量", str(self.quantity))], self.font_size)
        page.panel(
            [
                ("订单编号", self.order_id),
                ("实付款", f"¥{self.amount}"),
                ("下单时间", self.time),
                ("卡密", self.card_key),
            ],
            self.font_size,
        )
        page.panel([("售后状态", self.status)], self.font_size, "#f54a45")
        page.button("申请退款", self.accent)
        return page.png()

    def expected(self) -> dict[str, str]:
        """Return the fields a reader must find: order id, card key, amount, error."""
        return {"order_id": self.order_id, "card_key": self.card_key, "amount": self.amount, "error": self.status}


@dataclass(frozen=True, slots=True)
class SmsRecord:
    """A carrier's text message about a failed top-up card, as long wrapped lines in a bubble."""

    order_id: str = "HF2611221530128841"
    card_key: str = "1234567890123456789"
    amount: str = "100.00"
    error_text: str = "该充值卡已被使用"
    time: str = "2026-11-22 15:30:12"
    phone: str = "138****5678"
    sender: str = "10086"
    font_size: int = 30
    size: tuple[int, int] = (BASE_WIDTH, BASE_HEIGHT)

    def message(self) -> str:
        """Return the message text as the carrier sends it."""
        return (
            f"【中国移动】尊敬的客户，您于{self.time}使用充值卡（密码{self.card_key}）为{self.phone}"
            f"充值{self.amount}元未成功，原因：{self.error_text}。交易流水号{self.order_id}。"
            "如有疑问请拨打10086咨询。"
        )

    def render(self) -> bytes:
        """Return the screen as PNG bytes."""
        page = _Page(self.size, self.sender, "#f7f7f7", title_fill="#1f2329")
        page.centred(160, self.time[5:16], 22, "#8f959e")
        size = self.font_size
        lines = page.wrap(self.message(), size, 560)
        bottom = 210 + len(lines) * size * 1.6 + 40
        page.rect(24, 210, 640, bottom, "#ffffff")
        for index, line in enumerate(lines):
            page.text(48, 230 + index * size * 1.6, line, size)
        return page.png()

    def expected(self) -> dict[str, str]:
        """Return the fields a reader must find: order id, card key, amount, error."""
        return {"order_id": self.order_id, "card_key": self.card_key, "amount": self.amount, "error": self.error_text}


Screen = RedeemError | OrderDetail | SmsRecord


def random_screen(seed: int) -> Screen:
    """Return a screen of a kind and with field values chosen from ``seed`` (half are redeem errors)."""
    rng = random.Random(seed)
    code, text = rng.choice(ERRORS)
    key = "-".join("".join(rng.choices(KEY_ALPHABET, k=4)) for _ in range(4))
    amount = f"{rng.choice((10, 30, 50, 100, 120, 200, 500))}.00"
    day, hour, minute, second = rng.randint(1, 22), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
    time = f"2026-11-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"
    order_id = f"DD2026{rng.randrange(10**14):014d}"
    font_size = rng.choice((28, 30, 32))
    # Older phones at 720x1280, current ones at 1080x2340 (19.5:9).
    screen_size = rng.choice(((BASE_WIDTH, BASE_HEIGHT), (1080, 2340)))
    kind = seed % 4
    if kind == 2:
        return OrderDetail(
            order_id=order_id,
            card_key=key,
            amount=amount,
            status=f"{text}，售后处理中",
            time=time,
            product=rng.choice(PRODUCTS),
            accent=rng.choice(ACCENTS),
            font_size=font_size,
            size=screen_size,
        )
    if kind == 3:
        return SmsRecord(
            order_id=f"HF{rng.randrange(10**16):016d}",
            card_key=f"{rng.randrange(10**19):019d}",
            amount=amount,
            error_text=rng.choice(SMS_ERRORS),
            time=time,
            phone=f"1{rng.randint(30, 99)}****{rng.randrange(10**4):04d}",
            font_size=font_size,
            size=screen_size,
        )
    return RedeemError(
        order_id=order_id,
        card_key=key,
        error_code=code,
        error_text=text,
        amount=amount,
        time=time,
        product=rng.choice(PRODUCTS),
        accent=rng.choice(ACCENTS),
        font_size=font_size,
        size=screen_size,
    )


def degrade(image_bytes: bytes, seed: int) -> bytes:
    """Return the image as a chat app forwards it: cropped a little, scaled to 50-75 %, JPEG 35-70."""
    rng = random.Random(seed)
    with Image.open(io.BytesIO(image_bytes)) as opened:
        image = opened.convert("RGB")
    if rng.random() < 0.5:
        width, height = image.size
        # Screenshots get trimmed at the edges: part of the status bar, a sliver at the side.
        image = image.crop(
            (
                rng.randint(0, width // 50),
                rng.randint(0, height // 40),
                width - rng.randint(0, width // 50),
                height - rng.randint(0, height // 20),
            )
        )
    factor = rng.uniform(0.5, 0.75)
    image = image.resize((round(image.width * factor), round(image.height * factor)), Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=rng.randint(35, 70))
    return buffer.getvalue()


def normalise(text: str) -> str:
    """Return ``text`` folded to half-width (NFKC) with all whitespace, line breaks too, removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def fields_found(text: str, screen: Screen) -> dict[str, bool]:
    """Return, for each expected field of ``screen``, whether it appears in the OCR ``text``.

    Lines are joined, so a value wrapped over two lines still counts. The amount is matched
    as its digits alone: the ¥ sign is often read as X, Y or ?, or lost.
    """
    haystack = normalise(text)
    found = {}
    for name, value in screen.expected().items():
        wanted = normalise(value)
        if name == "amount":
            found[name] = re.search(rf"(?<![\d.]){re.escape(wanted)}(?!\d)", haystack) is not None
        else:
            found[name] = wanted in haystack
    return found
