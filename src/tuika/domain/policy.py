"""Refund policy: versioned rules per product kind × reason, parsed strictly."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final, TypeVar

from tuika.domain.errors import PolicyInvalid
from tuika.domain.money import Money
from tuika.domain.orders import Order, OrderItem, ProductKind, anchor_time

E = TypeVar("E", bound=StrEnum)


class Reason(StrEnum):
    CARD_INVALID = "card_invalid"
    NOT_DELIVERED = "not_delivered"
    WRONG_ITEM = "wrong_item"
    MISTAKEN_PURCHASE = "mistaken_purchase"
    OTHER = "other"


class Anchor(StrEnum):
    PAID_AT = "paid_at"
    DELIVERED_AT = "delivered_at"
    ACTIVATED_AT = "activated_at"


class EvidenceKind(StrEnum):
    ERROR_SCREENSHOT = "error_screenshot"
    PAYMENT_RECORD = "payment_record"
    CARRIER_RECORD = "carrier_record"
    ORDER_SCREENSHOT = "order_screenshot"
    RECEIVED_ITEM_SCREENSHOT = "received_item_screenshot"
    CHAT_RECORD = "chat_record"


class LiableParty(StrEnum):
    SUPPLIER = "supplier"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    BUYER = "buyer"


class Condition(StrEnum):
    """A fact that must hold for the refund; checked against records or the supplier."""

    CARD_UNUSED = "card_unused"
    NOT_DELIVERED = "not_delivered"
    NOT_ACTIVATED = "not_activated"


class FeeKind(StrEnum):
    NONE = "none"
    ACTUAL_COST = "actual_cost"
    PERCENT = "percent"


@dataclass(frozen=True, slots=True)
class Fee:
    """What is kept back from a refund; only ever the actual cost, per the policy."""

    kind: FeeKind = FeeKind.NONE
    fen: int = 0
    basis_points: int = 0
    cap_fen: int | None = None

    def on(self, refundable: Money) -> Money:
        """Return the fee for a refundable amount, never more than the amount itself."""
        if self.kind is FeeKind.NONE:
            fee = Money.zero()
        elif self.kind is FeeKind.ACTUAL_COST:
            fee = Money(self.fen)
        else:
            fee = refundable.percent_bp(self.basis_points)
            if self.cap_fen is not None:
                fee = min(fee, Money(self.cap_fen))
        return min(fee, refundable)


@dataclass(frozen=True, slots=True)
class Rule:
    """The policy for one product kind and one reason."""

    product_kind: ProductKind
    reason: Reason
    refundable: bool
    title_zh: str
    title_en: str
    window: timedelta = timedelta(0)
    anchor: Anchor = Anchor.PAID_AT
    # Where the window counts from when the anchor never comes: a key never activated, for one.
    fallback: Anchor | None = None
    evidence: tuple[EvidenceKind, ...] = ()
    conditions: tuple[Condition, ...] = ()
    liable: LiableParty = LiableParty.PLATFORM
    fee: Fee = field(default_factory=Fee)
    auto_approve_max: Money = field(default_factory=Money.zero)
    notes_zh: str = ""
    notes_en: str = ""
    # A card key claim the machine approves is offered a new key from its merchant's replacement
    # stock first, when the merchant keeps one for the product; the buyer may still take the money.
    replace_from_stock: bool = False


@dataclass(frozen=True, slots=True)
class UnrevealedRefund:
    """A card key its buyer never revealed and nobody redeemed, refunded at once on a claim of no fault.

    Key marketplaces refund an unviewed key without a question: voided with the supplier
    first, it is worth nothing to anyone, so no screenshot and no person is needed. Only the
    reasons that name no fault qualify; ``revealed_loses`` says a key once revealed no longer does.
    """

    reasons: frozenset[Reason]
    window: timedelta
    anchor: Anchor = Anchor.DELIVERED_AT
    revealed_loses: bool = True


def window_start(rule: Rule, order: Order, items: Mapping[str, OrderItem] | None = None) -> datetime | None:
    """Return when a rule's window opens for an order: its anchor, else its fallback; None if neither came yet."""
    start = anchor_time(order, rule.anchor.value, items)
    if start is None and rule.fallback is not None:
        start = anchor_time(order, rule.fallback.value, items)
    return start


