import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.builders import default_policy, default_policy_doc
from tuika.domain.errors import PolicyInvalid
from tuika.domain.money import Money
from tuika.domain.orders import ProductKind
from tuika.domain.policy import (
    Anchor,
    Condition,
    EvidenceKind,
    Fee,
    FeeKind,
    LiableParty,
    Policy,
    Reason,
    parse_policy,
)

K = ProductKind
R = Reason
Doc = dict[str, Any]

KINDS = "card_key, direct_topup, manual_topup, membership"
ANCHORS = "paid_at, delivered_at, activated_at"
FEE_KINDS = "none, actual_cost, percent"


def rule_of(doc: Doc, kind: str, reason: str) -> dict[str, Any]:
    """Return the mutable table of one rule in a policy document."""
    [entry] = [e for e in doc[kind] if e["reason"] == reason]
    assert isinstance(entry, dict)
    return entry


def errors_of(doc: Doc) -> list[str]:
    """Parse ``doc``, expecting PolicyInvalid, and return the errors it names."""
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(doc, 2)
    errors = caught.value.facts["errors"]
    assert isinstance(errors, list)
    assert caught.value.code == "policy_invalid"
    assert str(caught.value) == "; ".join(errors)
    return errors


# ---------- the shipped default ----------


def test_default_policy_has_a_rule_for_every_kind_and_reason() -> None:
    policy = default_policy()

    assert policy.version == 1
    assert policy.title == "卡盟标准退卡政策"  # its version is kept apart, not in the title a buyer reads
    assert len(policy.rules) == 20
    assert set(policy.rules) == set(itertools.product(ProductKind, Reason))
    for (kind, reason), rule in policy.rules.items():
        assert (rule.product_kind, rule.reason) == (kind, reason)
        assert rule.title_zh
        assert rule.title_en


def test_rules_for_lists_a_kind_in_reason_order() -> None:
    policy = default_policy()

    assert [r.reason for r in policy.rules_for(K.MEMBERSHIP)] == list(Reason)
    assert {r.product_kind for r in policy.rules_for(K.MEMBERSHIP)} == {K.MEMBERSHIP}


def test_rule_is_none_where_a_policy_has_no_rule() -> None:
    empty = Policy(9, "empty", {})

    assert empty.rule(K.CARD_KEY, R.OTHER) is None
    assert empty.rules_for(K.CARD_KEY) == []


def test_card_key_not_delivered_counts_24_hours_from_payment() -> None:
    rule = default_policy().rule(K.CARD_KEY, R.NOT_DELIVERED)

    assert rule is not None
    assert rule.refundable is True
    assert rule.window == timedelta(hours=24)
    assert rule.anchor is Anchor.PAID_AT
    assert rule.liable is LiableParty.SUPPLIER
    assert rule.fee == Fee(FeeKind.NONE)
    assert rule.auto_approve_max == Money(50_000)


@pytest.mark.parametrize("kind", list(ProductKind))
def test_wrong_item_must_be_reported_within_an_hour_of_delivery(kind: ProductKind) -> None:
    rule = default_policy().rule(kind, R.WRONG_ITEM)

    assert rule is not None
    assert rule.refundable is True
    assert rule.window == timedelta(hours=1)
    assert rule.anchor is Anchor.DELIVERED_AT
    assert rule.liable is LiableParty.MERCHANT
    assert EvidenceKind.ORDER_SCREENSHOT in rule.evidence


@pytest.mark.parametrize("kind", [K.CARD_KEY, K.MEMBERSHIP])
def test_card_invalid_needs_an_unused_card_and_a_screenshot(kind: ProductKind) -> None:
    rule = default_policy().rule(kind, R.CARD_INVALID)

    assert rule is not None
    assert rule.refundable is True
    assert rule.conditions == (Condition.CARD_UNUSED,)
    assert rule.evidence == (EvidenceKind.ERROR_SCREENSHOT,)
    assert rule.window == timedelta(hours=72)
    assert rule.anchor is Anchor.DELIVERED_AT
    assert rule.liable is LiableParty.SUPPLIER
    assert rule.fee == Fee(FeeKind.NONE)


