"""The refund number: short, readable, unique; a buyer quotes it and support finds the case by it."""

from __future__ import annotations

import pytest
from alembic import command
from fastapi.testclient import TestClient

from tests.support.api import Auth, manual_review_case
from tests.support.factories import assert_problem
from tuika.adapters.db.migrate import alembic_config, upgrade
from tuika.bootstrap import System
from tuika.domain.clock import beijing_day
from tuika.services.claims import filing


def test_a_claim_gets_a_number_of_its_beijing_day_and_is_found_by_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_num1")
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    number = case["number"]
    quoted = f"{number[:6]} {number[6:10]}-{number[10:]}"  # as a person reads it out

    mine = client.get("/v1/refund-cases", params={"number": quoted}, headers=auth("buyer", "buyer_1")).json()
    support = client.get("/v1/refund-cases", params={"number": number}, headers=auth("agent", "agent_1")).json()
    other = client.get("/v1/refund-cases", params={"number": number}, headers=auth("buyer", "buyer_2")).json()

    assert len(number) == 14
    assert number.isdigit()
    assert number[:6] == f"{beijing_day(system.ctx.clock.now()):%y%m%d}"
    assert [c["id"] for c in mine["items"]] == [case_id]
    assert [(c["id"], c["number"]) for c in support["items"]] == [(case_id, number)]
    assert other["items"] == []  # another buyer's number finds nothing


def test_what_is_not_a_refund_number_is_refused_with_a_stable_code(client: TestClient, auth: Auth) -> None:
    response = client.get("/v1/refund-cases", params={"number": "rc_12"}, headers=auth("agent", "agent_1"))

    assert_problem(response, 422, "invalid_input")


def test_cases_filed_before_numbers_existed_get_one_each_from_their_own_day(
    client: TestClient, auth: Auth, system: System
) -> None:
    ids = [manual_review_case(client, auth, f"ord_num_old{n}") for n in range(3)]
    config = alembic_config()
    with system.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")

    upgrade(system.engine)

    with system.ctx.read() as uow:
        cases = [uow.cases.get(case_id) for case_id in ids]
    numbers = [c.number for c in cases if c is not None]
    assert len(set(numbers)) == 3
    assert all(len(n) == 14 and n.isdigit() for n in numbers)
    assert all(c.number[:6] == f"{beijing_day(c.created_at):%y%m%d}" for c in cases if c is not None)


def test_a_number_drawn_twice_is_drawn_again(client: TestClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter(["26120300000001", "26120300000001", "26120300000002"])
    monkeypatch.setattr(filing, "new_case_number", lambda day: next(draws))

    first = manual_review_case(client, auth, "ord_num_twice1")
    second = manual_review_case(client, auth, "ord_num_twice2")

    numbers = [
        client.get(f"/v1/refund-cases/{c}", headers=auth("agent", "a")).json()["number"] for c in (first, second)
    ]
    assert numbers == ["26120300000001", "26120300000002"]
