"""A card key is read in clear only through its buyer's reveal, which is logged first; a key never revealed and
unused is refunded at once, voided with the supplier before the gateway is asked."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import Auth, buyer_case, file_case, push
from tests.support.factories import assert_problem, card_key_for, count_rows, order_payload
from tests.support.rigs import Rig, alipay_rig
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.domain.gateway import RefundAnswer, RefundRequest
from tuika.domain.supplier import CardAnswer, CardState
from tuika.services.ports import Gateway

MASKED = "ABCD-****-****-NPQR"
DEVICE = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Mobile"}


class Recorded:
    """The rig's gateway, noting each refund asked in the supplier's log, so the two read in one order."""

    def __init__(self, gateway: Gateway, log: list[tuple[str, str, str]]) -> None:
        self._gateway = gateway
        self._log = log

    def refund(self, request: RefundRequest) -> RefundAnswer:
        self._log.append(("refund", "alipay", request.refund_no))
        return self._gateway.refund(request)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gateway, name)


@pytest.fixture
def alipay(system: System, tmp_path: Path, supplier: FakeSupplier) -> Iterator[Rig]:
    with alipay_rig(tmp_path) as rig:
        system.ctx.gateways = {rig.route: Recorded(rig.gateway, supplier.asked)}  # type: ignore[dict-item]
        yield rig


def reveal(
    client: TestClient,
    auth: Auth,
    order_id: str,
    item_id: str,
    buyer: str = "buyer_1",
    token: dict[str, str] | None = None,
) -> Any:
    # One session, one token: a token minted a second later is another session, with its own digest.
    headers = {**(token or auth("buyer", buyer)), **DEVICE}
    return client.post(f"/v1/orders/{order_id}/items/{item_id}/reveal", headers=headers)


def unused(supplier: FakeSupplier, order_id: str, items: int = 1) -> None:
    supplier.cards.update({card_key_for(order_id, n): CardAnswer(CardState.UNUSED) for n in range(items)})


def test_a_reveal_is_logged_before_the_key_is_answered_and_listed_on_the_order_for_staff(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_rv1", items=2))
    buyer = auth("buyer", "buyer_1")
    before = client.get("/v1/orders/ord_rv1", headers=buyer).json()
    assert [(i["card_key"], i["card_key_masked"], i["revealed"]) for i in before["items"]] == [
        (MASKED, True, False)
    ] * 2
    assert before["reveals"] is None

    first = reveal(client, auth, "ord_rv1", "ord_rv1_i1", token=buyer)
    again = reveal(client, auth, "ord_rv1", "ord_rv1_i1", token=buyer)

    assert (first.status_code, first.json()["card_key"]) == (200, card_key_for("ord_rv1", 1))
    assert first.headers["cache-control"] == "no-store"
    assert again.json()["first_revealed_at"] == first.json()["first_revealed_at"]  # first seen stays the first
    mine = client.get("/v1/orders/ord_rv1", headers=buyer).json()
    assert [(i["card_key"], i["revealed"], i["first_revealed_at"]) for i in mine["items"]] == [
        (MASKED, False, None),
        (MASKED, True, first.json()["first_revealed_at"]),
    ]
    assert mine["reveals"] is None  # the buyer reads whether and when, not the log
    staff = client.get("/v1/orders/ord_rv1", headers=auth("agent", "agent_1")).json()
    session = hashlib.sha256(buyer["Authorization"].removeprefix("Bearer ").encode()).hexdigest()[:32]
    assert [(r["item_id"], r["channel"], r["session"], r["ip"], r["user_agent"]) for r in staff["reveals"]] == [
        ("ord_rv1_i1", "api", session, "testclient", DEVICE["User-Agent"])
    ] * 2
    assert staff["reveals"][0]["at"] == first.json()["first_revealed_at"]
    assert all(i["card_key"] == MASKED for i in staff["items"])
    merchant = client.get("/v1/orders/ord_rv1", headers=auth("merchant", "merchant_1")).json()
    assert (merchant["reveals"], [i["revealed"] for i in merchant["items"]]) == (None, [False, True])


def test_only_the_buyer_reveals_a_key_of_their_own_order_and_nothing_else_is_logged(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_rv2"))
    push(client, auth, order_payload("ord_rv3", kind="direct_topup"))

    refused = [
        reveal(client, auth, "ord_rv2", "ord_rv2_i0", buyer="buyer_2"),
        client.post("/v1/orders/ord_rv2/items/ord_rv2_i0/reveal", headers=auth("admin", "root")),
        client.post("/v1/orders/ord_rv2/items/ord_rv2_i0/reveal", headers=auth("platform", "host")),
        reveal(client, auth, "ord_rv2", "ord_rv2_i9"),
        reveal(client, auth, "ord_rv3", "ord_rv3_i0"),  # a top-up has an account, no key
        reveal(client, auth, "ord_none", "ord_none_i0"),
    ]

    for response in refused:
        body = assert_problem(response, 404, "card_key_not_found")
        assert (body["title_zh"], body["title"]) == ("未找到可查看的卡密", "No card key of yours to show here")
        assert card_key_for("ord_rv2") not in response.text
    assert client.post("/v1/orders/ord_rv2/items/ord_rv2_i0/reveal").status_code == 401
    assert count_rows(system.engine, "key_reveals") == 0


def test_a_key_never_revealed_is_refunded_at_once_voided_before_the_gateway_is_asked(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier, alipay: Rig
) -> None:
    push(client, auth, order_payload("ord_rv4", amount_fen=6000))
    alipay.add_trade("ord_rv4", 6000)
    unused(supplier, "ord_rv4")

    told = client.post("/v1/orders/ord_rv4/refund-precheck", json={"reason": "other"}, headers=auth("buyer", "buyer_1"))
    case = file_case(client, auth, {"order_id": "ord_rv4", "reason": "other", "route": "original"})

    assert (told.json()["path"], [w["code"] for w in told.json()["warnings"]]) == (
        "auto_approve",
        ["reveal_loses_refund"],
    )
    assert told.json()["warnings"][0]["zh"] == "查看卡密后将无法无理由退款"
    assert (case["status"], case["payout"]["route"], case["payout"]["amount_fen"]) == ("refunding", "alipay", 6000)
    assert [d["tier"] for d in case["decisions"]] == ["auto"]
    key = card_key_for("ord_rv4")
    # Asked once (the pre-check's answer is reused), voided, and only then refunded.
    assert supplier.asked == [
        ("card", "supplier_1", key),
        ("void", "supplier_1", key),
        ("refund", "alipay", case["payout"]["id"]),
    ]
    alipay.quiet()
    for headers, body in alipay.take_notices():
        assert client.post("/v1/notify/alipay", content=body, headers=headers).text == "success"
    done = buyer_case(client, auth, case["id"])
    assert done["status"] == "refunded"
    decided = done["decision"]
    assert (decided["action"], [c["code"] for c in decided["reason_codes"]]) == (
        "approve",
        ["policy_refundable", "unrevealed_key_unused", "auto_approved"],
    )
    said = decided["reason_codes"][1]
    assert said["zh"] == "卡密从未查看且供货商确认未使用，符合无理由退款条件"


def test_after_a_reveal_the_same_claim_takes_the_rules_own_path(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier, alipay: Rig
) -> None:
    for order_id in ("ord_rv5", "ord_rv6"):
        push(client, auth, order_payload(order_id))
        unused(supplier, order_id)
        assert reveal(client, auth, order_id, f"{order_id}_i0").status_code == 200

    told = client.post("/v1/orders/ord_rv5/refund-precheck", json={"reason": "other"}, headers=auth("buyer", "buyer_1"))
    other = file_case(client, auth, {"order_id": "ord_rv5", "reason": "other", "route": "original"})
    mistaken = file_case(client, auth, {"order_id": "ord_rv6", "reason": "mistaken_purchase", "route": "original"})

    assert (told.json()["path"], told.json()["warnings"]) == ("request_evidence", [])
    assert (other["status"], other["payout"]) == ("awaiting_evidence", None)
    assert (mistaken["status"], [c["code"] for c in mistaken["reason_codes"]]) == ("rejected", ["already_delivered"])
    assert supplier.asked == []  # no key asked about, none voided, nothing refunded
