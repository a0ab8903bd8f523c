"""The WeChat Pay sandbox's ledger: trades, refunds, WeChat's refund rules, and the faults on demand.

The rules are WeChat Pay's own: one refund per ``out_refund_no`` (the same number, trade and
amount answer the same refund; anything else under it is an error), refunds of a trade add up
to at most its total, at most 50 refunds per trade, none a year after payment, and a new refund
of a trade no sooner than a minute after the last (429 FREQUENCY_LIMITED). Not thread-safe: the
sandbox holds its lock around every call. The records the sandbox shows (``ReceivedRequest``,
``Delivery``, ``SandboxRefund``) and the ``Fault`` modes live here too; ``tuika_dev.sandbox.wechat``
exports them.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Final

from tuika.domain.money import Money

MAX_REFUNDS_PER_TRADE: Final = 50
REFUND_WINDOW_S: Final = 365 * 86400
_BEIJING: Final = timezone(timedelta(hours=8))
_REFUND_NO: Final = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")


class Refused(Exception):
    """An error answer: ``{"code": …, "message": …}`` with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(slots=True)
class Trade:
    transaction_id: str
    out_trade_no: str
    total: int
    paid_at: float
    refund_times: list[float] = field(default_factory=list)


@dataclass(slots=True)
class Refund:
    refund_id: str
    out_refund_no: str
    trade: Trade
    amount: int
    created_at: float
    settles_at: float
    outcome: str = "SUCCESS"  # what PROCESSING turns into when it settles
    status: str = "PROCESSING"
    success_at: float | None = None
    account: str = "支付用户零钱"
    copies: int = 1  # how many times each of its notices is sent
    bad_notice: bool = False  # its notices are signed with a wrong key


@dataclass(frozen=True, slots=True)
class Shape:
    """How a new refund will go: its outcome and how its notices are sent."""

    outcome: str = "SUCCESS"
    copies: int = 1
    bad_notice: bool = False
    settle_now: bool = False


class Fault(StrEnum):
    TIMEOUT_AFTER_ACCEPT = "timeout_after_accept"  # do the work, then stall the answer past the client's timeout
    ERROR_500 = "error_500"  # answer 500 SYSTEM_ERROR before doing anything
    BAD_SIGNATURE = "bad_signature"  # sign the answer with a wrong key (the work is still done)
    # The rest shape the refund the next refund call makes; other calls leave them queued.
    DUPLICATE_NOTICE = "duplicate_notice"  # send its notice twice, with the same id
    NOTICE_BEFORE_RESPONSE = "notice_before_response"  # settle, deliver the notice, then answer
    NO_NOTICE = "no_notice"
    ABNORMAL = "abnormal"  # the buyer's account refuses the money: ABNORMAL until apply-abnormal-refund
    CLOSED = "closed"  # the refund ends CLOSED: nothing is paid
    BAD_NOTICE_SIGNATURE = "bad_notice_signature"  # sign its notices with a wrong key


ANY_CALL: Final = frozenset({Fault.TIMEOUT_AFTER_ACCEPT, Fault.ERROR_500, Fault.BAD_SIGNATURE})
SHAPES: Final = {
    Fault.DUPLICATE_NOTICE: Shape(copies=2),
    Fault.NOTICE_BEFORE_RESPONSE: Shape(settle_now=True),
    Fault.NO_NOTICE: Shape(copies=0),
    Fault.ABNORMAL: Shape(outcome="ABNORMAL"),
    Fault.CLOSED: Shape(outcome="CLOSED"),
    Fault.BAD_NOTICE_SIGNATURE: Shape(bad_notice=True),
}


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the sandbox saw it (path with its query), with the status and code it answered."""

    method: str
    path: str
    body: Mapping[str, object]
    status: int
    code: str
    fault: Fault | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """One attempt to deliver a notice; ``status`` 0 means the target could not be reached."""

    notice_id: str
    event_type: str
    refund_no: str
    status: int


@dataclass(frozen=True, slots=True)
class SandboxRefund:
    """A refund the sandbox holds, as it stands; ``status`` is WeChat's word."""

    refund_id: str
    refund_no: str
    transaction_id: str
    amount: Money
    status: str
    created_at: datetime


