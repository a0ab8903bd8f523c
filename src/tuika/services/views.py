"""Read models: a case with everything a buyer or agent needs to see, the ledger, the queue."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from tuika.domain.cases import Case, CaseStatus, Decision, Role, Stage
from tuika.domain.errors import Forbidden, InvalidInput, NotFound
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.ids import CaseId, OrderId, PayoutId
from tuika.domain.ledger import (
    Entry,
    buyer_account,
    is_valid_account,
    merchant_deposit,
    merchant_holds,
    merchant_settlement,
)
from tuika.domain.masking import mask_user_id
from tuika.domain.merchant import MerchantResponse, MerchantWindow, Replacement, respond_by
from tuika.domain.money import Money
from tuika.domain.payouts import Payout
from tuika.domain.reason_codes import withhold
from tuika.review.reading import EvidenceRead
from tuika.services.context import Actor, Context
from tuika.services.ports import CaseFilter, EvidenceRecord, UnitOfWork


@dataclass(frozen=True, slots=True)
class CaseView:
    case: Case
    stage: Stage
    expected_by: datetime | None
    decisions: tuple[Decision, ...]
    payouts: tuple[Payout, ...]
    evidence: tuple[EvidenceRecord, ...]
    findings: tuple[Finding, ...] = ()
    reads: tuple[EvidenceRead, ...] = ()
    # Payouts whose gateway disputes our record: outcome unknown until finance resolves it.
    disputed: frozenset[PayoutId] = frozenset()
    # What the merchant said on the claim, the files it gave, and the time it has (or had) to answer.
    merchant_responses: tuple[MerchantResponse, ...] = ()
    merchant_evidence: tuple[EvidenceRecord, ...] = ()
    merchant_window: MerchantWindow | None = None
    # New keys the merchant offered instead of the money.
    replacement: Replacement | None = None

    @property
    def merchant_respond_by(self) -> datetime | None:
        """When the merchant must answer by: only while the claim waits for its answer."""
        return respond_by(self.case.status, self.merchant_window)


# The host platform reads every case on the orders it pushed, as their buyers read them: it shows
# them to those buyers, so the anti-fraud signals are withheld from it too. (One platform today;
# with a key per platform, each reads only its own.)
_AS_BUYERS_READ = frozenset({Role.BUYER, Role.PLATFORM})


def case_view(ctx: Context, actor: Actor, case_id: CaseId) -> CaseView:
    """Return a case for its buyer or the host platform (signals withheld), the merchant whose
    goods it is on (the buyer masked too) or staff; anyone else's is not found."""
    with ctx.read() as uow:
        case = uow.cases.get(case_id)
        if case is None or not (actor.owns(case.buyer_id) or actor.role is Role.PLATFORM or _sold(uow, actor, case)):
            raise NotFound(f"case {case_id} not found")
        view = load(ctx, uow, case)
    if actor.role is Role.MERCHANT:
        return for_merchant(view)
    return for_buyer(view) if actor.role in _AS_BUYERS_READ else view


def _sold(uow: UnitOfWork, actor: Actor, case: Case) -> bool:
    """Tell whether the actor is the merchant that sold the goods a case is about."""
    if actor.role is not Role.MERCHANT:
        return False
    order = uow.orders.get(case.order_id)
    return order is not None and order.merchant_id == actor.subject


# What the supplier said about the buyer's own keys and top-ups: the buyer may rely on it.
_BUYER_FINDINGS = frozenset({FindingKind.SUPPLIER_CARD, FindingKind.SUPPLIER_TOPUP, FindingKind.SUPPLIER_VOID})


def for_buyer(view: CaseView) -> CaseView:
    """Return the case as its buyer reads it: forensics, history and other orders withheld, codes neutral."""
    case = replace(
        view.case,
        reason_codes=withhold(view.case.reason_codes),
        timeline=tuple(replace(e, reason_codes=withhold(e.reason_codes)) for e in view.case.timeline),
    )
    return replace(
        view,
        case=case,
        decisions=tuple(replace(d, reason_codes=withhold(d.reason_codes)) for d in view.decisions),
        findings=tuple(f for f in view.findings if f.kind in _BUYER_FINDINGS),
        reads=tuple(replace(r, codes=withhold(r.codes)) for r in view.reads),
    )


