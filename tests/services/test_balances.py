"""Balances and holds per merchant and supplier, summed from the ledger: each figure is its postings to the fen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.test_api_validation import default_policy
from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import ledger_total, order_payload, png_bytes
from tuika.bootstrap import System
from tuika.domain.balances import Balances, Party
from tuika.domain.cases import CaseStatus, Role
from tuika.domain.errors import Forbidden, InvalidInput, NotFound
from tuika.domain.money import Money
from tuika.services.context import Actor
from tuika.services.finance.balances import parties, standing

FINANCE = Actor("finance_1", Role.ADMIN)


def claim(
    client: TestClient, auth: Auth, order_id: str, amount_fen: int, merchant: str = "merchant_1", **order: Any
) -> str:
    """File a card claim a person reviews on ``merchant``'s goods; return its id."""
    push(client, auth, order_payload(order_id, amount_fen=amount_fen, merchant_id=merchant, **order))
    body = {"order_id": order_id, "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case = file_case(client, auth, body)
    assert case["status"] == "manual_review", case
    return str(case["id"])


def merchants_fault(client: TestClient, auth: Auth, order_id: str, amount_fen: int) -> str:
    """File a wrong-item claim on merchant_1's goods: the merchant is liable; return its id."""
    push(client, auth, order_payload(order_id, amount_fen=amount_fen, paid_ago=timedelta(minutes=20)))
    shots = [
        upload(client, auth, data=png_bytes(color="gray"), kind="order_screenshot"),
        upload(client, auth, data=png_bytes(color="silver"), kind="received_item_screenshot"),
    ]
    case = file_case(client, auth, {"order_id": order_id, "reason": "wrong_item", "evidence_ids": shots})
    assert (case["liable"], case["status"]) == ("merchant", "manual_review"), case
    return str(case["id"])


def decide(client: TestClient, auth: Auth, case_id: str, action: str, code: str) -> None:
    decided = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": action, "reason_codes": [code]},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text


def fund(client: TestClient, auth: Auth, party: str, party_id: str, amount_fen: int, reference: str) -> None:
    body = {"party": party, "party_id": party_id, "amount_fen": amount_fen, "reference": reference}
    funded = client.post("/v1/ledger/deposits", json=body, headers=auth("admin", "finance_1"))
    assert funded.status_code == 201, funded.text


def publish_fault_fees(client: TestClient, auth: Auth) -> None:
    document = default_policy()
    document["fault_fees"] = {
        "supplier": {"kind": "percent", "percent_bp": 200, "cap_fen": 500},
        "merchant": {"kind": "actual_cost", "fen": 300},
    }
    published = client.post("/v1/policies", json={"document": document}, headers=auth("admin", "root"))
    assert published.status_code == 201, published.text


def posted(engine: Engine) -> dict[tuple[str, str], int]:
    """Return the ledger's sums by account and posting kind, read straight from its tables."""
    query = text(
        "SELECT e.account, p.kind, SUM(e.amount_fen) FROM ledger_entries e"
        " JOIN ledger_postings p ON p.id = e.posting_id GROUP BY e.account, p.kind"
    )
    with engine.connect() as conn:
        return {(account, kind): int(total) for account, kind, total in conn.execute(query)}


def as_posted(engine: Engine, party: Party, party_id: str) -> dict[str, int]:
    """Return what a party's figures must be, from its postings summed by kind: the figures' definition."""
    sums = posted(engine)

    def on(suffix: str, *kinds: str) -> int:
        account = f"{party.value}:{party_id}:{suffix}"
        return sum(v for (a, k), v in sums.items() if a == account and (not kinds or k in kinds))

    figures = {
        "deposit": on("deposit"),
        "paid_in": on("deposit", "deposit"),
        "recovered": -on("deposit", "clawback") - (on("holds", "clawback") if party is Party.MERCHANT else 0),
        "fault_fees": -on("deposit", "fault_fee"),
    }
    if party is Party.MERCHANT:
        figures |= {"settlement": on("settlement"), "held": on("holds")}
    return figures


def figures(b: Balances) -> dict[str, int]:
    shown = {"deposit": b.deposit, "paid_in": b.paid_in, "recovered": b.recovered, "fault_fees": b.fault_fees}
    if b.party is Party.MERCHANT:
        assert b.settlement is not None
        assert b.held is not None
        shown |= {"settlement": b.settlement, "held": b.held}
    return {name: money.fen for name, money in shown.items()}


def merchant(system: System, merchant_id: str = "merchant_1") -> Balances:
    return standing(system.ctx, FINANCE, f"merchant:{merchant_id}").balances


def test_holds_placed_released_and_recovered_are_the_merchants_figures_largest_held_first(
    client: TestClient, auth: Auth, system: System
) -> None:
    claim(client, auth, "ord_bl1", 4200)
    rejected = claim(client, auth, "ord_bl2", 1800)
    claim(client, auth, "ord_bl3", 9000, merchant="merchant_2")

    page = parties(system.ctx, FINANCE, "merchant")
    assert [(b.party_id, b.held, b.open_holds) for b in page.items] == [
        ("merchant_2", Money(9000), 1),
        ("merchant_1", Money(6000), 2),
    ]
    assert (page.total, page.next_offset) == (2, None)
    assert figures(page.items[1]) == {
        "settlement": -6000,
        "held": 6000,
        "deposit": 0,
        "paid_in": 0,
        "recovered": 0,
        "fault_fees": 0,
    }

    decide(client, auth, rejected, "reject", "evidence_insufficient")
    released = merchant(system)
    assert (released.held, released.settlement, released.open_holds) == (Money(4200), Money(-4200), 1)

    # A refund on the merchant's fault comes out of its hold: recovered, and its settlement short.
    decide(client, auth, merchants_fault(client, auth, "ord_bl4", 8000), "approve", "merchant_confirmed_fault")
    recovered = merchant(system)
    assert figures(recovered) == {
        "settlement": -4200 - 8000,
        "held": 4200,
        "deposit": 0,
        "paid_in": 0,
        "recovered": 8000,
        "fault_fees": 0,
    }
    assert recovered.open_holds == 1
    for party_id in ("merchant_1", "merchant_2"):
        assert figures(merchant(system, party_id)) == as_posted(system.engine, Party.MERCHANT, party_id)
    assert ledger_total(system.engine) == 0


def test_deposits_clawbacks_and_fault_fees_of_suppliers_and_merchants_the_one_owing_most_first(
    client: TestClient, auth: Auth, system: System
) -> None:
    publish_fault_fees(client, auth)
    fund(client, auth, "supplier", "supplier_1", 50_000, "BANK-B-001")
    fund(client, auth, "supplier", "supplier_2", 10_000, "BANK-B-002")
    fund(client, auth, "merchant", "merchant_1", 30_000, "BANK-B-003")

    # Two refunds on the supplier's fault: the refund and 2 % of it (at most ¥5) from its deposit.
    decide(
        client,
        auth,
        manual_review_case(client, auth, "ord_bd1", amount_fen=10_000),
        "approve",
        "supplier_confirmed_fault",
    )
    decide(
        client,
        auth,
        manual_review_case(client, auth, "ord_bd2", amount_fen=60_000),
        "approve",
        "supplier_confirmed_fault",
    )
    # One on the merchant's: the refund from its hold, the fee of ¥3 from its deposit.
    decide(client, auth, merchants_fault(client, auth, "ord_bd3", 8_000), "approve", "merchant_confirmed_fault")

    suppliers = parties(system.ctx, FINANCE, "supplier").items
    assert [(b.party_id, b.deposit, b.owes) for b in suppliers] == [
        ("supplier_1", Money(50_000 - 70_000 - 200 - 500), True),
        ("supplier_2", Money(10_000), False),
    ]
    assert figures(suppliers[0]) == {"deposit": -20_700, "paid_in": 50_000, "recovered": 70_000, "fault_fees": 700}
    assert (suppliers[0].settlement, suppliers[0].held, suppliers[0].open_holds) == (None, None, None)
    assert figures(merchant(system)) == {
        "settlement": -8_000,
        "held": 0,
        "deposit": 30_000 - 300,
        "paid_in": 30_000,
        "recovered": 8_000,
        "fault_fees": 300,
    }
    for b in suppliers:
        assert figures(b) == as_posted(system.engine, Party.SUPPLIER, b.party_id)
    assert figures(merchant(system)) == as_posted(system.engine, Party.MERCHANT, "merchant_1")
    assert ledger_total(system.engine) == 0


def test_a_merchants_open_holds_come_largest_first_a_page_at_a_time_with_their_numbers(
    client: TestClient, auth: Auth, system: System
) -> None:
    small = claim(client, auth, "ord_bh1", 1500, merchant_name="金卡优选旗舰店")
    large = claim(client, auth, "ord_bh2", 7000)
    ended = claim(client, auth, "ord_bh3", 9900)
    decide(client, auth, ended, "reject", "evidence_insufficient")

    first = standing(system.ctx, FINANCE, "merchant:merchant_1", limit=1)
    second = standing(system.ctx, FINANCE, "merchant:merchant_1", limit=1, offset=1)

    assert first.balances.name == "金卡优选旗舰店"
    assert first.holds is not None
    assert second.holds is not None
    assert [(h.case_id, h.amount, h.status) for h in first.holds.items + second.holds.items] == [
        (large, Money(7000), CaseStatus.MANUAL_REVIEW),
        (small, Money(1500), CaseStatus.MANUAL_REVIEW),
    ]
    assert (first.holds.total, first.holds.next_offset, second.holds.next_offset) == (2, 1, None)
    number = client.get(f"/v1/refund-cases/{large}", headers=auth("admin", "root")).json()["number"]
    assert first.holds.items[0].number == number
    assert first.holds.items[0].order_title == "京东E卡 100元"


def test_a_merchant_reads_only_itself_and_a_party_never_named_is_not_found_but_to_itself(
    client: TestClient, auth: Auth, system: System
) -> None:
    claim(client, auth, "ord_bm1", 2500)
    fund(client, auth, "merchant", "m:east", 1000, "BANK-B-010")
    own = Actor("merchant_1", Role.MERCHANT)

    assert standing(system.ctx, own, "merchant:merchant_1").balances.held == Money(2500)
    with pytest.raises(NotFound):
        standing(system.ctx, own, "merchant:merchant_2")
    with pytest.raises(NotFound):
        standing(system.ctx, own, "supplier:supplier_1")
    quiet = standing(system.ctx, Actor("merchant_9", Role.MERCHANT), "merchant:merchant_9")
    assert (quiet.balances.held, quiet.balances.deposit, quiet.balances.open_holds) == (Money(0), Money(0), 0)
    assert quiet.holds is not None
    assert quiet.holds.items == ()
    with pytest.raises(NotFound):
        standing(system.ctx, FINANCE, "merchant:merchant_9")
    # An id may hold a colon, as a deposit may be funded for one.
    assert merchant(system, "m:east").deposit == Money(1000)
    assert [b.party_id for b in parties(system.ctx, FINANCE, "merchant").items] == ["merchant_1", "m:east"]


@pytest.mark.parametrize("role", [Role.BUYER, Role.AGENT, Role.ARBITRATOR, Role.PLATFORM, Role.MERCHANT])
def test_only_finance_lists_every_party(system: System, role: Role) -> None:
    with pytest.raises(Forbidden):
        parties(system.ctx, Actor("someone", role), "merchant")


@pytest.mark.parametrize("role", [Role.BUYER, Role.AGENT, Role.ARBITRATOR, Role.PLATFORM])
def test_no_one_but_finance_and_the_merchant_reads_a_party(system: System, role: Role) -> None:
    with pytest.raises(Forbidden):
        standing(system.ctx, Actor("merchant_1", role), "merchant:merchant_1")


@pytest.mark.parametrize(
    ("name", "limit", "offset"),
    [
        ("buyer:buyer_1", 50, 0),
        ("merchant:", 50, 0),
        ("merchant:a b", 50, 0),
        ("merchant_1", 50, 0),
        ("merchant:merchant_1", 0, 0),
        ("merchant:merchant_1", 201, 0),
        ("merchant:merchant_1", 50, -1),
    ],
)
def test_a_party_or_a_page_that_is_not_one_is_refused(system: System, name: str, limit: int, offset: int) -> None:
    with pytest.raises(InvalidInput):
        standing(system.ctx, FINANCE, name, limit=limit, offset=offset)


def test_a_kind_of_party_that_is_not_one_is_refused(system: System) -> None:
    with pytest.raises(InvalidInput):
        parties(system.ctx, FINANCE, "buyer")
