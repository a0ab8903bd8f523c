"""The notification plan: which event tells whom of what, every template in both languages, strict parsing."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

import pytest

from tuika.domain.cases import Role
from tuika.domain.errors import InvalidInput
from tuika.domain.events import Event, EventType
from tuika.domain.ids import EventId
from tuika.domain.notifications import (
    LANGUAGES,
    VARIABLES,
    Channel,
    Moment,
    Recipient,
    moments_of,
    parse_plan,
)

AT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def _document() -> dict[str, Any]:
    return tomllib.loads(files("tuika.policies").joinpath("notify.toml").read_text(encoding="utf-8"))


# What real messages carry at their longest: a 14-digit number, a long product name, a big amount.
SAMPLE = {
    "number": "26120312345678",
    "order_title": "腾讯QQ会员12个月年卡（官方直充）",
    "amount": "¥1,299.00",
    "link": "/cases/rc_01a23c5f7c8e8ed8b6be967e2a0c",
    "expected": "12月13日 18:05",
    "deadline": "12月13日 18:05",
    "asked": "激活/充值失败截图、支付记录",
    "route": "微信支付",
    "why": "材料不足以证明卡密无效",
    "outcome": "驳回",
    "reason": "卡密无效",
    "url": "https://shop.example.com/after-sales/tuika/webhooks?source=refunds",
    "since": "12月13日 18:05",
    "voucher": "2026121322001455631412345678",
    "late": "2 小时 5 分钟",
    "respond_by": "12月13日 18:05",
}


def _event(type_: EventType, **payload: Any) -> Event:
    return Event(EventId("01M8Y5YZ6A8XFAPKPPYGP2J952"), type_, "rc_1", "tuika", Role.SYSTEM, AT, payload)


@pytest.mark.parametrize(
    ("event", "appealed", "told"),
    [
        (_event(EventType.CASE_SUBMITTED, to="submitted"), False, ["claim_received", "claim_against_goods"]),
        (_event(EventType.CASE_MOVED, **{"from": "submitted", "to": "reviewing"}), False, []),
        (
            _event(EventType.CASE_MOVED, **{"from": "reviewing", "to": "awaiting_evidence"}),
            False,
            ["evidence_requested"],
        ),
        (
            _event(EventType.CASE_MOVED, **{"from": "reviewing", "to": "manual_review"}),
            False,
            ["sent_to_person", "case_waiting"],
        ),
        (
            _event(EventType.CASE_MOVED, **{"from": "reviewing", "to": "manual_review", "respond_by": "2026-01-01"}),
            False,
            ["sent_to_person", "case_waiting", "claim_to_answer"],
        ),
        (
            _event(EventType.CASE_MOVED, **{"from": "reviewing", "to": "arbitration"}),
            False,
            ["sent_to_person", "case_waiting"],
        ),
        (
            _event(EventType.CASE_MOVED, **{"from": "rejected", "to": "arbitration"}),
            True,
            ["appeal_received", "case_waiting"],
        ),
        (_event(EventType.CASE_ESCALATED, status="manual_review", overdue_s=600), False, ["case_escalated"]),
        (
            _event(EventType.CASE_DECIDED, **{"from": "manual_review", "to": "approved"}),
            False,
            ["approved", "claim_decided_for_merchant"],
        ),
        (
            _event(
                EventType.CASE_DECIDED, **{"from": "manual_review", "to": "approved", "codes": ["merchant_timeout"]}
            ),
            False,
            ["approved", "merchant_timed_out"],
        ),
        (
            _event(
                EventType.CASE_NOTED, **{"from": "manual_review", "to": "manual_review", "codes": ["merchant_timeout"]}
            ),
            False,
            ["merchant_timed_out"],
        ),
        (_event(EventType.CASE_NOTED, **{"from": "manual_review", "to": "manual_review", "codes": []}), False, []),
        (
            _event(EventType.CASE_DECIDED, **{"from": "reviewing", "to": "rejected"}),
            False,
            ["rejected", "claim_decided_for_merchant"],
        ),
        (
            _event(EventType.CASE_DECIDED, **{"from": "arbitration", "to": "rejected"}),
            True,
            ["appeal_decided", "claim_decided_for_merchant"],
        ),
        (_event(EventType.CASE_MOVED, **{"from": "approved", "to": "refunding"}), False, []),
        (_event(EventType.CASE_NOTED, **{"from": "refunding", "to": "refunding"}), False, []),
        (_event(EventType.PAYOUT_SENT, to="processing"), False, ["refund_sent"]),
        (_event(EventType.PAYOUT_SETTLED, to="succeeded"), False, ["refund_arrived"]),
        (_event(EventType.PAYOUT_OPENED, to="pending"), False, []),
        (_event(EventType.ORDER_SYNCED), False, []),
    ],
)
def test_each_event_tells_what_happened_and_nothing_for_steps_nobody_waits_on(
    event: Event, appealed: bool, told: list[str]
) -> None:
    assert [m.value for m in moments_of(event, appealed=appealed)] == told


def test_the_shipped_plan_renders_every_message_in_both_languages_with_every_variable_known() -> None:
    plan = parse_plan(_document())

    # One template may serve two recipients (an endpoint's owner, merchant or platform).
    rendered = set()
    for telling in plan.tellings:
        for channel in telling.channels:
            for lang in LANGUAGES:
                text = plan.render(telling.moment, channel, lang, SAMPLE)
                assert text.body.strip()
                assert "{" not in text.title + text.body
                rendered.add((telling.moment, channel, lang))
    assert rendered == set(plan.templates)
    # Every moment someone can be told of is told to someone.
    assert {t.moment for t in plan.tellings} == set(Moment)


def test_text_messages_fit_one_segment_and_no_template_can_carry_a_key_a_phone_or_a_buyer() -> None:
    plan = parse_plan(_document())

    for (moment, channel, lang), _ in plan.templates.items():
        if channel is Channel.SMS and lang == "zh":
            body = plan.render(moment, channel, lang, SAMPLE).body
            # One 70-character segment, with the signature 【…】 the provider adds counted in.
            assert len(body) + len("【卡盟退卡】") <= 70, (moment, body)
    known = set().union(*VARIABLES.values())
    assert not known & {"card_key", "key", "phone", "mobile", "buyer_id", "account", "password"}
    sms = [plan.render(m, c, lg, SAMPLE).body for (m, c, lg) in plan.templates if c is Channel.SMS]
    assert not any(re.search(r"\d{11}", body.replace(SAMPLE["number"], "")) for body in sms)


def test_the_money_arrived_is_urgent_and_the_inbox_is_always_told() -> None:
    plan = parse_plan(_document())

    assert [t.urgent for t in plan.for_moment(Moment.REFUND_ARRIVED)] == [True]
    assert all(Channel.INBOX in t.channels for t in plan.tellings)
    assert {t.recipient for t in plan.for_moment(Moment.CLAIM_AGAINST_GOODS)} == {Recipient.MERCHANT}


def _unknown_variable(doc: dict[str, Any]) -> None:
    doc["templates"]["approved"]["inbox"]["zh"]["body"] = "卡密 {card_key} 已退款"


def _missing_template(doc: dict[str, Any]) -> None:
    del doc["templates"]["approved"]["inbox"]["en"]


def _no_inbox(doc: dict[str, Any]) -> None:
    doc["tell"][0]["channels"] = ["sms"]


def _merchant_told_the_buyers_news(doc: dict[str, Any]) -> None:
    doc["tell"].append({"moment": "refund_arrived", "recipient": "merchant", "channels": ["inbox"]})


def _unknown_channel(doc: dict[str, Any]) -> None:
    doc["tell"][0]["channels"] = ["inbox", "fax"]


def _unknown_moment(doc: dict[str, Any]) -> None:
    doc["tell"][0]["moment"] = "claim_lost"


def _a_format_spec(doc: dict[str, Any]) -> None:
    doc["templates"]["approved"]["inbox"]["zh"]["body"] = "{amount!r}"


def _missing_word(doc: dict[str, Any]) -> None:
    del doc["words"]["route"]["bank_card"]


def _told_twice(doc: dict[str, Any]) -> None:
    doc["tell"].append(copy.deepcopy(doc["tell"][0]))


BAD_PLANS = [
    _unknown_variable,
    _missing_template,
    _no_inbox,
    _merchant_told_the_buyers_news,
    _unknown_channel,
    _unknown_moment,
    _a_format_spec,
    _missing_word,
    _told_twice,
]


@pytest.mark.parametrize("mutate", BAD_PLANS, ids=[f.__name__.strip("_") for f in BAD_PLANS])
def test_a_plan_with_a_mistake_is_refused_when_it_is_loaded(mutate: Any) -> None:
    document = _document()
    mutate(document)

    with pytest.raises(InvalidInput):
        parse_plan(document)
