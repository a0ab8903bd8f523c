"""Who is told what, on which channel: the moments of a claim people hear of, the plan, the templates.

Pure. An event becomes zero or more *moments* (``moments_of``): the buyer's claim received, sent
to a person, approved, the refund arrived… The *plan* (package data, ``policies/notify.toml``)
says which recipients hear of each moment and on which channels; the *templates* say what they
read, per moment, channel and language. Both are parsed strictly: an unknown moment, channel,
recipient or variable is refused when the plan is loaded, never when a message is due.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from tuika.domain.cases import CaseStatus
from tuika.domain.clock import SHANGHAI
from tuika.domain.errors import InvalidInput
from tuika.domain.events import Event, EventType
from tuika.domain.ids import EventId
from tuika.domain.merchant import FROM_STOCK, TIMEOUT_CODE
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute
from tuika.domain.policy import EvidenceKind, Reason
from tuika.domain.sending import SendState


def when(at: datetime, lang: str) -> str:
    """Return a moment as people read it in a message, Beijing time.

    >>> from datetime import UTC
    >>> when(datetime(2026, 12, 3, 10, 5, tzinfo=UTC), "zh"), when(datetime(2026, 12, 3, 10, 5, tzinfo=UTC), "en")
    ('12月3日 18:05', '3 Dec 18:05 (Beijing time)')
    """
    local = at.astimezone(SHANGHAI)
    if lang == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %H:%M} (Beijing time)"


def yuan(amount: Money) -> str:
    """Return an amount as a message shows it.

    >>> yuan(Money(9950))
    '¥99.50'
    """
    return f"¥{amount.fen // 100}.{amount.fen % 100:02d}"


class Moment(StrEnum):
    """Something a person is told of; one event may be several (the buyer's and the merchant's)."""

    CLAIM_RECEIVED = "claim_received"
    EVIDENCE_REQUESTED = "evidence_requested"
    SENT_TO_PERSON = "sent_to_person"
    APPEAL_RECEIVED = "appeal_received"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPEAL_DECIDED = "appeal_decided"
    REFUND_SENT = "refund_sent"
    REFUND_ARRIVED = "refund_arrived"
    CLAIM_AGAINST_GOODS = "claim_against_goods"
    CLAIM_DECIDED_FOR_MERCHANT = "claim_decided_for_merchant"
    # The claim is put to the merchant, with its deadline; and its silence was taken as consent.
    CLAIM_TO_ANSWER = "claim_to_answer"
    MERCHANT_TIMED_OUT = "merchant_timed_out"
    # New keys instead of the money: offered to the buyer, taken (both told), or not taken (the merchant).
    REPLACEMENT_OFFERED = "replacement_offered"
    # The policy offers a key from the merchant's stock for a claim it approved: declined, refunded.
    REPLACEMENT_FROM_STOCK = "replacement_from_stock"
    REPLACED = "replaced"
    REPLACEMENT_TAKEN = "replacement_taken"
    REPLACEMENT_NOT_TAKEN = "replacement_not_taken"
    # Not of a claim: an endpoint whose every webhook failed for a day was disabled.
    ENDPOINT_DISABLED = "endpoint_disabled"
    # To staff: a case came into a person's queue, or waited there past its time limit.
    CASE_WAITING = "case_waiting"
    CASE_ESCALATED = "case_escalated"


class Recipient(StrEnum):
    BUYER = "buyer"
    MERCHANT = "merchant"
    PLATFORM = "platform"  # the host platform: told of its webhook endpoints
    # A queue's people: its messages go to "queue:manual_review" or "queue:arbitration", and
    # each person whose console shows that queue reads them; what each has seen is their own.
    STAFF = "staff"


class Channel(StrEnum):
    INBOX = "inbox"
    SMS = "sms"
    PUSH = "push"
    EMAIL = "email"


LANGUAGES: Final = ("zh", "en")

# The kinds of words variables are made of, and the values each must name.
WORD_KINDS: Final[Mapping[str, frozenset[str]]] = {
    "route": frozenset(r.value for r in PayoutRoute),
    "evidence": frozenset(k.value for k in EvidenceKind),
    "reason": frozenset(r.value for r in Reason),
    "outcome": frozenset({"approved", "rejected"}),
}

# What each moment's templates may say; every one is known when the message is written.
_CASE_VARS: Final = frozenset({"number", "order_title", "amount", "link"})
VARIABLES: Final[Mapping[Moment, frozenset[str]]] = {
    Moment.CLAIM_RECEIVED: _CASE_VARS | {"expected"},
    Moment.EVIDENCE_REQUESTED: _CASE_VARS | {"deadline", "asked"},
    Moment.SENT_TO_PERSON: _CASE_VARS | {"expected"},
    Moment.APPEAL_RECEIVED: _CASE_VARS | {"expected"},
    Moment.APPROVED: _CASE_VARS | {"route"},
    Moment.REJECTED: _CASE_VARS | {"why"},
    Moment.APPEAL_DECIDED: _CASE_VARS | {"outcome"},
    Moment.REFUND_SENT: _CASE_VARS | {"route", "voucher"},
    Moment.REFUND_ARRIVED: _CASE_VARS | {"route", "voucher"},
    Moment.CLAIM_AGAINST_GOODS: _CASE_VARS | {"reason"},
    Moment.CLAIM_DECIDED_FOR_MERCHANT: _CASE_VARS | {"outcome"},
    Moment.CLAIM_TO_ANSWER: _CASE_VARS | {"reason", "respond_by"},
    Moment.MERCHANT_TIMED_OUT: _CASE_VARS,
    Moment.REPLACEMENT_OFFERED: _CASE_VARS | {"deadline"},
    Moment.REPLACEMENT_FROM_STOCK: _CASE_VARS | {"deadline"},
    Moment.REPLACED: _CASE_VARS,
    Moment.REPLACEMENT_TAKEN: _CASE_VARS,
    Moment.REPLACEMENT_NOT_TAKEN: _CASE_VARS,
    Moment.ENDPOINT_DISABLED: frozenset({"url", "since", "link"}),
    Moment.CASE_WAITING: _CASE_VARS | {"expected", "reason"},
    Moment.CASE_ESCALATED: _CASE_VARS | {"reason", "late"},
}

# The moments each recipient may be told of: a merchant never hears the buyer's own messages.
_FOR: Final[Mapping[Recipient, frozenset[Moment]]] = {
    Recipient.BUYER: frozenset(VARIABLES)
    - {
        Moment.CLAIM_AGAINST_GOODS,
        Moment.CLAIM_DECIDED_FOR_MERCHANT,
        Moment.CLAIM_TO_ANSWER,
        Moment.MERCHANT_TIMED_OUT,
        Moment.REPLACEMENT_TAKEN,
        Moment.REPLACEMENT_NOT_TAKEN,
        Moment.ENDPOINT_DISABLED,
        Moment.CASE_WAITING,
        Moment.CASE_ESCALATED,
    },
    Recipient.MERCHANT: frozenset(
        {
            Moment.CLAIM_AGAINST_GOODS,
            Moment.CLAIM_DECIDED_FOR_MERCHANT,
            Moment.CLAIM_TO_ANSWER,
            Moment.MERCHANT_TIMED_OUT,
            Moment.REPLACEMENT_TAKEN,
            Moment.REPLACEMENT_NOT_TAKEN,
            Moment.ENDPOINT_DISABLED,
        }
    ),
    Recipient.PLATFORM: frozenset({Moment.ENDPOINT_DISABLED}),
    Recipient.STAFF: frozenset({Moment.CASE_WAITING, Moment.CASE_ESCALATED}),
}


def moments_of(event: Event, *, appealed: bool = False) -> tuple[Moment, ...]:
    """Return what ``event`` tells people; ``appealed`` says the case was appealed before this move.

    >>> from tuika.domain.ids import EventId
    >>> from tuika.domain.cases import Role
    >>> from datetime import UTC, datetime
    >>> e = Event(EventId("e1"), EventType.CASE_MOVED, "rc_1", "tuika", Role.SYSTEM,
    ...           datetime(2026, 1, 1, tzinfo=UTC), {"from": "reviewing", "to": "manual_review"})
    >>> [m.value for m in moments_of(e)]
    ['sent_to_person']
    """
    to = event.payload.get("to")
    codes = event.payload.get("codes")
    timed_out = isinstance(codes, list) and TIMEOUT_CODE in codes
    if event.type is EventType.CASE_SUBMITTED:
        return (Moment.CLAIM_RECEIVED, Moment.CLAIM_AGAINST_GOODS)
    if event.type is EventType.CASE_DECIDED:
        if appealed:
            return (Moment.APPEAL_DECIDED, Moment.CLAIM_DECIDED_FOR_MERCHANT)
        if to == CaseStatus.APPROVED.value:
            return (Moment.APPROVED, Moment.MERCHANT_TIMED_OUT if timed_out else Moment.CLAIM_DECIDED_FOR_MERCHANT)
        return (Moment.REJECTED, Moment.CLAIM_DECIDED_FOR_MERCHANT)
    if event.type is EventType.CASE_NOTED:
        # The merchant's silence noted on a claim a person still decides (signs of fraud).
        return (Moment.MERCHANT_TIMED_OUT,) if timed_out else ()
    if event.type is EventType.CASE_REPLACED:
        return (Moment.REPLACED, Moment.REPLACEMENT_TAKEN)
    if event.type is EventType.CASE_MOVED:
        came_from = event.payload.get("from")
        if to == CaseStatus.AWAITING_EVIDENCE.value:
            return (Moment.EVIDENCE_REQUESTED,)
        if to == CaseStatus.REPLACEMENT_OFFERED.value:
            from_stock = isinstance(codes, list) and FROM_STOCK in codes
            return (Moment.REPLACEMENT_FROM_STOCK if from_stock else Moment.REPLACEMENT_OFFERED,)
        if to == CaseStatus.MANUAL_REVIEW.value and came_from == CaseStatus.REPLACEMENT_OFFERED.value:
            return (Moment.SENT_TO_PERSON, Moment.CASE_WAITING, Moment.REPLACEMENT_NOT_TAKEN)
        if to == CaseStatus.MANUAL_REVIEW.value and event.payload.get("respond_by"):
            return (Moment.SENT_TO_PERSON, Moment.CASE_WAITING, Moment.CLAIM_TO_ANSWER)
        if to == CaseStatus.MANUAL_REVIEW.value:
            return (Moment.SENT_TO_PERSON, Moment.CASE_WAITING)
        if to == CaseStatus.ARBITRATION.value and came_from == CaseStatus.REJECTED.value:
            return (Moment.APPEAL_RECEIVED, Moment.CASE_WAITING)
        if to == CaseStatus.ARBITRATION.value:
            return (Moment.SENT_TO_PERSON, Moment.CASE_WAITING)
        return ()
    if event.type is EventType.CASE_ESCALATED:
        return (Moment.CASE_ESCALATED,)
    if event.type is EventType.PAYOUT_SENT:
        return (Moment.REFUND_SENT,)
    if event.type is EventType.PAYOUT_SETTLED:
        return (Moment.REFUND_ARRIVED,)
    return ()


# The queues staff are told of, as recipient ids: the people whose console shows a queue read its messages.
STAFF_QUEUES: Final = frozenset({CaseStatus.MANUAL_REVIEW, CaseStatus.ARBITRATION})


def queue_recipient(status: CaseStatus) -> str:
    """Return the recipient id of a queue's messages."""
    return f"queue:{status.value}"


