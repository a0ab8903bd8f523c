"""The Alipay sandbox's book of trades and refunds, and Alipay's business rules over it.

Refunds are keyed on the trade and ``out_request_no`` (the merchant's order number when none is
given, which Alipay allows only for a full refund). The same number and amount again answers
the same refund with ``fund_change`` N; the same number with another amount is
ACQ.DISCORDANT_REPEAT_REQUEST; more than the trade has left is ACQ.REASON_TRADE_REFUND_FEE_ERR;
a closed trade refuses new refunds with ACQ.TRADE_STATUS_ERROR. Not thread-safe: the sandbox
holds its lock around every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from tuika.domain.gateway import statement_day
from tuika.domain.money import Money
from tuika_dev.sandbox.alipay_bill import BillRow
from tuika_dev.sandbox.alipay_wire import beijing, price, yuan

BUYER_ID: Final = "2088102177000000"
_MESSAGES: Final = {
    "20000": "Service Currently Unavailable",
    "40001": "Missing Required Arguments",
    "40002": "Invalid Arguments",
    "40004": "Business Failed",
}


@dataclass(frozen=True, slots=True)
class SandboxRefund:
    """One refund the sandbox made; ``trade_refunded`` is the trade's total refunded with it."""

    trade_no: str
    out_trade_no: str
    refund_no: str
    amount: Money
    reason: str
    accepted_at: datetime
    settles_at: datetime
    trade_refunded: Money


@dataclass(slots=True)
class Trade:
    """A payment the sandbox can refund."""

    trade_no: str
    out_trade_no: str
    total: Money
    paid_at: datetime
    refunded: Money = field(default_factory=Money.zero)
    closed: bool = False


class AlipayError(Exception):
    """An error answer: unsigned for a gateway-level error (bad app id, signature…), signed for a business one."""

    def __init__(self, code: str, sub_code: str, sub_msg: str, *, signed: bool, **extra: str) -> None:
        super().__init__(f"{code} {sub_code}")
        self.fields: dict[str, object] = {"code": code, "msg": _MESSAGES.get(code, "Error")}
        self.fields |= {"sub_code": sub_code, "sub_msg": sub_msg, **extra}
        self.signed = signed


def business(sub_code: str, sub_msg: str, **extra: str) -> AlipayError:
    """Return a business refusal (code 40004), which Alipay signs."""
    return AlipayError("40004", sub_code, sub_msg, signed=True, **extra)


