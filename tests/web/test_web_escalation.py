"""A review past its time limit, escalated by the sweep: what the agent's queue and the buyer's page say."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import Auth, manual_review_case
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.services.upkeep.sweep import sweep


def overdue(system: System, case_id: str, by: timedelta) -> None:
    """Move a case's deadline into the past, as if its review had waited that long."""
    past = datetime.now(UTC) - by
    with system.engine.begin() as conn:
        conn.execute(text("UPDATE cases SET due_at = :at WHERE id = :id"), {"at": past, "id": case_id})


def queue_row(page: str, case_id: str) -> str:
    return page.split(f'data-case="{case_id}"', 1)[1].split("</li>", 1)[0]


def test_an_escalated_review_leads_the_queue_urgent_and_says_it_was_escalated(
    client: TestClient, auth: Auth, system: System
) -> None:
    on_time = manual_review_case(client, auth, "ord_es1")
    late = manual_review_case(client, auth, "ord_es2", buyer="buyer_2")
    overdue(system, late, timedelta(hours=3))
    assert sweep(system.ctx).escalated == 1
    sign_in(client, system, "agent_1", "agent")

    page = client.get("/console").text

    assert re.findall(r'data-case="([^"]+)"', page) == [late, on_time]
    row = queue_row(page, late)
    assert re.search(r'data-test="priority">紧急 · <span data-test="escalated">已加急 1 次</span>', row)
    assert "已超时 3:0" in row  # how long overdue, beside the priority
    assert 'data-test="escalated"' not in queue_row(page, on_time)
    english = queue_row(client.get("/console?lang=en").text, late)
    assert 'Urgent · <span data-test="escalated">escalated 1×</span>' in english
    [first, *_] = client.get("/v1/review-queue", headers=auth("agent", "agent_1")).json()["items"]
    assert (first["id"], first["priority"], first["escalations"]) == (late, "urgent", 1)
    assert first["escalated_at"] is not None


def test_the_buyer_reads_that_the_review_was_expedited_and_nothing_internal(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_es3")
    overdue(system, case_id, timedelta(minutes=10))
    assert sweep(system.ctx).escalated == 1
    sign_in(client, system, "buyer_1")

    page = client.get(f"/cases/{case_id}").text

    said = "已超过预计处理时间，已加急处理"
    assert f'<span data-test="expected">{said}</span>' in page  # not a time already gone
    assert "预计" not in page.split('data-test="expected">', 1)[1].split("</p>", 1)[0].replace(said, "")
    last = page.split('data-test="event"')[-1]
    assert said in last
    assert "review_overdue_escalated" not in page
    assert "加急 1 次" not in page  # the count is for the agents
    english = client.get(f"/cases/{case_id}?lang=en").text
    assert "Past the expected time; your claim is being expedited" in english
    assert "Past the expected time; the review has been expedited" in english.split('data-test="event"')[-1]