def staff_queue(event: Event) -> str | None:
    """Return the queue ``event``'s case is in, for a move into one or an escalation there."""
    status = event.payload.get("status") if event.type is EventType.CASE_ESCALATED else event.payload.get("to")
    found = next((s for s in STAFF_QUEUES if s.value == status), None)
    return None if found is None else queue_recipient(found)


def lateness(seconds: int, lang: str) -> str:
    """Return how far past its time limit a case is, as staff read it.

    >>> lateness(90, "zh"), lateness(7500, "zh"), lateness(7500, "en")
    ('1 分钟', '2 小时 5 分钟', '2 h 5 min')
    """
    minutes = max(seconds, 0) // 60
    hours, rest = divmod(minutes, 60)
    if lang == "zh":
        return f"{hours} 小时 {rest} 分钟" if hours else f"{rest} 分钟"
    return f"{hours} h {rest} min" if hours else f"{rest} min"


# Events whose moments are written; the handler table subscribes the message writer to these.
TOLD_BY: Final = (
    EventType.CASE_SUBMITTED,
    EventType.CASE_DECIDED,
    EventType.CASE_MOVED,
    EventType.CASE_REPLACED,
    EventType.CASE_NOTED,
    EventType.CASE_ESCALATED,
    EventType.PAYOUT_SENT,
    EventType.PAYOUT_SETTLED,
)


