"""Turn domain objects and read models into API bodies."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tuika.api import ops_schemas as o
from tuika.api import schemas as s
from tuika.api.feed_schemas import FeedEventOut
from tuika.api.inbox_schemas import MessageOut
from tuika.api.webhook_schemas import (
    AttemptOut,
    DeliveryDetail,
    DeliveryOut,
    EndpointDetail,
    EndpointMade,
    EndpointOut,
)
from tuika.domain.alerts import PayoutAlert
from tuika.domain.cases import FINAL, Case, CaseStatus, Decision, Stage, TimelineEvent, priority
from tuika.domain.events import Delivery, Event
from tuika.domain.evidence_asks import kinds_asked
from tuika.domain.findings import Finding
from tuika.domain.notifications import Message
from tuika.domain.orders import Order, ProductKind
from tuika.domain.payouts import Payout
from tuika.domain.policy import Condition, EvidenceKind, Fee, FeeKind, Policy, Reason
from tuika.domain.prediction import Branch, Prediction, condition_text, path_text, sentence
from tuika.domain.reason_codes import describe, direction
from tuika.domain.reveals import REVEAL_WARNING, Reveal, offer_text
from tuika.domain.webhooks import Delivery as WebhookDelivery
from tuika.domain.webhooks import DeliveryState, Endpoint
from tuika.review.reading import EvidenceRead
from tuika.services.claims.policies import RuleForOrder
from tuika.services.orders.orders import KeyTwice, OrderView
from tuika.services.ports import EvidenceRecord
from tuika.services.views import CaseView
from tuika.services.webhooks.endpoints import DeliveryView, EndpointView, Made

EVIDENCE_LABELS: dict[EvidenceKind, tuple[str, str]] = {
    EvidenceKind.ERROR_SCREENSHOT: ("激活/使用失败截图", "Screenshot of the activation error"),
    EvidenceKind.PAYMENT_RECORD: ("支付记录（支付宝/微信账单）", "Payment record (Alipay/WeChat bill)"),
    EvidenceKind.CARRIER_RECORD: ("运营商到账记录", "Carrier's top-up record"),
    EvidenceKind.ORDER_SCREENSHOT: ("订单详情截图", "Screenshot of the order"),
    EvidenceKind.RECEIVED_ITEM_SCREENSHOT: ("实际收到商品的截图", "Screenshot of what you received"),
    EvidenceKind.CHAT_RECORD: ("与客服/商家的沟通记录", "Chat with support or the merchant"),
}
CONDITION_LABELS: dict[Condition, tuple[str, str]] = {
    Condition.CARD_UNUSED: ("卡密未被使用", "The card key is unused"),
    Condition.NOT_DELIVERED: ("商品尚未发货/到账", "Not yet delivered"),
    Condition.NOT_ACTIVATED: ("尚未激活", "Not yet activated"),
}


def label(code: str) -> s.Label:
    zh, en = describe(code)
    return s.Label(code=code, zh=zh, en=en)


def labels(codes: tuple[str, ...]) -> list[s.ReasonLabel]:
    out = []
    for code in codes:
        zh, en = describe(code)
        out.append(s.ReasonLabel(code=code, zh=zh, en=en, direction=direction(code).value))
    return out


def spelled(note: str) -> str:
    """Return a note as people read it: the machine's request for evidence names the kinds in words."""
    kinds = kinds_asked(note)
    if not kinds:
        return note
    return "请补充：" + "、".join(EVIDENCE_LABELS[k][0] for k in kinds)


def evidence_label(kind: EvidenceKind) -> s.Label:
    zh, en = EVIDENCE_LABELS[kind]
    return s.Label(code=kind.value, zh=zh, en=en)


