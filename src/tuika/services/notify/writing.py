"""The message writer: a handler of the outbox that turns each event into the messages the plan says.

It is a ``write`` handler: it runs inside the transaction that marks its delivery done, so an
event's messages and "done" commit together, once. It reads the case and the order for the
words (the product's name, the refund number, where the money goes) and writes one row per
recipient and channel. The inbox's row is the message; every other channel's is ``pending``
for its sender (``notify.sending``), due at once or when the recipient's quiet hours end.
A channel gets no row when no provider is configured for it, when its recipient turned it
off, or when there is nowhere to send (no number, no mailbox, no device).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import TypeVar

from tuika.domain import reason_codes
from tuika.domain.cases import Case, Route
from tuika.domain.events import Event, EventType
from tuika.domain.evidence_asks import kinds_asked
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.money import Money
from tuika.domain.notifications import (
    LANGUAGES,
    Channel,
    Message,
    Moment,
    Plan,
    Recipient,
    Telling,
    lateness,
    moments_of,
    parse_plan,
    staff_queue,
    when,
    yuan,
)
from tuika.domain.orders import Order
from tuika.domain.payouts import PayoutRoute
from tuika.domain.preferences import Preferences
from tuika.domain.sending import SendChannel, SendState
from tuika.services.context import Handler
from tuika.services.ports import UnitOfWork

_K = TypeVar("_K")
_V = TypeVar("_V")


@cache
def default_plan() -> Plan:
    """Return the plan shipped in the package (``tuika/policies/notify.toml``), parsed once."""
    document = tomllib.loads(files("tuika.policies").joinpath("notify.toml").read_text(encoding="utf-8"))
    return parse_plan(document)


def message_writer(plan: Plan, channels: frozenset[Channel], site_url: str = "") -> Handler:
    """Return the handler that writes ``plan``'s messages on ``channels`` (the inbox always).

    ``site_url`` is where the pages are as a phone or a mail client reaches them: a text, a
    push or an email links there; the inbox is read on the site and links within it.
    """
    enabled = channels | {Channel.INBOX}

    def write(uow: UnitOfWork, events: Sequence[Event]) -> None:
        write_messages(uow, events, plan, enabled, site_url)

    return Handler("notify", write=write)


def write_messages(
    uow: UnitOfWork, events: Sequence[Event], plan: Plan, channels: frozenset[Channel], site_url: str = ""
) -> list[Message]:
    """Write the messages ``events`` give rise to; return them.

    What the events share is read once: a case and its order however many of its events the
    batch holds, and where each person told beyond the inbox is reached, all in one query.
    """
    cases: dict[CaseId, Case | None] = {}
    orders: dict[OrderId, Order | None] = {}
    # (event, its case, its order, moment, telling, recipient id, channels it goes on)
    planned: list[tuple[Event, Case, Order, Moment, Telling, str, list[Channel]]] = []
    for event in events:
        moments = moments_of(event, appealed=bool(event.payload.get("appealed")))
        case_id = event.payload.get("case_id")
        if not moments or not case_id:
            continue
        case = _cached(cases, CaseId(str(case_id)), uow.cases.get)
        order = _cached(orders, case.order_id, uow.orders.get) if case is not None else None
        if case is None or order is None:
            continue
        for moment in moments:
            for telling in plan.for_moment(moment):
                recipient_id = _recipient_id(telling.recipient, event, case, order)
                wanted = [c for c in telling.channels if c in channels]
                if recipient_id and wanted:
                    planned.append((event, case, order, moment, telling, recipient_id, wanted))
    # Only a channel that sends needs to know where the person is reached: the inbox is rows.
    reaches = _reaches(uow, {(t.recipient, r) for *_, t, r, wanted in planned if wanted != [Channel.INBOX]})
    written: list[Message] = []
    values: dict[tuple[str, Moment], dict[str, dict[str, str]]] = {}
    counts: dict[str, int] = {}
    for event, case, order, moment, telling, recipient_id, wanted in planned:
        said = values.get((event.id, moment))
        if said is None:
            said = values[(event.id, moment)] = {
                lang: _values(plan, moment, event, case, order, lang) for lang in LANGUAGES
            }
        reach = reaches.get((telling.recipient, recipient_id)) if wanted != [Channel.INBOX] else None
        for channel in wanted:
            if reach is not None and not reach.takes(channel):
                continue
            index = counts.get(event.id, 0)
            counts[event.id] = index + 1
            told = _linked(said, telling.recipient, channel, case.id, site_url)
            message = _message(plan, telling, channel, told, event, case, recipient_id, index)
            if reach is not None and channel is not Channel.INBOX:
                message = replace(
                    message,
                    status=SendState.PENDING,
                    next_try_at=reach.preferences.send_at(event.occurred_at, urgent=telling.urgent),
                    params=_params(plan, telling.moment, told) if channel is Channel.SMS else None,
                )
            written.append(message)
    uow.messages.add(written)
    return written


def _cached(known: dict[_K, _V | None], key: _K, read: Callable[[_K], _V | None]) -> _V | None:
    if key not in known:
        known[key] = read(key)
    return known[key]


def _recipient_id(recipient: Recipient, event: Event, case: Case, order: Order) -> str | None:
    if recipient is Recipient.BUYER:
        return case.buyer_id
    if recipient is Recipient.MERCHANT:
        return order.merchant_id
    if recipient is Recipient.STAFF:
        return staff_queue(event)
    return None


@dataclass(frozen=True, slots=True)
class _Reach:
    """Where one recipient can be reached right now."""

    preferences: Preferences
    has_device: bool

    def takes(self, channel: Channel) -> bool:
        if channel is Channel.INBOX:
            return True
        send = SendChannel(channel.value)
        if not self.preferences.wants(send):
            return False
        return self.has_device if send is SendChannel.PUSH else self.preferences.has_address(send)


def _reaches(uow: UnitOfWork, people: set[tuple[Recipient, str]]) -> dict[tuple[Recipient, str], _Reach]:
    """Return where each of ``people`` is reached: their preferences, and for a buyer whether a device."""
    found: dict[tuple[Recipient, str], Preferences] = {}
    for recipient in {r for r, _ in people}:
        ids = sorted(i for r, i in people if r is recipient)
        found.update({(recipient, i): p for i, p in uow.preferences.many(recipient, ids).items()})
    buyers = sorted(i for r, i in people if r is Recipient.BUYER)
    with_devices = uow.preferences.buyers_with_devices(buyers) if buyers else set()
    return {
        (r, i): _Reach(found.get((r, i)) or Preferences(r, i), r is Recipient.BUYER and i in with_devices)
        for r, i in people
    }


def _params(plan: Plan, moment: Moment, values: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    """Return the SMS template's parameters in each language: only the variables it names."""
    return {lang: {name: values[lang][name] for name in plan.names(moment, Channel.SMS, lang)} for lang in LANGUAGES}


