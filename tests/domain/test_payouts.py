import itertools
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.builders import PAID_AT, order, payout, payout_for
from tuika.domain.errors import IllegalTransition, OverRefund
from tuika.domain.money import Money
from tuika.domain.orders import Order
from tuika.domain.payouts import PAYOUT_TRANSITIONS, Payout, PayoutStatus, allocate, check_cap

P = PayoutStatus
EXPECTED_MOVES = {
    (P.PENDING, P.PROCESSING),
    (P.PENDING, P.FAILED),
    (P.PROCESSING, P.SUCCEEDED),
    (P.PROCESSING, P.FAILED),
    (P.PROCESSING, P.ABNORMAL),
    # WeChat's way out for an abnormal refund sends it again; finance may also close it.
    (P.ABNORMAL, P.PROCESSING),
    (P.ABNORMAL, P.SUCCEEDED),
    (P.ABNORMAL, P.FAILED),
    # A failed refund its gateway later confirms it paid, when finance settles that dispute.
    (P.FAILED, P.SUCCEEDED),
}
ALL_PAIRS = list(itertools.product(PayoutStatus, PayoutStatus))
LATER = PAID_AT + timedelta(hours=1)


# ---------- the state machine ----------


def test_the_payout_table_admits_exactly_the_specified_moves() -> None:
    assert set(PAYOUT_TRANSITIONS) == set(PayoutStatus)
    assert {(old, new) for old, targets in PAYOUT_TRANSITIONS.items() for new in targets} == EXPECTED_MOVES


@pytest.mark.parametrize(("old", "new"), ALL_PAIRS, ids=[f"{o}->{n}" for o, n in ALL_PAIRS])
def test_move_follows_the_table(old: PayoutStatus, new: PayoutStatus) -> None:
    before = payout(status=old)
    if (old, new) in EXPECTED_MOVES:
        after = before.move(new, LATER)
        assert (after.status, after.updated_at, after.created_at) == (new, LATER, PAID_AT)
        return
    with pytest.raises(IllegalTransition, match=f"payout {old.value} → {new.value} is not allowed"):
        before.move(new, LATER)
    assert before.status is old


def test_move_records_the_changes_it_is_given() -> None:
    processing = payout().move(P.PROCESSING, LATER, attempts=1)
    succeeded = processing.move(P.SUCCEEDED, LATER + timedelta(seconds=5), voucher="2024060122001")

    assert (processing.attempts, processing.voucher) == (1, None)
    assert (succeeded.attempts, succeeded.voucher, succeeded.status) == (1, "2024060122001", P.SUCCEEDED)
    assert succeeded.updated_at == LATER + timedelta(seconds=5)


def test_the_gateway_refund_number_is_the_payout_id_and_refundable_includes_the_fee() -> None:
    p = payout("po_abc", amount=9_900, fee=100)

    assert p.gateway_refund_no == "po_abc"
    assert p.refundable == Money(10_000)
    assert p.move(P.PROCESSING, LATER, attempts=2).gateway_refund_no == "po_abc"


# ---------- allocate ----------

PRICES = {"a": Money(334), "b": Money(333), "c": Money(333)}


@pytest.mark.parametrize(
    ("items", "refundable", "shares"),
    [
        (("a", "b", "c"), 1000, {"a": 334, "b": 333, "c": 333}),
        (("a", "b", "c"), 900, {"a": 334, "b": 333, "c": 233}),
        (("b", "c"), 400, {"b": 333, "c": 67}),
        (("c",), 0, {"c": 0}),
        (("a", "b"), 667, {"a": 334, "b": 333}),
    ],
)
def test_allocate_fills_items_in_order_up_to_their_price(
    items: tuple[str, ...], refundable: int, shares: dict[str, int]
) -> None:
    assert allocate(items, PRICES, Money(refundable)) == {k: Money(v) for k, v in shares.items()}


def test_allocate_refuses_more_than_the_items_cost() -> None:
    with pytest.raises(OverRefund, match="1 fen more than the items cost"):
        allocate(("a", "b"), PRICES, Money(668))


@given(
    st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=6),
    st.data(),
)
def test_allocate_never_gives_an_item_more_than_it_cost_and_sums_exactly(
    prices: list[int], data: st.DataObject
) -> None:
    paid = {f"oi_{n}": Money(p) for n, p in enumerate(prices)}
    items = data.draw(st.lists(st.sampled_from(sorted(paid)), unique=True, min_size=1))
    total = sum(paid[i].fen for i in items)
    refundable = data.draw(st.integers(min_value=0, max_value=total))

    shares = allocate(items, paid, Money(refundable))

    assert list(shares) == items
    assert sum(s.fen for s in shares.values()) == refundable
    assert all(Money(0) <= shares[i] <= paid[i] for i in items)


# ---------- check_cap ----------


def test_check_cap_accepts_payouts_up_to_what_was_paid() -> None:
    three = order(amount=1000, n_items=3)
    first = payout_for("po_1", three, ("oi_1",), 334)
    second = payout_for("po_2", three, ("oi_2", "oi_3"), 666, fee=100)

    check_cap(three.amount, three.item_amounts(), [], first)
    check_cap(three.amount, three.item_amounts(), [first], second)


def test_check_cap_refuses_a_second_refund_of_the_whole_order() -> None:
    one = order(amount=1000)
    first = payout_for("po_1", one, ("oi_1",), 1000)
    again = payout_for("po_2", one, ("oi_1",), 1)

    with pytest.raises(OverRefund, match="1001 fen > 1000 fen paid") as caught:
        check_cap(one.amount, one.item_amounts(), [first], again)
    assert caught.value.facts == {"paid": 1000, "total": 1001}


def test_check_cap_refuses_an_item_refunded_twice_even_within_the_order_total() -> None:
    two = order(amount=1000, n_items=2)
    first = payout_for("po_1", two, ("oi_1",), 300)
    second = payout(item_amounts={"oi_1": Money(201)}, amount=201, pid="po_2")

    with pytest.raises(OverRefund, match="item oi_1: 501 fen > 500 fen") as caught:
        check_cap(two.amount, two.item_amounts(), [first], second)
    assert caught.value.facts == {"item": "oi_1"}


def test_check_cap_does_not_count_a_payout_against_itself_on_retry() -> None:
    one = order(amount=1000)
    only = payout_for("po_1", one, ("oi_1",), 1000).move(P.PROCESSING, LATER, attempts=1)

    check_cap(one.amount, one.item_amounts(), [only], only)


def test_a_failed_payout_frees_its_share() -> None:
    one = order(amount=1000)
    failed = payout_for("po_1", one, ("oi_1",), 1000).move(P.FAILED, LATER, failure="gateway_down")
    replacement = payout_for("po_2", one, ("oi_1",), 1000)

    check_cap(one.amount, one.item_amounts(), [failed], replacement)


@pytest.mark.parametrize("status", [P.PENDING, P.PROCESSING, P.SUCCEEDED])
def test_a_live_payout_holds_its_share(status: PayoutStatus) -> None:
    one = order(amount=1000)
    live = payout_for("po_1", one, ("oi_1",), 600)
    live = live if status is P.PENDING else live.move(P.PROCESSING, LATER)
    live = live.move(P.SUCCEEDED, LATER) if status is P.SUCCEEDED else live

    with pytest.raises(OverRefund):
        check_cap(one.amount, one.item_amounts(), [live], payout_for("po_2", one, ("oi_1",), 401))


def _fits(paid: Order, live: list[Payout], new: Payout) -> bool:
    """Model of the cap: what the accepted payouts may take, per order and per item."""
    others = [p for p in live if p.id != new.id]
    if sum(p.refundable.fen for p in [*others, new]) > paid.amount.fen:
        return False
    for item_id, price in paid.item_amounts().items():
        used = sum(p.item_amounts.get(item_id, Money(0)).fen for p in [*others, new])
        if used > price.fen:
            return False
    return True


# An operation is (kind, a, b, c). create: a = bit mask of items, b = per-mille of their price, c = fee;
# fail, retry and reissue: a picks one payout.
operations = st.lists(
    st.tuples(
        st.sampled_from(["create", "create", "fail", "retry", "reissue"]),
        st.integers(1, 31),
        st.integers(0, 1000),
        st.integers(0, 300),
    ),
    max_size=25,
)


@settings(deadline=None)
@given(
    n_items=st.integers(min_value=1, max_value=5), amount=st.integers(min_value=0, max_value=100_000), ops=operations
)
def test_accepted_payouts_never_exceed_what_was_paid_and_failures_free_their_share(
    n_items: int, amount: int, ops: list[tuple[str, int, int, int]]
) -> None:
    the_order = order(amount=amount, n_items=n_items)
    item_paid = the_order.item_amounts()
    ids = the_order.item_ids()
    accepted: list[Payout] = []

    def offer(new: Payout) -> bool:
        fits = _fits(the_order, [p for p in accepted if p.status is not P.FAILED], new)
        try:
            check_cap(the_order.amount, item_paid, accepted, new)
        except OverRefund:
            assert not fits, "refused a payout that fits"
            return False
        assert fits, "accepted a payout that does not fit"
        return True

    for n, (kind, a, b, c) in enumerate(ops):
        live = [p for p in accepted if p.status is not P.FAILED]
        failed = [p for p in accepted if p.status is P.FAILED]
        if kind == "create":
            chosen = tuple(item_id for i, item_id in enumerate(ids) if a & (1 << i)) or (ids[0],)
            refundable = the_order.amount_for(chosen).fen * b // 1000
            new = payout_for(f"po_{n}", the_order, chosen, refundable, fee=min(c, refundable))
            if offer(new):
                accepted.append(new)
        elif kind == "fail" and live:
            victim = live[a % len(live)]
            accepted[accepted.index(victim)] = victim.move(P.FAILED, LATER, failure="declined")
        elif kind == "retry" and live:
            assert offer(live[a % len(live)]), "a retry of an accepted payout must pass again"
        elif kind == "reissue" and failed:
            source = failed[a % len(failed)]
            fresh = payout(
                f"po_{n}", item_amounts=dict(source.item_amounts), amount=source.amount.fen, fee=source.fee.fen
            )
            if offer(fresh):
                accepted.append(fresh)

        live = [p for p in accepted if p.status is not P.FAILED]
        assert sum(p.refundable.fen for p in live) <= the_order.amount.fen
        for item_id, price in item_paid.items():
            assert sum(p.item_amounts.get(item_id, Money(0)).fen for p in live) <= price.fen


def test_reissuing_after_a_failure_is_accepted_when_the_order_is_otherwise_untouched() -> None:
    two = order(amount=1000, n_items=2)
    first = payout_for("po_1", two, ("oi_1", "oi_2"), 1000)
    check_cap(two.amount, two.item_amounts(), [], first)
    with pytest.raises(OverRefund):
        check_cap(two.amount, two.item_amounts(), [first], payout_for("po_2", two, ("oi_1", "oi_2"), 1000))

    failed = first.move(P.FAILED, LATER)

    check_cap(two.amount, two.item_amounts(), [failed], payout_for("po_2", two, ("oi_1", "oi_2"), 1000))


def test_a_failed_payout_whose_gateway_disputes_the_failure_still_holds_its_share() -> None:
    one = order(amount=1000)
    failed = payout_for("po_1", one, ("oi_1",), 1000).move(P.FAILED, LATER, failure="closed")
    replacement = payout_for("po_2", one, ("oi_1",), 1000)

    with pytest.raises(OverRefund):
        check_cap(one.amount, one.item_amounts(), [failed], replacement, disputed=frozenset({"po_1"}))
    check_cap(one.amount, one.item_amounts(), [failed], replacement, disputed=frozenset({"po_other"}))
