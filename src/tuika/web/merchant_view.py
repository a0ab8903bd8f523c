"""What the merchant's case page shows, built from the claim as the merchant reads it, in the viewer's language.

The view comes from ``views.case_view`` as the merchant may read it (the buyer a handle, the
anti-fraud codes withheld); this puts it in words: the order with its keys masked, the buyer's
evidence with what the machine read, the supplier's answers, the timeline, the deadline, what
the merchant said, and what it may do now, or why nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from tuika.domain.cases import CaseStatus, TimelineEvent
from tuika.domain.findings import Finding, FindingKind
from tuika.domain.ids import EvidenceId
from tuika.domain.merchant import ANSWERS, MerchantAction, allowed_actions
from tuika.domain.money import Money
from tuika.domain.orders import ProductKind
from tuika.services.orders.orders import ItemView, OrderView
from tuika.services.ports import EvidenceRecord
from tuika.services.views import CaseView
from tuika.web import case_reads, case_view, i18n
from tuika.web.merchant_common import Clock, clock, status_words
from tuika.web.session import shanghai

S = CaseStatus
# The answers in the order the form offers them.
ORDER: Final = (MerchantAction.ACCEPT, MerchantAction.REPLACE, MerchantAction.CONTEST, MerchantAction.STATEMENT)
BEFORE_REVIEW: Final = frozenset({S.SUBMITTED, S.REVIEWING, S.AWAITING_EVIDENCE})
# What the supplier said about the claim's items, as the buyer reads it too; a card's state or a top-up's.
SUPPLIER_KINDS: Final = frozenset({FindingKind.SUPPLIER_CARD, FindingKind.SUPPLIER_TOPUP, FindingKind.SUPPLIER_VOID})
_CARD_FACTS: Final = frozenset({FindingKind.SUPPLIER_CARD, FindingKind.SUPPLIER_VOID})


@dataclass(frozen=True, slots=True)
class Item:
    n: int
    view: ItemView
    amount: Money
    claimed: bool


@dataclass(frozen=True, slots=True)
class SupplierLine:
    """One answer of the supplier on one item, in words."""

    kind: str
    item: str
    state: str
    details: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Line:
    at: str
    who: str
    what: str
    reasons: tuple[str, ...]
    confirmed: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class Said:
    """One thing the merchant said on the claim, with its images."""

    at: str
    action: str
    note: str
    files: tuple[EvidenceRecord, ...]


@dataclass(frozen=True, slots=True)
class Offer:
    """An answer the form offers now, with what it does in words."""

    action: str
    label: str
    hint: str


@dataclass(frozen=True, slots=True)
class CasePage:
    view: CaseView
    order: OrderView
    items: tuple[Item, ...]
    shots: tuple[case_reads.Shot, ...]
    supplier: tuple[SupplierLine, ...]
    lines: tuple[Line, ...]
    said: tuple[Said, ...]
    offers: tuple[Offer, ...]
    # The claimed items a replacement needs a new key for, by their place on the order (1, 2, …).
    replaces: tuple[int, ...]
    # While the claim waits for the merchant's answer: the deadline, ticking.
    clock: Clock | None
    # Why accepting or contesting is not offered, when it is not.
    closed: str | None
    stage: str


def build(view: CaseView, order: OrderView, now: datetime, arbitration: str, lang: i18n.Lang) -> CasePage:
    """Return the merchant's page of a claim; ``arbitration`` is how long fast arbitration takes, in words."""
    case = view.case
    reads = {r.evidence_id: r for r in view.reads}
    amounts = order.order.item_amounts()
    position = {item.id: n for n, item in enumerate(order.items, start=1)}
    allowed = allowed_actions(case.status, view.merchant_window, now)
    if order.order.product_kind is not ProductKind.CARD_KEY:
        # A top-up has no key to send again: its replacement is the top-up itself, done by the platform.
        allowed -= {MerchantAction.REPLACE}
    due = view.merchant_respond_by
    waiting = due is not None and due > now
    return CasePage(
        view=view,
        order=order,
        items=tuple(Item(n, i, amounts[i.id], i.id in case.item_ids) for n, i in enumerate(order.items, start=1)),
        shots=tuple(case_reads.shot(r, reads.get(r.id), lang) for r in view.evidence),
        supplier=tuple(_supplier(f, position, lang) for f in view.findings if f.kind in SUPPLIER_KINDS),
        lines=tuple(_line(e, i, lang) for i, e in enumerate(case.timeline)),
        said=tuple(_said(view, lang)),
        offers=tuple(_offer(a, case.status, waiting, arbitration, lang) for a in ORDER if a in allowed),
        replaces=tuple(position[i] for i in case.item_ids) if MerchantAction.REPLACE in allowed else (),
        clock=None if due is None else clock(due, now, lang),
        closed=None if allowed & ANSWERS else closed(view, now, lang),
        stage=status_words(lang, case.status),
    )


