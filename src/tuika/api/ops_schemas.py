"""Bodies of API v1 for operations: finance's alerts and queue, ledger accounts, policy publishing, the event outbox.

The claim-facing bodies are in ``tuika.api.schemas``; these are read and sent by staff only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from tuika.api.schemas import PayoutOut, Strict


class AlertOut(BaseModel):
    """A gateway's word against our record of a payout; open until finance resolves it."""

    id: str
    payout_id: str
    provider: str
    kind: Literal["unknown_refund", "wrong_channel", "amount_mismatch", "state_contradiction"]
    detail: str
    at: datetime
    # True while it leaves the payout's outcome unknown: no balance redirect until resolved.
    disputes: bool
    resolved_at: datetime | None
    resolved_by: str | None
    outcome: Literal["paid_by_gateway", "paid_twice", "not_paid", "confirmed", "acknowledged"] | None
    note: str


class ResolveAlertIn(Strict):
    """Why finance closes it: what was checked, with whom."""

    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class FinanceOut(BaseModel):
    """Refunds waiting for finance: abnormal ones, failed ones not yet sent to the balance, overdue ones,
    ones a gateway disputes, and the open alerts."""

    abnormal: list[PayoutOut]
    failed: list[PayoutOut]
    overdue: list[PayoutOut]
    disputed: list[PayoutOut]
    alerts: list[AlertOut]


class EntryOut(BaseModel):
    at: datetime
    memo: str
    amount_fen: int


class AccountOut(BaseModel):
    account: str
    balance_fen: int
    entries: list[EntryOut]


PartyId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


class DepositIn(Strict):
    """Money a supplier or merchant paid into its deposit, with the bank's reference."""

    # ``merchant:ID`` or ``supplier:ID``; or the kind alone, with the id in ``party_id``.
    party: Annotated[str, StringConstraints(pattern=r"^(supplier|merchant)(:[A-Za-z0-9_.\-]{1,64})?$")]
    party_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")] | None = (
        None
    )
    # A number, not a string of one: an amount an operator typed is taken only as written.
    amount_fen: Annotated[int, Field(gt=0, le=10_000_000_000, strict=True)]
    reference: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:/\-]+$")]

    @model_validator(mode="after")
    def _one_party(self) -> DepositIn:
        named = ":" in self.party
        if named == (self.party_id is not None):
            raise PydanticCustomError(
                "deposit_party",
                "name the party once: party as merchant:ID or supplier:ID, or party with party_id",
                {"msg_zh": "请只用一种方式写明一方：party 写作 merchant:ID 或 supplier:ID，或 party 加 party_id"},
            )
        return self

    def kind(self) -> str:
        return self.party.partition(":")[0]

    def who(self) -> str:
        return self.party.partition(":")[2] or str(self.party_id)


class DepositOut(BaseModel):
    account: str
    balance_fen: int
    # False: this reference was posted before; nothing was written this time.
    created: bool


class BalancesOut(BaseModel):
    """A merchant's or a supplier's money as the ledger sums it, in fen; a merchant's holds beside it."""

    party: Literal["merchant", "supplier"]
    party_id: str
    name: str = Field(description="as the host platform names it on its newest order; empty when no order does")
    deposit_fen: int = Field(description="below zero: what the party owes the platform")
    paid_in_fen: int = Field(description="what was paid into the deposit (POST /v1/ledger/deposits)")
    recovered_fen: int = Field(description="what refunds on its fault took: from the deposit, or a merchant's hold")
    fault_fees_fen: int = Field(description="the handling fees its deposit paid on top")
    settlement_fen: int | None = Field(
        description="a merchant's settlement account: what claims took off it; null for a supplier"
    )
    held_fen: int | None = Field(
        description="what open claims hold from a merchant's settlement now; null for a supplier"
    )
    open_holds: int | None = Field(description="how many open claims hold it; null for a supplier")


class BalancesPage(BaseModel):
    """Merchants by what they have held, the most first, or suppliers by deposit, the one owing most first."""

    party: Literal["merchant", "supplier"]
    items: list[BalancesOut]
    total: int
    # Pass as ``offset`` for the next page; null on the last.
    next_offset: int | None


class HeldOut(BaseModel):
    """An open claim holding its amount from its merchant's settlement."""

    case_id: str
    number: str | None
    status: str
    order_title: str
    amount_fen: int
    held_at: datetime


class StandingOut(BalancesOut):
    """One party's figures with, for a merchant, a page of the claims holding its money: the largest first."""

    holds: list[HeldOut]
    holds_next_offset: int | None


class PolicyIn(Strict):
    document: dict[str, object]


class PolicyPublished(BaseModel):
    version: int
    title: str


class HandlerDeliveryOut(BaseModel):
    """One handler's progress with an event."""

    handler: str
    status: Literal["pending", "done", "failed"]
    attempts: int
    next_try_at: datetime | None
    last_error: str | None
    done_at: datetime | None


class DomainEventOut(BaseModel):
    """Something that happened to a case, a payout or an order, and what each handler made of it."""

    id: str
    type: str
    subject: str
    actor: str
    role: str
    occurred_at: datetime
    not_before: datetime | None
    payload: dict[str, Any]
    deliveries: list[HandlerDeliveryOut]


class DomainEventPage(BaseModel):
    """Events oldest first; pass ``next_after`` as ``after`` for the next page."""

    items: list[DomainEventOut]
    next_after: str | None
    # How many deliveries are pending, done and failed across the outbox.
    deliveries: dict[str, int]