@pytest.mark.parametrize(
    ("kind", "condition", "anchor", "fee"),
    [
        (K.CARD_KEY, Condition.NOT_DELIVERED, Anchor.PAID_AT, Fee(FeeKind.ACTUAL_COST, fen=100)),
        (K.MANUAL_TOPUP, Condition.NOT_DELIVERED, Anchor.PAID_AT, Fee(FeeKind.ACTUAL_COST, fen=100)),
        (K.MEMBERSHIP, Condition.NOT_ACTIVATED, Anchor.DELIVERED_AT, Fee(FeeKind.ACTUAL_COST, fen=100)),
        (K.DIRECT_TOPUP, Condition.NOT_DELIVERED, Anchor.PAID_AT, Fee(FeeKind.PERCENT, basis_points=60, cap_fen=500)),
    ],
)
def test_mistaken_purchase_is_the_buyers_fault_and_costs_only_the_actual_cost(
    kind: ProductKind, condition: Condition, anchor: Anchor, fee: Fee
) -> None:
    rule = default_policy().rule(kind, R.MISTAKEN_PURCHASE)

    assert rule is not None
    assert rule.refundable is True
    assert rule.conditions == (condition,)
    assert rule.anchor is anchor
    assert rule.window == timedelta(hours=24)
    assert rule.liable is LiableParty.BUYER
    assert rule.fee == fee
    assert rule.evidence == ()
    assert rule.auto_approve_max == Money(20_000)


@pytest.mark.parametrize("kind", [K.DIRECT_TOPUP, K.MANUAL_TOPUP])
def test_top_ups_refuse_card_invalid(kind: ProductKind) -> None:
    rule = default_policy().rule(kind, R.CARD_INVALID)

    assert rule is not None
    assert rule.refundable is False
    assert rule.window == timedelta(0)


def test_only_buyer_fault_rules_keep_a_fee() -> None:
    for rule in default_policy().rules.values():
        if rule.liable is LiableParty.BUYER:
            assert rule.fee.kind is not FeeKind.NONE, rule
        else:
            assert rule.fee == Fee(FeeKind.NONE), rule


def test_risk_notices_are_published_for_every_kind_in_both_languages() -> None:
    policy = default_policy()

    assert set(policy.risk_notices_zh) == set(ProductKind)
    assert set(policy.risk_notices_en) == set(ProductKind)
    assert "24 小时" in policy.risk_notices_zh[K.DIRECT_TOPUP]
    assert "24 hours" in policy.risk_notices_en[K.DIRECT_TOPUP]


def test_window_minutes_and_an_omitted_optional_table_parse() -> None:
    doc = default_policy_doc()
    del doc["risk_notices"]
    wrong = rule_of(doc, "card_key", "wrong_item")
    del wrong["window_hours"]
    wrong["window_minutes"] = 30

    policy = parse_policy(doc, 7)

    assert policy.version == 7
    assert policy.risk_notices_zh == {}
    assert policy.risk_notices_en == {}
    rule = policy.rule(K.CARD_KEY, R.WRONG_ITEM)
    assert rule is not None
    assert rule.window == timedelta(minutes=30)


def test_defaults_of_optional_rule_keys() -> None:
    doc = default_policy_doc()
    entry = rule_of(doc, "card_key", "other")
    for key in ("anchor", "evidence", "liable", "fee", "notes_zh", "notes_en"):
        del entry[key]

    rule = parse_policy(doc, 1).rule(K.CARD_KEY, R.OTHER)

    assert rule is not None
    assert rule.anchor is Anchor.PAID_AT
    assert rule.evidence == ()
    assert rule.conditions == ()
    assert rule.liable is LiableParty.PLATFORM
    assert rule.fee == Fee(FeeKind.NONE)
    assert rule.auto_approve_max == Money(0)
    assert (rule.notes_zh, rule.notes_en) == ("", "")


@pytest.mark.parametrize(("unit", "largest"), [("window_hours", 24 * 366), ("window_minutes", 24 * 366 * 60)])
def test_a_window_may_last_up_to_a_year(unit: str, largest: int) -> None:
    doc = default_policy_doc()
    entry = rule_of(doc, "card_key", "other")
    del entry["window_hours"]
    entry[unit] = largest

    rule = parse_policy(doc, 1).rule(K.CARD_KEY, R.OTHER)

    assert rule is not None
    assert rule.window == timedelta(hours=24 * 366)