@dataclass(frozen=True, slots=True)
class Policy:
    """A published version of the rules."""

    version: int
    title: str
    rules: Mapping[tuple[ProductKind, Reason], Rule]
    risk_notices_zh: Mapping[ProductKind, str] = field(default_factory=dict)
    risk_notices_en: Mapping[ProductKind, str] = field(default_factory=dict)
    # When it was published, so in force from: shown to buyers beside its title.
    published_at: datetime | None = None
    # A handling fee charged to the supplier or merchant whose fault a refund was, on top of
    # recovering the refund from it; the buyer's own fee is the rule's, whoever is at fault.
    fault_fees: Mapping[LiableParty, Fee] = field(default_factory=dict)
    # The time a merchant has to answer a claim put to it, where the policy sets one; else the setting's.
    merchant_response: timedelta | None = None
    # The instant refund of a card key never revealed; None where the policy offers none.
    unrevealed: UnrevealedRefund | None = None

    def merchant_time(self, default: timedelta) -> timedelta:
        """Return the time a merchant has to answer a claim under this policy, ``default`` if it sets none."""
        return self.merchant_response if self.merchant_response is not None else default

    def rule(self, kind: ProductKind, reason: Reason) -> Rule | None:
        """Return the rule for a kind and reason, if the policy has one."""
        return self.rules.get((kind, reason))

    def rules_for(self, kind: ProductKind) -> list[Rule]:
        """Return the rules for a product kind, in the order reasons are listed."""
        return [r for reason in Reason if (r := self.rules.get((kind, reason))) is not None]


_RULE_KEYS = frozenset(
    {
        "reason",
        "replace_from_stock",
        "refundable",
        "title_zh",
        "title_en",
        "window_hours",
        "window_minutes",
        "anchor",
        "anchor_fallback",
        "evidence",
        "conditions",
        "liable",
        "fee",
        "auto_approve_max_fen",
        "notes_zh",
        "notes_en",
    }
)
_FEE_KEYS = frozenset({"kind", "fen", "percent_bp", "cap_fen"})


def parse_policy(doc: Mapping[str, Any], version: int) -> Policy:
    """Build a ``Policy`` from a parsed TOML/JSON document, refusing anything unexpected.

    The document has ``title``, optional ``[risk_notices.<kind>]`` with ``zh`` and ``en``,
    optional ``[fault_fees]`` and ``[unrevealed_refund]``, and ``[[<kind>]]`` tables, one per
    reason. Every kind must cover every reason, so a buyer is never left without an answer.
    """
    errors: list[str] = []
    known_top = {
        "title",
        "risk_notices",
        "fault_fees",
        "merchant_response_minutes",
        "unrevealed_refund",
        *(k.value for k in ProductKind),
    }
    for key in doc:
        if key not in known_top:
            errors.append(f"unknown top-level key {key!r}")
    title = doc.get("title")
    if not isinstance(title, str) or not title.strip():
        errors.append("title: a non-empty string is required")
        title = ""
    rules: dict[tuple[ProductKind, Reason], Rule] = {}
    for kind in ProductKind:
        entries = doc.get(kind.value)
        if not isinstance(entries, list) or not entries:
            errors.append(f"{kind.value}: a list of rules is required")
            continue
        for n, entry in enumerate(entries):
            where = f"{kind.value}[{n}]"
            rule = _parse_rule(kind, entry, where, errors)
            if rule is None:
                continue
            if (kind, rule.reason) in rules:
                errors.append(f"{where}: reason {rule.reason.value} appears twice")
            rules[(kind, rule.reason)] = rule
        for reason in Reason:
            if (kind, reason) not in rules and not any(e.startswith(f"{kind.value}[") for e in errors):
                errors.append(f"{kind.value}: no rule for reason {reason.value}")
    notices_zh, notices_en = _parse_notices(doc.get("risk_notices", {}), errors)
    fault_fees = _parse_fault_fees(doc.get("fault_fees", {}), errors)
    merchant_response = _parse_merchant_response(doc.get("merchant_response_minutes"), errors)
    unrevealed = None if "unrevealed_refund" not in doc else _parse_unrevealed(doc["unrevealed_refund"], rules, errors)
    if errors:
        raise PolicyInvalid("; ".join(errors), errors=errors)
    return Policy(
        version,
        title,
        rules,
        notices_zh,
        notices_en,
        fault_fees=fault_fees,
        merchant_response=merchant_response,
        unrevealed=unrevealed,
    )