def order(view: OrderView, claims: Mapping[str, str] | None = None, reveals: list[Reveal] | None = None) -> s.OrderOut:
    o = view.order
    amounts = o.item_amounts()
    items_at = {i.id: i for i in o.items}
    return s.OrderOut(
        id=o.id,
        buyer_id=o.buyer_id,
        merchant_id=o.merchant_id,
        supplier_id=o.supplier_id,
        merchant_name=o.merchant_name,
        supplier_name=o.supplier_name,
        sku=o.sku,
        title=o.title,
        product_kind=o.product_kind.value,
        face_value_fen=None if o.face_value is None else o.face_value.fen,
        amount_fen=o.amount.fen,
        payment=s.PaymentOut(route=o.payment_route.value, transaction_id=o.transaction_id),
        paid_at=o.paid_at,
        delivery=s.DeliveryOut(status=o.delivery_status.value, delivered_at=o.delivered_at),
        items=[
            s.ItemOut(
                id=i.id,
                card_key=i.card_key,
                card_key_masked=i.card_key_masked,
                account=i.account,
                account_masked=i.account_masked,
                activated_at=items_at[i.id].activated_at,
                amount_fen=amounts[i.id].fen,
                claim_id=(claims or {}).get(i.id),
                revealed=i.first_revealed_at is not None,
                first_revealed_at=i.first_revealed_at,
            )
            for i in view.items
        ],
        reveals=None if reveals is None else [reveal(r) for r in reveals],
    )


def reveal(r: Reveal) -> s.RevealOut:
    return s.RevealOut(
        item_id=r.item_id, at=r.at, channel=r.channel.value, session=r.session, ip=r.ip, user_agent=r.user_agent
    )


def fee_text(fee: Fee) -> tuple[str, str]:
    if fee.kind is FeeKind.NONE:
        return "全额退款，不收手续费", "Full refund, no fee"
    if fee.kind is FeeKind.ACTUAL_COST:
        yuan = f"{fee.fen / 100:.2f}"
        return f"扣除实际成本费 {yuan} 元", f"Actual cost of {yuan} yuan deducted"
    pct = f"{fee.basis_points / 100:g}%"
    cap = "" if fee.cap_fen is None else f"，最高 {fee.cap_fen / 100:.2f} 元"
    cap_en = "" if fee.cap_fen is None else f", at most {fee.cap_fen / 100:.2f} yuan"
    return f"扣除 {pct} 实际成本费{cap}", f"{pct} actual cost deducted{cap_en}"


def policy(policy: Policy, o: Order, rows: list[RuleForOrder], as_of: datetime) -> s.PolicyOut:
    out = []
    for row in rows:
        r = row.rule
        zh, en = fee_text(r.fee)
        out.append(
            s.RuleOut(
                reason=r.reason.value,
                refundable=r.refundable,
                title_zh=r.title_zh,
                title_en=r.title_en,
                window_seconds=int(r.window.total_seconds()),
                anchor=r.anchor.value,
                anchor_fallback=None if r.fallback is None else r.fallback.value,
                window_starts_at=row.window_starts,
                deadline=row.deadline,
                open=row.open,
                state=row.state.value,
                why=labels(row.why),
                evidence_required=[evidence_label(k) for k in r.evidence],
                conditions=[
                    s.Label(code=c.value, zh=CONDITION_LABELS[c][0], en=CONDITION_LABELS[c][1]) for c in r.conditions
                ],
                liable=r.liable.value,
                fee=s.FeeOut(
                    kind=r.fee.kind.value,
                    fen=r.fee.fen,
                    percent_bp=r.fee.basis_points,
                    cap_fen=r.fee.cap_fen,
                    zh=zh,
                    en=en,
                ),
                auto_approve_max_fen=r.auto_approve_max.fen,
                notes_zh=r.notes_zh,
                notes_en=r.notes_en,
                unrevealed_until=row.unrevealed_until,
            )
        )
    return s.PolicyOut(
        order_id=o.id,
        policy_version=policy.version,
        title=policy.title,
        in_force_since=policy.published_at,
        product_kind=o.product_kind.value,
        risk_notice_zh=policy.risk_notices_zh.get(o.product_kind, ""),
        risk_notice_en=policy.risk_notices_en.get(o.product_kind, ""),
        as_of=as_of,
        rules=out,
        unrevealed_refund=_unrevealed(policy) if o.product_kind is ProductKind.CARD_KEY else None,
    )


def _unrevealed(policy: Policy) -> s.UnrevealedRefundOut | None:
    offer = policy.unrevealed
    if offer is None:
        return None
    zh, en = offer_text(offer)
    return s.UnrevealedRefundOut(
        reasons=[r.value for r in Reason if r in offer.reasons],
        window_seconds=int(offer.window.total_seconds()),
        anchor=offer.anchor.value,
        revealed_loses=offer.revealed_loses,
        zh=zh,
        en=en,
    )


