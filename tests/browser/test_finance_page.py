"""Finance works its queue in a real browser: a refund the bank refused is sent to the buyer's balance."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.browser import axe
from tests.browser.pages import PHONE, no_sideways_scroll, open_page
from tests.browser.test_case_refund_routes import api_case, claim_by_card
from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, order_payload
from tests.support.rigs import FakeClock, Rig, bank_wired, wechat_rig
from tuika.bootstrap import System
from tuika.domain.gateway import RefundAnswer, RefundState
from tuika.domain.money import Money
from tuika.http.auth import sign_in_token
from tuika.services.payouts import applying, confirming
from tuika_dev.sandbox.bank import BankSandbox, FailCode
from tuika_dev.sandbox.wechat import Fault as WechatFault

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def bank(system: System, api: TestClient) -> Iterator[tuple[BankSandbox, FakeClock]]:
    with bank_wired(system, api) as wired:
        yield wired


def admin_link(system: System, live: str) -> str:
    """Return the platform's sign-in link for finance, an admin."""
    token = sign_in_token(system.settings.secret_key, "admin", "finance_1", datetime.now(UTC))
    return f"{live}/sso?token={token}"


def test_finance_sends_a_refused_bank_refund_to_the_balance_and_a_stale_second_click_is_refused(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    system: System,
    bank: tuple[BankSandbox, FakeClock],
    live: str,
    shots: Path,
) -> None:
    sandbox, clock = bank
    case = claim_by_card(api, auth, sandbox, "ord_fp1", buyer="buyer_7", fail=FailCode.ACCOUNT_FROZEN)
    clock.next_business_day()
    sandbox.settle_due()  # the issuer refuses it: a frozen account
    failed = api_case(api, auth, case["id"], "buyer_7")["payout"]
    assert failed["status"] == "failed"
    page = open_page(browser)

    page.goto(admin_link(system, live))
    page.get_by_role("navigation", name="工作台").get_by_role("link", name="财务队列").click()

    assert page.url == f"{live}/console/finance"
    expect(page.locator("h1")).to_have_text("财务队列")
    row = page.locator(f"[data-payout='{failed['id']}']")
    expect(row).to_have_attribute("data-test", "failed-row")
    expect(row).to_contain_text("¥50.00 · 银行卡")
    expect(row.locator("[data-test=failure]")).to_have_text("ACCOUNT_FROZEN")
    expect(row.locator("[data-test=case-link]")).to_have_attribute("href", f"/console/cases/{case['id']}")
    expect(page.locator("[data-test=abnormal-empty]")).to_be_visible()
    expect(page.locator("[data-test=alerts-empty]")).to_be_visible()
    page.screenshot(path=shots / "failed-refund.png", full_page=True)
    axe.check(page)
    page.set_viewport_size(PHONE)
    no_sideways_scroll(page)
    page.screenshot(path=shots / "failed-refund-phone.png", full_page=True)
    axe.check(page)
    # A second tab still showing the row, as a colleague's would.
    stale = page.context.new_page()
    stale.goto(f"{live}/console/finance")

    row.get_by_role("button", name="改退至平台余额").click()

    expect(page.locator("[data-test=flash]")).to_have_text(f"✓ 已将退款 {failed['id']} 改退至买家的平台余额。")
    expect(row).to_have_count(0)
    expect(page.locator("[data-test=failed-empty]")).to_be_visible()
    done = api_case(api, auth, case["id"], "buyer_7")
    assert (done["status"], done["payout"]["route"], done["payout"]["status"]) == ("refunded", "balance", "succeeded")
    assert done["payout"]["redirected_from"] == failed["id"]
    assert account_balances(system.engine)["buyer:buyer_7"] == 5000
    no_sideways_scroll(page)
    page.screenshot(path=shots / "sent-to-balance-phone.png", full_page=True)
    axe.check(page)

    stale.locator(f"[data-payout='{failed['id']}']").get_by_role("button", name="改退至平台余额").click()

    expect(stale.locator("[data-test=action-error]")).to_have_text(f"{failed['id']}：该退款已改退至余额")
    expect(stale.locator(f"[data-payout='{failed['id']}']")).to_have_count(0)
    assert api_case(api, auth, case["id"], "buyer_7")["payout"]["id"] == done["payout"]["id"]
    stale.screenshot(path=shots / "already-redirected.png", full_page=True)
    axe.check(stale)

    page.goto(f"{live}/console/finance?lang=en")
    expect(page.locator("h1")).to_have_text("Finance queue")
    expect(page.locator("[data-test=failed-empty]")).to_have_text("No failed refunds waiting.")
    no_sideways_scroll(page)
    page.screenshot(path=shots / "empty-en-phone.png", full_page=True)
    axe.check(page)