# A merchant's time to answer: long enough to be read and answered, short enough for fast arbitration's day.
MERCHANT_RESPONSE_MINUTES: Final = (5, 1440)


def _parse_merchant_response(raw: object, errors: list[str]) -> timedelta | None:
    """Read ``merchant_response_minutes``, the minutes a merchant has to answer a claim put to it."""
    if raw is None:
        return None
    low, high = MERCHANT_RESPONSE_MINUTES
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        errors.append(f"merchant_response_minutes: a whole number of minutes from {low} to {high} is required")
        return None
    return timedelta(minutes=raw)


# The reasons that name no fault: a key that fails (card_invalid) is judged on the supplier's
# word about it, one never delivered (not_delivered) was never there to reveal, and a wrong item
# is seen only by looking at it.
UNREVEALED_REASONS: Final = frozenset({Reason.MISTAKEN_PURCHASE, Reason.OTHER})
_UNREVEALED_KEYS: Final = frozenset({"reasons", "window_hours", "window_minutes", "anchor", "revealed_loses"})


def _parse_unrevealed(
    raw: object, rules: Mapping[tuple[ProductKind, Reason], Rule], errors: list[str]
) -> UnrevealedRefund | None:
    """Read ``[unrevealed_refund]``: its reasons, its window from payment or delivery, and ``revealed_loses``."""
    where = "unrevealed_refund"
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: a table is required")
        return None
    before = len(errors)
    for key in raw:
        if key not in _UNREVEALED_KEYS:
            errors.append(f"{where}: unknown key {key!r}")
    reasons = _enum_list(Reason, raw.get("reasons"), f"{where}.reasons", errors)
    if "reasons" in raw and isinstance(raw["reasons"], list) and not raw["reasons"]:
        errors.append(f"{where}.reasons: name at least one reason, or leave the table out")
    for reason in reasons:
        rule = rules.get((ProductKind.CARD_KEY, reason))
        if reason not in UNREVEALED_REASONS:
            errors.append(
                f"{where}.reasons: {reason.value} names a fault and has its own path; "
                f"only {', '.join(sorted(r.value for r in UNREVEALED_REASONS))} may be refunded unrevealed"
            )
        elif rule is not None and not rule.refundable:
            errors.append(f"{where}.reasons: card_key's {reason.value} rule is not refundable")
    if raw.get("window_hours") is None and raw.get("window_minutes") is None:
        errors.append(f"{where}: window_hours or window_minutes is required")
    window = _window(raw, where, errors, required=False)
    anchor = _enum(Anchor, raw.get("anchor", "delivered_at"), f"{where}.anchor", errors)
    if anchor is Anchor.ACTIVATED_AT:
        errors.append(f"{where}.anchor: a key activated was redeemed; count from paid_at or delivered_at")
    loses = raw.get("revealed_loses", True)
    if not isinstance(loses, bool):
        errors.append(f"{where}.revealed_loses: true or false is required")
    if len(errors) > before or anchor is None:
        return None
    return UnrevealedRefund(frozenset(reasons), window, anchor, bool(loses))


# Who a fault fee may be charged to: the parties whose deposit a refund is recovered from.
FAULT_PARTIES: Final = (LiableParty.SUPPLIER, LiableParty.MERCHANT)


def _parse_fault_fees(raw: object, errors: list[str]) -> dict[LiableParty, Fee]:
    """Read ``[fault_fees.<supplier|merchant>]``, each a fee as a rule's ``fee`` is written."""
    fees: dict[LiableParty, Fee] = {}
    if not isinstance(raw, Mapping):
        errors.append("fault_fees: a table is required")
        return fees
    for key, value in raw.items():
        party = next((p for p in FAULT_PARTIES if p.value == key), None)
        if party is None:
            errors.append(f"fault_fees.{key}: only supplier and merchant are charged a fault fee")
            continue
        fee = _fee(value, f"fault_fees.{key}", errors)
        if fee is not None:
            fees[party] = fee
    return fees


