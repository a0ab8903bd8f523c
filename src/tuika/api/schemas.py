"""Request and response bodies of API v1. Inputs refuse unknown fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tuika.domain.cases import DecisionAction, Route
from tuika.domain.orders import DeliveryStatus, PaymentRoute, ProductKind
from tuika.domain.policy import EvidenceKind, Reason

Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]
Secret = Annotated[str, StringConstraints(min_length=4, max_length=128, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Name = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]

_ISO_8601: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
TIME_EN: Final = "Input should be an ISO 8601 date and time with a UTC offset, such as 2025-01-01T08:00:00+08:00"
TIME_ZH: Final = "应为带时区偏移的 ISO 8601 时间字符串，例如 2025-01-01T08:00:00+08:00"


def _iso_8601(value: object) -> object:
    """Pass on an ISO 8601 string with an offset, for pydantic to read; refuse anything else."""
    # Pydantic alone reads 0, 1.5 or "1700000000" as seconds since 1970, and a space for the T.
    if isinstance(value, str) and _ISO_8601.fullmatch(value):
        return value
    raise PydanticCustomError("datetime_iso8601", TIME_EN, {"msg_zh": TIME_ZH})


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_8601),
    Field(description="ISO 8601 date and time with a UTC offset (Z or ±hh:mm)", examples=["2025-01-01T08:00:00+08:00"]),
]
# The same in a query parameter, where Query() says the rest: a Field inside ``… | None`` is ignored, and warned of.
QueryInstant = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemIn(Strict):
    id: Id
    card_key: Secret | None = None
    account: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    activated_at: Instant | None = None


class PaymentIn(Strict):
    route: PaymentRoute
    transaction_id: Id


class DeliveryIn(Strict):
    status: DeliveryStatus
    delivered_at: Instant | None = None


class BuyerContactIn(Strict):
    """Where the buyer can be told of their claims, as the platform knows it: fills only what the buyer has not set."""

    # A mainland mobile number (11 digits, "+86" allowed).
    phone: Annotated[str, StringConstraints(max_length=32, strip_whitespace=True)] | None = None
    email: Annotated[str, StringConstraints(max_length=254, strip_whitespace=True)] | None = None


class OrderIn(Strict):
    id: Id
    buyer_id: Id
    merchant_id: Id
    supplier_id: Id
    # The shop's and the supplier's names as people know them, shown to staff beside the ids.
    merchant_name: Name = ""
    supplier_name: Name = ""
    sku: Id
    title: Annotated[str, StringConstraints(max_length=200)] = ""
    product_kind: ProductKind
    face_value_fen: Annotated[int, Field(ge=0, le=10**10)] | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=500)]
    amount_fen: Annotated[int, Field(ge=1, le=10**10)]
    payment: PaymentIn
    paid_at: Instant
    delivery: DeliveryIn
    buyer_contact: BuyerContactIn | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrderIn:
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise _order_rule("items: item ids must be unique", "items：商品 id 不能重复")
        if self.amount_fen < len(self.items):
            raise _order_rule("amount_fen: less than one fen per item", "amount_fen：每件商品至少 1 分")
        delivered = self.delivery.status is DeliveryStatus.DELIVERED
        if delivered and self.delivery.delivered_at is None:
            raise _order_rule(
                "delivery.delivered_at is required when the status is delivered",
                "delivery.delivered_at：状态为已发货时必须给出发货时间",
            )
        if self.delivery.delivered_at is not None and self.delivery.delivered_at < self.paid_at:
            raise _order_rule("delivery.delivered_at is before paid_at", "delivery.delivered_at：发货时间早于付款时间")
        if self.product_kind in (ProductKind.CARD_KEY, ProductKind.MEMBERSHIP) and delivered:
            missing = [i.id for i in self.items if i.card_key is None]
            if missing:
                kind = self.product_kind.value
                raise _order_rule(
                    f"items {missing}: a delivered {kind} order needs card_key",
                    f"items {missing}：已发货的{'卡密' if kind == 'card_key' else '会员码'}订单须给出 card_key",
                )
        return self


def _order_rule(en: str, zh: str) -> PydanticCustomError:
    """Return a broken rule of an order as a validation issue that says what is wrong in both languages."""
    return PydanticCustomError("order_inconsistent", en, {"msg_zh": zh})


class PaymentOut(BaseModel):
    route: str
    transaction_id: str


class DeliveryOut(BaseModel):
    status: str
    delivered_at: datetime | None


class ItemOut(BaseModel):
    id: str
    # Always masked: POST /v1/orders/{id}/items/{item_id}/reveal alone shows a key in clear, and logs it.
    card_key: str | None
    card_key_masked: bool
    account: str | None
    account_masked: bool
    activated_at: datetime | None
    amount_fen: int
    claim_id: str | None = None
    # Whether its buyer has had the key shown, and when first.
    revealed: bool = False
    first_revealed_at: datetime | None = None


class RevealOut(BaseModel):
    """One time the buyer was shown a card key, as evidence on the order: staff read these."""

    item_id: str
    at: datetime
    # api (the host platform's order page, through the reveal endpoint) or page (tuika's order page).
    channel: Literal["api", "page"]
    # A digest naming the bearer token or the page session (never the credential itself).
    session: str
    ip: str | None
    user_agent: str | None


class RevealedKey(BaseModel):
    """A card key in clear for its buyer, shown once its reveal is logged."""

    order_id: str
    item_id: str
    card_key: str
    first_revealed_at: datetime


class OrderOut(BaseModel):
    id: str
    buyer_id: str
    merchant_id: str
    supplier_id: str
    merchant_name: str
    supplier_name: str
    sku: str
    title: str
    product_kind: str
    face_value_fen: int | None
    amount_fen: int
    payment: PaymentOut
    paid_at: datetime
    delivery: DeliveryOut
    items: list[ItemOut]
    # Every reveal of the order's keys, oldest first: for agents, arbitrators and admins; null for anyone else.
    reveals: list[RevealOut] | None = None


class OrderWarning(BaseModel):
    """Something the platform should fix in what it sent; the order was stored all the same."""

    code: Literal["card_key_in_other_order"]
    item_id: str
    other_order_id: str
    other_item_id: str
    title: str
    title_zh: str


class OrderSynced(BaseModel):
    id: str
    created: bool
    # A card key already delivered in another order: one key sold twice. Claims on either order
    # go to a person, who sees both.
    warnings: list[OrderWarning] = Field(default_factory=list)


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None


class Label(BaseModel):
    code: str
    zh: str
    en: str


class ReasonLabel(Label):
    # supports (a fact for the claim), checks (why a person looks), against (a doubt or a
    # refusal), process (where the claim or the money stands): a client colours by it.
    direction: Literal["supports", "checks", "against", "process"]


class FeeOut(BaseModel):
    kind: str
    fen: int
    percent_bp: int
    cap_fen: int | None
    zh: str
    en: str


class RuleOut(BaseModel):
    reason: str
    refundable: bool
    title_zh: str
    title_en: str
    window_seconds: int
    anchor: str
    # Where the window counts from when the anchor never comes (a key never activated).
    anchor_fallback: str | None
    window_starts_at: datetime | None
    deadline: datetime | None
    open: bool
    # open, closed (past its window), waiting (opens on delivery), not_applicable (this order's
    # record rules it out), not_refundable; ``why`` gives the reasons when it is not open.
    state: Literal["open", "closed", "waiting", "not_applicable", "not_refundable"]
    why: list[ReasonLabel]
    evidence_required: list[Label]
    conditions: list[Label]
    liable: str
    fee: FeeOut
    auto_approve_max_fen: int
    notes_zh: str
    notes_en: str
    # Until when a claim under this rule on a key never revealed is refunded at once if the
    # supplier says it is unused (``unrevealed_refund``); null where no key of the order can be.
    unrevealed_until: datetime | None = None


class UnrevealedRefundOut(BaseModel):
    """The policy's instant refund of card keys never revealed, in words and figures."""

    reasons: list[str]
    window_seconds: int
    anchor: str
    # A key once revealed no longer takes this way.
    revealed_loses: bool
    zh: str
    en: str


