"""Properties of the real services on a real database: no sequence of claims, decisions and
retries pays out more than was paid, per order and per item, and the ledger always balances."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import InlineRelay
from tests.support.factories import png_bytes
from tuika.adapters.db.tables import EntryRow, PayoutRow
from tuika.bootstrap import System
from tuika.domain.cases import CaseStatus, DecisionAction, Role, Route
from tuika.domain.errors import Conflict, TuikaError
from tuika.domain.money import Money
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.payouts import PayoutStatus
from tuika.domain.policy import Reason
from tuika.services.claims import evidence, filing
from tuika.services.context import Actor
from tuika.services.orders.orders import sync_order
from tuika.services.payouts import paying
from tuika.services.review import decisions
from tuika.services.review.machine import machine_review

BUYER = Actor("buyer_p", Role.BUYER)
ARBITRATOR = Actor("arbitrator_p", Role.ARBITRATOR)
HOST = Actor("host", Role.PLATFORM)
counter = itertools.count()
PNG = png_bytes(16, 16)

claim = st.tuples(st.just("claim"), st.sets(st.integers(0, 3), max_size=4), st.sampled_from(list(Reason)))
operation = st.one_of(
    claim,
    claim,
    st.tuples(st.just("approve"), st.integers(0, 9), st.just(None)),
    st.tuples(st.just("reject"), st.integers(0, 9), st.just(None)),
    st.tuples(st.just("withdraw"), st.integers(0, 9), st.just(None)),
    st.tuples(st.just("repay"), st.integers(0, 9), st.just(None)),
    st.tuples(st.just("rereview"), st.integers(0, 9), st.just(None)),
)


@pytest.fixture
def sqlite_only(db_url: str) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("the property runs on SQLite; the concurrency tests cover PostgreSQL")


@pytest.mark.usefixtures("sqlite_only")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    items=st.integers(1, 4),
    amount=st.integers(4, 50_000),
    delivery=st.sampled_from(list(DeliveryStatus)),
    operations=st.tuples(claim, st.lists(operation, min_size=4, max_size=14)).map(lambda t: [t[0], *t[1]]),
)
def test_no_sequence_pays_more_than_was_paid(
    system: System,
    dispatcher: InlineRelay,
    items: int,
    amount: int,
    delivery: DeliveryStatus,
    operations: list[tuple[str, object, object]],
) -> None:
    ctx = system.ctx
    now = datetime.now(UTC)
    order_id = f"ord_p{next(counter)}"
    order = Order(
        id=order_id,
        buyer_id=BUYER.subject,
        merchant_id="m",
        supplier_id="s",
        sku="SKU",
        product_kind=ProductKind.CARD_KEY,
        items=tuple(OrderItem(f"{order_id}_{n}") for n in range(items)),
        amount=Money(amount),
        payment_route=PaymentRoute.WECHAT,
        transaction_id="tx",
        paid_at=now - timedelta(minutes=5),
        delivery_status=delivery,
        delivered_at=now - timedelta(minutes=4) if delivery is DeliveryStatus.DELIVERED else None,
    )
    keys = {i.id: f"KEY-{i.id}-ABCD" for i in order.items} if delivery is DeliveryStatus.DELIVERED else {}
    sync_order(ctx, HOST, order, keys)
    cases: list[str] = []
    for kind, arg, extra in operations:
        try:
            if kind == "claim":
                assert isinstance(arg, set)
                picked = tuple(order.items[n % items].id for n in sorted(arg))
                # Two screenshots per claim, so most claims reach a decision instead of waiting for evidence.
                shots = tuple(evidence.upload(ctx, BUYER, PNG, None).id for _ in range(2))
                request = filing.ClaimRequest(
                    order_id, Reason(str(extra)), tuple(dict.fromkeys(picked)), evidence_ids=shots, route=Route.BALANCE
                )
                cases.append(filing.submit(ctx, BUYER, request, None).case.id)
            elif cases:
                assert isinstance(arg, int)
                case_id = cases[arg % len(cases)]
                if kind == "approve" or kind == "reject":
                    action = DecisionAction.APPROVE if kind == "approve" else DecisionAction.REJECT
                    decisions.decide(ctx, ARBITRATOR, case_id, decisions.DecisionRequest(action, ("goodwill",)))
                elif kind == "withdraw":
                    filing.withdraw(ctx, BUYER, case_id, "")
                elif kind == "rereview":
                    machine_review(ctx, case_id)
                else:
                    for payout_id in dispatcher.payouts:
                        paying.execute(ctx, payout_id)
        except (Conflict, TuikaError):
            pass  # refusals are part of the property: what matters is what got paid
    with system.engine.connect() as conn:
        rows = conn.execute(select(PayoutRow).where(PayoutRow.order_id == order_id)).all()
        total = conn.scalar(select(func.coalesce(func.sum(EntryRow.amount_fen), 0)))
    live = [r for r in rows if r.status != PayoutStatus.FAILED.value]
    assert sum(r.amount_fen + r.fee_fen for r in live) <= amount
    paid_per_item = order.item_amounts()
    for item_id, price in paid_per_item.items():
        assert sum(int(r.item_amounts.get(item_id, 0)) for r in live) <= price.fen
    assert len({r.case_id for r in rows}) == len(rows), "one payout per case"
    assert total == 0
    with ctx.uow() as uow:
        for case_id in cases:
            case = uow.cases.get(case_id)
            assert case is not None
            if case.status is CaseStatus.REFUNDED:
                assert [p.status for p in uow.payouts.for_case(case_id)] == [PayoutStatus.SUCCEEDED]