# ---------- strict validation: each error names its place ----------


def _set(kind: str, reason: str, key: str, value: object) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        rule_of(doc, kind, reason)[key] = value

    return change


def _drop(kind: str, reason: str, key: str) -> Callable[[Doc], None]:
    def change(doc: Doc) -> None:
        del rule_of(doc, kind, reason)[key]

    return change


def _both_windows(doc: Doc) -> None:
    rule_of(doc, "card_key", "other")["window_minutes"] = 30


def _drop_rule(doc: Doc) -> None:
    doc["card_key"] = [e for e in doc["card_key"] if e["reason"] != "other"]


def _duplicate_rule(doc: Doc) -> None:
    doc["direct_topup"].append(dict(rule_of(doc, "direct_topup", "other")))


def _unknown_top_key(doc: Doc) -> None:
    doc["colour"] = "red"


def _no_title(doc: Doc) -> None:
    del doc["title"]


def _blank_title(doc: Doc) -> None:
    doc["title"] = "   "


def _no_kind(doc: Doc) -> None:
    del doc["membership"]


def _empty_kind(doc: Doc) -> None:
    doc["membership"] = []


def _kind_as_table(doc: Doc) -> None:
    doc["membership"] = {"reason": "other"}


def _entry_not_a_table(doc: Doc) -> None:
    doc["card_key"][0] = "card_invalid"


def _notices_not_a_table(doc: Doc) -> None:
    doc["risk_notices"] = ["zh", "en"]


def _notice_unknown_kind(doc: Doc) -> None:
    doc["risk_notices"]["toys"] = {"zh": "玩具", "en": "toys"}


def _notice_without_en(doc: Doc) -> None:
    del doc["risk_notices"]["membership"]["en"]


def _notice_extra_key(doc: Doc) -> None:
    doc["risk_notices"]["membership"]["ja"] = "会員"


def _notice_not_a_table(doc: Doc) -> None:
    doc["risk_notices"]["membership"] = "会员"


def _minutes_beyond_a_year(doc: Doc) -> None:
    entry = rule_of(doc, "card_key", "wrong_item")
    del entry["window_hours"]
    entry["window_minutes"] = 24 * 366 * 60 + 1


CK0 = "card_key[0]"  # card_invalid
CK3 = "card_key[3]"  # mistaken_purchase
CK4 = "card_key[4]"  # other

