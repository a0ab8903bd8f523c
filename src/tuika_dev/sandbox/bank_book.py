"""The bank sandbox's books: card payments, refunds, T+N settlement and the daily settlement file.

Pure bookkeeping with no I/O and no lock: ``BankSandbox`` calls it under its own lock. A refund
is accepted at once and stays ``PROCESSING`` until midnight Beijing time starting the N-th
business day (Monday to Friday; public holidays are not modelled) after the day it was
accepted; then it is ``SETTLED``, or ``FAILED`` when the card refuses it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum
from typing import Final

from tuika.domain.money import Money

BEIJING: Final = timezone(timedelta(hours=8))
STAMP: Final = "%Y%m%d%H%M%S"
# The settlement file has no quoting, so the numbers it carries are kept to a safe alphabet.
_NUMBER: Final = re.compile(r"[A-Za-z0-9_\-]{1,64}")


class FailCode(StrEnum):
    CARD_CANCELLED = "CARD_CANCELLED"
    ACCOUNT_FROZEN = "ACCOUNT_FROZEN"
    ISSUER_REJECTED = "ISSUER_REJECTED"


FAIL_TEXT: Final = {
    FailCode.CARD_CANCELLED.value: "卡已注销",
    FailCode.ACCOUNT_FROZEN.value: "账户已冻结",
    FailCode.ISSUER_REJECTED.value: "发卡行拒绝",
}


class Refused(Exception):
    """The bank refuses the request itself, with its ``resp_code``; nothing was done."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class BankRefund:
    """A refund as the bank holds it."""

    refund_no: str
    bank_refund_id: str
    orig_txn_id: str
    amount: Money
    status: str  # PROCESSING, SETTLED or FAILED
    fail_code: str
    accepted_at: datetime
    due_at: datetime
    finished_at: datetime | None


@dataclass(slots=True)
class Refund:
    refund_no: str
    bank_refund_id: str
    orig_txn_id: str
    amount: Money
    accepted_at: datetime
    due_at: datetime
    fail_code: str  # decided at acceptance, revealed at settlement
    copies: int  # how many times its final notice is delivered
    status: str = "PROCESSING"
    finished_at: datetime | None = None
    noticed: bool = False

    def snapshot(self) -> BankRefund:
        failed = self.status == "FAILED"
        return BankRefund(
            self.refund_no,
            self.bank_refund_id,
            self.orig_txn_id,
            self.amount,
            self.status,
            self.fail_code if failed else "",
            self.accepted_at,
            self.due_at,
            self.finished_at,
        )

    def fields(self, status: str) -> dict[str, object]:
        """Return the refund's fields as the protocol states them, under ``status``."""
        failed, final = status == "FAILED", status in {"SETTLED", "FAILED"}
        return {
            "refund_no": self.refund_no,
            "bank_refund_id": self.bank_refund_id,
            "orig_txn_id": self.orig_txn_id,
            "amount_fen": self.amount.fen,
            "currency": "CNY",
            "status": status,
            "fail_code": self.fail_code if failed else "",
            "fail_msg": FAIL_TEXT.get(self.fail_code, self.fail_code) if failed else "",
            "accepted_at": _stamp(self.accepted_at),
            "settle_date": f"{self.due_at.astimezone(BEIJING):%Y%m%d}",
            "finished_at": _stamp(self.finished_at) if final else "",
        }


@dataclass(slots=True)
class _Trade:
    out_trade_no: str
    total: Money
    fail_code: str = ""


def settle_moment(accepted_at: datetime, settle_days: int) -> datetime:
    """Return when a refund accepted at ``accepted_at`` settles: midnight Beijing of T+N business days."""
    if settle_days == 0:
        return accepted_at
    day, left = accepted_at.astimezone(BEIJING).date(), settle_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day, time(0), BEIJING).astimezone(UTC)