def precheck(prediction: Prediction, routes: list[str], hours: int) -> s.PrecheckOut:
    outcome = prediction.outcome
    zh, en = path_text(outcome.path, hours)
    said_zh, said_en = sentence(prediction, hours)
    return s.PrecheckOut(
        eligible=outcome.eligible,
        path=outcome.path.value,
        path_label=s.Label(code=outcome.path.value, zh=zh, en=en),
        conditional=prediction.conditional,
        branches=[_branch(b, hours, prediction.about_key) for b in prediction.branches],
        summary=s.Label(code="prediction", zh=said_zh, en=said_en),
        reason_codes=labels(outcome.reason_codes),
        policy_version=outcome.policy_version,
        deadline=outcome.deadline,
        missing_evidence=[evidence_label(k) for k in outcome.missing_evidence],
        refundable_fen=outcome.refundable.fen,
        fee_fen=outcome.fee.fen,
        payout_fen=outcome.payout.fen,
        liable=outcome.liable.value,
        item_ids=list(outcome.items),
        routes=routes,
        warnings=[s.Label(code="reveal_loses_refund", zh=REVEAL_WARNING[0], en=REVEAL_WARNING[1])]
        if prediction.reveal_loses
        else [],
    )


def _branch(branch: Branch, hours: int, about_key: bool) -> s.BranchOut:
    path = None if branch.outcome is None else branch.outcome.path
    if_zh, if_en = condition_text(branch.condition, about_key)
    zh, en = path_text(path, hours)
    return s.BranchOut(
        condition=s.Label(code=branch.condition.value, zh=if_zh, en=if_en),
        path=None if path is None else path.value,
        path_label=s.Label(code="supplier_decides" if path is None else path.value, zh=zh, en=en),
        reason_codes=[] if branch.outcome is None else labels(branch.outcome.reason_codes),
    )


def read(r: EvidenceRead) -> s.ReadOut:
    return s.ReadOut(
        engine=r.engine,
        text=r.text,
        lines=[s.ReadLineOut(text=t, box=list(box), confidence=c) for t, box, c in r.lines],
        fields={k: list(v) for k, v in r.fields.items()},
        matches=[s.FieldMatchOut.model_validate(dict(m)) for m in r.matches],
        reason_codes=labels(r.codes),
        at=r.at,
    )


def evidence(r: EvidenceRecord, seen: EvidenceRead | None = None) -> s.EvidenceOut:
    return s.EvidenceOut(
        id=r.id,
        sha256=r.sha256,
        content_type=r.content_type,
        size=r.size,
        width=r.width,
        height=r.height,
        kind=None if r.kind is None else r.kind.value,
        case_id=r.case_id,
        created_at=r.created_at,
        read=None if seen is None else read(seen),
    )


def event(e: TimelineEvent) -> s.EventOut:
    return s.EventOut(
        at=e.at,
        actor=e.actor,
        role=e.role.value,
        from_status=None if e.from_status is None else e.from_status.value,
        to_status=e.to_status.value,
        reason_codes=labels(e.reason_codes),
        note=spelled(e.note),
    )


def decision(d: Decision) -> s.DecisionOut:
    return s.DecisionOut(
        action=d.action.value,
        tier=d.tier.value,
        actor=d.actor,
        reason_codes=labels(d.reason_codes),
        note=spelled(d.note),
        at=d.at,
    )


def finding(f: Finding) -> s.FindingOut:
    facts = dict(f.facts)
    return s.FindingOut(kind=f.kind.value, subject=f.subject, facts=facts, reason_codes=labels(f.codes), at=f.at)


def payout(p: Payout, *, disputed: bool = False) -> s.PayoutOut:
    return s.PayoutOut(
        id=p.id,
        route=p.route.value,
        amount_fen=p.amount.fen,
        fee_fen=p.fee.fen,
        status=p.status.value,
        gateway_refund_no=p.gateway_refund_no,
        voucher=p.voucher,
        attempts=p.attempts,
        failure=p.failure,
        created_at=p.created_at,
        updated_at=p.updated_at,
        sent_at=p.sent_at,
        redirected_from=p.redirected_from,
        outcome_disputed=disputed,
    )