INVALID: list[tuple[str, Callable[[Doc], None], list[str]]] = [
    ("unknown top-level key", _unknown_top_key, ["unknown top-level key 'colour'"]),
    ("no title", _no_title, ["title: a non-empty string is required"]),
    ("blank title", _blank_title, ["title: a non-empty string is required"]),
    ("kind missing", _no_kind, ["membership: a list of rules is required"]),
    ("kind empty", _empty_kind, ["membership: a list of rules is required"]),
    ("kind as a table", _kind_as_table, ["membership: a list of rules is required"]),
    ("entry not a table", _entry_not_a_table, [f"{CK0}: a table is required"]),
    ("unknown rule key", _set("card_key", "card_invalid", "colour", "red"), [f"{CK0}: unknown key 'colour'"]),
    ("missing reason", _drop_rule, ["card_key: no rule for reason other"]),
    ("duplicate reason", _duplicate_rule, ["direct_topup[5]: reason other appears twice"]),
    (
        "bad reason",
        _set("card_key", "other", "reason", "boredom"),
        [f"{CK4}.reason: 'boredom' is not one of card_invalid, not_delivered, wrong_item, mistaken_purchase, other"],
    ),
    ("reason missing", _drop("card_key", "other", "reason"), [f"{CK4}.reason: None is not one of " + ", ".join(R)]),
    (
        "bad anchor",
        _set("card_key", "other", "anchor", "shipped_at"),
        [f"{CK4}.anchor: 'shipped_at' is not one of {ANCHORS}"],
    ),
    (
        "bad liable",
        _set("card_key", "other", "liable", "nobody"),
        [f"{CK4}.liable: 'nobody' is not one of supplier, merchant, platform, buyer"],
    ),
    (
        "bad evidence kind",
        _set("card_key", "other", "evidence", ["order_screenshot", "selfie"]),
        [f"{CK4}.evidence[1]: 'selfie' is not one of " + ", ".join(EvidenceKind)],
    ),
    (
        "duplicate evidence",
        _set("card_key", "other", "evidence", ["order_screenshot", "order_screenshot"]),
        [f"{CK4}.evidence: duplicates"],
    ),
    (
        "evidence not a list",
        _set("card_key", "other", "evidence", "order_screenshot"),
        [f"{CK4}.evidence: a list is required"],
    ),
    (
        "bad condition",
        _set("card_key", "card_invalid", "conditions", ["card_shiny"]),
        [f"{CK0}.conditions[0]: 'card_shiny' is not one of card_unused, not_delivered, not_activated"],
    ),
    (
        "refundable not a bool",
        _set("card_key", "other", "refundable", "yes"),
        [f"{CK4}.refundable: true or false is required"],
    ),
    ("refundable missing", _drop("card_key", "other", "refundable"), [f"{CK4}.refundable: true or false is required"]),
    ("no title_en", _drop("card_key", "other", "title_en"), [f"{CK4}: title_zh and title_en are required"]),
    ("empty title_zh", _set("card_key", "other", "title_zh", ""), [f"{CK4}: title_zh and title_en are required"]),
    (
        "refundable without a window",
        _drop("card_key", "other", "window_hours"),
        [f"{CK4}: a refundable rule needs window_hours or window_minutes"],
    ),
    ("both windows", _both_windows, [f"{CK4}: give window_hours or window_minutes, not both"]),
    *(
        (
            f"window_hours = {value!r}",
            _set("card_key", "other", "window_hours", value),
            [f"{CK4}.window_hours: a whole number from 1 up to a year is required"],
        )
        for value in (0, -1, 1.5, True, "24", 24 * 366 + 1)
    ),
    (
        "window_minutes beyond a year",
        _minutes_beyond_a_year,
        ["card_key[2].window_minutes: a whole number from 1 up to a year is required"],
    ),
    (
        "auto_approve_max_fen negative",
        _set("card_key", "other", "auto_approve_max_fen", -1),
        [f"{CK4}.auto_approve_max_fen: a whole number ≥ 0 is required"],
    ),
    (
        "auto_approve_max_fen a float",
        _set("card_key", "other", "auto_approve_max_fen", 100.0),
        [f"{CK4}.auto_approve_max_fen: a whole number ≥ 0 is required"],
    ),
    ("notes not a string", _set("card_key", "other", "notes_en", 3), [f"{CK4}.notes_en: a string is required"]),
    ("fee not a table", _set("card_key", "mistaken_purchase", "fee", 100), [f"{CK3}.fee: a table is required"]),
    (
        "fee unknown key",
        _set("card_key", "mistaken_purchase", "fee", {"kind": "actual_cost", "fen": 100, "yuan": 1}),
        [f"{CK3}.fee: unknown keys ['yuan']"],
    ),
    (
        "fee kind unknown",
        _set("card_key", "mistaken_purchase", "fee", {"kind": "free"}),
        [f"{CK3}.fee.kind: 'free' is not one of {FEE_KINDS}"],
    ),
    (
        "fee kind missing",
        _set("card_key", "mistaken_purchase", "fee", {"fen": 100}),
        [f"{CK3}.fee.kind: None is not one of {FEE_KINDS}"],
    ),
    *(
        (
            f"actual_cost fen = {fen!r}",
            _set("card_key", "mistaken_purchase", "fee", {"kind": "actual_cost", "fen": fen}),
            [f"{CK3}.fee.fen: actual_cost needs a whole number of fen > 0"],
        )
        for fen in (0, -100, 1.0, "100", False)
    ),
    (
        "actual_cost without fen",
        _set("card_key", "mistaken_purchase", "fee", {"kind": "actual_cost"}),
        [f"{CK3}.fee.fen: actual_cost needs a whole number of fen > 0"],
    ),
    *(
        (
            f"percent_bp = {bp!r}",
            _set("card_key", "mistaken_purchase", "fee", {"kind": "percent", "percent_bp": bp}),
            [f"{CK3}.fee.percent_bp: a percent fee needs 1..10000 basis points"],
        )
        for bp in (0, 10_001, -5, 0.6, True)
    ),
    (
        "percent without percent_bp",
        _set("card_key", "mistaken_purchase", "fee", {"kind": "percent"}),
        [f"{CK3}.fee.percent_bp: a percent fee needs 1..10000 basis points"],
    ),
    (
        "negative cap",
        _set("card_key", "mistaken_purchase", "fee", {"kind": "percent", "percent_bp": 60, "cap_fen": -1}),
        [f"{CK3}.fee.cap_fen: a whole number ≥ 0 is required"],
    ),
    ("risk_notices not a table", _notices_not_a_table, ["risk_notices: a table is required"]),
    ("risk notice for an unknown kind", _notice_unknown_kind, [f"risk_notices.toys: 'toys' is not one of {KINDS}"]),
    ("risk notice without en", _notice_without_en, ["risk_notices.membership: needs exactly zh and en"]),
    ("risk notice with an extra language", _notice_extra_key, ["risk_notices.membership: needs exactly zh and en"]),
    ("risk notice not a table", _notice_not_a_table, ["risk_notices.membership: needs exactly zh and en"]),
]