class BankBook:
    """The refunds of one merchant against its card payments."""

    def __init__(self, merchant_id: str, settle_days: int) -> None:
        if settle_days < 0:
            raise ValueError("settle_days must not be negative")
        self.merchant_id = merchant_id
        self.settle_days = settle_days
        self.refunds: list[Refund] = []
        self._trades: dict[str, _Trade] = {}
        self._by_no: dict[str, Refund] = {}
        self._seq = 0

    def add_trade(self, transaction_id: str, out_trade_no: str, total: Money) -> None:
        self._trades[transaction_id] = _Trade(out_trade_no, total)

    def fail_card(self, transaction_id: str, code: str) -> None:
        self._trades[transaction_id].fail_code = code

    def get(self, refund_no: str) -> Refund | None:
        return self._by_no.get(refund_no)

    def accept(self, body: object, now: datetime, *, fail_code: str = "", copies: int = 1) -> tuple[Refund, bool]:
        """Accept a refund request body; return the refund and whether it is new, or raise ``Refused``."""
        fen = body.get("amount_fen") if isinstance(body, dict) else None
        if not isinstance(body, dict) or type(fen) is not int or fen <= 0:
            raise Refused("10", "报文格式错误：amount_fen 须为正整数")
        refund_no, orig, currency = (str(body.get(name, "")) for name in ("refund_no", "orig_txn_id", "currency"))
        if not _NUMBER.fullmatch(refund_no) or not _NUMBER.fullmatch(orig):
            raise Refused("10", "报文格式错误：refund_no / orig_txn_id")
        existing = self._by_no.get(refund_no)
        if existing is not None:
            # The request number is the idempotency key: the same content is the same refund.
            if (existing.orig_txn_id, existing.amount.fen, currency) != (orig, fen, "CNY"):
                raise Refused("12", "重复交易：退款单号已用于内容不同的退款")
            return existing, False
        trade = self._trades.get(orig)
        if trade is None:
            raise Refused("35", "原交易不存在")
        if currency != "CNY":
            raise Refused("36", "与原交易币种不符")
        if self._refunded(orig) + fen > trade.total.fen:
            raise Refused("33", "退款金额超过原交易可退金额")
        self._seq += 1
        refund = Refund(
            refund_no=refund_no,
            bank_refund_id=f"{now.astimezone(BEIJING):%Y%m%d%H%M%S}{self._seq:07d}",
            orig_txn_id=orig,
            amount=Money(fen),
            accepted_at=now,
            due_at=settle_moment(now, self.settle_days),
            fail_code=fail_code or trade.fail_code,
            copies=copies,
        )
        self.refunds.append(refund)
        self._by_no[refund_no] = refund
        return refund, True

    def settle(self, now: datetime) -> None:
        """Move every refund that is due by ``now`` to its final state."""
        for refund in self.refunds:
            if refund.status == "PROCESSING" and refund.due_at <= now:
                refund.status = "FAILED" if refund.fail_code else "SETTLED"
                refund.finished_at = refund.due_at

    def correct(self, refund_no: str, status: str, now: datetime) -> Refund:
        """Change a final refund's outcome, as a bank's correction does; it is notified again.

        A settled refund the issuer sends back (退票) becomes FAILED; a failed one the bank finds
        it did pay after all becomes SETTLED. Either way the merchant's record is now wrong.
        """
        refund = self._by_no.get(refund_no)
        if refund is None or refund.status == "PROCESSING":
            raise ValueError(f"refund {refund_no} is not final at the bank")
        if status not in {"SETTLED", "FAILED"}:
            raise ValueError(f"a correction ends SETTLED or FAILED, not {status}")
        refund.status = status
        refund.fail_code = (refund.fail_code or FailCode.ISSUER_REJECTED.value) if status == "FAILED" else ""
        refund.finished_at = now
        refund.noticed = False
        return refund

    def paid_count(self, refund_no: str) -> int:
        return sum(1 for r in self.refunds if r.refund_no == refund_no and r.status != "FAILED")

    def statement(self, day: date, now: datetime) -> str:
        """Return the settlement file of the refunds accepted on ``day`` (Beijing time)."""
        rows = [r for r in self.refunds if r.accepted_at.astimezone(BEIJING).date() == day]
        lines = [f"H,BANKSTL,01,{self.merchant_id},{day:%Y%m%d},{_stamp(now)}"]
        for seq, r in enumerate(rows, start=1):
            accepted = r.accepted_at.astimezone(BEIJING)
            finished = f"{r.finished_at.astimezone(BEIJING):%Y%m%d}" if r.finished_at else ""
            fail = r.fail_code if r.status == "FAILED" else ""
            fields = ["D", str(seq), "REFUND", r.refund_no, r.bank_refund_id, r.orig_txn_id, f"{accepted:%Y%m%d}"]
            fields += [f"{accepted:%H%M%S}", str(r.amount.fen), "CNY", r.status, finished, fail]
            lines.append(",".join(fields))
        lines.append(f"T,{len(rows)},{sum(r.amount.fen for r in rows)}")
        return "\r\n".join(lines) + "\r\n"

    def _refunded(self, orig: str) -> int:
        # A failed refund never reached the card, so its amount may be refunded again.
        return sum(r.amount.fen for r in self.refunds if r.orig_txn_id == orig and r.status != "FAILED")


def _stamp(at: datetime | None) -> str:
    return at.astimezone(BEIJING).strftime(STAMP) if at else ""