def stage(view_stage: Stage, expected_by: datetime | None) -> s.StageOut:
    seconds = None if view_stage.expected is None else int(view_stage.expected.total_seconds())
    return s.StageOut(
        key=view_stage.key, zh=view_stage.zh, en=view_stage.en, expected_seconds=seconds, expected_by=expected_by
    )


def case(view: CaseView) -> s.CaseOut:
    reads = {r.evidence_id: r for r in view.reads}
    c = view.case
    return s.CaseOut(
        id=c.id,
        number=c.number or None,
        order_id=c.order_id,
        buyer_id=c.buyer_id,
        reason=c.reason.value,
        item_ids=list(c.item_ids),
        route=c.route.value,
        status=c.status.value,
        stage=stage(view.stage, view.expected_by),
        policy_version=c.policy_version,
        refundable_fen=c.refundable.fen,
        fee_fen=c.fee.fen,
        payout_fen=c.payout_amount.fen,
        liable=c.liable.value,
        description=c.description,
        reason_codes=labels(c.reason_codes),
        due_at=c.due_at,
        appealed=c.appealed,
        created_at=c.created_at,
        updated_at=c.updated_at,
        evidence=[evidence(r, reads.get(r.id)) for r in view.evidence],
        timeline=[event(e) for e in c.timeline],
        decision=decision(view.decisions[-1]) if view.decisions else None,
        decisions=[decision(d) for d in view.decisions],
        payout=payout(view.payouts[-1], disputed=view.payouts[-1].id in view.disputed) if view.payouts else None,
        findings=[finding(f) for f in view.findings],
        merchant=merchant(view),
        replacement=replacement(view),
    )


def replacement(view: CaseView) -> s.ReplacementOut | None:
    """Return the new keys offered for a claim, masked, and how the buyer answered; None if none were."""
    offered = view.replacement
    if offered is None:
        return None
    return s.ReplacementOut(
        offered_at=offered.offered_at,
        answer_by=offered.answer_by,
        note=offered.note,
        outcome=offered.outcome.value if offered.outcome is not None else None,
        answered_at=offered.answered_at,
        automatic=offered.automatic,
        items=[
            s.ReplacementKeyOut(
                item_id=k.item_id,
                masked_key=k.masked,
                old_key=k.void_state.value if k.void_state is not None else None,
            )
            for k in offered.keys
        ],
    )


def merchant(view: CaseView) -> s.MerchantOut:
    """Return the claim as put to its merchant: the deadline, the answer and every response with its files."""
    files = {r.id: r for r in view.merchant_evidence}
    window = view.merchant_window
    closed = window is not None and not window.open
    return s.MerchantOut(
        respond_by=view.merchant_respond_by,
        answer=window.outcome if window is not None and closed else None,
        answered_at=window.closed_at if window is not None and closed else None,
        responses=[
            s.MerchantResponseOut(
                id=r.id,
                action=r.action.value,
                note=r.note,
                evidence=[evidence(files[e]) for e in r.evidence_ids if e in files],
                at=r.at,
            )
            for r in view.merchant_responses
        ],
    )