@pytest.mark.parametrize(("change", "expected"), [(c, e) for _, c, e in INVALID], ids=[n for n, _, _ in INVALID])
def test_an_invalid_document_is_refused_with_the_place_named(
    change: Callable[[Doc], None], expected: list[str]
) -> None:
    doc = default_policy_doc()
    change(doc)

    assert errors_of(doc) == expected


def test_every_error_is_reported_at_once() -> None:
    doc = default_policy_doc()
    doc["colour"] = "red"
    rule_of(doc, "card_key", "other")["anchor"] = "shipped_at"
    rule_of(doc, "membership", "wrong_item")["window_minutes"] = 5
    del doc["direct_topup"][1]  # not_delivered

    assert errors_of(doc) == [
        "unknown top-level key 'colour'",
        f"{CK4}.anchor: 'shipped_at' is not one of {ANCHORS}",
        "direct_topup: no rule for reason not_delivered",
        "membership[2]: give window_hours or window_minutes, not both",
    ]


def test_a_broken_rule_does_not_also_report_its_reason_as_missing() -> None:
    doc = default_policy_doc()
    rule_of(doc, "card_key", "other")["colour"] = "red"

    assert errors_of(doc) == [f"{CK4}: unknown key 'colour'"]


def test_a_non_refundable_rule_needs_no_window() -> None:
    doc = default_policy_doc()
    # Not card_key's: the unrevealed refund names that rule, and refuses it not refundable (below).
    entry = rule_of(doc, "manual_topup", "other")
    entry["refundable"] = False
    del entry["window_hours"]

    rule = parse_policy(doc, 1).rule(K.MANUAL_TOPUP, R.OTHER)

    assert rule is not None
    assert rule.refundable is False
    assert rule.window == timedelta(0)


def test_an_unhashable_evidence_entry_is_refused_as_invalid() -> None:
    doc = default_policy_doc()
    rule_of(doc, "card_key", "other")["evidence"] = [{"kind": "order_screenshot"}]

    assert errors_of(doc) == [
        f"{CK4}.evidence[0]: {{'kind': 'order_screenshot'}} is not one of " + ", ".join(EvidenceKind)
    ]


def test_a_bad_percent_bp_on_a_non_percent_fee_is_refused_as_invalid() -> None:
    doc = default_policy_doc()
    rule_of(doc, "card_key", "mistaken_purchase")["fee"] = {"kind": "actual_cost", "fen": 100, "percent_bp": "x"}

    errors_of(doc)


def test_a_non_string_risk_notice_is_refused() -> None:
    doc = default_policy_doc()
    doc["risk_notices"]["membership"]["zh"] = 24

    errors_of(doc)


# ---------- fees ----------