def _parse_notices(raw: object, errors: list[str]) -> tuple[dict[ProductKind, str], dict[ProductKind, str]]:
    zh: dict[ProductKind, str] = {}
    en: dict[ProductKind, str] = {}
    if not isinstance(raw, Mapping):
        errors.append("risk_notices: a table is required")
        return zh, en
    for key, value in raw.items():
        kind = _enum(ProductKind, key, f"risk_notices.{key}", errors)
        if kind is None:
            continue
        if not isinstance(value, Mapping) or set(value) != {"zh", "en"}:
            errors.append(f"risk_notices.{key}: needs exactly zh and en")
            continue
        if not all(isinstance(value[lang], str) and value[lang].strip() for lang in ("zh", "en")):
            errors.append(f"risk_notices.{key}: zh and en must be non-empty strings")
            continue
        zh[kind], en[kind] = value["zh"], value["en"]
    return zh, en


# Activation is reported only by platforms that track it, and a top-up is never activated: a
# window counted from it alone could stay open for ever, so such a rule names where else it counts.
_MAY_NEVER_HAPPEN: Final = frozenset({Anchor.ACTIVATED_AT})


def _fallback(kind: ProductKind, anchor: Anchor | None, value: object, where: str, errors: list[str]) -> Anchor | None:
    fallback = None if value is None else _enum(Anchor, value, f"{where}.anchor_fallback", errors)
    if anchor is None or (value is not None and fallback is None):
        return None
    if fallback is not None and (fallback is anchor or fallback in _MAY_NEVER_HAPPEN):
        errors.append(f"{where}.anchor_fallback: {fallback.value} cannot stand in for {anchor.value}")
        return None
    if anchor in _MAY_NEVER_HAPPEN and fallback is None:
        never = kind in (ProductKind.DIRECT_TOPUP, ProductKind.MANUAL_TOPUP)
        why = f"a {kind.value} is never activated" if never else "activation is not always reported"
        errors.append(
            f"{where}.anchor: {anchor.value} may never happen ({why}); "
            "name anchor_fallback (paid_at or delivered_at) to count from then"
        )
    return fallback


def _parse_rule(kind: ProductKind, entry: object, where: str, errors: list[str]) -> Rule | None:
    if not isinstance(entry, Mapping):
        errors.append(f"{where}: a table is required")
        return None
    before = len(errors)
    for key in entry:
        if key not in _RULE_KEYS:
            errors.append(f"{where}: unknown key {key!r}")
    reason = _enum(Reason, entry.get("reason"), f"{where}.reason", errors)
    refundable = entry.get("refundable")
    if not isinstance(refundable, bool):
        errors.append(f"{where}.refundable: true or false is required")
    titles = [entry.get("title_zh"), entry.get("title_en")]
    if not all(isinstance(t, str) and t for t in titles):
        errors.append(f"{where}: title_zh and title_en are required")
    window = _window(entry, where, errors, required=refundable is True)
    anchor = _enum(Anchor, entry.get("anchor", "paid_at"), f"{where}.anchor", errors)
    fallback = _fallback(kind, anchor, entry.get("anchor_fallback"), where, errors)
    evidence = _enum_list(EvidenceKind, entry.get("evidence", []), f"{where}.evidence", errors)
    conditions = _enum_list(Condition, entry.get("conditions", []), f"{where}.conditions", errors)
    liable = _enum(LiableParty, entry.get("liable", "platform"), f"{where}.liable", errors)
    fee = _fee(entry.get("fee", {"kind": "none"}), f"{where}.fee", errors)
    auto_max = entry.get("auto_approve_max_fen", 0)
    if not _is_count(auto_max):
        errors.append(f"{where}.auto_approve_max_fen: a whole number ≥ 0 is required")
    for key in ("notes_zh", "notes_en"):
        if not isinstance(entry.get(key, ""), str):
            errors.append(f"{where}.{key}: a string is required")
    from_stock = entry.get("replace_from_stock", False)
    if not isinstance(from_stock, bool):
        errors.append(f"{where}.replace_from_stock: true or false is required")
    elif from_stock and (kind is not ProductKind.CARD_KEY or not refundable):
        errors.append(f"{where}.replace_from_stock: only a refundable card_key rule can replace a key")
    if len(errors) > before or reason is None or anchor is None or liable is None or fee is None:
        return None
    return Rule(
        product_kind=kind,
        reason=reason,
        refundable=bool(refundable),
        title_zh=str(titles[0]),
        title_en=str(titles[1]),
        window=window,
        anchor=anchor,
        fallback=fallback,
        evidence=tuple(evidence),
        conditions=tuple(conditions),
        liable=liable,
        fee=fee,
        auto_approve_max=Money(int(auto_max)),
        notes_zh=str(entry.get("notes_zh", "")),
        notes_en=str(entry.get("notes_en", "")),
        replace_from_stock=from_stock is True,
    )