def for_merchant(view: CaseView) -> CaseView:
    """Return a claim as the merchant whose goods it is on reads it: as its buyer does, the buyer masked.

    The merchant answers the claim on the buyer's words, evidence and the supplier's answer; it
    learns neither who the buyer is nor what the anti-fraud review made of them.
    """
    seen = for_buyer(view)
    buyer = view.case.buyer_id
    handle = mask_user_id(buyer)
    return replace(
        seen,
        case=_masked(seen.case),
        decisions=tuple(replace(d, actor=handle) if d.actor == buyer else d for d in seen.decisions),
    )


def _masked(case: Case) -> Case:
    """Return a case with its codes as buyers read them and its buyer, wherever named, as a handle."""
    handle = mask_user_id(case.buyer_id)
    return replace(
        case,
        buyer_id=handle,
        reason_codes=withhold(case.reason_codes),
        timeline=tuple(
            replace(e, actor=handle if e.actor == case.buyer_id else e.actor, reason_codes=withhold(e.reason_codes))
            for e in case.timeline
        ),
    )


@dataclass(frozen=True, slots=True)
class CaseProgress:
    case: Case
    stage: Stage
    payout: Payout | None


def progress(ctx: Context, actor: Actor, case_id: CaseId) -> CaseProgress:
    """Return where a case is and its newest payout: the little a page polling for change needs."""
    with ctx.read() as uow:
        case = uow.cases.get(case_id)
        if case is None or not actor.owns(case.buyer_id):
            raise NotFound(f"case {case_id} not found")
        payouts = uow.payouts.for_case(case.id)
    return CaseProgress(case, ctx.sla.stages()[case.status], payouts[-1] if payouts else None)


def load(ctx: Context, uow: UnitOfWork, case: Case) -> CaseView:
    """Return the view of a case read in ``uow``, with its decisions, payouts and evidence."""
    payouts = uow.payouts.for_case(case.id)
    files = uow.evidence.for_case(case.id)
    view = _view(ctx, case, uow.cases.decisions(case.id), payouts, buyers(case, files))
    return replace(
        view,
        findings=tuple(uow.findings.for_case(case.id)),
        reads=tuple(uow.reads.for_case(case.id)),
        disputed=uow.alerts.disputed([p.id for p in payouts]),
        merchant_responses=tuple(uow.merchant.responses(case.id)),
        merchant_evidence=tuple(r for r in files if r.owner_id != case.buyer_id),
        merchant_window=uow.merchant.window(case.id),
        replacement=uow.merchant.replacement(case.id),
    )


def buyers(case: Case, records: Sequence[EvidenceRecord]) -> list[EvidenceRecord]:
    """Return the buyer's evidence of a case: what the review reads; the merchant's backs its answers."""
    return [r for r in records if r.owner_id == case.buyer_id]


def fresh(ctx: Context, case: Case, evidence: list[EvidenceRecord]) -> CaseView:
    """Return the view of a case just filed: nothing has been decided or paid yet."""
    return _view(ctx, case, [], [], evidence)


def _view(
    ctx: Context, case: Case, decisions: list[Decision], payouts: list[Payout], evidence: list[EvidenceRecord]
) -> CaseView:
    stage = ctx.sla.stages()[case.status]
    expected_by = case.due_at if stage.expected is not None else None
    return CaseView(case, stage, expected_by, tuple(decisions), tuple(payouts), tuple(evidence))


def list_cases(ctx: Context, actor: Actor, where: CaseFilter) -> list[Case]:
    """Return a buyer's own cases, a merchant's claims on its goods, or any for staff and the host
    platform; all but staff read the codes as buyers do, and a merchant the buyer masked."""
    if actor.role is Role.BUYER:
        where = replace(where, buyer_id=actor.subject)
    elif actor.role is Role.MERCHANT:
        where = replace(where, merchant_id=actor.subject)
    else:
        actor.require(Role.AGENT, Role.ARBITRATOR, Role.ADMIN, Role.PLATFORM)
    with ctx.read() as uow:
        found = uow.cases.search(where)
    if actor.role is Role.MERCHANT:
        return [_masked(c) for c in found]
    if actor.role in _AS_BUYERS_READ:
        return [replace(c, reason_codes=withhold(c.reason_codes)) for c in found]
    return found