@pytest.mark.parametrize(
    ("fee", "refundable", "expected"),
    [
        (Fee(FeeKind.NONE), 10_000, 0),
        (Fee(FeeKind.ACTUAL_COST, fen=100), 10_000, 100),
        (Fee(FeeKind.ACTUAL_COST, fen=100), 60, 60),
        (Fee(FeeKind.PERCENT, basis_points=60, cap_fen=500), 10_000, 60),
        (Fee(FeeKind.PERCENT, basis_points=60, cap_fen=500), 100_000, 500),
        (Fee(FeeKind.PERCENT, basis_points=60), 100_000, 600),
        (Fee(FeeKind.PERCENT, basis_points=60, cap_fen=0), 100_000, 0),
        (Fee(FeeKind.PERCENT, basis_points=10_000), 777, 777),
        (Fee(FeeKind.ACTUAL_COST, fen=100), 0, 0),
    ],
)
def test_fee_on_an_amount(fee: Fee, refundable: int, expected: int) -> None:
    assert fee.on(Money(refundable)) == Money(expected)


valid_fees = st.one_of(
    st.just(Fee(FeeKind.NONE)),
    st.builds(Fee, st.just(FeeKind.ACTUAL_COST), fen=st.integers(min_value=1, max_value=10**7)),
    st.builds(
        Fee,
        st.just(FeeKind.PERCENT),
        basis_points=st.integers(min_value=1, max_value=10_000),
        cap_fen=st.none() | st.integers(min_value=0, max_value=10**7),
    ),
)


@given(valid_fees, st.integers(min_value=0, max_value=10**9))
def test_a_fee_is_never_negative_nor_more_than_the_amount(fee: Fee, fen: int) -> None:
    charged = fee.on(Money(fen))

    assert Money(0) <= charged <= Money(fen)
    if fee.kind is FeeKind.ACTUAL_COST:
        assert charged == Money(min(fee.fen, fen))
    if fee.kind is FeeKind.PERCENT and fee.cap_fen is not None:
        assert charged <= Money(fee.cap_fen)


@given(valid_fees)
def test_a_fee_that_parses_round_trips_through_a_document(fee: Fee) -> None:
    doc = default_policy_doc()
    table: dict[str, object] = {"kind": fee.kind.value}
    if fee.kind is FeeKind.ACTUAL_COST:
        table["fen"] = fee.fen
    if fee.kind is FeeKind.PERCENT:
        table["percent_bp"] = fee.basis_points
        if fee.cap_fen is not None:
            table["cap_fen"] = fee.cap_fen
    rule_of(doc, "card_key", "mistaken_purchase")["fee"] = table

    rule = parse_policy(doc, 1).rule(K.CARD_KEY, R.MISTAKEN_PURCHASE)

    assert rule is not None
    assert rule.fee == fee


# ---------- anchors that may never come ----------


@pytest.mark.parametrize("kind", ["card_key", "direct_topup", "manual_topup", "membership"])
def test_a_window_counted_from_activation_alone_is_refused(kind: str) -> None:
    doc = default_policy_doc()
    rule_of(doc, kind, "other")["anchor"] = "activated_at"

    [error] = errors_of(doc)

    assert error.startswith(f"{kind}[4].anchor: activated_at may never happen")
    assert "anchor_fallback" in error


def test_a_window_from_activation_counts_from_its_fallback_until_then() -> None:
    doc = default_policy_doc()
    rule_of(doc, "card_key", "other").update(anchor="activated_at", anchor_fallback="delivered_at")

    rule = parse_policy(doc, 2).rule(K.CARD_KEY, R.OTHER)

    assert rule is not None
    assert (rule.anchor, rule.fallback) == (Anchor.ACTIVATED_AT, Anchor.DELIVERED_AT)


@pytest.mark.parametrize(
    ("anchor", "fallback", "said"),
    [
        ("activated_at", "activated_at", "activated_at cannot stand in for activated_at"),
        ("paid_at", "activated_at", "activated_at cannot stand in for paid_at"),
        ("activated_at", "shipped_at", "anchor_fallback"),
    ],
)
def test_a_fallback_that_could_not_stand_in_is_refused(anchor: str, fallback: str, said: str) -> None:
    doc = default_policy_doc()
    rule_of(doc, "membership", "other").update(anchor=anchor, anchor_fallback=fallback)

    assert any(said in e for e in errors_of(doc))