def summary(c: Case, stages: Mapping[CaseStatus, Stage], now: datetime) -> s.CaseSummary:
    st = stages[c.status]
    return s.CaseSummary(
        id=c.id,
        number=c.number or None,
        order_id=c.order_id,
        buyer_id=c.buyer_id,
        reason=c.reason.value,
        status=c.status.value,
        stage=stage(st, c.due_at if c.status not in FINAL else None),
        refundable_fen=c.refundable.fen,
        payout_fen=c.payout_amount.fen,
        reason_codes=labels(c.reason_codes),
        due_at=c.due_at,
        overdue=c.due_at is not None and c.status not in FINAL and c.due_at < now,
        priority=priority(c, st, now),
        escalations=c.escalations,
        escalated_at=c.escalated_at,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def alert(a: PayoutAlert) -> o.AlertOut:
    """Return an alert as finance reads it."""
    return o.AlertOut(
        id=a.id,
        payout_id=a.payout_id,
        provider=a.provider,
        kind=a.kind.value,
        detail=a.detail,
        at=a.at,
        disputes=a.disputes,
        resolved_at=a.resolved_at,
        resolved_by=a.resolved_by,
        outcome=a.outcome.value if a.outcome else None,
        note=a.note,
    )


def key_twice(found: KeyTwice) -> s.OrderWarning:
    """Return the platform's warning that one of its orders holds a key another order holds."""
    return s.OrderWarning(
        code="card_key_in_other_order",
        item_id=found.item_id,
        other_order_id=found.other_order_id,
        other_item_id=found.other_item_id,
        title="This card key was already delivered in another order",
        title_zh="该卡密已在另一笔订单中发出",
    )


def domain_event(found: tuple[Event, list[Delivery]]) -> o.DomainEventOut:
    """Return an event and its deliveries as ops read them."""
    item, deliveries = found
    return o.DomainEventOut(
        id=item.id,
        type=item.type.value,
        subject=item.subject,
        actor=item.actor,
        role=item.role.value,
        occurred_at=item.occurred_at,
        not_before=item.not_before,
        payload=dict(item.payload),
        deliveries=[
            o.HandlerDeliveryOut(
                handler=d.handler,
                status=d.status.value,
                attempts=d.attempts,
                next_try_at=d.next_try_at,
                last_error=d.last_error,
                done_at=d.done_at,
            )
            for d in deliveries
        ],
    )


def message(m: Message) -> MessageOut:
    """Return an inbox message as its recipient reads it."""
    return MessageOut(
        id=m.id,
        moment=m.moment.value,
        title=m.title,
        body=m.body,
        title_en=m.title_en,
        body_en=m.body_en,
        link=m.link,
        case_id=m.case_id,
        urgent=m.urgent,
        created_at=m.created_at,
        read_at=m.read_at,
    )


def feed_event(e: Event) -> FeedEventOut:
    """Return an event as the feed serves it."""
    return FeedEventOut(
        id=e.id, type=e.type.value, subject=e.subject, occurred_at=e.occurred_at, payload=dict(e.payload)
    )


def endpoint(e: Endpoint, now: datetime) -> EndpointOut:
    """Return an endpoint as its owner reads it: never a secret."""
    return EndpointOut(**_endpoint_fields(e, now))


def endpoint_detail(view: EndpointView, now: datetime) -> EndpointDetail:
    """Return an endpoint with its deliveries counted by state."""
    counts = {state.value: view.counts.get(state, 0) for state in DeliveryState}
    return EndpointDetail(**_endpoint_fields(view.endpoint, now), deliveries=counts)


def endpoint_made(made: Made, now: datetime) -> EndpointMade:
    """Return an endpoint just made or rotated, with its new secret."""
    return EndpointMade(**_endpoint_fields(made.endpoint, now), secret=made.secret)


def _endpoint_fields(e: Endpoint, now: datetime) -> dict[str, Any]:
    return {
        "id": e.id,
        "url": e.url,
        "description": e.description,
        "types": sorted(t.value for t in e.types),
        "enabled": e.enabled,
        "disabled_reason": e.disabled_reason,
        "failing_since": e.failing_since,
        "paused_until": e.resume_at if e.resume_at is not None and e.resume_at > now else None,
        "signing_secrets": len(e.signing(now)),
        "created_at": e.created_at,
        "updated_at": e.updated_at,
    }


def delivery(d: WebhookDelivery) -> DeliveryOut:
    """Return a delivery as its endpoint's owner reads it."""
    return DeliveryOut(**_delivery_fields(d))


def delivery_detail(view: DeliveryView) -> DeliveryDetail:
    """Return a delivery with its body and every try."""
    tries = [
        AttemptOut(
            at=a.at, status=a.status, latency_ms=a.latency_ms, error=a.error, response=a.excerpt, manual=a.manual
        )
        for a in view.attempts
    ]
    return DeliveryDetail(**_delivery_fields(view.delivery), body=view.delivery.body, tries=tries)


def _delivery_fields(d: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "event_id": d.event_id,
        "event_type": d.event_type.value,
        "state": d.state.value,
        "attempts": d.attempts,
        "created_at": d.created_at,
        "next_try_at": d.next_try_at,
        "delivered_at": d.delivered_at,
        "last_status": d.last_status,
        "last_error": d.last_error,
    }
