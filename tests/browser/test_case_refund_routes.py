"""A buyer follows a refund by bank card on the case page: with the bank for days, or refused and sent to the balance.

The bank sandbox and the adapter share a fake clock, moved past T+1 to let the bank settle;
its notices are posted into the app at /v1/notify/bank_card, as the bank would post them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, order_payload
from tests.support.rigs import FakeClock, bank_wired
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number
from tuika.domain.money import Money
from tuika_dev.sandbox.bank import BankSandbox, FailCode

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

CURRENT = "[aria-current=step] .case-step-label"


@pytest.fixture
def bank(system: System, api: TestClient) -> Iterator[tuple[BankSandbox, FakeClock]]:
    with bank_wired(system, api) as wired:
        yield wired


def claim_by_card(
    api: TestClient, auth: Auth, bank: BankSandbox, order_id: str, buyer: str = "buyer_1", fail: FailCode | None = None
) -> dict[str, Any]:
    """Claim an undelivered card-paid order by the original route: approved at once, sent to the bank."""
    push(api, auth, order_payload(order_id, buyer=buyer, route="bank_card", delivery="failed", amount_fen=5000))
    bank.add_trade(f"tx_{order_id}", order_id, Money(5000))
    if fail is not None:
        bank.fail_card(f"tx_{order_id}", fail)
    case = file_case(api, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
    assert (case["status"], case["payout"]["status"]) == ("refunding", "processing"), case
    return case


def api_case(api: TestClient, auth: Auth, case_id: str, buyer: str = "buyer_1") -> dict[str, Any]:
    response = api.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_a_refused_bank_refund_is_sent_to_the_balance_from_the_case_page(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    system: System,
    bank: tuple[BankSandbox, FakeClock],
    sso: Callable[[str], str],
    live: str,
    shots: Path,
) -> None:
    sandbox, clock = bank
    case = claim_by_card(api, auth, sandbox, "ord_rr1", fail=FailCode.CARD_CANCELLED)
    clock.next_business_day()
    sandbox.settle_due()  # the issuer refuses it; the bank's notice reaches tuika
    failed = api_case(api, auth, case["id"])["payout"]
    assert failed["status"] == "failed"
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))

    page.goto(f"{live}/cases/{case['id']}")

    voucher = page.locator("[data-test=voucher]")
    expect(voucher).to_have_count(1)
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text("原路退款未成功，可改退至平台余额，即时到账")
    expect(voucher).to_contain_text("银行卡")
    button = voucher.get_by_role("button", name="改退至平台余额")
    expect(button).to_be_visible()
    no_sideways_scroll(page)
    page.screenshot(path=shots / "bank-failed-phone.png", full_page=True)
    axe.check(page)

    button.click()

    expect(page.locator(CURRENT)).to_have_text("已退款")
    expect(voucher).to_have_count(2)
    original, balance = voucher.nth(0), voucher.nth(1)
    expect(original.locator("[data-test=voucher-status]")).to_have_text("原路退款未成功，已改退至平台余额")
    expect(original.get_by_role("button")).to_have_count(0)
    expect(balance.locator("[data-test=voucher-status]")).to_have_text("已到账")
    expect(balance.locator("[data-test=voucher-amount]")).to_have_text("50.00")
    expect(balance).to_contain_text("平台余额")
    done = api_case(api, auth, case["id"])
    assert (done["status"], done["payout"]["route"], done["payout"]["status"]) == ("refunded", "balance", "succeeded")
    assert done["payout"]["redirected_from"] == failed["id"]
    expect(balance.locator("[data-test=voucher-id]")).to_have_text(spaced_number(done["number"]))
    assert account_balances(system.engine)["buyer:buyer_1"] == 5000
    no_sideways_scroll(page)
    page.screenshot(path=shots / "sent-to-balance-phone.png", full_page=True)
    axe.check(page)

    page.goto(f"{live}/cases/{case['id']}?lang=en")
    expect(page.locator(CURRENT)).to_have_text("Refunded")
    expect(voucher.nth(0).locator("[data-test=voucher-status]")).to_have_text(
        "Did not go through; sent to the balance instead"
    )
    page.screenshot(path=shots / "sent-to-balance-en.png", full_page=True)
    axe.check(page)


def test_a_bank_refund_still_with_the_bank_says_how_long_it_takes(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    bank: tuple[BankSandbox, FakeClock],
    sso: Callable[[str], str],
    live: str,
    shots: Path,
) -> None:
    sandbox, _ = bank
    case = claim_by_card(api, auth, sandbox, "ord_rr2")
    assert sandbox.settle_due() == []  # T+1 has not come
    page = open_page(browser)
    page.goto(sso("buyer_1"))

    page.goto(f"{live}/cases/{case['id']}")

    expect(page.locator(CURRENT)).to_have_text("退款处理中")
    voucher = page.locator("[data-test=voucher]")
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text("银行处理中，预计 1–3 个工作日")
    expect(voucher).to_contain_text("银行卡")
    expect(voucher.get_by_role("button", name="改退至平台余额")).to_have_count(0)
    assert api_case(api, auth, case["id"])["payout"]["status"] == "processing"
    page.screenshot(path=shots / "bank-processing.png", full_page=True)
    axe.check(page)

    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "bank-processing-phone.png", full_page=True)
    axe.check(page)


def test_a_refused_bank_refund_the_bank_then_calls_paid_is_being_verified_with_no_balance_button(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    system: System,
    bank: tuple[BankSandbox, FakeClock],
    sso: Callable[[str], str],
    live: str,
    shots: Path,
) -> None:
    sandbox, clock = bank
    case = claim_by_card(api, auth, sandbox, "ord_rr3", fail=FailCode.ACCOUNT_FROZEN)
    clock.next_business_day()
    sandbox.settle_due()
    payout_id = api_case(api, auth, case["id"])["payout"]["id"]
    sandbox.correct(payout_id, "SETTLED")  # the bank finds it paid the card after all
    clock.next_business_day()
    sandbox.settle_due()
    disputed = api_case(api, auth, case["id"])["payout"]
    assert (disputed["status"], disputed["outcome_disputed"]) == ("failed", True)
    page = open_page(browser, PHONE)
    page.goto(sso("buyer_1"))

    page.goto(f"{live}/cases/{case['id']}")

    voucher = page.locator("[data-test=voucher]")
    expect(voucher.locator("[data-test=voucher-status]")).to_have_text(
        "退款结果核实中：支付渠道的答复与记录不一致，财务正在与渠道核实，核实后会更新此处，无需重新申请"
    )
    expect(voucher.get_by_role("button", name="改退至平台余额")).to_have_count(0)
    expect(page.locator(".case-timeline")).to_contain_text("退款结果核实中")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "bank-disputed-phone.png", full_page=True)
    axe.check(page)
    assert account_balances(system.engine).get("buyer:buyer_1", 0) == 0
