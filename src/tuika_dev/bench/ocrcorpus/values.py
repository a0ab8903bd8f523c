"""What the world holds behind a screenshot: a purchase, its payment, its card key, the error, all from a seed.

Values look as real platforms print them: a shop's order number is a merchant prefix and about
twenty digits (or one of the other usual styles), Alipay's trade number is 28 digits opening with
the date and 2200, WeChat Pay's opens with 4200; card keys come grouped by spaces or dashes or
ungrouped; times are Beijing time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from tuika.domain.clock import SHANGHAI

# Card systems mostly leave out 0/O and 1/I so that keys survive being read aloud.
KEY_ALPHABET: Final = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# (what the product page calls it, face value in fen, price paid in fen)
PRODUCTS: Final = (
    ("腾讯Q币100元", 10000, 9950),
    ("京东E卡100元", 10000, 9850),
    ("网易一卡通50元", 5000, 4900),
    ("Steam钱包充值卡120元", 12000, 11760),
    ("中国移动话费充值卡100元", 10000, 9900),
    ("盛大一卡通30元", 3000, 2940),
)
SHOPS: Final = (
    ("鑫源卡券专营店", "杭州鑫源网络科技有限公司"),
    ("星辰数码卡券", "深圳市星辰数码科技有限公司"),
    ("优选点卡商城", "广州优选信息技术有限公司"),
    ("速发卡盟", "成都速发网络科技有限公司"),
)
ORDER_PREFIXES: Final = ("KM", "FK", "XY", "KS", "YK")
ErrorKey = Literal["card_invalid", "card_used", "card_expired"]
KeyStyle = Literal["digits_spaced", "alnum_dashed", "alnum_5x5", "alnum_plain", "digits_plain", "pair"]


@dataclass(frozen=True, slots=True)
class CardKey:
    """A card key as the screen shows it and as the supplier stores it (the order's plaintext)."""

    shown: str
    stored: str
    style: KeyStyle
    # A 卡号 shown beside its 密码 (``shown``), for cards sold as the pair.
    number: str | None = None


@dataclass(frozen=True, slots=True)
class Purchase:
    """One card-key purchase: the shop's order, its payment, the key delivered, and what redeeming it gave."""

    order_number: str
    order_style: str
    trade_number: str
    route: Literal["alipay", "wechat"]
    product: str
    face_fen: int
    paid_fen: int
    shop: str
    company: str
    paid_at: datetime
    delivered_at: datetime
    redeemed_at: datetime
    key: CardKey


@dataclass(frozen=True, slots=True)
class Truth:
    """The fields a screenshot shows, as drawn on it; None for a field it does not show."""

    order_number: str | None = None  # the shop's order number
    trade_number: str | None = None  # the payment's trade or transaction number
    amount_fen: int | None = None
    card_key: str | None = None  # the key, or the 密码 of a 卡号 and 密码 pair
    card_number: str | None = None  # the 卡号 of a pair: it proves the card as well as its 密码
    error_code: str | None = None
    error_text: ErrorKey | None = None
    error_phrase: str | None = None  # the error as worded on the screen
    time: datetime | None = None  # aware, UTC; drawn in Beijing time
    note: str = ""  # what else a reader of the failures should know: the screen inside a chat, a look-alike number

    def shown(self) -> dict[str, object]:
        """Return the fields the screenshot shows, by name (the error's wording left out)."""
        names = ("order_number", "trade_number", "amount_fen", "card_key", "error_code", "error_text", "time")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


def purchase(rng: random.Random, route: Literal["alipay", "wechat"], key_styles: tuple[KeyStyle, ...]) -> Purchase:
    """Return a purchase paid in November 2026, Beijing time, with a key of one of ``key_styles``."""
    local = datetime(2026, 11, 1, tzinfo=SHANGHAI) + timedelta(seconds=rng.randrange(29 * 86400))
    paid_at = local.astimezone(UTC)
    delivered_at = paid_at + timedelta(seconds=rng.randint(2, 40))
    redeemed_at = delivered_at + timedelta(seconds=rng.randint(120, 4 * 3600))
    product, face_fen, paid_fen = rng.choice(PRODUCTS)
    shop, company = rng.choice(SHOPS)
    number, style = order_number(rng, local)
    trade = alipay_trade_number(rng, local) if route == "alipay" else wechat_transaction_id(rng, local)
    return Purchase(
        order_number=number,
        order_style=style,
        trade_number=trade,
        route=route,
        product=product,
        face_fen=face_fen,
        paid_fen=paid_fen,
        shop=shop,
        company=company,
        paid_at=paid_at,
        delivered_at=delivered_at,
        redeemed_at=redeemed_at,
        key=card_key(rng, rng.choice(key_styles)),
    )


def order_number(rng: random.Random, local: datetime) -> tuple[str, str]:
    """Return a shop's order number in one of the styles platforms use, and the style's name."""
    style = rng.choice(("prefix_date", "prefix_date", "datetime_digits", "long_digits", "prefix_mixed", "dashed"))
    if style == "prefix_date":  # KM2026112012345678901234
        return f"{rng.choice(ORDER_PREFIXES)}{local:%Y%m%d}{_digits(rng, 14)}", style
    if style == "datetime_digits":  # 20261118114546 + 6 digits
        return f"{local:%Y%m%d%H%M%S}{_digits(rng, 6)}", style
    if style == "long_digits":  # a marketplace's 19-digit number
        return f"{rng.randint(1, 4)}{_digits(rng, 18)}", style
    if style == "prefix_mixed":  # P261118 + 9 letters and digits
        return f"{rng.choice('PTQ')}{local:%y%m%d}{''.join(rng.choices(KEY_ALPHABET, k=9))}", style
    return f"SO-{local:%Y%m%d}-{_digits(rng, 6)}", style


def alipay_trade_number(rng: random.Random, local: datetime) -> str:
    """Return a 28-digit Alipay trade number: the date, 22001, 15 digits."""
    return f"{local:%Y%m%d}22001{_digits(rng, 15)}"


def wechat_transaction_id(rng: random.Random, local: datetime) -> str:
    """Return a 28-digit WeChat Pay transaction id: 4200, 6 digits, the date, 10 digits."""
    return f"4200{_digits(rng, 6)}{local:%Y%m%d}{_digits(rng, 10)}"


def card_key(rng: random.Random, style: KeyStyle) -> CardKey:
    """Return a card key of ``style``, shown as sellers print it."""
    if style == "digits_spaced":  # 6926 7162 2061 1478
        digits = f"{rng.randint(1, 9)}{_digits(rng, 15)}"
        return CardKey(_grouped(digits, 4, " "), digits, style)
    if style == "alnum_dashed":
        chars = "".join(rng.choices(KEY_ALPHABET, k=16))
        return CardKey(_grouped(chars, 4, "-"), _grouped(chars, 4, "-"), style)
    if style == "alnum_5x5":  # as desktop software prints activation codes
        chars = "".join(rng.choices(KEY_ALPHABET, k=25))
        return CardKey(_grouped(chars, 5, "-"), _grouped(chars, 5, "-"), style)
    if style == "alnum_plain":
        chars = "".join(rng.choices(KEY_ALPHABET, k=rng.choice((16, 18, 20))))
        return CardKey(chars, chars, style)
    if style == "digits_plain":
        digits = f"{rng.randint(1, 9)}{_digits(rng, rng.choice((17, 18)))}"
        return CardKey(digits, digits, style)
    number = f"{rng.randint(1, 9)}{_digits(rng, 15)}"
    password = f"{rng.randint(1, 9)}{_digits(rng, 17)}"
    shown = _grouped(password, 4, " ") if rng.random() < 0.5 else password
    number_shown = _grouped(number, 4, " ") if " " in shown else number
    # Stored as the pair the supplier sent; matching compares each part.
    return CardKey(shown, f"{number} {password}", style, number_shown)


def error_code(rng: random.Random, kind: Literal["game", "desktop", "site"]) -> str:
    """Return an error code of the kind games, desktop clients or top-up sites print."""
    if kind == "desktop" and rng.random() < 0.5:
        return f"0x8004{rng.randrange(16**4):04X}"
    if rng.random() < 0.5:
        return f"E{rng.randint(1000, 4999)}"
    return str(rng.randint(1000, 49999))


def beijing(at: datetime) -> datetime:
    """Return ``at`` as the screen shows it, in Beijing time."""
    return at.astimezone(SHANGHAI)


def yuan(fen: int) -> str:
    """Return ``fen`` as yuan with two decimals: 9950 → 99.50."""
    return f"{fen // 100}.{fen % 100:02d}"


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choices("0123456789", k=count))


def _grouped(chars: str, size: int, sep: str) -> str:
    return sep.join(chars[i : i + size] for i in range(0, len(chars), size))
