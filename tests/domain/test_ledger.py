import pytest
from hypothesis import given
from hypothesis import strategies as st

from tuika.domain.errors import LedgerUnbalanced
from tuika.domain.ledger import (
    FEE_INCOME,
    PLATFORM_CLEARING,
    Entry,
    Posting,
    balances,
    buyer_account,
    check_balanced,
    clawback,
    gateway_clearing,
    is_valid_account,
    merchant_deposit,
    refund_to_balance,
    supplier_deposit,
)
from tuika.domain.money import Money
from tuika.domain.policy import LiableParty


def test_account_names() -> None:
    assert buyer_account("b_1") == "buyer:b_1"
    assert supplier_deposit("s_1") == "supplier:s_1:deposit"
    assert merchant_deposit("m_1") == "merchant:m_1:deposit"
    assert gateway_clearing("alipay") == "gateway:alipay:clearing"
    assert PLATFORM_CLEARING == "platform:clearing"
    assert FEE_INCOME == "platform:fee_income"


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("buyer:b_1", True),
        ("supplier:s_1:deposit", True),
        ("merchant:m_1:deposit", True),
        ("platform:clearing", True),
        ("gateway:wechat:clearing", True),
        ("buyer:", False),
        ("buyer", False),
        ("bank:b_1", False),
        ("", False),
        (":b_1", False),
        ("buyer:" + "x" * 114, True),  # 120 characters
        ("buyer:" + "x" * 115, False),  # 121 characters
    ],
)
def test_is_valid_account(name: str, valid: bool) -> None:
    assert is_valid_account(name) is valid


def test_a_balanced_posting_is_accepted() -> None:
    posting = Posting("m", (Entry("platform:clearing", Money(-5)), Entry("buyer:b", Money(5))), "po_1")

    assert posting.payout_id == "po_1"
    assert len(posting.entries) == 2


@pytest.mark.parametrize(
    ("entries", "total"),
    [
        ((Entry("platform:clearing", Money(-500)), Entry("buyer:b_1", Money(499))), -1),
        ((Entry("buyer:b_1", Money(1)),), 1),
        ((Entry("buyer:b_1", Money(300)), Entry(FEE_INCOME, Money(1)), Entry(PLATFORM_CLEARING, Money(-300))), 1),
    ],
)
def test_a_posting_that_does_not_sum_to_zero_is_refused(entries: tuple[Entry, ...], total: int) -> None:
    with pytest.raises(LedgerUnbalanced, match=f"posting 'refund rc_1' sums to {total} fen"):
        Posting("refund rc_1", entries)


def test_an_empty_posting_is_refused() -> None:
    with pytest.raises(LedgerUnbalanced, match="sums to 0 fen"):
        Posting("nothing", ())


def test_a_refund_to_balance_without_a_fee_moves_clearing_to_the_buyer() -> None:
    posting = refund_to_balance(buyer_id="b_1", refundable=Money(10_000), fee=Money(0), memo="rc_1", payout_id="po_1")

    assert posting == Posting(
        "rc_1",
        (Entry(PLATFORM_CLEARING, Money(-10_000)), Entry("buyer:b_1", Money(10_000))),
        "po_1",
    )


def test_a_refund_to_balance_keeps_the_fee_as_income() -> None:
    posting = refund_to_balance(buyer_id="b_1", refundable=Money(10_000), fee=Money(100), memo="rc_1", payout_id="po_1")

    assert posting.entries == (
        Entry(PLATFORM_CLEARING, Money(-10_000)),
        Entry("buyer:b_1", Money(9_900)),
        Entry(FEE_INCOME, Money(100)),
    )
    assert posting.payout_id == "po_1"


@pytest.mark.parametrize(
    ("liable", "account"),
    [(LiableParty.SUPPLIER, "supplier:s_1:deposit"), (LiableParty.MERCHANT, "merchant:m_1:deposit")],
)
def test_a_clawback_takes_the_refund_from_the_liable_deposit(liable: LiableParty, account: str) -> None:
    posting = clawback(
        liable=liable, supplier_id="s_1", merchant_id="m_1", amount=Money(9_900), memo="rc_1", payout_id="po_1"
    )

    assert posting == Posting(
        "rc_1",
        (Entry(account, Money(-9_900)), Entry(PLATFORM_CLEARING, Money(9_900))),
        "po_1",
    )