def case_page(recipient: Recipient, case_id: CaseId) -> str:
    """Return where ``recipient`` opens a claim on the site: each reads it on its own pages.

    >>> case_page(Recipient.MERCHANT, CaseId("rc_1")), case_page(Recipient.STAFF, CaseId("rc_1"))
    ('/merchant/cases/rc_1', '/console/cases/rc_1')
    """
    if recipient is Recipient.MERCHANT:
        # The claim on its goods as the merchant may read it, where it answers.
        return f"/merchant/cases/{case_id}"
    if recipient is Recipient.STAFF:
        return f"/console/cases/{case_id}"
    return f"/cases/{case_id}"


def _linked(
    values: Mapping[str, Mapping[str, str]], recipient: Recipient, channel: Channel, case_id: CaseId, site_url: str
) -> dict[str, dict[str, str]]:
    """Return ``values`` with the link to the recipient's page of the claim, absolute beyond the inbox.

    The inbox is read on the site and links within it; a text, a push or an email is opened on a
    phone or in a mail client, which reaches the site at ``site_url``.
    """
    page = case_page(recipient, case_id)
    link = page if channel is Channel.INBOX else site_url.rstrip("/") + page
    return {lang: {**v, "link": link} for lang, v in values.items()}


def _message(
    plan: Plan,
    telling: Telling,
    channel: Channel,
    values: Mapping[str, Mapping[str, str]],
    event: Event,
    case: Case,
    recipient_id: str,
    index: int,
) -> Message:
    zh = plan.render(telling.moment, channel, "zh", values["zh"])
    en = plan.render(telling.moment, channel, "en", values["en"])
    return Message(
        # The event's id and the message's place among its messages: an inbox sorted by id reads
        # in the order things happened, whichever event's writer ran first.
        id=f"{event.id}{index:02d}",
        event_id=event.id,
        moment=telling.moment,
        recipient=telling.recipient,
        recipient_id=recipient_id,
        channel=channel,
        title=zh.title,
        body=zh.body,
        title_en=en.title,
        body_en=en.body,
        link=values["zh"]["link"],
        case_id=case.id,
        urgent=telling.urgent,
        created_at=event.occurred_at,
    )