class PolicyOut(BaseModel):
    order_id: str
    policy_version: int
    title: str
    # When this version was published: the rules in force since then.
    in_force_since: datetime | None
    product_kind: str
    risk_notice_zh: str
    risk_notice_en: str
    as_of: datetime
    rules: list[RuleOut]
    # Null where the policy offers none, or for a kind of product without card keys.
    unrevealed_refund: UnrevealedRefundOut | None = None


class PrecheckIn(Strict):
    reason: Reason
    item_ids: Annotated[list[Id], Field(max_length=500)] | None = None
    # The kinds of the files the buyer means to attach; the prediction stops asking for them.
    evidence_kinds: Annotated[list[EvidenceKind], Field(max_length=20)] | None = None


class BranchOut(BaseModel):
    # evidence_as_declared / evidence_in_doubt: what the screenshots show decides;
    # supplier_answers / supplier_silent: the supplier, silent at the pre-check, is asked again.
    condition: Label
    path: str | None  # None: the supplier's answer decides
    path_label: Label
    reason_codes: list[ReasonLabel]


class PrecheckOut(BaseModel):
    eligible: bool
    # The path if everything goes as declared; ``branches`` say what else can happen, and when.
    path: str
    path_label: Label
    conditional: bool
    branches: list[BranchOut]
    # The whole prediction in one sentence, each condition with its path.
    summary: Label
    reason_codes: list[ReasonLabel]
    policy_version: int
    deadline: datetime | None
    missing_evidence: list[Label]
    refundable_fen: int
    fee_fen: int
    payout_fen: int
    liable: str
    item_ids: list[str]
    routes: list[str]
    # What to tell the buyer before they act: reveal_loses_refund ("查看卡密后将无法无理由退款")
    # where a claimed key not yet revealed would lose its instant refund once revealed.
    warnings: list[Label] = Field(default_factory=list)


