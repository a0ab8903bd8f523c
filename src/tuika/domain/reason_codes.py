"""Reason codes that explain every outcome and decision, readable by buyers and agents."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

# code → (zh-CN, en). Codes are stable API: add new ones, never rename.
REASON_CODES: Final[dict[str, tuple[str, str]]] = {
    # facts from policy and records
    "policy_refundable": ("符合退卡政策", "Covered by the refund policy"),
    "reason_not_refundable": ("该商品类型不支持此原因退卡", "This reason is not refundable for this product"),
    "refund_window_closed": ("已超过退卡时限", "The refund window has closed"),
    "items_already_claimed": ("所选商品已有进行中或已退款的申请", "These items already have a live or refunded claim"),
    "window_not_started": ("商品尚未送达，无法以此原因申请", "Not received yet, so this reason does not apply"),
    "already_delivered": ("商品已发货，不符合未发货条件", "Already delivered; the rule needs it undelivered"),
    "already_activated": ("商品已激活，不符合未激活条件", "Already activated; the rule needs it unactivated"),
    "delivery_failed_on_record": ("平台记录显示发货失败", "Our records show the delivery failed"),
    "delivery_pending_on_record": ("平台记录显示尚未到账", "Our records show the delivery is still pending"),
    "delivery_recorded": ("平台记录显示已发货，需核实", "Our records show a delivery; it needs checking"),
    "not_delivered_on_record": ("平台记录显示尚未发货", "Our records show no delivery yet"),
    "unrevealed_key_unused": (
        "卡密从未查看且供货商确认未使用，符合无理由退款条件",
        "The card key was never viewed and the supplier confirms it unused: it qualifies for a refund without a reason",
    ),
    "card_reported_used": ("供货商记录显示卡密已被使用", "The supplier's record shows the key was used"),
    "card_usage_unverified": ("卡密使用状态待核实", "Whether the card key was used is not yet verified"),
    "evidence_missing": ("缺少必需的凭证材料", "Required evidence is missing"),
    # facts from the supplier
    "supplier_card_invalid": ("供货商确认卡密无效", "The supplier confirms the key is invalid"),
    "supplier_card_expired": ("供货商确认卡密已过期", "The supplier confirms the key has expired"),
    "redeemed_before_delivery": (
        "供货商记录显示卡密在发货前已被使用",
        "The supplier's record shows the key was used before we delivered it",
    ),
    "card_redeemed_after_delivery": (
        "供货商记录显示卡密在发货后被使用",
        "The supplier's record shows the key was used after delivery",
    ),
    "card_unused_per_supplier": (
        "供货商记录显示卡密未被使用，需人工核实",
        "The supplier says the key is unused; a person checks",
    ),
    "card_already_voided": ("卡密已作废", "The key has already been voided"),
    "supplier_answers_contradict": ("供货商多次查询结果不一致", "The supplier's answers disagree"),
    "evidence_being_checked": ("材料需人工核对", "A person checks the evidence"),
    "card_key_in_other_order": (
        "该卡密也发给了另一笔订单（一卡两发），需人工核实",
        "The same card key was also delivered in another order; a person checks",
    ),
    "supplier_unavailable": ("供货商暂时无法查询，转人工复核", "The supplier could not be reached; a person decides"),
    "upstream_topup_failed": ("上游确认直充失败", "The upstream confirms the top-up failed"),
    "topup_reported_succeeded": (
        "上游显示直充成功，请提供运营商到账记录",
        "The upstream reports the top-up succeeded; the carrier's record is needed",
    ),
    "topup_processing": ("上游显示直充处理中", "The upstream reports the top-up is still processing"),
    # doubts from the evidence and the buyer's history
    "evidence_reused": ("截图已用于其他申请", "The screenshot backs another claim"),
    "evidence_names_other_order": (
        "截图中的订单号或卡密属于其他订单",
        "The screenshot shows another order's number or key",
    ),
    "ocr_contradicts_order": ("截图内容与订单信息不符", "The screenshot contradicts the order"),
    "screenshot_time_before_payment": ("截图时间早于付款时间", "The screenshot's time is before the payment"),
    "screenshot_similar_to_other_claim": ("截图与其他申请的截图高度相似", "The screenshot looks like another claim's"),
    "image_edited": ("图片含编辑软件痕迹", "The image carries an editing program's marks"),
    "ocr_matches_order": ("截图内容与订单一致", "The screenshot agrees with the order"),
    "evidence_unreadable": ("截图无法识别，需人工查看", "The screenshot could not be read; a person looks"),
    "buyer_history_flagged": ("买家近期退卡记录异常", "The buyer's recent claims cross a threshold"),
    "card_voided_before_refund": ("退款前已向供货商作废卡密", "The key was voided with the supplier before the refund"),
    "card_redeemed_before_void": (
        "作废卡密时发现已被使用，转人工复核",
        "The key was used before it could be voided; a person decides",
    ),
    "amount_above_auto_limit": (
        "金额超过自动审核上限，转人工复核",
        "Amount above the automatic limit; a person decides",
    ),
    "needs_human_judgement": ("该场景需人工判断", "This scenario needs a person's judgement"),
    # what a buyer reads instead of a signal withheld from buyers: true, and no clue to the check
    "screenshot_needs_check": ("需要人工核对截图", "A person checks the screenshot"),
    "order_needs_check": ("需要核实订单信息", "The order's details need checking"),
    "claim_needs_review": ("本次申请需人工复核", "A person reviews this claim"),
    "not_approved_after_review": ("经人工审核，申请未通过", "Not approved after review"),
    "buyer_fault_fee": ("买家原因退卡，扣除实际成本费", "Buyer's own reason: the actual cost is deducted"),
    "auto_approved": ("系统自动审核通过", "Approved automatically"),
    # decisions by people
    "evidence_confirms_claim": ("凭证证实问题属实", "The evidence confirms the claim"),
    "evidence_insufficient": ("凭证不足或不清晰", "The evidence is insufficient or unclear"),
    "evidence_inconsistent": ("凭证与订单信息不符", "The evidence contradicts the order"),
    "card_used_by_buyer": ("卡密已由买家使用", "The card key was used by the buyer"),
    "supplier_confirmed_fault": ("供货商确认问题", "The supplier confirmed the fault"),
    "merchant_confirmed_fault": ("商家确认问题", "The merchant confirmed the fault"),
    "merchant_disputes": ("商家对申请有异议", "The merchant disputes the claim"),
    "merchant_timeout": (
        "商家未在答复期限内处理，视为同意退款",
        "The merchant did not answer in time and is taken to have agreed to the refund",
    ),
    "merchant_statement": ("商家补充了说明", "The merchant added a statement"),
    "replacement_offered": (
        "商家提供补发新卡密，等待买家确认",
        "The merchant offers a new key instead of a refund; the buyer decides",
    ),
    "replacement_accepted": ("买家接受补发，新卡密已发放到订单", "The buyer took the new key; it is on the order"),
    "replacement_declined": (
        "买家拒绝补发，申请继续由人工复核",
        "The buyer declined the new key; a person goes on reviewing the claim",
    ),
    "replacement_unanswered": (
        "买家未在期限内确认补发，申请转回人工复核",
        "The buyer did not answer the offer in time; a person goes on reviewing the claim",
    ),
    "replaced_key_voided": ("原卡密已向供货商作废", "The replaced key was voided with the supplier"),
    "replaced_key_not_voided": (
        "原卡密未能向供货商作废，由人工跟进",
        "The replaced key could not be voided with the supplier; a person follows it up",
    ),
    "replaced_key_redeemed": (
        "供货商记录显示被替换的原卡密已被使用",
        "The supplier's record shows the replaced key was used",
    ),
    "goodwill": ("平台体验补偿", "Refunded as a goodwill gesture"),
    "policy_exception": ("政策例外处理", "Exception to the policy"),
    "duplicate_claim": ("重复申请", "Duplicate claim"),
    "suspected_fraud": ("疑似欺诈", "Suspected fraud"),
    "buyer_appeal": ("买家申诉", "Appeal by the buyer"),
    "escalated_by_agent": ("客服转仲裁", "Escalated to arbitration by an agent"),
    "evidence_deadline_passed": ("补充材料期限已过，申请关闭", "Evidence deadline passed; the case is closed"),
    "withdrawn_by_buyer": ("买家撤回申请", "Withdrawn by the buyer"),
    "refunded_to_balance": ("已退至平台余额", "Refunded to the platform balance"),
    "refund_started": ("退款处理中", "Refund in progress"),
    "refunded_by_original_route": ("已原路退回", "Refunded by the original payment route"),
    "gateway_refund_failed": (
        "原路退款失败，可改退至平台余额",
        "The original-route refund failed; it can go to the balance",
    ),
    "gateway_refund_abnormal": (
        "退款到账异常（如银行卡已注销），财务处理中",
        "The refund could not reach the account (e.g. a closed card); finance is handling it",
    ),
    "gateway_refund_resent": ("已按异常退款流程重新发起", "Sent again by the gateway's way out for abnormal refunds"),
    "redirected_to_balance": ("已改为退至平台余额", "Redirected to the platform balance"),
    "gateway_limit_reached": ("超出支付渠道退款限制", "Beyond the payment gateway's refund limits"),
    "gateway_refund_disputed": (
        "退款结果核实中：支付渠道的答复与记录不一致，核实前暂不能改退余额",
        "Refund outcome being verified: the gateway's answer differs from our record; "
        "it cannot go to the balance until then",
    ),
    "dispute_resolved_not_paid": (
        "财务已与支付渠道核实：原路退款未成功，可改退至平台余额",
        "Finance checked with the gateway: the original-route refund did not go through; it can go to the balance",
    ),
    "review_overdue_escalated": (
        "已超过预计处理时间，已加急处理",
        "Past the expected time; the review has been expedited",
    ),
}


class Direction(StrEnum):
    """Which way a reason points, so that a page can tell a fact for the buyer from a doubt."""

    SUPPORTS = "supports"  # a fact for the claim: the supplier confirms the fault, the record shows it
    CHECKS = "checks"  # why a person looks, accusing nobody: a large amount, a supplier that did not answer
    AGAINST = "against"  # a doubt about the claim or a reason it is refused
    PROCESS = "process"  # where the claim or the money stands


_BY_DIRECTION: Final[Mapping[Direction, frozenset[str]]] = {
    Direction.SUPPORTS: frozenset(
        {
            "policy_refundable",
            "delivery_failed_on_record",
            "not_delivered_on_record",
            "unrevealed_key_unused",
            "supplier_card_invalid",
            "supplier_card_expired",
            "redeemed_before_delivery",
            "upstream_topup_failed",
            "ocr_matches_order",
            "auto_approved",
            "evidence_confirms_claim",
            "supplier_confirmed_fault",
            "merchant_confirmed_fault",
            "merchant_timeout",
            "goodwill",
            "policy_exception",
        }
    ),
    Direction.CHECKS: frozenset(
        {
            "delivery_pending_on_record",
            "delivery_recorded",
            "card_usage_unverified",
            "replaced_key_not_voided",
            "evidence_missing",
            "card_unused_per_supplier",
            "supplier_answers_contradict",
            "evidence_being_checked",
            "supplier_unavailable",
            "topup_reported_succeeded",
            "topup_processing",
            "evidence_unreadable",
            "card_redeemed_before_void",
            "amount_above_auto_limit",
            "needs_human_judgement",
            "screenshot_needs_check",
            "order_needs_check",
            "claim_needs_review",
            "buyer_appeal",
            "escalated_by_agent",
        }
    ),
    Direction.AGAINST: frozenset(
        {
            "reason_not_refundable",
            "refund_window_closed",
            "items_already_claimed",
            "window_not_started",
            "already_delivered",
            "already_activated",
            "card_reported_used",
            "card_redeemed_after_delivery",
            "card_key_in_other_order",
            "evidence_reused",
            "evidence_names_other_order",
            "ocr_contradicts_order",
            "screenshot_time_before_payment",
            "screenshot_similar_to_other_claim",
            "image_edited",
            "buyer_history_flagged",
            "evidence_insufficient",
            "evidence_inconsistent",
            "card_used_by_buyer",
            "replaced_key_redeemed",
            "merchant_disputes",
            "duplicate_claim",
            "suspected_fraud",
            "evidence_deadline_passed",
            "not_approved_after_review",
        }
    ),
    Direction.PROCESS: frozenset(
        {
            "card_already_voided",
            "card_voided_before_refund",
            "buyer_fault_fee",
            "withdrawn_by_buyer",
            "refunded_to_balance",
            "refund_started",
            "refunded_by_original_route",
            "gateway_refund_failed",
            "gateway_refund_abnormal",
            "gateway_refund_resent",
            "redirected_to_balance",
            "gateway_limit_reached",
            "gateway_refund_disputed",
            "dispute_resolved_not_paid",
            "review_overdue_escalated",
            "merchant_statement",
            "replacement_offered",
            "replacement_accepted",
            "replacement_declined",
            "replacement_unanswered",
            "replaced_key_voided",
        }
    ),
}
DIRECTIONS: Final[Mapping[str, Direction]] = {code: d for d, codes in _BY_DIRECTION.items() for code in codes}


# Staff read every code. These tell a fraudster what gave him away (the image's edits, its reuse,
# a look-alike, his record) or speak of another buyer's order, so the buyer reads a stand-in that
# is true and says no more: which part a person checks, never which check raised it.
STAND_INS: Final[Mapping[str, str]] = {
    "image_edited": "screenshot_needs_check",
    "evidence_reused": "screenshot_needs_check",
    "screenshot_similar_to_other_claim": "screenshot_needs_check",
    "screenshot_time_before_payment": "screenshot_needs_check",
    "evidence_names_other_order": "screenshot_needs_check",
    "card_key_in_other_order": "order_needs_check",
    "buyer_history_flagged": "claim_needs_review",
    "suspected_fraud": "not_approved_after_review",
    # An old key used after the buyer called it dead is a doubt about the buyer, not news for him.
    "replaced_key_redeemed": "replaced_key_not_voided",
}
WITHHELD_FROM_BUYERS: Final = frozenset(STAND_INS)


def withhold(codes: tuple[str, ...]) -> tuple[str, ...]:
    """Return ``codes`` as a buyer reads them: each withheld one becomes its stand-in, once.

    >>> withhold(("evidence_reused", "image_edited", "supplier_card_invalid"))
    ('screenshot_needs_check', 'supplier_card_invalid')
    """
    shown = (STAND_INS.get(code, code) for code in codes)
    return tuple(dict.fromkeys(shown))


def direction(code: str) -> Direction:
    """Return which way a code points; an unknown one is taken as a reason a person looks."""
    return DIRECTIONS.get(code, Direction.CHECKS)


def split(codes: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return ``codes`` as the reasons for a step and the facts confirmed for the claim beside them.

    A claim sent to a person may carry the supplier's "the key is invalid" too: said as a reason
    for the review it reads as if the claim should have been approved. Where other codes give
    the step's reasons (a doubt, a check), the supporting facts are told apart; else all are reasons.

    >>> split(("claim_needs_review", "supplier_card_invalid"))
    (('claim_needs_review',), ('supplier_card_invalid',))
    >>> split(("policy_refundable", "auto_approved", "buyer_fault_fee"))
    (('policy_refundable', 'auto_approved', 'buyer_fault_fee'), ())
    """
    if not any(direction(c) in (Direction.CHECKS, Direction.AGAINST) for c in codes):
        return codes, ()
    confirmed = tuple(c for c in codes if direction(c) is Direction.SUPPORTS)
    return tuple(c for c in codes if c not in confirmed), confirmed


def describe(code: str) -> tuple[str, str]:
    """Return the zh-CN and English text of a reason code (the code itself if unknown)."""
    return REASON_CODES.get(code, (code, code))


def is_known(code: str) -> bool:
    """Tell whether ``code`` is a published reason code."""
    return code in REASON_CODES