def closed(view: CaseView, now: datetime, lang: i18n.Lang) -> str:
    """Return why the merchant cannot accept or contest the claim now: it answered, its time passed, or the stage."""
    window, status = view.merchant_window, view.case.status
    if status is S.REPLACED:
        return i18n.text(lang, "merchant.closed.replaced")
    if window is not None and not window.open and window.closed_at is not None:
        at = shanghai(window.closed_at)
        if window.outcome == "timeout":
            return i18n.formatted(lang, "merchant.closed.timeout", at=at)
        return i18n.formatted(lang, f"merchant.closed.answered.{window.outcome}", at=at)
    if status is S.MANUAL_REVIEW and window is not None and window.respond_by <= now:
        return i18n.text(lang, "merchant.closed.late")
    if status in BEFORE_REVIEW:
        return i18n.text(lang, "merchant.closed.before_review")
    if status in (S.APPROVED, S.REFUNDING):
        return i18n.text(lang, "merchant.closed.refunding")
    if status is S.REJECTED:
        return i18n.text(lang, "merchant.closed.rejected")
    return i18n.formatted(lang, "merchant.closed.final", stage=status_words(lang, status))


def _offer(action: MerchantAction, status: CaseStatus, waiting: bool, arbitration: str, lang: i18n.Lang) -> Offer:
    if action is MerchantAction.STATEMENT:
        where = "arbitration" if status is S.ARBITRATION else "manual_review" if waiting else "late"
        hint = i18n.text(lang, f"merchant.act.statement.hint.{where}")
    else:
        hint = i18n.formatted(lang, f"merchant.act.{action.value}.hint", span=arbitration)
    return Offer(action.value, i18n.text(lang, f"merchant.act.{action.value}"), hint)


def _supplier(finding: Finding, position: dict[str, int], lang: i18n.Lang) -> SupplierLine:
    """Return what the supplier said about an item: its state and times, never who used a key."""
    facts = finding.facts
    state = facts.get("state")
    family = "card" if finding.kind in _CARD_FACTS else "topup"
    key = f"merchant.{family}.{state}"
    details = []
    for fact, words in (("redeemed_at", "merchant.redeemed_at"), ("at", "merchant.topped_up_at")):
        value = facts.get(fact)
        if isinstance(value, str) and value:
            details.append(i18n.formatted(lang, words, at=shanghai(datetime.fromisoformat(value))))
    carrier = facts.get("carrier_ref")
    if isinstance(carrier, str) and carrier:
        details.append(i18n.formatted(lang, "merchant.carrier_ref", ref=carrier))
    asked = facts.get("asked_at")
    at = datetime.fromisoformat(asked) if isinstance(asked, str) and asked else finding.at
    details.append(i18n.formatted(lang, "merchant.asked_at", at=shanghai(at)))
    n = position.get(finding.subject)
    return SupplierLine(
        kind=i18n.text(lang, f"merchant.supplier.{finding.kind.value}"),
        item=i18n.formatted(lang, "merchant.item_n", n=n) if n is not None else "",
        state=i18n.text(lang, key if key in i18n.CATALOGUE else "merchant.state.unknown"),
        details=tuple(details),
    )


def _line(event: TimelineEvent, index: int, lang: i18n.Lang) -> Line:
    """Return a timeline event as the merchant reads it: who by role, the move, the reasons in words."""
    start = event.from_status
    if index == 0 and start is None:
        what = i18n.text(lang, "merchant.filed_event")
    elif start is None or start is event.to_status:
        what = i18n.formatted(lang, "merchant.same_stage", stage=status_words(lang, event.to_status))
    else:
        what = f"{status_words(lang, start)} → {status_words(lang, event.to_status)}"
    why, confirmed = case_view.told(event.reason_codes, lang)
    return Line(
        at=shanghai(event.at),
        who=i18n.text(lang, f"merchant.who.{event.role.value}"),
        what=what,
        reasons=why,
        confirmed=confirmed,
        note=case_view.note(event.note, lang),
    )


def _said(view: CaseView, lang: i18n.Lang) -> list[Said]:
    files: dict[EvidenceId, EvidenceRecord] = {r.id: r for r in view.merchant_evidence}
    return [
        Said(
            at=shanghai(r.at),
            action=i18n.text(lang, f"merchant.said.{r.action.value}"),
            note=r.note,
            files=tuple(files[e] for e in r.evidence_ids if e in files),
        )
        for r in view.merchant_responses
    ]