QUEUES = {
    Role.AGENT: (CaseStatus.MANUAL_REVIEW,),
    Role.ARBITRATOR: (CaseStatus.ARBITRATION, CaseStatus.MANUAL_REVIEW),
    Role.ADMIN: (CaseStatus.ARBITRATION, CaseStatus.MANUAL_REVIEW),
}


def review_queue(ctx: Context, actor: Actor, limit: int = 100) -> list[Case]:
    """Return the cases waiting for this person, the earliest deadline first."""
    actor.require(Role.AGENT, Role.ARBITRATOR, Role.ADMIN)
    with ctx.read() as uow:
        return uow.cases.queue(QUEUES[actor.role], limit)


@dataclass(frozen=True, slots=True)
class AccountView:
    account: str
    balance: Money
    entries: tuple[tuple[datetime, str, Entry], ...]


def account(ctx: Context, actor: Actor, name: str, limit: int = 100) -> AccountView:
    """Return a ledger account: admins see any, a buyer only their own balance, a merchant its own three."""
    if not is_valid_account(name):
        raise InvalidInput(f"{name!r} is not a ledger account")
    if actor.role is Role.BUYER:
        if name != buyer_account(actor.subject):
            raise NotFound(f"account {name} not found")
    elif actor.role is Role.MERCHANT:
        # Its statements: its deposit (recoveries, fault fees, what it paid in), what a claim
        # holds from its settlement, and that settlement's holds and releases.
        if name not in (
            merchant_deposit(actor.subject),
            merchant_holds(actor.subject),
            merchant_settlement(actor.subject),
        ):
            raise NotFound(f"account {name} not found")
    elif actor.role is not Role.ADMIN:
        raise Forbidden("only an admin or the account's buyer may read it")
    with ctx.read() as uow:
        return AccountView(name, uow.ledger.balance(name), tuple(uow.ledger.entries(name, limit)))


# Every refund's memo names its claim (``services/payouts/settle.refund_posting``), old memos too.
_CLAIM_IN_MEMO: Final = re.compile(r"\brc_[0-9a-z_]+\b")


@dataclass(frozen=True, slots=True)
class Movement:
    """One change of a buyer's balance, with the claim and the product it refunded, if any."""

    at: datetime
    amount: Money
    case_id: CaseId | None = None
    order_id: OrderId | None = None
    product: str | None = None  # the order's title, or its SKU when the platform sent no title


@dataclass(frozen=True, slots=True)
class BalanceView:
    balance: Money
    movements: tuple[Movement, ...]


def balance(ctx: Context, actor: Actor, limit: int = 100) -> BalanceView:
    """Return the buyer's own balance and its newest movements, each refund named by what it refunded."""
    actor.require(Role.BUYER)
    name = buyer_account(actor.subject)
    with ctx.read() as uow:
        entries = uow.ledger.entries(name, limit)
        claims: dict[str, tuple[CaseId, OrderId, str] | None] = {}
        for _, memo, _ in entries:
            found = _CLAIM_IN_MEMO.search(memo)
            if found is not None and found.group(0) not in claims:
                claims[found.group(0)] = _claim_of(uow, actor, CaseId(found.group(0)))
        total = uow.ledger.balance(name)
    movements = []
    for at, memo, entry in entries:
        found = _CLAIM_IN_MEMO.search(memo)
        claim = claims.get(found.group(0)) if found is not None else None
        if claim is None:
            movements.append(Movement(at, entry.amount))
        else:
            movements.append(Movement(at, entry.amount, *claim))
    return BalanceView(total, tuple(movements))


def _claim_of(uow: UnitOfWork, actor: Actor, case_id: CaseId) -> tuple[CaseId, OrderId, str] | None:
    case = uow.cases.get(case_id)
    if case is None or not actor.owns(case.buyer_id):
        return None
    order = uow.orders.get(case.order_id)
    return None if order is None else (case.id, order.id, order.title or order.sku)