@dataclass(frozen=True, slots=True)
class Telling:
    """One line of the plan: this recipient hears of this moment on these channels."""

    moment: Moment
    recipient: Recipient
    channels: tuple[Channel, ...]
    # Sent even in the recipient's quiet hours: the money arrived is never held back.
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    body: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The parsed plan and its templates."""

    tellings: tuple[Telling, ...]
    # (moment, channel, language) → template; every telling has one for each channel and language.
    templates: Mapping[tuple[Moment, Channel, str], Template]
    # (kind, value, language) → the word: ("route", "alipay", "zh") → 支付宝.
    words: Mapping[tuple[str, str, str], str]

    def word(self, kind: str, value: str, lang: str) -> str:
        """Return the word for a route, evidence kind, reason or outcome in ``lang``."""
        return self.words[(kind, value, lang)]

    def for_moment(self, moment: Moment) -> tuple[Telling, ...]:
        """Return who hears of ``moment``, in the plan's order."""
        return tuple(t for t in self.tellings if t.moment is moment)

    def names(self, moment: Moment, channel: Channel, lang: str) -> frozenset[str]:
        """Return the variables one template uses (an SMS template's parameters)."""
        template = self.templates[(moment, channel, lang)]
        return frozenset(_named(template.title) | _named(template.body))

    def render(self, moment: Moment, channel: Channel, lang: str, values: Mapping[str, str]) -> Template:
        """Return the message for these values; each variable the template names must be given."""
        template = self.templates[(moment, channel, lang)]
        missing = (_named(template.title) | _named(template.body)) - set(values)
        if missing:
            raise KeyError(f"{moment.value}/{channel.value}/{lang}: no value for {sorted(missing)}")
        return Template(template.title.format_map(values), template.body.format_map(values))


