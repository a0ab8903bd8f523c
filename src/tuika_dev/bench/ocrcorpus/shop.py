"""The shop's own pages: the order page with labels below or after their values, and a top-up site's result."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Literal

from tuika_dev.bench.ocrcorpus.canvas import Canvas
from tuika_dev.bench.ocrcorpus.chrome import browser_bar, status_bar, title_bar
from tuika_dev.bench.ocrcorpus.payments import clock
from tuika_dev.bench.ocrcorpus.values import Purchase, Truth, beijing, error_code, yuan

ACCENTS = ("#ff5000", "#e02e24", "#1677ff", "#7a3cff", "#fa8c16")
SITE_ERRORS: tuple[tuple[Literal["card_invalid", "card_used", "card_expired"], str], ...] = (
    ("card_used", "该卡密已被使用"),
    ("card_invalid", "卡号或密码错误"),
    ("card_invalid", "卡密无效"),
    ("card_expired", "该充值卡已过期"),
)


def _order_head(c: Canvas, p: Purchase, rng: random.Random) -> tuple[float, str]:
    """Draw the status bar, title, status banner and product card; return the bottom and the accent."""
    z = c.zoom
    accent = rng.choice(ACCENTS)
    c.rect((0, 0, c.w, 150), accent)
    status_bar(c, p.delivered_at + timedelta(minutes=rng.randint(5, 200)), rng, fill="#ffffff")
    title_bar(c, 26, "订单详情", fill="#ffffff")
    c.text(20, 80, "交易成功", 20 * z, "#ffffff", bold=True)
    c.text(20, 80 + 30 * z, "卡密已自动发货，请及时使用", 13 * z, "#ffffff")
    top = 150 - 14
    bottom = top + 96 * z
    c.rect((10, top, c.w - 10, bottom), c.theme.card, radius=10)
    c.rect((22, top + 14, 22 + 64 * z, top + 14 + 64 * z), accent, radius=6)
    c.text(22 + 32 * z, top + 34 * z, p.product[:2], 16 * z, "#ffffff", bold=True, align="c")
    title_x = 34 + 64 * z
    for n, line in enumerate(c.wrap(f"{p.product} 自动发货", 14 * z, c.w - title_x - 80 * z)[:2]):
        c.text(title_x, top + 14 + n * 20 * z, line, 14 * z)
    c.text(c.w - 22, top + 14, f"¥{yuan(p.face_fen)}", 14 * z, align="r")
    c.text(c.w - 22, top + 14 + 20 * z, "x1", 12 * z, c.theme.muted, align="r")
    return bottom + 10, accent


def _key_pairs(p: Purchase) -> list[tuple[str, str]]:
    if p.key.number is not None:
        return [(p.key.number, "卡号"), (p.key.shown, "密码")]
    return [(p.key.shown, "卡密")]


def _info_pairs(p: Purchase, rng: random.Random) -> tuple[list[tuple[str, str]], Truth]:
    """Return the order's (value, label) lines and what of them the truth holds."""
    created = p.paid_at - timedelta(seconds=rng.randint(3, 40))
    pairs = [
        (p.order_number, rng.choice(("订单编号", "订单号"))),
        (clock(created, rng.choice(("dash", "dash", "dash_tight", "slash"))), "下单时间"),
        (f"¥{yuan(p.face_fen)}", "商品总额"),
    ]
    if p.face_fen != p.paid_fen and rng.random() < 0.5:
        pairs.append((f"-¥{yuan(p.face_fen - p.paid_fen)}", rng.choice(("优惠", "店铺优惠", "红包抵扣"))))
    pairs.append((f"¥{yuan(p.paid_fen)}", "实付款"))
    truth = Truth(
        order_number=p.order_number, amount_fen=p.paid_fen, card_key=p.key.shown, card_number=p.key.number, time=created
    )
    return pairs, truth


