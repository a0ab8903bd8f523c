"""API v1 bodies of the merchant's side: its answer to a claim, its stock of keys, the buyer's answer to new keys."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from tuika.api.schemas import Id, Strict

# A card key as merchants paste them (trimmed and checked again by ``domain.merchant.check_keys``).
CardKey = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class MerchantResponseIn(Strict):
    """The merchant's answer to a claim on its goods, or a statement; every one says why."""

    action: Literal["accept", "replace", "contest", "statement"]
    note: Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=r"\S")]
    evidence_ids: Annotated[list[Id], Field(max_length=9)] | None = None
    # For ``replace``: the new card key of a one-item claim, or one for each claimed item in order.
    replacement_card_key: CardKey | None = None
    replacement_card_keys: Annotated[list[CardKey], Field(max_length=100)] | None = None

    @model_validator(mode="after")
    def _one_way_to_name_keys(self) -> MerchantResponseIn:
        if self.replacement_card_key is not None and self.replacement_card_keys is not None:
            raise PydanticCustomError(
                "replacement_keys_twice",
                "give replacement_card_key or replacement_card_keys, not both",
                {"msg_zh": "replacement_card_key 与 replacement_card_keys 只能填写其一"},
            )
        return self

    def replacement_keys(self) -> tuple[str, ...]:
        if self.replacement_card_key is not None:
            return (self.replacement_card_key,)
        return tuple(self.replacement_card_keys or ())


class StockIn(Strict):
    """Replacement keys a merchant keeps for one of its products."""

    sku: Id
    card_keys: Annotated[list[CardKey], Field(min_length=1, max_length=100)]


class StockAddedOut(BaseModel):
    sku: str
    added: int
    # Free for the product now, these included.
    available: int


class StockCountOut(BaseModel):
    sku: str
    available: int


class StockOut(BaseModel):
    items: list[StockCountOut]


class ReplacementAnswerIn(Strict):
    """The buyer's answer to new keys offered instead of the money."""

    accept: StrictBool
