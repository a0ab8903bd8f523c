"""The merchant's list of claims: waiting ones by deadline, then the rest newest first by page, read as it may."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import Auth, file_case, manual_review_case, push
from tests.support.factories import order_payload
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.errors import Forbidden
from tuika.domain.ids import CaseId
from tuika.services.context import Actor
from tuika.services.merchant.claims import claims

MERCHANT = Actor("merchant_1", Role.MERCHANT)


def refunded(client: TestClient, auth: Auth, order_id: str) -> str:
    push(client, auth, order_payload(order_id, delivery="failed"))
    return str(file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "balance"})["id"])


def test_the_waiting_lead_by_deadline_and_the_rest_follow_newest_first_by_page(
    client: TestClient, auth: Auth, system: System
) -> None:
    first, second = manual_review_case(client, auth, "ord_ml1"), manual_review_case(client, auth, "ord_ml2")
    done = [refunded(client, auth, f"ord_ml{n}") for n in (3, 4, 5)]
    push(client, auth, order_payload("ord_ml6", merchant_id="merchant_2", delivery="failed"))
    file_case(client, auth, {"order_id": "ord_ml6", "reason": "not_delivered"})
    with system.engine.begin() as conn:  # the second filed must answer first
        moved = text("UPDATE merchant_windows SET respond_by = :at WHERE case_id = :id")
        conn.execute(moved, {"at": datetime.now(UTC) + timedelta(minutes=5), "id": second})

    page = claims(system.ctx, MERCHANT, limit=2)
    rest = claims(system.ctx, MERCHANT, before=page.older, limit=2)

    assert [c.case.id for c in page.waiting] == [second, first]
    assert [c.respond_by is not None for c in page.waiting] == [True, True]
    assert [c.case.id for c in page.others] == [done[2], done[1]]
    assert page.older == CaseId(done[1])
    # The second page starts where the first ended; the waiting are on every page, once.
    assert [c.case.id for c in rest.waiting] == [second, first]
    assert [c.case.id for c in rest.others] == [done[0]]
    assert rest.older is None
    shown = page.waiting[0]
    assert (shown.title, shown.order_amount.fen, shown.case.buyer_id) == ("京东E卡 100元", 10000, "bu***_1")
    assert {e.actor for e in shown.case.timeline} <= {"bu***_1", "tuika"}


def test_only_a_merchant_has_a_list_of_claims_on_its_goods(system: System) -> None:
    for role in (Role.BUYER, Role.AGENT, Role.PLATFORM):
        with pytest.raises(Forbidden):
            claims(system.ctx, Actor("merchant_1", role))
