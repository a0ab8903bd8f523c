"""Screens from outside the shop: a game's redeem dialog, a desktop client's error window, a chat's forwarded copy."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from typing import Final

from tuika_dev.bench.ocrcorpus.canvas import DARK, LIGHT, Canvas
from tuika_dev.bench.ocrcorpus.chrome import PHONES, status_bar, taskbar, title_bar, window
from tuika_dev.bench.ocrcorpus.degrade import forwarded
from tuika_dev.bench.ocrcorpus.payments import alipay_bill, clock, wechat_bill
from tuika_dev.bench.ocrcorpus.shop import card_site_result, shop_order_after, shop_order_below
from tuika_dev.bench.ocrcorpus.values import ErrorKey, Purchase, Truth, beijing, error_code

# How games word a refused key: some phrases the field reader knows, some it may not.
GAME_ERRORS: Final[tuple[tuple[ErrorKey, str], ...]] = (
    ("card_invalid", "卡密无效"),
    ("card_invalid", "兑换码无效"),
    ("card_invalid", "卡号或密码错误"),
    ("card_used", "该兑换码已被使用"),
    ("card_used", "卡密已被使用"),
    ("card_expired", "兑换码已过期"),
)
DESKTOP_ERRORS: Final[tuple[tuple[ErrorKey, str], ...]] = (
    ("card_invalid", "激活码无效"),
    ("card_used", "该激活码已被使用"),
    ("card_invalid", "卡号或密码错误"),
    ("card_expired", "激活码已失效"),
    ("card_invalid", "无效的激活码"),
)
GAMES: Final = ("逍遥仙途", "星海争霸", "剑舞江湖", "幻想之城")
CLIENTS: Final = ("星空加速器", "极光PDF", "云图办公", "风行影音")
CHAT_LINES: Final = ("你给我的卡密充不进去", "你看下这个", "刚付的款", "帮我问问卖家", "截图发你了")


def game_redeem(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw a mobile game, landscape, with its redeem dialog refusing the key typed in."""
    hue = rng.choice((((24, 32, 78), (92, 40, 120)), ((12, 54, 70), (30, 110, 90)), ((70, 30, 20), (150, 80, 40))))
    c.gradient(*hue)
    glow = "#{:02x}{:02x}{:02x}".format(*(min(255, v + 40) for v in hue[1]))
    for _ in range(6):
        c.circle(rng.uniform(0, c.w), rng.uniform(0, c.h), rng.uniform(20, 80), glow)
    c.circle(36, 30, 20, "#e8c07a")
    c.text(64, 14, f"{rng.choice(('逍遥子', '剑心', '夜雨', '北冥'))}  Lv.{rng.randint(12, 89)}", 14, "#ffffff")
    for n, (label, count) in enumerate(
        (("金币", f"{rng.randint(1000, 99999):,}"), ("钻石", str(rng.randint(10, 999))))
    ):
        left = c.w - 250 + n * 125
        c.rect((left, 14, left + 112, 38), "#1a1a1a", radius=12)
        c.text(left + 10, 18, f"{label} {count}", 13, "#ffe9a8")
    c.dim(0.45)
    z = c.zoom
    box = (c.w / 2 - 210, c.h / 2 - 130, c.w / 2 + 210, c.h / 2 + 130)
    left, top, right, bottom = box
    c.rect(box, "#2b2f3a", radius=10, outline="#c9a45c", width=2)
    c.text(c.w / 2, top + 14, rng.choice(("礼包兑换", "兑换码", "CDKEY兑换")), 18 * z, "#e8c07a", bold=True, align="c")
    c.line([(right - 30, top + 16), (right - 16, top + 30)], "#c9a45c", 2)
    c.line([(right - 30, top + 30), (right - 16, top + 16)], "#c9a45c", 2)
    c.rect((left + 30, top + 56, right - 30, top + 96), "#1b1e26", radius=6, outline="#4a4f5c")
    c.text(left + 44, top + 66, p.key.shown, 16 * z, "#ffffff")
    key, phrase = rng.choice(GAME_ERRORS)
    code = error_code(rng, "game")
    style = rng.randrange(3)
    lines = (
        [f"兑换失败：{phrase}（错误码：{code}）"],
        ["兑换失败", f"{phrase}，请检查后重试", f"错误码：{code}"],
        [f"{phrase}(code:{code})"],
    )[style]
    y = top + 110
    for line in lines:
        for part in c.wrap(line, 15 * z, right - left - 60):
            c.text(c.w / 2, y, part, 15 * z, "#ff6b6b", align="c")
            y += 22 * z
    for n, label in enumerate(("取消", "确定")):
        x = c.w / 2 - 130 + n * 140
        c.rect((x, bottom - 54, x + 120, bottom - 18), ("#5a5f6b", "#c9a45c")[n], radius=18)
        c.text(x + 60, bottom - 46, label, 16 * z, "#ffffff", align="c")
    return Truth(card_key=p.key.shown, error_code=code, error_text=key, error_phrase=phrase)