def _window(entry: Mapping[str, Any], where: str, errors: list[str], required: bool) -> timedelta:
    hours, minutes = entry.get("window_hours"), entry.get("window_minutes")
    if hours is not None and minutes is not None:
        errors.append(f"{where}: give window_hours or window_minutes, not both")
        return timedelta(0)
    value, unit = (hours, "hours") if hours is not None else (minutes, "minutes")
    if value is None:
        if required:
            errors.append(f"{where}: a refundable rule needs window_hours or window_minutes")
        return timedelta(0)
    if not _is_count(value) or value == 0 or value > 24 * 366 * (60 if unit == "minutes" else 1):
        errors.append(f"{where}.window_{unit}: a whole number from 1 up to a year is required")
        return timedelta(0)
    return timedelta(**{unit: int(value)})


def _fee(raw: object, where: str, errors: list[str]) -> Fee | None:
    if not isinstance(raw, Mapping):
        errors.append(f"{where}: a table is required")
        return None
    unknown = set(raw) - _FEE_KEYS
    if unknown:
        errors.append(f"{where}: unknown keys {sorted(unknown)}")
        return None
    kind = _enum(FeeKind, raw.get("kind"), f"{where}.kind", errors)
    if kind is None:
        return None
    fen, bp, cap = raw.get("fen", 0), raw.get("percent_bp", 0), raw.get("cap_fen")
    # The key a kind does not use must still be sane: a typo there hides a misunderstanding.
    unused = {FeeKind.ACTUAL_COST: ("percent_bp", bp), FeeKind.PERCENT: ("fen", fen)}.get(kind)
    if unused is not None and not _is_count(unused[1]):
        errors.append(f"{where}.{unused[0]}: a whole number ≥ 0 is required")
        return None
    if kind is FeeKind.NONE and not (_is_count(fen) and _is_count(bp)):
        errors.append(f"{where}: fen and percent_bp must be whole numbers ≥ 0")
        return None
    if kind is FeeKind.ACTUAL_COST and (not _is_count(fen) or fen == 0):
        errors.append(f"{where}.fen: actual_cost needs a whole number of fen > 0")
        return None
    if kind is FeeKind.PERCENT and (not _is_count(bp) or not 0 < bp <= 10000):
        errors.append(f"{where}.percent_bp: a percent fee needs 1..10000 basis points")
        return None
    if cap is not None and not _is_count(cap):
        errors.append(f"{where}.cap_fen: a whole number ≥ 0 is required")
        return None
    return Fee(kind, int(fen) if kind is FeeKind.ACTUAL_COST else 0, int(bp), cap)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _enum(enum: type[E], value: object, where: str, errors: list[str]) -> E | None:
    try:
        if isinstance(value, str):
            return enum(value)
    except ValueError:
        pass
    allowed = ", ".join(e.value for e in enum)
    errors.append(f"{where}: {value!r} is not one of {allowed}")
    return None


def _enum_list(enum: type[E], values: object, where: str, errors: list[str]) -> list[E]:
    if not isinstance(values, list):
        errors.append(f"{where}: a list is required")
        return []
    parsed = [_enum(enum, v, f"{where}[{i}]", errors) for i, v in enumerate(values)]
    known = [p for p in parsed if p is not None]
    if len(set(known)) != len(known):
        errors.append(f"{where}: duplicates")
    return [p for p in parsed if p is not None]