def _named(text: str) -> set[str]:
    """Return the names of the ``{fields}`` in ``text``; raise ``ValueError`` if it is not a template."""
    names: set[str] = set()
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"{{{name}}} is not a plain variable")
        names.add(name)
    return names


def _enum(kind: type[StrEnum], value: object, where: str, errors: list[str]) -> Any:
    try:
        return kind(str(value))
    except ValueError:
        known = ", ".join(m.value for m in kind)
        errors.append(f"{where}: {value!r} is not one of {known}")
        return None


def parse_plan(document: Mapping[str, Any]) -> Plan:
    """Parse the plan's TOML document; raise ``InvalidInput`` naming every mistake at once."""
    errors: list[str] = []
    unknown = set(document) - {"tell", "templates", "words"}
    if unknown:
        errors.append(f"unknown top-level keys: {sorted(unknown)}")
    tellings = _tellings(document.get("tell"), errors)
    templates = _templates(document.get("templates"), errors)
    words = _words(document.get("words"), errors)
    for telling in tellings:
        for channel in telling.channels:
            for lang in LANGUAGES:
                if (telling.moment, channel, lang) not in templates:
                    errors.append(f"templates.{telling.moment.value}.{channel.value}.{lang}: missing")
    if errors:
        raise InvalidInput("; ".join(errors))
    return Plan(tuple(tellings), templates, words)


def _tellings(raw: object, errors: list[str]) -> list[Telling]:
    if not isinstance(raw, list) or not raw:
        errors.append("tell: a non-empty list of [[tell]] tables is required")
        return []
    found: list[Telling] = []
    seen: set[tuple[Moment, Recipient]] = set()
    for index, entry in enumerate(raw):
        where = f"tell[{index}]"
        if not isinstance(entry, dict):
            errors.append(f"{where}: a table is required")
            continue
        extra = set(entry) - {"moment", "recipient", "channels", "urgent"}
        if extra:
            errors.append(f"{where}: unknown keys {sorted(extra)}")
        moment = _enum(Moment, entry.get("moment"), f"{where}.moment", errors)
        recipient = _enum(Recipient, entry.get("recipient"), f"{where}.recipient", errors)
        channels_raw = entry.get("channels")
        if not isinstance(channels_raw, list) or not channels_raw:
            errors.append(f"{where}.channels: a non-empty list is required")
            channels_raw = []
        channels = [_enum(Channel, c, f"{where}.channels", errors) for c in channels_raw]
        urgent = entry.get("urgent", False)
        if not isinstance(urgent, bool):
            errors.append(f"{where}.urgent: true or false")
            urgent = False
        if moment is None or recipient is None or None in channels:
            continue
        if moment not in _FOR[recipient]:
            errors.append(f"{where}: a {recipient.value} is not told of {moment.value}")
            continue
        if Channel.INBOX not in channels:
            # The inbox is the record of what was said: every other channel points back to it.
            errors.append(f"{where}.channels: the inbox is required")
            continue
        if len(set(channels)) != len(channels) or (moment, recipient) in seen:
            errors.append(f"{where}: listed twice")
            continue
        seen.add((moment, recipient))
        found.append(Telling(moment, recipient, tuple(channels), urgent))
    return found