@pytest.mark.parametrize("liable", [LiableParty.PLATFORM, LiableParty.BUYER])
def test_nobody_is_clawed_back_when_the_platform_or_the_buyer_bears_it(liable: LiableParty) -> None:
    posting = clawback(
        liable=liable, supplier_id="s_1", merchant_id="m_1", amount=Money(9_900), memo="rc_1", payout_id="po_1"
    )

    assert posting is None


@pytest.mark.parametrize("liable", [LiableParty.SUPPLIER, LiableParty.MERCHANT])
def test_a_zero_clawback_posts_nothing(liable: LiableParty) -> None:
    posting = clawback(liable=liable, supplier_id="s_1", merchant_id="m_1", amount=Money(0), memo="m", payout_id="p")

    assert posting is None


def test_balances_sum_entries_per_account() -> None:
    entries = [
        Entry("buyer:b_1", Money(100)),
        Entry(PLATFORM_CLEARING, Money(-100)),
        Entry("buyer:b_1", Money(-30)),
        Entry(FEE_INCOME, Money(30)),
    ]

    assert balances(entries) == {"buyer:b_1": Money(70), PLATFORM_CLEARING: Money(-100), FEE_INCOME: Money(30)}
    assert balances([]) == {}


def test_check_balanced_accepts_balanced_postings_and_refuses_a_broken_journal() -> None:
    good = refund_to_balance(buyer_id="b", refundable=Money(500), fee=Money(0), memo="m", payout_id="p")
    check_balanced([good, good])
    check_balanced([])

    broken = Posting("m", (Entry("buyer:b", Money(1)), Entry(PLATFORM_CLEARING, Money(-1))))
    object.__setattr__(broken, "entries", (Entry("buyer:b", Money(1)),))  # as if a row were lost
    with pytest.raises(LedgerUnbalanced, match="journal sums to 1 fen"):
        check_balanced([good, broken])


refunds = st.tuples(
    st.sampled_from(["b_1", "b_2", "b_3"]),
    st.integers(min_value=1, max_value=1_000_000),
    st.integers(min_value=0, max_value=1_000),
    st.sampled_from(LiableParty),
    st.sampled_from(["s_1", "s_2"]),
    st.sampled_from(["m_1", "m_2"]),
)


@given(st.lists(refunds, max_size=25))
def test_any_sequence_of_refunds_and_clawbacks_keeps_the_journal_balanced(
    operations: list[tuple[str, int, int, LiableParty, str, str]],
) -> None:
    journal: list[Posting] = []
    paid_out: dict[str, int] = {}
    clawed: dict[str, int] = {}
    fees = 0
    for n, (buyer, refundable, fee_fen, liable, supplier, merchant) in enumerate(operations):
        fee = min(fee_fen, refundable)
        payout = refundable - fee
        journal.append(
            refund_to_balance(
                buyer_id=buyer, refundable=Money(refundable), fee=Money(fee), memo=f"rc_{n}", payout_id=f"po_{n}"
            )
        )
        back = clawback(
            liable=liable,
            supplier_id=supplier,
            merchant_id=merchant,
            amount=Money(payout),
            memo=f"rc_{n}",
            payout_id=f"po_{n}",
        )
        if back is not None:
            journal.append(back)
            deposit = supplier_deposit(supplier) if liable is LiableParty.SUPPLIER else merchant_deposit(merchant)
            clawed[deposit] = clawed.get(deposit, 0) + payout
        paid_out[buyer] = paid_out.get(buyer, 0) + payout
        fees += fee

    check_balanced(journal)
    totals = balances(e for p in journal for e in p.entries)
    assert sum(m.fen for m in totals.values()) == 0
    for buyer, fen in paid_out.items():
        assert totals[buyer_account(buyer)] == Money(fen)
    for deposit, fen in clawed.items():
        assert totals[deposit] == Money(-fen)
    assert totals.get(FEE_INCOME, Money(0)) == Money(fees)
    assert all(is_valid_account(account) for account in totals)