def test_the_merchants_time_to_answer_is_the_policys_or_else_the_settings() -> None:
    doc = default_policy_doc()

    assert default_policy().merchant_time(timedelta(hours=1)) == timedelta(hours=1)
    assert parse_policy({**doc, "merchant_response_minutes": 30}, 2).merchant_time(timedelta(hours=1)) == timedelta(
        minutes=30
    )


@pytest.mark.parametrize("minutes", [0, 4, 1441, -60, 30.5, "60", True])
def test_a_merchants_time_outside_five_minutes_to_a_day_is_refused(minutes: object) -> None:
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy({**default_policy_doc(), "merchant_response_minutes": minutes}, 2)

    assert refused.value.facts["errors"] == [
        "merchant_response_minutes: a whole number of minutes from 5 to 1440 is required"
    ]


# ---------- the instant refund of card keys never revealed ----------

UNREVEALED_INVALID: list[tuple[str, dict[str, Any], list[str]]] = [
    ("unknown key", {"colour": "red"}, ["unrevealed_refund: unknown key 'colour'"]),
    ("no reasons", {"reasons": None}, ["unrevealed_refund.reasons: a list is required"]),
    (
        "no reason at all",
        {"reasons": []},
        ["unrevealed_refund.reasons: name at least one reason, or leave the table out"],
    ),
    (
        "a reason of fault",
        {"reasons": ["card_invalid", "other"]},
        [
            "unrevealed_refund.reasons: card_invalid names a fault and has its own path; "
            "only mistaken_purchase, other may be refunded unrevealed"
        ],
    ),
    (
        "an unknown reason",
        {"reasons": ["boredom"]},
        [
            "unrevealed_refund.reasons[0]: 'boredom' is not one of card_invalid, not_delivered, wrong_item, "
            "mistaken_purchase, other"
        ],
    ),
    ("a reason twice", {"reasons": ["other", "other"]}, ["unrevealed_refund.reasons: duplicates"]),
    (
        "no window",
        {"window_hours": None},
        ["unrevealed_refund: window_hours or window_minutes is required"],
    ),
    (
        "from activation",
        {"anchor": "activated_at"},
        ["unrevealed_refund.anchor: a key activated was redeemed; count from paid_at or delivered_at"],
    ),
    (
        "revealed_loses not a bool",
        {"revealed_loses": "yes"},
        ["unrevealed_refund.revealed_loses: true or false is required"],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [(c, e) for _, c, e in UNREVEALED_INVALID], ids=[n for n, _, _ in UNREVEALED_INVALID]
)
def test_a_broken_unrevealed_refund_is_refused_with_the_place_named(
    change: dict[str, Any], expected: list[str]
) -> None:
    doc = default_policy_doc()
    table = doc["unrevealed_refund"]
    for key, value in change.items():
        if value is None:
            del table[key]
        else:
            table[key] = value

    assert errors_of(doc) == expected


def test_an_unrevealed_refund_under_a_rule_that_refunds_nothing_is_refused() -> None:
    doc = default_policy_doc()
    entry = rule_of(doc, "card_key", "other")
    entry["refundable"] = False
    del entry["window_hours"]

    assert errors_of(doc) == ["unrevealed_refund.reasons: card_key's other rule is not refundable"]


def test_without_the_table_no_key_is_refunded_unrevealed_and_minutes_count_too() -> None:
    doc = default_policy_doc()
    table = doc.pop("unrevealed_refund")
    assert parse_policy(doc, 2).unrevealed is None

    doc["unrevealed_refund"] = {"reasons": ["mistaken_purchase"], "window_minutes": 30, "anchor": "paid_at"}
    offer = parse_policy(doc, 3).unrevealed

    assert offer is not None
    assert (offer.reasons, offer.window, offer.anchor, offer.revealed_loses) == (
        {R.MISTAKEN_PURCHASE},
        timedelta(minutes=30),
        Anchor.PAID_AT,
        True,  # the way is lost on a reveal unless the policy says otherwise
    )
    assert table["revealed_loses"] is True
