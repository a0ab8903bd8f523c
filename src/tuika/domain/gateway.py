"""What a payment gateway says about a refund, in tuika's words, whatever the provider.

The big payment APIs teach three things this module encodes. "Accepted" is not "succeeded":
a refund call's answer is at most ``PROCESSING``; only a query or a verified notice says
``SUCCEEDED`` or ``FAILED``. The request number is the payout id, the same on every retry, so
the gateway itself refuses to pay twice. Callbacks arrive late, twice or never, so each notice
carries the provider's own id and is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from tuika.domain.ids import OrderId, PayoutId
from tuika.domain.money import Money


class RefundState(StrEnum):
    PROCESSING = "processing"  # accepted, or known to the gateway but not settled
    SUCCEEDED = "succeeded"  # the money reached the buyer's account
    FAILED = "failed"  # refused or closed by the gateway: nothing was paid
    ABNORMAL = "abnormal"  # WeChat's ABNORMAL: the buyer's card refused it; a person chooses the way out
    NOT_FOUND = "not_found"  # a query: the gateway has no refund under this number


FINAL_STATES = frozenset({RefundState.SUCCEEDED, RefundState.FAILED})


@dataclass(frozen=True, slots=True)
class RefundRequest:
    """One refund as every gateway is asked for it; ``refund_no`` is the payout id."""

    refund_no: PayoutId
    order_id: OrderId
    transaction_id: str
    amount: Money
    order_total: Money
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RefundAnswer:
    """What a gateway answered about a refund: to a call, a query, or in a notice."""

    refund_no: str
    state: RefundState
    amount: Money | None = None
    gateway_refund_id: str | None = None
    settled_at: datetime | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """A verified asynchronous notice; ``notice_id`` is the provider's id, unique per provider."""

    provider: str
    notice_id: str
    answer: RefundAnswer
    raw: str


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One refund in a gateway's daily statement (bill)."""

    refund_no: str
    gateway_refund_id: str
    amount: Money
    state: RefundState
    at: datetime


@dataclass(frozen=True, slots=True)
class Timing:
    """When to ask a gateway again, and when a refund by it is late."""

    first_query_after: timedelta
    expected_within: timedelta


class GatewayUnavailable(Exception):
    """The gateway did not answer, or answered 5xx: the outcome of the call is unknown."""


class GatewayRefused(Exception):
    """The gateway refused the request itself (a bad request, not a failed refund)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def retry_later(self) -> bool:
        """Tell whether the gateway asks for the same request again later rather than refusing it."""
        return self.code in RETRY_LATER


# Refusals that mean "not now, same number later": WeChat's one-refund-a-minute limit, and
# Alipay's signed "system busy, call again with the same parameters".
RETRY_LATER = frozenset({"FREQUENCY_LIMITED", "ACQ.SYSTEM_ERROR", "SYSTEM_ERROR"})


class NoticeRejected(Exception):
    """A notice whose signature, certificate or body does not verify: nothing in it is believed."""


def statement_day(at: datetime) -> date:
    """Return the statement day of a moment: gateways cut their bills at midnight Beijing time."""
    return (at + timedelta(hours=8)).date()