def _templates(raw: object, errors: list[str]) -> dict[tuple[Moment, Channel, str], Template]:
    found: dict[tuple[Moment, Channel, str], Template] = {}
    if not isinstance(raw, dict):
        errors.append("templates: a table is required")
        return found
    for moment_key, by_channel in raw.items():
        moment = _enum(Moment, moment_key, f"templates.{moment_key}", errors)
        if moment is None or not isinstance(by_channel, dict):
            continue
        for channel_key, by_lang in by_channel.items():
            where = f"templates.{moment_key}.{channel_key}"
            channel = _enum(Channel, channel_key, where, errors)
            if channel is None or not isinstance(by_lang, dict):
                continue
            for lang, text in by_lang.items():
                if lang not in LANGUAGES:
                    errors.append(f"{where}.{lang}: the languages are {', '.join(LANGUAGES)}")
                    continue
                template = _template(text, f"{where}.{lang}", VARIABLES[moment], errors)
                if template is not None:
                    found[(moment, channel, lang)] = template
    return found


def _template(text: object, where: str, allowed: frozenset[str], errors: list[str]) -> Template | None:
    if not isinstance(text, dict) or set(text) - {"title", "body"} or not isinstance(text.get("body"), str):
        errors.append(f"{where}: a table with a body (and a title) is required")
        return None
    title, body = str(text.get("title", "")), str(text["body"])
    try:
        names = _named(title) | _named(body)
    except ValueError as exc:
        errors.append(f"{where}: {exc}")
        return None
    if names - allowed:
        errors.append(f"{where}: unknown variables {sorted(names - allowed)}; known: {sorted(allowed)}")
        return None
    return Template(title, body)


def _words(raw: object, errors: list[str]) -> dict[tuple[str, str, str], str]:
    found: dict[tuple[str, str, str], str] = {}
    if not isinstance(raw, dict):
        errors.append("words: a table is required")
        return found
    for kind in set(raw) - set(WORD_KINDS):
        errors.append(f"words.{kind}: the kinds are {', '.join(WORD_KINDS)}")
    for kind, values in WORD_KINDS.items():
        given = raw.get(kind)
        if not isinstance(given, dict):
            errors.append(f"words.{kind}: a table is required")
            continue
        for value in sorted(set(given) - values):
            errors.append(f"words.{kind}.{value}: not one of {', '.join(sorted(values))}")
        for value in sorted(values):
            entry = given.get(value)
            texts = entry if isinstance(entry, dict) else {}
            for lang in LANGUAGES:
                text = texts.get(lang)
                if not isinstance(text, str) or not text.strip():
                    errors.append(f"words.{kind}.{value}.{lang}: missing")
                else:
                    found[(kind, value, lang)] = text
    return found


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one recipient on one channel, written from one event, in both languages.

    The inbox shows it in the page's language; a sender will send it in the recipient's. The
    inbox's are delivered once written; the other channels' are sent by their senders.
    ``(event_id, moment, recipient, recipient_id, channel)`` is unique: an event tells each
    person once on each channel, however often its handler runs.
    """

    id: str
    event_id: EventId
    moment: Moment
    recipient: Recipient
    recipient_id: str
    channel: Channel
    title: str
    body: str
    title_en: str
    body_en: str
    link: str
    case_id: str | None
    urgent: bool
    created_at: datetime
    read_at: datetime | None = None
    status: SendState = SendState.SENT
    attempts: int = 0
    # When a pending message may go next (quiet hours, a retry's wait, a sender's lease).
    next_try_at: datetime | None = None
    sent_at: datetime | None = None
    provider_id: str | None = None
    # What the provider last answered, for staff: its own code and words.
    last_error: str | None = None
    # An SMS's template parameters, per language (an SMS goes out from a registered template).
    params: Mapping[str, Mapping[str, str]] | None = None

    def text(self, lang: str) -> tuple[str, str]:
        """Return the title and the body in ``lang``."""
        return (self.title, self.body) if lang == "zh" else (self.title_en, self.body_en)