class ReadLineOut(BaseModel):
    text: str
    box: list[int]  # left, top, right, bottom in pixels of the uploaded image
    confidence: float


class FieldMatchOut(BaseModel):
    field: str
    read: str
    expected: str | None
    matches: bool
    code: str
    item_id: str | None
    # Characters read wrong beyond the look-alikes and forgiven on a long number; 0 where it agrees.
    corrections: int = 0


class ReadOut(BaseModel):
    """What the machine read from a screenshot; card keys are masked everywhere in it."""

    engine: str
    text: str
    lines: list[ReadLineOut]
    fields: dict[str, list[str]]
    matches: list[FieldMatchOut]
    reason_codes: list[ReasonLabel]
    at: datetime


class EvidenceOut(BaseModel):
    id: str
    sha256: str
    content_type: str
    size: int
    width: int
    height: int
    kind: str | None
    case_id: str | None
    created_at: datetime
    read: ReadOut | None = None


class CaseIn(Strict):
    order_id: Id
    reason: Reason
    item_ids: Annotated[list[Id], Field(max_length=500)] | None = None
    description: Text = ""
    evidence_ids: Annotated[list[Id], Field(max_length=10)] | None = None
    route: Route = Route.BALANCE


class NoteIn(Strict):
    note: Text = ""


class EvidenceAddIn(Strict):
    evidence_ids: Annotated[list[Id], Field(min_length=1, max_length=10)]
    note: Text = ""


class ReplacementKeyOut(BaseModel):
    item_id: str
    # The new key, masked; its buyer reads it in full on the order once accepted.
    masked_key: str
    # Voiding the replaced key with its supplier: pending, voided or not_voided; null until accepted.
    old_key: str | None


