"""The machine's review of a claim on keys never revealed, on a system wired by bootstrap: the reveal log decides."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient

from tests.support.api import Auth, balance, file_case, push
from tests.support.factories import card_key_for, count_rows, order_payload
from tests.support.suppliers import FakeSupplier
from tuika.bootstrap import System
from tuika.domain.cases import Role
from tuika.domain.ids import OrderId
from tuika.domain.reveals import Channel
from tuika.domain.supplier import CardAnswer, CardState
from tuika.services.context import Actor
from tuika.services.orders import reveals

BUYER = Actor("buyer_1", Role.BUYER)


@dataclass
class RevealedWhileAsked(FakeSupplier):
    """A supplier that answers "unused" while, in that same moment, the buyer reveals the key on the page."""

    system: System | None = None

    def query_card(self, supplier_id: str, card_key: str) -> CardAnswer:
        assert self.system is not None
        asker = reveals.Asker(Channel.PAGE, "p" * 32, "198.51.100.7", "Safari")
        reveals.reveal(self.system.ctx, BUYER, OrderId("ord_ur2"), "ord_ur2_i0", asker)
        return super().query_card(supplier_id, card_key)


def test_an_unrevealed_key_is_refunded_to_the_balance_at_once_less_the_rules_fee(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_ur1", amount_fen=6000))
    supplier.cards[card_key_for("ord_ur1")] = CardAnswer(CardState.UNUSED)

    case = file_case(client, auth, {"order_id": "ord_ur1", "reason": "mistaken_purchase", "route": "balance"})

    assert case["status"] == "refunded"
    assert [c["code"] for c in case["decision"]["reason_codes"]] == [
        "policy_refundable",
        "unrevealed_key_unused",
        "buyer_fault_fee",
        "auto_approved",
    ]
    assert [kind for kind, _, _ in supplier.asked] == ["card", "void"]
    assert balance(client, auth) == 5900  # the 1 yuan actual cost of a mistaken purchase kept


def test_a_key_revealed_while_the_supplier_is_asked_loses_the_way(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_ur2"))
    supplier = RevealedWhileAsked(system=system)
    supplier.cards[card_key_for("ord_ur2")] = CardAnswer(CardState.UNUSED)
    system.ctx.supplier = supplier
    try:
        case = file_case(client, auth, {"order_id": "ord_ur2", "reason": "mistaken_purchase", "route": "balance"})
    finally:
        system.ctx.supplier = None

    # Read again under the order's lock, the reveal counts: the rule's own path, not the instant refund.
    assert (case["status"], [c["code"] for c in case["reason_codes"]]) == ("rejected", ["already_delivered"])
    assert [kind for kind, _, _ in supplier.asked] == ["card"]  # nothing voided
    assert count_rows(system.engine, "key_reveals") == 1
    assert balance(client, auth) == 0