def desktop_error(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw a Windows desktop: a client's window and, over it, its error dialog refusing the key."""
    dark = c.theme.dark
    c.gradient((16, 60, 140), (70, 140, 210)) if not dark else c.gradient((10, 16, 30), (40, 50, 80))
    for n, label in enumerate(("此电脑", "回收站", "微信", "QQ")):
        c.rect((22, 20 + n * 80, 58, 56 + n * 80), ("#f0c040", "#9ab", "#07c160", "#12b7f5")[n], radius=4)
        c.text(40, 60 + n * 80, label, 11, "#ffffff", align="c")
    app = rng.choice(CLIENTS)
    body, text, muted = ("#2b2b2b", "#ffffff", "#bbbbbb") if dark else ("#f3f3f3", "#000000", "#555555")
    main = (c.w * 0.14, c.h * 0.08, c.w * 0.86, c.h * 0.86)
    inner = window(c, main, app, dark=dark)
    c.rect((main[0], inner, main[2], main[3]), body)
    c.rect((main[0], inner, main[0] + 150, main[3]), "#1f6feb")
    for n, label in enumerate(("首页", "我的", "激活", "设置")):
        c.text(main[0] + 24, inner + 24 + n * 40, label, 14, "#ffffff")
    c.text(main[0] + 180, inner + 24, "激活会员", 20, text, bold=True)
    c.text(main[0] + 180, inner + 60, "请输入激活码：", 13, muted)
    c.rect((main[0] + 180, inner + 82, main[2] - 40, inner + 112), "#ffffff" if not dark else "#1c1c1c", outline="#888")
    c.text(main[0] + 188, inner + 89, p.key.shown, 13, text)
    key, phrase = rng.choice(DESKTOP_ERRORS)
    code = error_code(rng, "desktop")
    # The key is in the input box behind the dialog either way; the dialog may repeat it.
    shows_key, shows_time = rng.random() < 0.6, rng.random() < 0.5
    lines = [f"{phrase}，请检查后重新输入。", f"错误代码：{code}"]
    lines += [f"激活码：{p.key.shown}"] if shows_key else []
    lines += [f"时间：{clock(p.redeemed_at, rng.choice(('dash', 'slash')))}"] if shows_time else []
    height = 130 + 22 * len(lines)
    dialog = (c.w / 2 - 230, c.h / 2 - height / 2, c.w / 2 + 230, c.h / 2 + height / 2)
    client = window(c, dialog, f"{app} - 激活失败", dark=dark)
    c.rect((dialog[0], client, dialog[2], dialog[3]), body)
    c.circle(dialog[0] + 40, client + 34, 16, "#e81123")
    for a, b in (((-6, -6), (6, 6)), ((-6, 6), (6, -6))):
        c.line([(dialog[0] + 40 + a[0], client + 34 + a[1]), (dialog[0] + 40 + b[0], client + 34 + b[1])], "#fff", 2)
    c.text(dialog[0] + 70, client + 18, "激活失败", 15, text, bold=True)
    for n, line in enumerate(lines):
        c.text(dialog[0] + 70, client + 46 + n * 22, line, 13, text)
    for n, label in enumerate(("复制错误信息", "确定")):
        x = dialog[2] - 230 + n * 120
        c.rect((x, dialog[3] - 44, x + 108, dialog[3] - 14), "#ffffff" if not dark else "#3a3a3a", outline="#0067c0")
        c.text(x + 54, dialog[3] - 38, label, 13, text, align="c")
    taskbar(c, p.redeemed_at + timedelta(seconds=rng.randint(5, 90)), dark=dark)
    return Truth(
        card_key=p.key.shown,
        error_code=code,
        error_text=key,
        error_phrase=phrase,
        time=p.redeemed_at if shows_time else None,
    )


def chat_forward(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw a chat where a friend sent the screenshot: it sits shrunk in a bubble, recompressed and soft."""
    choices = (alipay_bill if p.route == "alipay" else wechat_bill, shop_order_below, shop_order_after)
    inner_layout = rng.choice((*choices, card_site_result))
    width, height, scale = rng.choice(PHONES)
    inner = Canvas((width, height), scale, c.face, rng.choice((LIGHT, DARK)), zoom=rng.choice((1.0, 1.1)))
    truth = inner_layout(inner, p, rng)
    dark = c.theme.dark
    page, theirs, mine = ("#111111", "#2c2c2c", "#3eb575") if dark else ("#ededed", "#ffffff", "#95ec69")
    c.rect((0, 0, c.w, c.h), page)
    # Sent a few minutes after the screenshot inside was taken, looked at a little later.
    sent = p.redeemed_at + timedelta(minutes=rng.randint(4, 20))
    status_bar(c, sent + timedelta(minutes=rng.randint(0, 15)), rng)
    y = title_bar(c, 26, rng.choice(("阿杰", "小雨", "表哥", "王磊")))
    c.hline(y)
    c.text(c.w / 2, y + 14, f"{beijing(sent):%H:%M}", 12, c.theme.muted, align="c")
    y += 40
    y = _bubble(c, y, rng.choice(CHAT_LINES), theirs, left=True)
    bubble_w = min(0.62 * c.w, 0.5 * c.h * width / height)
    shrunk, _ = forwarded(inner.image, round(bubble_w * c.scale), rng)
    c.rect((12, y, 52, y + 40), "#7a8ba3", radius=4)
    c.paste(shrunk, 60, y)
    y += shrunk.height / c.scale + 16
    y = _bubble(c, y, rng.choice(("我问问卖家", "好的我看看", "稍等")), mine, left=False)
    return replace(truth, note=f"inside: {inner_layout.__name__}" + (f"; {truth.note}" if truth.note else ""))


def _bubble(c: Canvas, y: float, text: str, fill: str, *, left: bool) -> float:
    size = 16 * c.zoom
    width = c.measure(text, size) + 24
    c.rect((12, y, 52, y + 40) if left else (c.w - 52, y, c.w - 12, y + 40), "#7a8ba3" if left else "#c79a5b", radius=4)
    x0 = 60 if left else c.w - 60 - width
    c.rect((x0, y, x0 + width, y + 40), fill, radius=4)
    c.text(x0 + 12, y + 20 - size * 0.6, text, size, "#1a1a1a" if fill != "#2c2c2c" else "#e3e3e3")
    return y + 56