def shop_order_below(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw the shop's order page where each label sits on its own line below its value."""
    z = c.zoom
    y, accent = _order_head(c, p, rng)
    pairs, truth = _info_pairs(p, rng)
    for title, block in (("卡密信息", _key_pairs(p)), ("订单信息", pairs)):
        height = 40 * z + len(block) * 50 * z
        c.rect((10, y, c.w - 10, y + height), c.theme.card, radius=10)
        c.text(22, y + 12 * z, title, 15 * z, bold=True)
        row = y + 42 * z
        for value, label in block:
            c.text(22, row, value, 16 * z, bold=label in ("卡密", "密码", "实付款"))
            c.text(22, row + 23 * z, label, 12 * z, c.theme.muted)
            if label in ("卡密", "密码", "订单编号", "订单号"):
                c.rect((c.w - 70 * z, row, c.w - 22, row + 24 * z), None, radius=12, outline=accent)
                c.text(c.w - 22 - 24 * z, row + 5 * z, "复制", 12 * z, accent, align="c")
            row += 50 * z
        y += height + 10
    return truth


def shop_order_after(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw the shop's order page where each value comes first and its label after it, right-aligned."""
    z = c.zoom
    y, _ = _order_head(c, p, rng)
    pairs, truth = _info_pairs(p, rng)
    for block in (_key_pairs(p), pairs):
        laid = []
        for value, label in block:
            width = c.w - 44 - c.measure(label, 13 * z) - 12
            laid.append((label, c.wrap(value, 15 * z, width)))
        height = 20 * z + sum(40 * z + (len(lines) - 1) * 21 * z for _, lines in laid)
        c.rect((10, y, c.w - 10, y + height), c.theme.card, radius=10)
        row = y + 14 * z
        for label, lines in laid:
            # A little lower than its value, so an engine that reads top to bottom gives the value first.
            c.text(c.w - 22, row + 3 * z, label, 13 * z, c.theme.muted, align="r")
            for n, line in enumerate(lines):
                c.text(22, row + n * 21 * z, line, 15 * z, bold=label in ("卡密", "密码", "实付款"))
            row += 40 * z + (len(lines) - 1) * 21 * z
        y += height + 10
    return truth


def card_site_result(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw a top-up site's result page in a phone browser: the key refused, with the site's own number."""
    z = c.zoom
    status_bar(c, p.redeemed_at + timedelta(minutes=rng.randint(0, 3)), rng)
    y = browser_bar(c, 26, rng.choice(("m.kachong365.com", "pay.yikatong.cn", "chong.jdcard.net")))
    accent = rng.choice(ACCENTS)
    c.rect((0, y, c.w, y + 44), accent)
    c.text(c.w / 2, y + 12, rng.choice(("充值中心", "卡密充值", "点卡充值")), 17 * z, "#ffffff", bold=True, align="c")
    y += 80
    c.circle(c.w / 2, y + 24, 26, "#f54a45")
    c.line([(c.w / 2, y + 10), (c.w / 2, y + 30)], "#ffffff", 4)
    c.circle(c.w / 2, y + 37, 2.4, "#ffffff")
    c.text(c.w / 2, y + 62, "充值失败", 20 * z, "#f54a45", bold=True, align="c")
    key, phrase = rng.choice(SITE_ERRORS)
    code = error_code(rng, "site") if rng.random() < 0.5 else None
    reason = f"失败原因：{phrase}" + (f"（错误码：{code}）" if code else "")
    y += 70 + 30 * z
    for line in c.wrap(reason, 14 * z, c.w - 40):
        c.text(c.w / 2, y, line, 14 * z, c.theme.muted, align="c")
        y += 20 * z
    y += 16
    site_number = f"CZ{beijing(p.redeemed_at):%Y%m%d%H%M%S}{rng.randrange(1000):03d}"
    site_label = rng.choice(("流水号", "充值单号", "订单号"))
    items = [(label, value) for value, label in _key_pairs(p)] + [
        ("面值", f"{p.face_fen // 100}元"),
        ("充值账号", f"1{rng.randint(30, 99)}****{rng.randrange(10**4):04d}"),
        ("提交时间", clock(p.redeemed_at, rng.choice(("dash", "dash_tight", "slash")))),
        (site_label, site_number),
    ]
    height = 20 + len(items) * 30 * z
    c.rect((16, y, c.w - 16, y + height), c.theme.card, radius=8)
    row = y + 12
    for label, value in items:
        c.text(30, row, f"{label}：{value}", 14 * z)
        row += 30 * z
    y += height + 24
    c.rect((30, y, c.w - 30, y + 44 * z), accent, radius=22 * z)
    c.text(c.w / 2, y + 12 * z, "重新充值", 16 * z, "#ffffff", align="c")
    return Truth(
        card_key=p.key.shown,
        card_number=p.key.number,
        amount_fen=p.face_fen,
        error_code=code,
        error_text=key,
        error_phrase=phrase,
        time=p.redeemed_at,
        note=f"the site's own {site_label} {site_number}",
    )
