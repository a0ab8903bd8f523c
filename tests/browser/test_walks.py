"""Whole walks through the pages on the system as `make demo` runs it.

A live server with its embedded queue worker and the supplier sandbox: nothing runs inline, the
pages see the case move only because the worker moves it and the page asks again.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.browser import axe
from tests.browser.conftest import Stack
from tests.support.factories import card_key_for, order_payload
from tests.support.screens import RedeemError
from tuika.domain.supplier import CardState

STEP = "[data-test=steps] li[aria-current=step]"


def push(stack: Stack, body: dict[str, object]) -> None:
    token = stack.link("platform", "host").split("token=", 1)[1]
    response = httpx.post(f"{stack.url}/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.text


def claim_with_screenshot(page: Page, stack: Stack, order_id: str) -> str:
    """Fill the claim form of an order as a buyer with a card-invalid screenshot; return the case id."""
    page.goto(f"{stack.url}/orders/{order_id}")
    page.get_by_role("link", name="申请退卡").click()
    page.get_by_label("卡密无效").check()
    shot = RedeemError(order_id=order_id, card_key=card_key_for(order_id)).render()
    page.locator("#file-card_invalid-error_screenshot").set_input_files(
        {"name": "redeem-error.png", "mimeType": "image/png", "buffer": shot}
    )
    expect(page.locator("[data-test=path]")).not_to_have_text("请先补充所需凭证")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(stack.url)}/cases/rc_\w+$"))
    return page.url.rsplit("/", 1)[-1]


def test_a_buyer_reads_the_policy_claims_a_dead_key_and_watches_it_reach_refunded(
    browser: Browser, stack: Stack, shots: Path
) -> None:
    push(stack, order_payload("ord_walk1", buyer="buyer_alice", amount_fen=9850))
    stack.supplier.add_card("supplier_1", card_key_for("ord_walk1"), CardState.INVALID)
    page = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()

    page.goto(stack.link("buyer", "buyer_alice"))
    page.get_by_text("ord_walk1").click()
    page.get_by_role("link", name="退卡政策").click()
    expect(page.locator("[data-test=rule][data-reason=card_invalid]")).to_contain_text("✓ 可申请")
    page.screenshot(path=shots / "1-policy.png", full_page=True)
    page.get_by_role("link", name="返回").click()
    case_id = claim_with_screenshot(page, stack, "ord_walk1")

    # The worker reviews it (the supplier says the key is invalid) and pays it to the balance;
    # the page notices by itself.
    expect(page.locator(STEP)).to_contain_text("已退款", timeout=20_000)
    expect(page.locator("[data-test=voucher-amount]")).to_have_text("98.50")
    page.screenshot(path=shots / "2-refunded.png", full_page=True)
    axe.check(page)
    page.get_by_role("navigation").get_by_role("link", name="我的余额").click()
    expect(page.locator("[data-test=balance]")).to_have_text("¥98.50")
    movement = page.locator("[data-test=movement]")
    expect(movement.locator("[data-test=what]")).to_have_text("京东E卡 100元 退款")
    expect(movement.get_by_role("link", name="查看退卡申请")).to_have_attribute("href", f"/cases/{case_id}")
    page.screenshot(path=shots / "3-balance.png", full_page=True)


def test_another_buyers_claim_goes_to_the_console_and_an_agent_approves_it(
    browser: Browser, stack: Stack, shots: Path
) -> None:
    push(stack, order_payload("ord_walk2", buyer="buyer_bob"))
    # The supplier says the key is still unused: only a person can weigh that against the screenshot.
    stack.supplier.add_card("supplier_1", card_key_for("ord_walk2"), CardState.UNUSED)
    buyer = browser.new_context(locale="zh-CN").new_page()
    buyer.goto(stack.link("buyer", "buyer_bob"))
    case_id = claim_with_screenshot(buyer, stack, "ord_walk2")
    expect(buyer.locator(STEP)).to_contain_text("人工复核", timeout=20_000)

    agent = browser.new_context(locale="zh-CN").new_page()
    agent.goto(stack.link("agent", "agent_wang"))
    row = agent.locator(f"[data-case='{case_id}']")
    expect(row).to_contain_text("卡密无效")
    agent.screenshot(path=shots / "1-queue.png", full_page=True)
    row.get_by_role("link").click()
    expect(agent.locator("[data-test=supplier]")).to_contain_text("未使用")
    agent.locator("#act-approve summary").click()
    agent.locator("#code-approve").select_option("supplier_confirmed_fault")
    agent.locator("#act-approve").get_by_role("button").click()
    expect(agent.locator(f"[data-case='{case_id}']")).to_have_count(0)
    agent.screenshot(path=shots / "2-queue-after.png", full_page=True)

    # Before paying, the worker voids the unused key with the supplier; then the buyer's page moves on.
    expect(buyer.locator(STEP)).to_contain_text("已退款", timeout=20_000)
    assert stack.supplier.card_state("supplier_1", card_key_for("ord_walk2")) is CardState.VOIDED
    # The buyer sees that a person (客服) approved it, not who: staff names stay in the console.
    approved = buyer.locator("[data-test=event]").filter(has_text=re.compile(r"人工复核\S* → 审核通过"))
    expect(approved).to_contain_text("客服")
    expect(buyer.locator("[data-test=timeline]")).not_to_contain_text("agent_wang")
    buyer.screenshot(path=shots / "3-buyer-refunded.png", full_page=True)
