"""The console's bell in a real browser: a case come into the queue, one escalated, one about to pass its time limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy import text

from tests.browser.pages import open_page
from tests.support.api import Auth, manual_review_case
from tuika.bootstrap import System
from tuika.http.auth import sign_in_token
from tuika.services.upkeep.sweep import sweep

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _due_in(system: System, case_id: str, left: timedelta) -> None:
    with system.engine.begin() as conn:
        conn.execute(
            text("UPDATE cases SET due_at = :at WHERE id = :id"), {"at": datetime.now(UTC) + left, "id": case_id}
        )


def test_the_bell_rings_for_new_and_escalated_cases_lists_what_is_due_soon_and_clears_once_read(
    browser: Browser, api: TestClient, auth: Auth, system: System, live: str, shots: Path
) -> None:
    soon = manual_review_case(api, auth, "ord_bell1")
    late = manual_review_case(api, auth, "ord_bell2", buyer="buyer_2")
    manual_review_case(api, auth, "ord_bell3", buyer="buyer_3")
    _due_in(system, soon, timedelta(minutes=9))
    _due_in(system, late, -timedelta(minutes=40))
    assert sweep(system.ctx).escalated == 1
    page = open_page(browser)
    page.goto(f"{live}/sso?token={sign_in_token(system.settings.secret_key, 'agent', 'agent_1', datetime.now(UTC))}")

    # Three came into the queue and one was escalated: four unread; one case due within 15 minutes.
    bell = page.locator("[data-test=bell]")
    expect(bell.locator("[data-test=bell-unread]")).to_have_text("4")
    expect(bell.locator("[data-test=bell-soon]")).to_have_text("1 件将超时")
    page.screenshot(path=str(shots / "queue-with-bell.png"), full_page=True)
    bell.click()

    expect(page.locator("h1")).to_have_text("工作台消息")
    expect(page.locator("[data-test=due-case]")).to_have_count(1)
    expect(page.locator("[data-test=due-case] a")).to_have_attribute("href", f"/console/cases/{soon}")
    expect(page.locator("[data-test=overdue]")).to_contain_text("另有 1 个案件已超时")
    messages = page.locator("[data-test=message]")
    expect(messages).to_have_count(4)
    expect(messages.first).to_have_attribute("data-moment", "case_escalated")
    expect(messages.first).to_contain_text("已超过处理时限 40 分钟")
    expect(messages.nth(1)).to_contain_text("新案件待处理")
    expect(messages.nth(1)).to_contain_text("原因：卡密无效")
    # The page read, the badge is gone; the due-soon mark stays while the case is due soon.
    expect(bell.locator("[data-test=bell-unread]")).to_have_count(0)
    expect(bell.locator("[data-test=bell-soon]")).to_have_text("1 件将超时")
    page.screenshot(path=str(shots / "bell.png"), full_page=True)
    for text_shown in page.locator("main").all_inner_texts():
        assert "buyer_" not in text_shown
        assert "manual_review" not in text_shown

    # Another agent has seen nothing yet: what one has read is theirs.
    other = api.get("/v1/inbox", headers=auth("agent", "agent_2")).json()
    assert other["unread"] == 4
    assert api.get("/v1/inbox", headers=auth("agent", "agent_1")).json()["unread"] == 0
    # A buyer reads none of it.
    assert api.get("/v1/inbox", headers=auth("buyer", "buyer_1")).json()["items"][0]["moment"] != "case_waiting"