class ReplacementOut(BaseModel):
    """New keys the merchant offered instead of a refund, and the buyer's answer."""

    offered_at: datetime
    answer_by: datetime
    note: str
    # accepted, declined, expired or withdrawn; null while it waits for the buyer.
    outcome: str | None
    answered_at: datetime | None
    # Offered by the policy from the merchant's stock (declined, the refund goes ahead), not by the merchant.
    automatic: bool
    items: list[ReplacementKeyOut]


class MerchantResponseOut(BaseModel):
    id: str
    action: str
    note: str
    evidence: list[EvidenceOut]
    at: datetime


class MerchantOut(BaseModel):
    """The claim as put to the merchant: its deadline while it waits, its answer, all it said."""

    # While the claim waits for the merchant's answer; then null.
    respond_by: datetime | None
    # accept, contest, or timeout (the deadline passed: taken as accepted); null until then.
    answer: str | None
    answered_at: datetime | None
    responses: list[MerchantResponseOut]


class DecisionIn(Strict):
    action: Literal["approve", "reject", "request_evidence", "escalate"]
    reason_codes: Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(min_length=1, max_length=10)]
    note: Text = ""

    def domain_action(self) -> DecisionAction:
        """Return the action as the domain names it."""
        return DecisionAction(self.action)


class EventOut(BaseModel):
    at: datetime
    actor: str
    role: str
    from_status: str | None
    to_status: str
    reason_codes: list[ReasonLabel]
    note: str


class DecisionOut(BaseModel):
    action: str
    tier: str
    actor: str
    reason_codes: list[ReasonLabel]
    note: str
    at: datetime


class FindingOut(BaseModel):
    """One thing the machine saw: ``kind`` says what (supplier_card, supplier_topup, ocr, …), ``subject`` of what."""

    kind: str
    subject: str
    facts: dict[str, str | int | float | bool | None]
    reason_codes: list[ReasonLabel]
    at: datetime


class PayoutOut(BaseModel):
    id: str
    route: str
    amount_fen: int
    fee_fen: int
    status: str
    gateway_refund_no: str
    voucher: str | None
    attempts: int
    failure: str | None
    created_at: datetime
    updated_at: datetime
    sent_at: datetime | None = None
    redirected_from: str | None = None
    # The gateway's word contradicts this record (it says it paid after all): finance is checking,
    # and until then the refund cannot go to the balance.
    outcome_disputed: bool = False


class StageOut(BaseModel):
    key: str
    zh: str
    en: str
    expected_seconds: int | None
    expected_by: datetime | None


class CaseOut(BaseModel):
    id: str
    # The refund number people read and quote (14 digits); ``id`` is what the API takes.
    number: str | None
    order_id: str
    buyer_id: str
    reason: str
    item_ids: list[str]
    route: str
    status: str
    stage: StageOut
    policy_version: int
    refundable_fen: int
    fee_fen: int
    payout_fen: int
    liable: str
    description: str
    reason_codes: list[ReasonLabel]
    due_at: datetime | None
    appealed: bool
    created_at: datetime
    updated_at: datetime
    evidence: list[EvidenceOut]
    timeline: list[EventOut]
    decision: DecisionOut | None
    decisions: list[DecisionOut]
    payout: PayoutOut | None
    findings: list[FindingOut]
    merchant: MerchantOut
    replacement: ReplacementOut | None = None


class CaseSummary(BaseModel):
    id: str
    number: str | None
    order_id: str
    buyer_id: str
    reason: str
    status: str
    stage: StageOut
    refundable_fen: int
    payout_fen: int
    reason_codes: list[ReasonLabel]
    due_at: datetime | None
    overdue: bool
    # "urgent" past the SLA, "high" within its last quarter, else "normal": the queue's order.
    priority: str
    # How many times the sweep escalated it past its time limit in its current status, and when last.
    escalations: int = 0
    escalated_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class CasePage(BaseModel):
    items: list[CaseSummary]
    next_cursor: str | None
