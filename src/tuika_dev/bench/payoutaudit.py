"""The payout benchmark's audit: our books against themselves and against what each gateway paid.

Kept apart from the run so a test can hand it a deliberately broken ledger or a gateway that
paid a number twice, and see it counted.

- A double refund is a payout whose number a gateway paid more than once, or that has more
  than one refund posting in our ledger.
- A ledger imbalance is a posting whose entries do not sum to zero, and the whole ledger not
  summing to zero.
- A disagreement is a payout whose state says something the gateway's record or our ledger does
  not: succeeded but not paid or not posted, failed but paid or posted, not final but posted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import Engine, func, select

from tuika.adapters.db.tables import EntryRow, PayoutAlertRow, PostingRow
from tuika_dev.sandbox.gateways import GatewaySandboxes


class Paying(Protocol):
    """What the audit asks a gateway's sandbox: how often money moved under a number."""

    def paid_count(self, refund_no: str) -> int: ...


@dataclass(frozen=True, slots=True)
class PayoutFact:
    """A payout as our database has it."""

    id: str
    route: str
    status: str


@dataclass(frozen=True, slots=True)
class Audit:
    """What the audit found, one line per finding."""

    double_refunds: list[str]
    imbalances: list[str]
    disagreements: list[str]
    alerts: int


@dataclass(slots=True)
class Traffic:
    """What one gateway's sandbox saw: calls by kind, notice deliveries, and the faults calls took."""

    refund_calls: int = 0
    queries: int = 0
    deliveries: int = 0
    refused: int = 0  # deliveries tuika answered with a non-2xx status
    faults: Counter[str] = field(default_factory=Counter)


def gateways_of(sandboxes: GatewaySandboxes) -> dict[str, Paying]:
    """Return each route's sandbox, by the route's name."""
    return {"alipay": sandboxes.alipay, "wechat": sandboxes.wechat, "bank_card": sandboxes.bank}


def audit(engine: Engine, gateways: Mapping[str, Paying], payouts: Sequence[PayoutFact]) -> Audit:
    """Check the ledger and each payout against the gateway that paid it."""
    with engine.connect() as conn:
        posted = dict(
            conn.execute(
                select(PostingRow.payout_id, func.count())
                .where(PostingRow.kind == "refund", PostingRow.payout_id.is_not(None))
                .group_by(PostingRow.payout_id)
            ).all()
        )
        unbalanced = conn.execute(
            select(EntryRow.posting_id, func.sum(EntryRow.amount_fen))
            .group_by(EntryRow.posting_id)
            .having(func.sum(EntryRow.amount_fen) != 0)
            .order_by(EntryRow.posting_id)
        ).all()
        total = conn.execute(select(func.coalesce(func.sum(EntryRow.amount_fen), 0))).scalar_one()
        alerts = conn.execute(select(func.count()).select_from(PayoutAlertRow)).scalar_one()
    doubles = [f"{payout_id}: {n} refund postings" for payout_id, n in sorted(posted.items()) if n > 1]
    disagreements = []
    for payout in payouts:
        gateway = gateways.get(payout.route)
        paid = gateway.paid_count(payout.id) if gateway is not None else None
        postings = posted.get(payout.id, 0)
        if paid is not None and paid > 1:
            doubles.append(f"{payout.id}: paid {paid} times by {payout.route}")
        if payout.status == "succeeded" and (paid == 0 or postings == 0):
            disagreements.append(f"{payout.id}: succeeded, paid {paid} times by {payout.route}, {postings} postings")
        elif payout.status == "failed" and ((paid or 0) > 0 or postings > 0):
            disagreements.append(f"{payout.id}: failed, paid {paid} times by {payout.route}, {postings} postings")
        elif payout.status not in ("succeeded", "failed") and postings > 0:
            disagreements.append(f"{payout.id}: {payout.status} with {postings} refund postings")
    imbalances = [f"posting {posting_id} sums to {int(amount)} fen" for posting_id, amount in unbalanced]
    if int(total) != 0:
        imbalances.append(f"the ledger sums to {int(total)} fen")
    return Audit(doubles, imbalances, disagreements, int(alerts))


def traffic(sandboxes: GatewaySandboxes) -> dict[str, Traffic]:
    """Count, from each sandbox's own log, the refund calls, queries, notices and faults it saw."""
    alipay, wechat, bank = Traffic(), Traffic(), Traffic()
    for call in sandboxes.alipay.calls():
        alipay.refund_calls += call.method == "alipay.trade.refund"
        alipay.queries += call.method == "alipay.trade.fastpay.refund.query"
        if call.fault is not None:
            alipay.faults[call.fault.value] += 1
    for sent in sandboxes.alipay.notices():
        alipay.deliveries += 1
        alipay.refused += not sent.accepted
    refunds = "/v3/refund/domestic/refunds"
    for request in sandboxes.wechat.requests():
        wechat.refund_calls += request.method == "POST" and request.path == refunds
        wechat.queries += request.method == "GET" and request.path.startswith(refunds + "/")
        if request.fault is not None:
            wechat.faults[request.fault.value] += 1
    for delivery in sandboxes.wechat.deliveries():
        wechat.deliveries += 1
        wechat.refused += not 200 <= delivery.status < 300
    for received in sandboxes.bank.requests:
        bank.refund_calls += received.method == "POST" and received.path == "/refunds"
        bank.queries += received.method == "GET" and received.path.startswith("/refunds/")
        if received.fault is not None:
            bank.faults[received.fault.value] += 1
    for notice in sandboxes.bank.deliveries:
        bank.deliveries += 1
        bank.refused += not 200 <= notice.http_status < 300
    return {"alipay": alipay, "wechat": wechat, "bank_card": bank}
