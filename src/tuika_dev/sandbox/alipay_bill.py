"""The Alipay sandbox's daily trade bill: a ZIP of GBK CSV files in the layout of Alipay's 业务明细.

The ZIP ``<pid>_<yyyymmdd>.csv.zip`` holds ``<pid>_<yyyymmdd>_业务明细.csv`` (one row per payment
and per refund) and ``<pid>_<yyyymmdd>_业务明细(汇总).csv``; member names are GBK without the
UTF-8 flag, as Alipay writes them. Text cells end in a tab; refund amounts are negative.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from tuika.domain.money import Money
from tuika_dev.sandbox.alipay_wire import beijing, yuan

HEADER: Final = (
    "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
    "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
    "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"
)
_RULE: Final = "-" * 41
# Alipay's fee on a card-key shop's payments (0.6 %), refunded in proportion with a refund.
_FEE_BP: Final = 60


@dataclass(frozen=True, slots=True)
class BillRow:
    """One payment (``refund_no`` None) or one refund, as the bill lists it."""

    trade_no: str
    out_trade_no: str
    created_at: datetime
    finished_at: datetime
    amount: Money
    refund_no: str | None = None


def bill_zip(pid: str, day: date, rows: Sequence[BillRow], exported_at: datetime) -> bytes:
    """Return the bill ZIP of ``day`` with ``rows`` in the order given."""
    stamp = day.strftime("%Y%m%d")
    detail = _detail(pid, day, rows, exported_at)
    summary = _summary(pid, day, rows, exported_at)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_GbkName(f"{pid}_{stamp}_业务明细.csv"), detail.encode("gbk"))
        archive.writestr(_GbkName(f"{pid}_{stamp}_业务明细(汇总).csv"), summary.encode("gbk"))
    return out.getvalue()


def _detail(pid: str, day: date, rows: Sequence[BillRow], exported_at: datetime) -> str:
    payments = [r for r in rows if r.refund_no is None]
    refunds = [r for r in rows if r.refund_no is not None]
    lines = [*_head(pid, day, "业务明细查询"), f"#{_RULE}业务明细列表{_RULE}", HEADER]
    lines += [_row(r) for r in rows]
    paid = sum((r.amount for r in payments), Money.zero())
    refunded = sum((r.amount for r in refunds), Money.zero())
    lines += [
        f"#{_RULE}业务明细列表结束{_RULE}",
        f"#交易合计：{len(payments)}笔，商家实收共：{yuan(paid)}元，商家优惠共：0.00元",
        f"#退款合计：{len(refunds)}笔，商家实收退款共：{yuan(-refunded)}元，商家优惠退款共：0.00元",
        f"#导出时间：[{_cn_time(exported_at)}]",
    ]
    return "\r\n".join(lines) + "\r\n"


def _summary(pid: str, day: date, rows: Sequence[BillRow], exported_at: datetime) -> str:
    paid = sum((r.amount for r in rows if r.refund_no is None), Money.zero())
    refunded = sum((r.amount for r in rows if r.refund_no is not None), Money.zero())
    lines = [
        *_head(pid, day, "业务明细查询(汇总)"),
        "门店编号,门店名称,交易订单总笔数,退款订单总笔数,订单金额（元）,商家实收（元）,服务费（元）",
        f"合计,,{sum(r.refund_no is None for r in rows)},{sum(r.refund_no is not None for r in rows)},"
        f"{yuan(paid - refunded)},{yuan(paid - refunded)},{yuan(-_fee(paid - refunded))}",
        f"#导出时间：[{_cn_time(exported_at)}]",
    ]
    return "\r\n".join(lines) + "\r\n"


def _head(pid: str, day: date, title: str) -> list[str]:
    start = day.strftime("%Y年%m月%d日")
    end = date.fromordinal(day.toordinal() + 1).strftime("%Y年%m月%d日")
    return [f"#支付宝{title}", f"#账号：[{pid}0156]", f"#起始日期：[{start} 00:00:00]   终止日期：[{end} 00:00:00]"]


def _row(row: BillRow) -> str:
    sign = -1 if row.refund_no is not None else 1
    amount = yuan(Money(sign * row.amount.fen))
    cells = [
        f"{row.trade_no}\t",
        f"{row.out_trade_no}\t",
        "退款\t" if row.refund_no is not None else "交易\t",
        "卡密订单\t",
        beijing(row.created_at),
        beijing(row.finished_at),
        "\t",
        "\t",
        "\t",
        "\t",
        "tui***@example.com\t",
        amount,
        amount,
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "\t",
        "0.00",
        "0.00",
        f"{row.refund_no or ''}\t",
        yuan(Money(-sign * _fee(row.amount).fen)),
        "0.00",
        "\t",
    ]
    return ",".join(cells)


def _fee(amount: Money) -> Money:
    return amount.percent_bp(_FEE_BP)


def _cn_time(at: datetime) -> str:
    text = beijing(at)
    return f"{text[0:4]}年{text[5:7]}月{text[8:10]}日 {text[11:]}"


class _GbkName(zipfile.ZipInfo):
    """A member whose name is written in GBK without the UTF-8 flag, as Alipay's bills are."""

    # zipfile's own hook, named by zipfile: it would write a non-ASCII name as flagged UTF-8.
    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits
