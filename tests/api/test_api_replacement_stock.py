"""A merchant's replacement stock: a claim the machine approves is offered a kept key first, the refund if declined."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from tests.api.test_api_merchant_responses import later
from tests.api.test_api_replacements import reply, staff_case, stored_keys
from tests.support.api import Auth, card_claim, push
from tests.support.factories import assert_problem, card_key_for, order_payload, png_bytes
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.services.upkeep.sweep import sweep

KEPT = ["STOCK-AAAA-0001", "STOCK-BBBB-0002"]


def keep(
    client: TestClient, auth: Auth, keys: list[str], sku: str = "JD-100", merchant: str = "merchant_1"
) -> Response:
    response: Response = client.post(
        "/v1/merchant/replacement-stock", json={"sku": sku, "card_keys": keys}, headers=auth("merchant", merchant)
    )
    return response


def available(client: TestClient, auth: Auth, merchant: str = "merchant_1") -> dict[str, int]:
    response = client.get("/v1/merchant/replacement-stock", headers=auth("merchant", merchant))
    assert response.status_code == 200, response.text
    return {i["sku"]: i["available"] for i in response.json()["items"]}


def approved_claim(
    client: TestClient, auth: Auth, order_id: str, buyer: str = "buyer_1", color: str = "white"
) -> dict[str, Any]:
    """File a card_invalid claim the supplier backs (its key invalid): the machine approves it."""
    return card_claim(client, auth, order_id, buyer, png_bytes(color=color))


def test_a_merchant_keeps_keys_per_product_and_reads_how_many_are_free(client: TestClient, auth: Auth) -> None:
    kept = keep(client, auth, KEPT)

    assert kept.status_code == 201, kept.text
    assert kept.json() == {"sku": "JD-100", "added": 2, "available": 2}
    assert available(client, auth) == {"JD-100": 2}
    assert available(client, auth, "merchant_2") == {}
    assert (
        "STOCK-AAAA-0001"
        not in client.get("/v1/merchant/replacement-stock", headers=auth("merchant", "merchant_1")).text
    )


@pytest.mark.parametrize(
    ("keys", "status", "code"),
    [
        (["STOCK-AAAA-0001", "STOCK-AAAA-0001"], 422, "invalid_input"),
        (["   "], 422, "invalid_input"),
        ([], 422, "validation_failed"),
        (["x" * 201], 422, "validation_failed"),
    ],
)
def test_bad_stock_is_refused_and_nothing_is_kept(
    client: TestClient, auth: Auth, keys: list[str], status: int, code: str
) -> None:
    assert_problem(keep(client, auth, keys), status, code)
    assert available(client, auth) == {}


def test_a_key_sold_or_kept_already_is_refused_with_the_whole_upload(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_st0"))
    assert keep(client, auth, ["STOCK-KEPT-0009"]).status_code == 201

    assert_problem(keep(client, auth, ["STOCK-NEW-0001", card_key_for("ord_st0", 0)]), 409, "replacement_key_in_use")
    assert_problem(keep(client, auth, ["STOCK-KEPT-0009"], merchant="merchant_2"), 409, "replacement_key_in_use")
    assert available(client, auth) == {"JD-100": 1}
    for role in ("buyer", "agent", "platform"):
        refused = client.post(
            "/v1/merchant/replacement-stock", json={"sku": "JD-100", "card_keys": ["K"]}, headers=auth(role, "x")
        )
        assert_problem(refused, 403, "forbidden")


def test_an_approved_claim_is_offered_a_kept_key_and_taking_it_refunds_nothing(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    keep(client, auth, KEPT)

    case = approved_claim(client, auth, "ord_st1")

    assert case["status"] == "replacement_offered"
    assert case["payout"] is None
    assert case["replacement"]["automatic"] is True
    assert case["replacement"]["items"][0]["masked_key"].startswith("STOC")
    assert "replacement_from_stock" in [c["code"] for c in case["timeline"][-1]["reason_codes"]]
    assert available(client, auth) == {"JD-100": 1}
    told = client.get("/v1/inbox", headers=auth("buyer", "buyer_1")).json()["items"]
    assert "退卡已审核通过：可选新卡密或退款" in [m["title"] for m in told]
    assert reply(client, auth, case["id"], accept=True).status_code == 200
    done = staff_case(client, auth, case["id"])
    assert done["status"] == "replaced"
    assert done["payout"] is None
    [placed] = stored_keys(system, "ord_st1")
    assert placed in KEPT
    assert available(client, auth) == {"JD-100": 1}


def test_declined_the_key_goes_back_to_the_stock_and_the_approved_refund_is_paid(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    keep(client, auth, KEPT[:1])
    case = approved_claim(client, auth, "ord_st2")

    assert reply(client, auth, case["id"], accept=False).status_code == 200

    done = staff_case(client, auth, case["id"])
    assert done["status"] in ("approved", "refunding", "refunded")
    assert done["payout"] is not None
    assert done["replacement"]["outcome"] == "declined"
    assert available(client, auth) == {"JD-100": 1}


def test_unanswered_the_refund_is_paid_and_the_key_kept_once(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    keep(client, auth, KEPT[:1])
    case = approved_claim(client, auth, "ord_st3")

    first = sweep(later(system, timedelta(hours=25)))
    second = sweep(later(system, timedelta(hours=26)))

    assert (first.replacements_expired, second.replacements_expired) == (1, 0)
    done = staff_case(client, auth, case["id"])
    assert done["status"] in ("approved", "refunding", "refunded")
    assert done["replacement"]["outcome"] == "expired"
    assert available(client, auth) == {"JD-100": 1}


def test_without_enough_stock_the_refund_goes_ahead(client: TestClient, auth: Auth, supplier: FakeSupplier) -> None:
    keep(client, auth, KEPT[:1], sku="OTHER-SKU")

    case = approved_claim(client, auth, "ord_st4")

    assert case["status"] in ("approved", "refunding", "refunded")
    assert case["replacement"] is None
    assert available(client, auth) == {"OTHER-SKU": 1}


def test_one_kept_key_goes_to_one_claim_and_the_next_is_refunded(
    client: TestClient, auth: Auth, supplier: FakeSupplier
) -> None:
    keep(client, auth, KEPT[:1])

    first = approved_claim(client, auth, "ord_st5")
    second = approved_claim(client, auth, "ord_st6", "buyer_2", "teal")

    statuses = sorted([first["status"], second["status"]])
    assert statuses[-1] == "replacement_offered"
    assert statuses[0] in ("approved", "refunding", "refunded")
    assert available(client, auth) == {}
