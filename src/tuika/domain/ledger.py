"""Double-entry ledger: every posting sums to zero; balances are derived from entries.

Sign convention: an entry's amount is what the account's owner gains (positive) or
loses (negative). ``buyer:<id>`` is what the platform owes a buyer (their balance);
``platform:clearing`` holds what buyers paid until it is settled.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from tuika.domain.errors import LedgerUnbalanced
from tuika.domain.ids import CaseId, PayoutId
from tuika.domain.money import Money
from tuika.domain.policy import LiableParty

PLATFORM_CLEARING = "platform:clearing"
FEE_INCOME = "platform:fee_income"
# The deposits suppliers and merchants paid in, as the platform holds them: what it owes back.
PLATFORM_DEPOSITS = "platform:deposits"


def buyer_account(buyer_id: str) -> str:
    """Return the account of a buyer's platform balance."""
    return f"buyer:{buyer_id}"


def supplier_deposit(supplier_id: str) -> str:
    """Return the account of a supplier's deposit."""
    return f"supplier:{supplier_id}:deposit"


def merchant_deposit(merchant_id: str) -> str:
    """Return the account of a merchant's deposit."""
    return f"merchant:{merchant_id}:deposit"


def merchant_settlement(merchant_id: str) -> str:
    """Return the account of what the platform is to settle to a merchant; a hold is taken off it."""
    return f"merchant:{merchant_id}:settlement"


def merchant_holds(merchant_id: str) -> str:
    """Return the account of a merchant's funds held while claims on its goods are open."""
    return f"merchant:{merchant_id}:holds"


def gateway_clearing(route: str) -> str:
    """Return the clearing account of a payment gateway."""
    return f"gateway:{route}:clearing"


ACCOUNT_KINDS = ("buyer", "supplier", "merchant", "platform", "gateway")


def is_valid_account(name: str) -> bool:
    """Tell whether ``name`` has the shape of a ledger account."""
    head, _, rest = name.partition(":")
    return head in ACCOUNT_KINDS and bool(rest) and len(name) <= 120


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Posting:
    """A balanced set of entries with what caused it."""

    memo: str
    entries: tuple[Entry, ...]
    payout_id: PayoutId | None = None

    def __post_init__(self) -> None:
        total = sum((e.amount for e in self.entries), Money.zero())
        if total or not self.entries:
            raise LedgerUnbalanced(f"posting {self.memo!r} sums to {total.fen} fen")


def refund_to_balance(*, buyer_id: str, refundable: Money, fee: Money, memo: str, payout_id: PayoutId) -> Posting:
    """Move a refund from clearing to the buyer's balance, keeping the fee as income."""
    entries = [
        Entry(PLATFORM_CLEARING, -refundable),
        Entry(buyer_account(buyer_id), refundable - fee),
    ]
    if fee:
        entries.append(Entry(FEE_INCOME, fee))
    return Posting(memo, tuple(entries), payout_id)


def refund_by_gateway(*, route: str, refundable: Money, fee: Money, memo: str, payout_id: PayoutId) -> Posting:
    """Record a refund a gateway paid back by the original route, keeping the fee as income.

    The gateway's clearing account gains what it paid out for the platform; it is settled
    against the gateway's daily statement.
    """
    entries = [Entry(PLATFORM_CLEARING, -refundable), Entry(gateway_clearing(route), refundable - fee)]
    if fee:
        entries.append(Entry(FEE_INCOME, fee))
    return Posting(memo, tuple(entries), payout_id)


def clawback(
    *,
    liable: LiableParty,
    supplier_id: str,
    merchant_id: str,
    amount: Money,
    memo: str,
    payout_id: PayoutId,
) -> Posting | None:
    """Recover a refund from the liable party's deposit, or None when nobody owes it."""
    return _from_deposit(liable, supplier_id, merchant_id, amount, memo, payout_id, PLATFORM_CLEARING)


def fault_fee(
    *,
    liable: LiableParty,
    supplier_id: str,
    merchant_id: str,
    amount: Money,
    memo: str,
    payout_id: PayoutId,
) -> Posting | None:
    """Charge the party at fault its handling fee from its deposit, as platform income; None for no fee."""
    return _from_deposit(liable, supplier_id, merchant_id, amount, memo, payout_id, FEE_INCOME)


def _from_deposit(
    liable: LiableParty, supplier_id: str, merchant_id: str, amount: Money, memo: str, payout_id: PayoutId, to: str
) -> Posting | None:
    account = _deposit_of(liable, supplier_id, merchant_id)
    if account is None or not amount:
        return None
    return Posting(memo, (Entry(account, -amount), Entry(to, amount)), payout_id)


def _deposit_of(liable: LiableParty, supplier_id: str, merchant_id: str) -> str | None:
    if liable is LiableParty.SUPPLIER:
        return supplier_deposit(supplier_id)
    if liable is LiableParty.MERCHANT:
        return merchant_deposit(merchant_id)
    return None


def fund_deposit(*, account: str, amount: Money, memo: str) -> Posting:
    """Record money a supplier or merchant paid into its deposit: the deposit gains, the platform holds it."""
    return Posting(memo, (Entry(account, amount), Entry(PLATFORM_DEPOSITS, -amount)))


@dataclass(frozen=True, slots=True)
class Hold:
    """A claim's amount held from its merchant's settlement while the claim is open.

    Ended when the claim is, ``released`` back to the settlement or ``recovered``: the refund of a
    claim on the merchant's fault is taken from what was held, not from its deposit.
    """

    case_id: CaseId
    merchant_id: str
    amount: Money
    held_at: datetime
    ended_at: datetime | None = None
    outcome: str | None = None

    @property
    def open(self) -> bool:
        return self.ended_at is None


def hold(*, merchant_id: str, amount: Money, memo: str) -> Posting:
    """Hold a claim's amount off the merchant's settlement."""
    return Posting(memo, (Entry(merchant_settlement(merchant_id), -amount), Entry(merchant_holds(merchant_id), amount)))


def release(*, merchant_id: str, amount: Money, memo: str, payout_id: PayoutId | None = None) -> Posting:
    """Give a held amount back to the merchant's settlement: the claim ended, or the refund was not its fault."""
    entries = (Entry(merchant_holds(merchant_id), -amount), Entry(merchant_settlement(merchant_id), amount))
    return Posting(memo, entries, payout_id)


def recover_held(*, merchant_id: str, amount: Money, memo: str, payout_id: PayoutId) -> Posting:
    """Recover a refund on the merchant's fault from what was held for its claim."""
    return Posting(memo, (Entry(merchant_holds(merchant_id), -amount), Entry(PLATFORM_CLEARING, amount)), payout_id)


def balances(entries: Iterable[Entry]) -> dict[str, Money]:
    """Return each account's balance from its entries."""
    totals: dict[str, int] = defaultdict(int)
    for entry in entries:
        totals[entry.account] += entry.amount.fen
    return {account: Money(fen) for account, fen in totals.items()}


def check_balanced(postings: Sequence[Posting]) -> None:
    """Raise ``LedgerUnbalanced`` unless all postings together sum to zero."""
    total = sum((e.amount.fen for p in postings for e in p.entries), 0)
    if total:
        raise LedgerUnbalanced(f"journal sums to {total} fen")