class Book:
    """The trades and refunds of one merchant."""

    def __init__(self, clock: Callable[[], float], settle_s: float, refund_interval_s: float) -> None:
        self.clock, self.settle_s, self.refund_interval_s = clock, settle_s, refund_interval_s
        self.trades: dict[str, Trade] = {}
        self.refunds: dict[str, Refund] = {}
        self.paid: Counter[str] = Counter()
        self.balance: int | None = None

    def add_trade(self, transaction_id: str, out_trade_no: str, total: int, paid_at: float | None) -> None:
        """Record a payment that can be refunded."""
        at = self.clock() if paid_at is None else paid_at
        self.trades[transaction_id] = Trade(transaction_id, out_trade_no, total, at)

    def refund(self, body: Mapping[str, object], shape: Shape) -> tuple[Refund, bool]:
        """Return the refund a refund request asks for, and whether it was made just now."""
        refund_no, amount, total = _refund_fields(body)
        trade = self.trades.get(str(body.get("transaction_id") or ""))
        if trade is None and body.get("out_trade_no"):
            trade = next((t for t in self.trades.values() if t.out_trade_no == body["out_trade_no"]), None)
        existing = self.refunds.get(refund_no)
        if existing is not None:
            if existing.trade is not trade or existing.amount != amount:
                raise Refused(400, "INVALID_REQUEST", "商户退款单号已存在，且请求参数与原退款单不一致")
            return existing, False
        trade = self._check(trade, amount, total)
        now = self.clock()
        refund_id = f"50{secrets.randbelow(10**27):027d}"  # 29 digits, as WeChat's
        settles_at = now if shape.settle_now else now + self.settle_s
        refund = Refund(refund_id, refund_no, trade, amount, now, settles_at, shape.outcome)
        refund.copies, refund.bad_notice = shape.copies, shape.bad_notice
        if self.balance is not None:
            self.balance -= amount
        trade.refund_times.append(now)
        self.refunds[refund_no] = refund
        self.paid[refund_no] += 1
        return refund, True

    def _check(self, trade: Trade | None, amount: int, total: int) -> Trade:
        now = self.clock()
        if trade is None:
            raise Refused(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        if total != trade.total:
            raise Refused(400, "PARAM_ERROR", "订单金额与原订单不一致")
        if now - trade.paid_at > REFUND_WINDOW_S:
            raise Refused(400, "INVALID_REQUEST", "订单已超过退款期限（一年）")
        if len(trade.refund_times) >= MAX_REFUNDS_PER_TRADE:
            raise Refused(400, "INVALID_REQUEST", "该订单退款次数已达上限（50 次）")
        refunded = sum(r.amount for r in self.refunds.values() if r.trade is trade and r.status != "CLOSED")
        if refunded + amount > trade.total:
            raise Refused(400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
        if trade.refund_times and now - trade.refund_times[-1] < self.refund_interval_s:
            raise Refused(429, "FREQUENCY_LIMITED", "同一订单两次退款需间隔 1 分钟，请稍后再试")
        if self.balance is not None and amount > self.balance:
            raise Refused(403, "NOT_ENOUGH", "基本账户余额不足，请充值后重新发起")
        return trade

    def find(self, refund_no: str) -> Refund:
        """Return the refund under a number, or refuse with 404 RESOURCE_NOT_EXISTS."""
        refund = self.refunds.get(refund_no)
        if refund is None:
            raise Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return refund

    def apply_abnormal(self, refund_id: str, body: Mapping[str, object]) -> Refund:
        """Send an ABNORMAL refund another way: to the merchant's bank card or to one the buyer names."""
        kind = body.get("type")
        if kind not in ("MERCHANT_BANK_CARD", "USER_BANK_CARD"):
            raise Refused(400, "PARAM_ERROR", "type 须为 USER_BANK_CARD 或 MERCHANT_BANK_CARD")
        if kind == "USER_BANK_CARD" and not (body.get("bank_type") and body.get("bank_account")):
            raise Refused(400, "PARAM_ERROR", "退款到用户银行卡须提供 bank_type、bank_account 与 real_name")
        refund = self.find(str(body.get("out_refund_no") or ""))
        if refund.refund_id != refund_id:
            raise Refused(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        if refund.status != "ABNORMAL":
            raise Refused(400, "INVALID_REQUEST", "退款单状态不是异常，不能发起异常退款")
        refund.status, refund.outcome = "PROCESSING", "SUCCESS"
        refund.settles_at = self.clock() + self.settle_s
        refund.account = "商户银行卡" if kind == "MERCHANT_BANK_CARD" else "用户银行卡"
        return refund

    def due(self) -> list[Refund]:
        """Settle the refunds due by the clock and return them, each once."""
        now, settled = self.clock(), []
        for refund in self.refunds.values():
            if refund.status == "PROCESSING" and refund.settles_at <= now:
                refund.status = refund.outcome
                refund.success_at = now if refund.outcome == "SUCCESS" else None
                settled.append(refund)
        return settled

    def paid_count(self, refund_no: str) -> int:
        """Return how many times money left the merchant for a number (a closed refund gives it back)."""
        refund = self.refunds.get(refund_no)
        return self.paid[refund_no] - (1 if refund is not None and refund.status == "CLOSED" else 0)

    def of_day(self, day: date) -> tuple[list[Trade], list[Refund]]:
        """Return the payments and the refunds made on a Beijing day, which its bill lists."""
        trades = [t for t in self.trades.values() if _beijing_day(t.paid_at) == day]
        return trades, [r for r in self.refunds.values() if _beijing_day(r.created_at) == day]


def _refund_fields(body: Mapping[str, object]) -> tuple[str, int, int]:
    refund_no, amount = body.get("out_refund_no"), body.get("amount")
    if not isinstance(refund_no, str) or not _REFUND_NO.match(refund_no):
        raise Refused(400, "PARAM_ERROR", "out_refund_no 须为 1-64 位数字、字母或 _-|*@")
    if not body.get("transaction_id") and not body.get("out_trade_no"):
        raise Refused(400, "PARAM_ERROR", "transaction_id 与 out_trade_no 须二选一")
    if not isinstance(amount, dict) or amount.get("currency", "CNY") != "CNY":
        raise Refused(400, "PARAM_ERROR", "amount 须含 refund、total 与 currency=CNY")
    refund, total = amount.get("refund"), amount.get("total")
    if type(refund) is not int or type(total) is not int or not 0 < refund <= total:
        raise Refused(400, "PARAM_ERROR", "退款金额须为不超过原订单金额的正整数（分）")
    return refund_no, refund, total


def _beijing_day(at: float) -> date:
    return datetime.fromtimestamp(at, _BEIJING).date()