def _values(plan: Plan, moment: Moment, event: Event, case: Case, order: Order, lang: str) -> dict[str, str]:
    """Return every variable ``moment``'s templates may use, as this case stood at the event.

    All but ``link``, which is each recipient's own page of the claim (``_linked``).
    """
    payload = event.payload
    is_payout = event.type in (EventType.PAYOUT_SENT, EventType.PAYOUT_SETTLED)
    amount = Money(int(str(payload.get("amount_fen")))) if is_payout else case.payout_amount
    route = str(payload.get("route")) if is_payout else _route(case, order)
    due_raw = payload.get("due_at")
    due = datetime.fromisoformat(str(due_raw)) if due_raw else None
    # A due time always exists where a template says "by …"; should one be missing, say no time.
    due_text = when(due, lang) if due is not None else ("尽快" if lang == "zh" else "soon")
    respond_raw = payload.get("respond_by")
    respond_by = when(datetime.fromisoformat(str(respond_raw)), lang) if respond_raw else due_text
    to = str(payload.get("to"))
    raw_codes = payload.get("codes")
    codes = tuple(str(c) for c in raw_codes) if isinstance(raw_codes, list) else ()
    return {
        "number": case.number or case.id,
        "order_title": order.title or order.sku,
        "amount": yuan(amount),
        "expected": due_text,
        "deadline": due_text,
        "asked": _asked(plan, case, event, lang),
        "route": plan.word("route", route, lang),
        "why": _why(codes, lang),
        "outcome": plan.word("outcome", "approved" if to == "approved" else "rejected", lang),
        "reason": plan.word("reason", case.reason.value, lang),
        "voucher": _voucher(payload.get("voucher"), route, lang) if is_payout else "",
        "late": lateness(int(str(payload.get("overdue_s") or 0)), lang),
        "respond_by": respond_by,
    }


def _voucher(voucher: object, route: str, lang: str) -> str:
    """Return the refund's proof as the buyer can look it up: the payment channel's refund number.

    A refund to the balance has no channel's number (its own is an internal id); the balance's
    statement is its record.
    """
    if route == PayoutRoute.BALANCE.value:
        return "见余额明细" if lang == "zh" else "on your balance statement"
    if voucher:
        return str(voucher)
    return "待支付渠道出具" if lang == "zh" else "to follow from the payment channel"


def _route(case: Case, order: Order) -> str:
    if case.route is Route.BALANCE:
        return PayoutRoute.BALANCE.value
    return PayoutRoute(order.payment_route.value).value


def _asked(plan: Plan, case: Case, event: Event, lang: str) -> str:
    """Return the evidence the machine asked for at this event's line, in words."""
    line = next((line for line in reversed(case.timeline) if line.at == event.occurred_at), None)
    kinds = kinds_asked(line.note) if line is not None else ()
    if not kinds:
        return "补充材料" if lang == "zh" else "more evidence"
    return ("、" if lang == "zh" else ", ").join(plan.word("evidence", k.value, lang) for k in kinds)


def _why(codes: tuple[str, ...], lang: str) -> str:
    """Return a rejection's reasons as the buyer may read them: stand-ins for the anti-fraud signals."""
    shown = [c for c in reason_codes.withhold(codes) if reason_codes.is_known(c)]
    against = [c for c in shown if reason_codes.direction(c) is not reason_codes.Direction.SUPPORTS] or shown
    words = [reason_codes.describe(c)[0 if lang == "zh" else 1] for c in against]
    if not words:
        return "详见案件页" if lang == "zh" else "see the case page"
    return ("；" if lang == "zh" else "; ").join(words)
