"""The message writer links each message to its recipient's own page of the claim, absolute beyond the inbox."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.services.fakes import FakeUnitOfWork
from tests.support.builders import PAID_AT, case, order
from tuika.domain.cases import CaseStatus, Role
from tuika.domain.events import Event, EventType
from tuika.domain.ids import EventId, new_ulid
from tuika.domain.notifications import Channel, Message, Moment, Recipient
from tuika.domain.preferences import Preferences
from tuika.services.notify.writing import default_plan, write_messages

SITE = "https://shop.example.com/"
AT = PAID_AT + timedelta(minutes=30)


def event(type_: EventType, **payload: Any) -> Event:
    return Event(EventId(new_ulid()), type_, "rc_1", "tuika", Role.SYSTEM, AT, {"case_id": "rc_1", **payload})


# Every moment of a claim its merchant is told of, and the buyer's and staff's beside them.
EVENTS = (
    event(EventType.CASE_SUBMITTED, to="submitted"),
    event(EventType.CASE_MOVED, **{"from": "reviewing", "to": "manual_review", "respond_by": AT.isoformat()}),
    event(EventType.CASE_NOTED, **{"from": "manual_review", "to": "manual_review", "codes": ["merchant_timeout"]}),
    event(EventType.CASE_MOVED, **{"from": "replacement_offered", "to": "manual_review"}),
    event(EventType.CASE_REPLACED, **{"from": "replacement_offered", "to": "replaced"}),
    event(EventType.CASE_DECIDED, **{"from": "manual_review", "to": "approved"}),
    event(EventType.PAYOUT_SETTLED, amount_fen=10_000, route="balance", voucher="po_1"),
)


def written(site_url: str = SITE) -> list[Message]:
    """Write the messages of ``EVENTS`` for a buyer and a merchant who both gave a mailbox."""
    uow = FakeUnitOfWork(orders=[order()], cases=[case(status=CaseStatus.MANUAL_REVIEW)])
    for recipient, who in ((Recipient.BUYER, "b_1"), (Recipient.MERCHANT, "m_1")):
        uow.preferences.rows[(recipient, who)] = Preferences(recipient, who, email_sealed="sealed-mailbox")
    with uow:
        return write_messages(uow, EVENTS, default_plan(), frozenset(Channel), site_url)


def test_a_merchants_messages_link_to_the_claim_on_its_own_pages_absolute_in_its_email() -> None:
    merchants = [m for m in written() if m.recipient is Recipient.MERCHANT]

    assert sorted((m.moment, m.channel) for m in merchants) == sorted(
        (moment, channel)
        for moment in (
            Moment.CLAIM_AGAINST_GOODS,
            Moment.CLAIM_TO_ANSWER,
            Moment.MERCHANT_TIMED_OUT,
            Moment.REPLACEMENT_NOT_TAKEN,
            Moment.REPLACEMENT_TAKEN,
            Moment.CLAIM_DECIDED_FOR_MERCHANT,
        )
        for channel in (Channel.INBOX, Channel.EMAIL)
    )
    for m in merchants:
        page = "/merchant/cases/rc_1"
        assert m.link == (page if m.channel is Channel.INBOX else f"https://shop.example.com{page}"), m
    for m in (m for m in merchants if m.channel is Channel.EMAIL):
        # The email says where the claim is, in both languages, as the buyer's emails do.
        assert m.body.endswith(f"：{m.link}"), m.body
        assert m.body_en.endswith(f": {m.link}"), m.body_en
    (answer,) = [m for m in merchants if (m.moment, m.channel) == (Moment.CLAIM_TO_ANSWER, Channel.EMAIL)]
    assert answer.body.endswith("查看并答复：https://shop.example.com/merchant/cases/rc_1")
    assert answer.body_en.endswith("Read and answer it on its page: https://shop.example.com/merchant/cases/rc_1")


def test_the_buyer_and_staff_keep_their_own_pages_and_the_inbox_links_within_the_site() -> None:
    messages = written()

    links = {(m.recipient, m.moment, m.channel): m.link for m in messages if m.recipient is not Recipient.MERCHANT}

    assert links[(Recipient.BUYER, Moment.CLAIM_RECEIVED, Channel.INBOX)] == "/cases/rc_1"
    assert links[(Recipient.BUYER, Moment.REFUND_ARRIVED, Channel.EMAIL)] == "https://shop.example.com/cases/rc_1"
    assert links[(Recipient.STAFF, Moment.CASE_WAITING, Channel.INBOX)] == "/console/cases/rc_1"
    (arrived,) = [m for m in messages if (m.moment, m.channel) == (Moment.REFUND_ARRIVED, Channel.EMAIL)]
    assert arrived.body.endswith("处理记录见案件页：https://shop.example.com/cases/rc_1")


def test_without_a_site_url_a_link_stays_on_the_site_for_the_sender_to_complete() -> None:
    emails = [m for m in written(site_url="") if m.channel is Channel.EMAIL]

    assert {m.link for m in emails if m.recipient is Recipient.MERCHANT} == {"/merchant/cases/rc_1"}
    assert {m.link for m in emails if m.recipient is Recipient.BUYER} == {"/cases/rc_1"}
