"""The in-site inbox through API v1: every step of a claim told to its buyer and its merchant, read and unread."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import file_case, push, upload
from tests.support.factories import assert_problem, count_rows, order_payload
from tuika.bootstrap import System

Auth = Callable[..., dict[str, str]]


def _inbox(client: TestClient, headers: dict[str, str], **query: Any) -> Any:
    response = client.get("/v1/inbox", params=query, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_claim_sent_to_a_person_then_refunded_to_the_balance_is_told_to_its_buyer_at_every_step(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_in1", route="alipay", amount_fen=8000))
    buyer = auth("buyer", "buyer_1")
    case = file_case(
        client, auth, {"order_id": "ord_in1", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    assert case["status"] == "manual_review"
    decided = client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "approve", "reason_codes": ["evidence_confirms_claim"], "note": "ok"},
        headers=auth("agent", "agent_1"),
    )
    assert decided.status_code == 200, decided.text

    page = _inbox(client, buyer)
    told = [m["moment"] for m in page["items"]]
    # Newest first: the claim received, sent to a person, approved, and the refund arrived.
    assert told == ["refund_arrived", "approved", "sent_to_person", "claim_received"]
    assert page["unread"] == 4
    number = client.get(f"/v1/refund-cases/{case['id']}", headers=buyer).json()["number"]
    received = page["items"][-1]
    assert received["title"] == "已收到您的退卡申请"
    assert "《京东E卡 100元》" in received["body"]
    assert number in received["body"]
    assert "¥80.00" in received["body"]
    assert received["link"] == f"/cases/{case['id']}"
    person = page["items"][-2]
    # When the answer is due, in Beijing time, and no raw code or internal id.
    assert re.search(r"预计 \d{1,2}月\d{1,2}日 \d{2}:\d{2} 前给出结果", person["body"])
    arrived = page["items"][0]
    assert (arrived["title"], arrived["urgent"]) == ("退款已到账", True)
    assert "¥80.00 已退回平台余额" in arrived["body"]
    for message in page["items"]:
        assert case["id"] not in message["body"]
        assert "buyer_1" not in message["body"]
        assert not re.search(r"[a-z]+_[a-z_]+", message["title"] + message["body"]), message

    # The merchant hears of the claim against its goods, that it is asked to answer (a person
    # reviews it) and of the decision, not of the buyer's steps.
    merchant = _inbox(client, auth("merchant", "merchant_1"))
    assert [m["moment"] for m in merchant["items"]] == [
        "claim_decided_for_merchant",
        "claim_to_answer",
        "claim_against_goods",
    ]
    assert "原因：卡密无效" in merchant["items"][-1]["body"]
    # Each opens the claim on the merchant's own pages, on the site.
    assert {m["link"] for m in merchant["items"]} == {f"/merchant/cases/{case['id']}"}


def test_a_rejection_tells_the_buyer_a_public_reason_never_the_signal_that_raised_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_in2"))
    case = file_case(
        client, auth, {"order_id": "ord_in2", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    )
    rejected = client.post(
        f"/v1/refund-cases/{case['id']}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"], "note": "same screenshot as rc_x"},
        headers=auth("agent", "agent_1"),
    )
    assert rejected.status_code == 200, rejected.text

    latest = _inbox(client, auth("buyer", "buyer_1"))["items"][0]
    assert latest["moment"] == "rejected"
    assert "未通过审核" in latest["body"]
    assert "申诉" in latest["body"]
    assert "欺诈" not in latest["body"]
    assert "rc_x" not in latest["body"]


def test_marking_read_one_and_all_and_paging_back(client: TestClient, auth: Auth, system: System) -> None:
    for n in range(3):
        push(client, auth, order_payload(f"ord_in3{n}", route="alipay"))
        file_case(
            client, auth, {"order_id": f"ord_in3{n}", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
        )
    buyer = auth("buyer", "buyer_1")
    everything = _inbox(client, buyer, limit=100)["items"]
    assert len(everything) == 6  # each claim: received, sent to a person

    first = _inbox(client, buyer, limit=4)
    second = _inbox(client, buyer, limit=4, before=first["next_before"])
    assert [m["id"] for m in first["items"] + second["items"]] == [m["id"] for m in everything]
    assert second["next_before"] is None

    one = client.post(f"/v1/inbox/{everything[0]['id']}/read", headers=buyer)
    assert one.status_code == 200
    assert one.json()["read_at"] is not None
    again = client.post(f"/v1/inbox/{everything[0]['id']}/read", headers=buyer)
    assert again.json()["read_at"] == one.json()["read_at"]
    assert _inbox(client, buyer)["unread"] == 5
    only_this_case = _inbox(client, buyer, case_id=everything[0]["case_id"])["items"]
    assert {m["case_id"] for m in only_this_case} == {everything[0]["case_id"]}
    assert len(only_this_case) == 2

    assert client.post("/v1/inbox/read-all", headers=buyer).json() == {"marked": 5}
    assert _inbox(client, buyer)["unread"] == 0
    # And the merchant's six (each claim against its goods, and asked to answer), and the agents'
    # queue told of each case sent to a person.
    assert count_rows(system.engine, "messages") == 6 + 6 + 3


def test_no_one_reads_or_marks_another_persons_messages(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_in4"))
    file_case(client, auth, {"order_id": "ord_in4", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]})
    mine = _inbox(client, auth("buyer", "buyer_1"))["items"][0]["id"]

    assert _inbox(client, auth("buyer", "buyer_2"))["items"] == []
    assert_problem(client.post(f"/v1/inbox/{mine}/read", headers=auth("buyer", "buyer_2")), 404, "not_found")
    assert_problem(client.post(f"/v1/inbox/{mine}/read", headers=auth("merchant", "merchant_1")), 404, "not_found")
    assert _inbox(client, auth("buyer", "buyer_1"))["unread"] == 2
    # An agent reads the queue's messages, never the buyer's; nor can it mark one of the buyer's.
    queue = _inbox(client, auth("agent", "agent_1"))["items"]
    assert [m["moment"] for m in queue] == ["case_waiting"]
    assert_problem(client.post(f"/v1/inbox/{mine}/read", headers=auth("agent", "agent_1")), 404, "not_found")
    assert_problem(client.post(f"/v1/inbox/{queue[0]['id']}/read", headers=auth("buyer", "buyer_1")), 404, "not_found")
    assert _inbox(client, auth("buyer", "buyer_1"))["unread"] == 2
    assert_problem(client.post("/v1/inbox/not-an-id/read", headers=auth("buyer", "buyer_1")), 404, "not_found")
    assert_problem(
        client.get("/v1/inbox", params={"before": "x"}, headers=auth("buyer", "buyer_1")), 422, "validation_failed"
    )
    assert client.get("/v1/inbox").status_code == 401