def test_abnormal_overdue_and_alerted_refunds_read_well_on_a_phone_in_both_languages(
    browser: Browser, api: TestClient, auth: Auth, system: System, live: str, shots: Path, tmp_path: Path
) -> None:
    with wechat_rig(tmp_path) as rig:
        system.ctx.gateways = {rig.route: rig.gateway}
        rig.sandbox.fail_next(WechatFault.ABNORMAL)
        abnormal = claim(api, auth, rig, "ord_fp2", "buyer_8")
        late = claim(api, auth, rig, "ord_fp3", "buyer_9")
        rig.settle()
        confirming.follow_up(system.ctx, abnormal)  # WeChat's query: the buyer's account refused it
        with system.engine.begin() as conn:  # sent three days and five hours ago: past WeChat's three days
            at = datetime.now(UTC) - timedelta(days=3, hours=5)
            conn.execute(text("UPDATE payouts SET sent_at = :at WHERE id = :id"), {"at": at, "id": late})
        applying.apply(
            system.ctx, RefundAnswer(late, RefundState.SUCCEEDED, Money(1)), provider="wechat", source="query"
        )
        page = open_page(browser, PHONE)
        page.goto(admin_link(system, live))

        page.goto(f"{live}/console/finance")

        row = page.locator(f"[data-payout='{abnormal}']")
        expect(row).to_have_attribute("data-test", "abnormal-row")
        expect(row.get_by_role("button")).to_have_text(
            ["按渠道异常退款流程处理（退至商户银行卡，由商户线下转给买家）", "改退至平台余额"]
        )
        expect(page.locator(f"[data-payout='{late}'] [data-test=age]")).to_have_text("已等待 3 天 5 小时")
        expect(page.locator("[data-test=alert-row]")).to_contain_text("金额不符")
        no_sideways_scroll(page)
        page.screenshot(path=shots / "abnormal-overdue-alert-phone.png", full_page=True)
        axe.check(page)

        page.goto(f"{live}/console/finance?lang=en")

        expect(row.get_by_role("button").first).to_have_text(
            "Use the gateway's abnormal-refund process (to the merchant's bank card; the merchant pays the buyer)"
        )
        expect(page.locator(f"[data-payout='{late}'] [data-test=age]")).to_have_text("Waiting for 3 d 5 h")
        no_sideways_scroll(page)
        page.screenshot(path=shots / "abnormal-overdue-alert-phone-en.png", full_page=True)
        axe.check(page)


def claim(api: TestClient, auth: Auth, rig: Rig, order_id: str, buyer: str) -> str:
    """Claim an undelivered order paid by the rig's route by that route; return its payout's id, sent."""
    push(api, auth, order_payload(order_id, buyer=buyer, route=rig.route.value, delivery="failed", amount_fen=2000))
    rig.add_trade(order_id, 2000)
    case = file_case(api, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
    assert case["payout"]["status"] == "processing", case
    return str(case["payout"]["id"])


def test_finance_resolves_a_disputed_refund_and_the_banks_word_settles_it(
    browser: Browser,
    api: TestClient,
    auth: Auth,
    system: System,
    bank: tuple[BankSandbox, FakeClock],
    live: str,
    shots: Path,
) -> None:
    sandbox, clock = bank
    case = claim_by_card(api, auth, sandbox, "ord_fp9", buyer="buyer_9", fail=FailCode.ACCOUNT_FROZEN)
    clock.next_business_day()
    sandbox.settle_due()
    payout_id = api_case(api, auth, case["id"], "buyer_9")["payout"]["id"]
    sandbox.correct(payout_id, "SETTLED")  # the bank finds it paid the card after all
    clock.next_business_day()
    sandbox.settle_due()
    page = open_page(browser)
    page.goto(admin_link(system, live))
    page.goto(f"{live}/console/finance")

    row = page.locator(f"[data-payout='{payout_id}']")
    expect(row).to_have_attribute("data-test", "disputed-row")
    expect(row.get_by_role("button", name="改退至平台余额")).to_have_count(0)
    alert = page.locator("[data-test=alert-row]")
    expect(alert).to_have_attribute("data-kind", "state_contradiction")
    expect(alert).to_contain_text("将向原渠道重新查询该退款，以渠道答复为准。")
    page.screenshot(path=shots / "disputed.png", full_page=True)
    axe.check(page)

    alert.get_by_label("核实说明（必填）").fill("已在银行商户后台核对，款项已退回原卡")
    alert.get_by_role("button", name="核实并处理").click()

    expect(page.locator("[data-test=flash]")).to_have_text("✓ 渠道确认已退款：该笔退款已记为到账，申请已完成。")
    expect(page.locator("[data-test=disputed-empty]")).to_be_visible()
    expect(page.locator("[data-test=alerts-empty]")).to_be_visible()
    page.screenshot(path=shots / "dispute-resolved.png", full_page=True)
    axe.check(page)
    done = api_case(api, auth, case["id"], "buyer_9")
    assert (done["status"], done["payout"]["status"]) == ("refunded", "succeeded")
    assert account_balances(system.engine).get("buyer:buyer_9", 0) == 0
