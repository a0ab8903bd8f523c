"""A supplier that answers from a table, for the tests that must choose what the supplier says."""

from __future__ import annotations

from dataclasses import dataclass, field

from tuika.domain.errors import SupplierUnavailable
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer


@dataclass
class FakeSupplier:
    """A supplier that answers from a table and records every question, card keys included."""

    cards: dict[str, CardAnswer] = field(default_factory=dict)
    topups: dict[str, TopupAnswer] = field(default_factory=dict)
    down: bool = False
    voids: dict[str, CardAnswer] = field(default_factory=dict)
    void_down: bool = False
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def query_card(self, supplier_id: str, card_key: str) -> CardAnswer:
        self.asked.append(("card", supplier_id, card_key))
        if self.down:
            raise SupplierUnavailable("timed out 3 times")
        return self.cards.get(card_key, CardAnswer(CardState.INVALID))

    def void_card(self, supplier_id: str, card_key: str) -> CardAnswer:
        self.asked.append(("void", supplier_id, card_key))
        if self.void_down:
            raise SupplierUnavailable("5xx three times")
        return self.voids.get(card_key, CardAnswer(CardState.VOIDED))

    def query_topup(self, supplier_id: str, reference: str) -> TopupAnswer:
        self.asked.append(("topup", supplier_id, reference))
        if self.down:
            raise SupplierUnavailable("circuit open")
        return self.topups[reference]
