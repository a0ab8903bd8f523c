"""In the demo, the claim page offers a redeem error drawn for the buyer's own order, and the review takes it."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.api import Auth
from tests.support.suppliers import FakeSupplier
from tests.support.web import sign_in
from tuika.adapters.ocr.paddle import PaddleOcr
from tuika.bootstrap import System
from tuika.domain.cases import CaseStatus, Role, Route
from tuika.domain.ids import OrderId
from tuika.domain.orders import DeliveryStatus, Order, ProductKind
from tuika.domain.policy import EvidenceKind, Reason
from tuika.services.claims import evidence, filing
from tuika.services.context import Actor
from tuika.services.ports import OrderFilter
from tuika.services.review.machine import machine_review
from tuika_dev.demo import seed
from tuika_dev.demo.examples import install


def a_key_order(system: System, buyer: str | None = None) -> Order:
    with system.ctx.read() as uow:
        found = uow.orders.search(OrderFilter(limit=200))
    return next(
        o
        for o in sorted(found, key=lambda o: o.id)
        if o.product_kind is ProductKind.CARD_KEY
        and o.delivery_status is DeliveryStatus.DELIVERED
        and (buyer is None or o.buyer_id == buyer)
    )


def test_the_buyer_downloads_a_screenshot_of_their_own_order_and_nobody_else_can(
    client: TestClient, system: System
) -> None:
    seed(system.ctx)
    install(client.app)  # type: ignore[arg-type]
    order = a_key_order(system)
    url = f"/demo/examples/{order.id}.png"

    signed_out = client.get(url)
    sign_in(client, system, "someone_else")
    stranger = client.get(url)
    sign_in(client, system, order.buyer_id)
    mine = client.get(url)
    page = client.get(f"/orders/{order.id}/claim").text

    assert (signed_out.status_code, stranger.status_code, mine.status_code) == (404, 404, 200)
    assert mine.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(mine.content)).size[0] >= 720
    assert f'href="{url}" download' in page
    assert "下载为本订单生成的兑换失败截图" in page


def test_the_tour_fetches_the_example_with_the_buyers_bearer_token(
    client: TestClient, system: System, auth: Auth
) -> None:
    seed(system.ctx)
    install(client.app)  # type: ignore[arg-type]
    order = a_key_order(system)
    url = f"/demo/examples/{order.id}.png"

    mine = client.get(url, headers=auth("buyer", order.buyer_id))
    stranger = client.get(url, headers=auth("buyer", "someone_else"))
    forged = client.get(url, headers={"Authorization": "Bearer not-a-token"})

    assert (mine.status_code, stranger.status_code, forged.status_code) == (200, 404, 404)
    assert mine.headers["content-type"] == "image/png"


def test_without_the_demo_the_claim_page_offers_no_example(client: TestClient, system: System) -> None:
    seed(system.ctx)
    order = a_key_order(system)
    sign_in(client, system, order.buyer_id)

    page = client.get(f"/orders/{order.id}/claim").text

    assert 'data-test="demo-example"' not in page
    assert client.get(f"/demo/examples/{order.id}.png").status_code == 404


@pytest.mark.ocr
def test_a_claim_with_the_example_is_read_as_this_orders_and_refunded_by_the_machine(
    client: TestClient, system: System
) -> None:
    seed(system.ctx)
    install(client.app)  # type: ignore[arg-type]
    system.ctx.ocr = PaddleOcr()
    system.ctx.supplier = FakeSupplier()  # calls every key invalid
    order = a_key_order(system)
    sign_in(client, system, order.buyer_id)
    shot = client.get(f"/demo/examples/{order.id}.png").content
    buyer = Actor(order.buyer_id, Role.BUYER)

    record = evidence.upload(system.ctx, buyer, shot, EvidenceKind.ERROR_SCREENSHOT)
    request = filing.ClaimRequest(
        order_id=OrderId(order.id),
        reason=Reason.CARD_INVALID,
        item_ids=(order.items[0].id,),
        evidence_ids=(record.id,),
        route=Route.BALANCE,
    )
    filed = filing.submit(system.ctx, buyer, request, None)
    decided = machine_review(system.ctx, filed.case.id)

    with system.ctx.read() as uow:
        [read] = uow.reads.for_case(decided.id)
    system.ctx.supplier = None
    assert read.codes == ("ocr_matches_order",), read.matches
    assert decided.status in (CaseStatus.APPROVED, CaseStatus.REFUNDING, CaseStatus.REFUNDED)
