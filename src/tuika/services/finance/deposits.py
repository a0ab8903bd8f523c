"""Fund a supplier's or a merchant's deposit: what refunds on its fault are recovered from.

An admin records money the party paid in, with the bank's reference. The reference makes it
once: the same request again, after a timeout or a double click, posts nothing and answers
with the deposit as it stands; the same reference for another party or amount is refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from tuika.domain.balances import PARTY_ID
from tuika.domain.cases import Role
from tuika.domain.errors import Conflict, InvalidInput
from tuika.domain.ledger import Entry, fund_deposit, merchant_deposit, supplier_deposit
from tuika.domain.money import Money
from tuika.services.context import Actor, Context

KIND: Final = "deposit"
# 1 亿元: far above any deposit, low enough that a slip of the keyboard is caught.
MAX_FEN: Final = 10_000_000_000
_REFERENCE: Final = re.compile(r"^[A-Za-z0-9_.:/\-]{1,100}$")


@dataclass(frozen=True, slots=True)
class Funded:
    account: str
    balance: Money
    # False when this reference had been posted already: nothing was written this time.
    created: bool


def fund(ctx: Context, actor: Actor, party: str, party_id: str, amount: Money, reference: str) -> Funded:
    """Post a deposit paid in by a supplier or merchant, once per reference."""
    actor.require(Role.ADMIN)
    if party not in ("supplier", "merchant"):
        raise InvalidInput(f"party must be supplier or merchant, not {party!r}")
    if not PARTY_ID.match(party_id):
        raise InvalidInput("party_id: 1 to 64 letters, digits or _ . : -")
    if not 0 < amount.fen <= MAX_FEN:
        raise InvalidInput(f"amount_fen must be 1 to {MAX_FEN}")
    if not _REFERENCE.match(reference):
        raise InvalidInput("reference: 1 to 100 letters, digits or _ . : / -")
    account = supplier_deposit(party_id) if party == "supplier" else merchant_deposit(party_id)
    posting = fund_deposit(account=account, amount=amount, memo=f"保证金充值（{reference}）")
    with ctx.uow() as uow:
        created = uow.ledger.post_once(posting, KIND, reference, ctx.clock.now())
        if not created:
            _same(uow.ledger.reference_posted(KIND, reference), account, amount, reference)
        balance = uow.ledger.balance(account)
        uow.commit()
    return Funded(account, balance, created)


def _same(entries: tuple[Entry, ...] | None, account: str, amount: Money, reference: str) -> None:
    if entries is None or Entry(account, amount) not in entries:
        raise Conflict(f"reference {reference} was posted for another deposit or amount")