class Book:
    """Trades, refunds and how often money moved for each request number."""

    def __init__(self) -> None:
        self.trades: dict[str, Trade] = {}
        self.refunds: dict[tuple[str, str], SandboxRefund] = {}
        self.paid: dict[str, int] = {}

    def trade(self, biz: Mapping[str, object]) -> Trade:
        """Return the trade a request names by ``trade_no`` (first) or ``out_trade_no``."""
        trade_no, out_trade_no = text(biz, "trade_no"), text(biz, "out_trade_no")
        if not trade_no and not out_trade_no:
            raise business("ACQ.INVALID_PARAMETER", "参数无效: trade_no 与 out_trade_no 不能同时为空")
        if trade_no:
            found = self.trades.get(trade_no)
        else:
            found = next((t for t in self.trades.values() if t.out_trade_no == out_trade_no), None)
        if found is None:
            raise business("ACQ.TRADE_NOT_EXIST", "交易不存在")
        return found

    def refund(
        self, biz: Mapping[str, object], now: datetime, settle_s: float, *, close: bool
    ) -> tuple[dict[str, object], SandboxRefund | None]:
        """Answer alipay.trade.refund; the refund is returned only when money moved now."""
        trade = self.trade(biz)
        nothing = {"trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no, "refund_fee": "0.00"}
        amount = price(biz.get("refund_amount"))
        if amount is None or not amount:
            raise business("ACQ.INVALID_PARAMETER", "参数无效: refund_amount", **nothing)
        given_no = text(biz, "out_request_no")
        refund_no = given_no or trade.out_trade_no
        if close:
            trade.closed = True
        existing = self.refunds.get((trade.trade_no, refund_no))
        if existing is not None:
            if existing.amount != amount:
                raise business("ACQ.DISCORDANT_REPEAT_REQUEST", "不一致的请求", **nothing)
            return self._answer(trade, existing, "N"), None
        if trade.closed:
            raise business("ACQ.TRADE_STATUS_ERROR", "交易状态非法", **nothing)
        if not given_no and amount != trade.total:
            raise business("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "撤销或退款金额与订单金额不一致", **nothing)
        if amount > trade.total - trade.refunded:
            raise business("ACQ.REASON_TRADE_REFUND_FEE_ERR", "退款金额无效", **nothing)
        trade.refunded += amount
        made = SandboxRefund(
            trade.trade_no, trade.out_trade_no, refund_no, amount, text(biz, "refund_reason"),
            now, now + timedelta(seconds=settle_s), trade.refunded,
        )  # fmt: skip
        self.refunds[(trade.trade_no, refund_no)] = made
        self.paid[refund_no] = self.paid.get(refund_no, 0) + 1
        return self._answer(trade, made, "Y"), made

    def query(self, biz: Mapping[str, object], now: datetime, *, empty: bool) -> dict[str, object]:
        """Answer alipay.trade.fastpay.refund.query: the refund once it is done, else nothing."""
        trade = self.trade(biz)
        refund_no = text(biz, "out_request_no")
        if not refund_no:
            raise business("ACQ.INVALID_PARAMETER", "参数无效: out_request_no")
        found = self.refunds.get((trade.trade_no, refund_no))
        if found is None or empty or now < found.settles_at:
            return {"code": "10000", "msg": "Success"}
        fields: dict[str, object] = {
            "code": "10000",
            "msg": "Success",
            "out_request_no": found.refund_no,
            "out_trade_no": trade.out_trade_no,
            "refund_amount": yuan(found.amount),
            "refund_status": "REFUND_SUCCESS",
            "total_amount": yuan(trade.total),
            "trade_no": trade.trade_no,
        }
        if found.reason:
            fields["refund_reason"] = found.reason
        options = biz.get("query_options")
        if isinstance(options, list) and "gmt_refund_pay" in options:
            fields["gmt_refund_pay"] = beijing(found.settles_at)
        return fields

    def bill_rows(self, day: date, now: datetime) -> list[BillRow]:
        """Return the day's payments and settled refunds (Beijing day), in the order they finished."""
        rows = [
            BillRow(t.trade_no, t.out_trade_no, t.paid_at, t.paid_at, t.total)
            for t in self.trades.values()
            if statement_day(t.paid_at) == day
        ]
        for r in self.refunds.values():
            if r.settles_at <= now and statement_day(r.settles_at) == day:
                paid_at = self.trades[r.trade_no].paid_at
                rows.append(BillRow(r.trade_no, r.out_trade_no, paid_at, r.settles_at, r.amount, r.refund_no))
        return sorted(rows, key=lambda row: row.finished_at)

    def notice_params(
        self, app_id: str, pid: str, refund: SandboxRefund, notify_id: str, now: datetime
    ) -> dict[str, str]:
        """Return the trade_status_sync notice of a settled refund, unsigned."""
        trade = self.trades[refund.trade_no]
        closed = refund.trade_refunded == trade.total  # a trade refunded in full is closed
        params = {
            "notify_time": beijing(now),
            "notify_type": "trade_status_sync",
            "notify_id": notify_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": app_id,
            "auth_app_id": app_id,
            "trade_no": refund.trade_no,
            "out_trade_no": refund.out_trade_no,
            "out_biz_no": refund.refund_no,
            "buyer_id": BUYER_ID,
            "seller_id": pid,
            "trade_status": "TRADE_CLOSED" if closed else "TRADE_SUCCESS",
            "total_amount": yuan(trade.total),
            "receipt_amount": yuan(trade.total),
            "buyer_pay_amount": yuan(trade.total),
            "refund_fee": yuan(refund.trade_refunded),  # the trade's running total, as Alipay reports it
            "subject": "卡密订单",
            "gmt_create": beijing(trade.paid_at),
            "gmt_payment": beijing(trade.paid_at),
            "gmt_refund": beijing(refund.settles_at, millis=True),
        }
        if closed:
            params["gmt_close"] = beijing(refund.settles_at)
        return params

    def _answer(self, trade: Trade, refund: SandboxRefund, fund_change: str) -> dict[str, object]:
        return {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "tui***@example.com",
            "buyer_user_id": BUYER_ID,
            "fund_change": fund_change,
            "gmt_refund_pay": beijing(refund.accepted_at),
            "out_trade_no": trade.out_trade_no,
            "refund_fee": yuan(trade.refunded),
            "send_back_fee": yuan(refund.amount),
            "trade_no": trade.trade_no,
        }


def text(biz: Mapping[str, object], key: str) -> str:
    """Return a string field of a request, or ``""``."""
    value = biz.get(key)
    return value if isinstance(value, str) else ""
