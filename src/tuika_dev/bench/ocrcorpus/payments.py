"""The payment apps' bill details (账单详情): Alipay and WeChat Pay, as a buyer screenshots them."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from tuika_dev.bench.ocrcorpus.canvas import Canvas, with_thin_gap
from tuika_dev.bench.ocrcorpus.chrome import status_bar, title_bar
from tuika_dev.bench.ocrcorpus.values import Purchase, Truth, beijing, yuan


def clock(at: datetime, style: str) -> str:
    """Return ``at`` in Beijing time as a screen prints it: ``dash``, ``slash``, ``cn``, each optionally ``_tight``."""
    local = beijing(at)
    date = {"dash": f"{local:%Y-%m-%d}", "slash": f"{local:%Y/%m/%d}", "cn": f"{local:%Y年%m月%d日}"}
    base, _, tight = style.partition("_")
    time = f"{local:%H:%M:%S}"
    return with_thin_gap(date[base], time) if tight else f"{date[base]} {time}"


def rows(
    c: Canvas,
    top: float,
    items: list[tuple[str, str]],
    *,
    value_x: float,
    size: float,
    gap: float,
    value_fill: str | None = None,
) -> float:
    """Draw label and value rows (labels muted, values wrapped in their column); return the bottom."""
    y = top
    for label, value in items:
        c.text(16, y, label, size, c.theme.muted)
        lines = c.wrap(value, size, c.w - value_x - 16)
        for line in lines:
            c.text(value_x, y, line, size, value_fill)
            y += size * 1.45
        y += gap
    return y


def alipay_bill(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw Alipay's 账单详情: the amount as -99.50, a 28-digit trade number, the 商家订单号."""
    z = c.zoom
    c.rect((0, 0, c.w, c.h), c.theme.card)
    shown_at = p.paid_at - timedelta(seconds=rng.randint(0, 20))
    status_bar(c, shown_at + timedelta(minutes=rng.randint(1, 90)), rng)
    y = title_bar(c, 26, "账单详情")
    c.circle(c.w / 2, y + 40, 24, rng.choice(("#1677ff", "#ff6a00", "#e02e24", "#13a8a8")))
    c.text(c.w / 2, y + 28, p.shop[0], 20, "#ffffff", bold=True, align="c")
    c.text(c.w / 2, y + 74, p.shop, 15 * z, align="c")
    amount = f"-{yuan(p.paid_fen)}"
    c.text(c.w / 2, y + 100, amount, 34 * z, bold=True, align="c")
    c.text(c.w / 2, y + 100 + 46 * z, "交易成功", 14 * z, c.theme.muted, align="c")
    y += 100 + 80 * z
    c.hline(y, 16, c.w - 16)
    trade_label = rng.choice(("订单号", "交易号"))
    items = [
        ("付款方式", rng.choice(("花呗", "余额宝", "账户余额", "招商银行信用卡(4521)", "建设银行储蓄卡(0392)"))),
        ("商品说明", p.product),
        ("收款方全称", p.company),
        ("创建时间", clock(shown_at, rng.choice(("dash", "dash", "dash_tight")))),
        (trade_label, p.trade_number),
        ("商家订单号", p.order_number),
    ]
    y = rows(c, y + 18, items, value_x=104 * z, size=14 * z, gap=12 * z)
    c.hline(y + 4, 16, c.w - 16)
    y = rows(c, y + 20, [("账单分类", "充值缴费"), ("标签和备注", "添加")], value_x=104 * z, size=14 * z, gap=12 * z)
    c.text(c.w / 2, y + 24, "对此订单有疑问", 14 * z, "#1677ff", align="c")
    return Truth(order_number=p.order_number, trade_number=p.trade_number, amount_fen=p.paid_fen, time=shown_at)


def wechat_bill(c: Canvas, p: Purchase, rng: random.Random) -> Truth:
    """Draw WeChat Pay's 账单详情: -99.50, 交易单号 (4200…) and 商户单号."""
    z = c.zoom
    c.rect((0, 0, c.w, c.h), c.theme.card)
    status_bar(c, p.paid_at + timedelta(minutes=rng.randint(1, 90)), rng)
    y = title_bar(c, 26, "", more=True)
    c.circle(c.w / 2, y + 30, 20, "#07c160")
    c.text(c.w / 2, y + 19, p.shop[0], 17, "#ffffff", bold=True, align="c")
    c.text(c.w / 2, y + 58, p.shop, 15 * z, align="c")
    c.text(c.w / 2, y + 84, f"-{yuan(p.paid_fen)}", 36 * z, bold=True, align="c")
    y += 84 + 70 * z
    items = [
        ("当前状态", "支付成功"),
        ("支付时间", clock(p.paid_at, rng.choice(("cn", "cn", "cn_tight", "dash")))),
        ("商品", p.product),
        ("商户全称", p.company),
        ("收单机构", "财付通支付科技有限公司"),
        ("支付方式", rng.choice(("零钱", "零钱通", "招商银行信用卡(4521)", "工商银行储蓄卡(7710)"))),
        ("交易单号", p.trade_number),
        ("商户单号", p.order_number),
    ]
    y = rows(c, y, items, value_x=96 * z, size=14 * z, gap=14 * z)
    c.text(96 * z, y - 8 * z, "可在支持的商户扫码退款", 12 * z, c.theme.muted)
    y += 24 * z
    c.rect((0, y, c.w, y + 10), c.theme.page)
    y += 24
    for label in ("账单服务", "对订单有疑惑", "在此商户的交易", "申请转账电子凭证"):
        c.text(16, y, label, 15 * z, c.theme.muted if label == "账单服务" else None)
        y += 44 * z
    return Truth(order_number=p.order_number, trade_number=p.trade_number, amount_fen=p.paid_fen, time=p.paid_at)
