"""A claim and what it claims on: the case's state, the order's items, the policy, the route asked for."""

from __future__ import annotations

from tuika.domain.errors.base import Conflict, InvalidInput, NotFound


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "This case cannot move to that state"
    title_zh = "退卡申请当前状态不允许此操作"


class StaleState(Conflict):
    code = "case_state_conflict"
    title = "The case changed meanwhile; reload and try again"
    title_zh = "退卡申请已被他人处理，请刷新后重试"


class PolicyInvalid(InvalidInput):
    code = "policy_invalid"
    title = "The refund policy document is invalid"
    title_zh = "退卡政策文件无效"


class UnknownItems(InvalidInput):
    code = "unknown_items"
    title = "Some items do not belong to this order"
    title_zh = "所选卡密/商品不属于该订单"


class CardKeyNotFound(NotFound):
    """Nothing to reveal: not the caller's own order, or not one of its card keys."""

    code = "card_key_not_found"
    title = "No card key of yours to show here"
    title_zh = "未找到可查看的卡密"


class ItemsAlreadyClaimed(Conflict):
    code = "items_already_claimed"
    title = "Some items already have an open or refunded claim"
    title_zh = "所选商品已有进行中或已退款的退卡申请"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "This Idempotency-Key was already used with a different request"
    title_zh = "该幂等键已用于不同的请求"


class ContestNotAllowed(Conflict):
    code = "contest_not_allowed"
    title = "A merchant can contest a case only while a person is reviewing it"
    title_zh = "商家仅可在人工复核阶段对申请提出异议"


class AppealNotAllowed(Conflict):
    code = "appeal_not_allowed"
    title = "Only a rejected case can be appealed, and only once"
    title_zh = "仅已驳回的申请可申诉，且仅限一次"


class RouteUnavailable(InvalidInput):
    code = "route_unavailable"
    title = "Refunds by the original route are not available for this order; choose the balance"
    title_zh = "该订单暂不支持原路退款，请选择退至平台余额"


class OrderHasClaims(Conflict):
    code = "order_has_claims"
    title = "The order has refund claims; its items and payment can no longer change"
    title_zh = "该订单已有退卡申请，商品与支付信息不可再修改"


class MerchantResponseNotAllowed(Conflict):
    code = "merchant_response_not_allowed"
    title = "The merchant can answer a claim only while a person reviews it, once, and before its deadline"
    title_zh = "商家仅可在人工复核阶段、答复期限内对申请作出一次答复"


class ReplacementNotPossible(Conflict):
    code = "replacement_not_possible"
    title = "New keys can replace only card keys the order delivered"
    title_zh = "仅可为订单已发放的卡密补发新卡密"


class ReplacementKeyInUse(Conflict):
    code = "replacement_key_in_use"
    title = "That card key is already sold on an order; a replacement needs a key nobody holds"
    title_zh = "该卡密已在其他订单中售出，补发须使用未售出的新卡密"


class ReplacementNotOpen(Conflict):
    code = "replacement_not_open"
    title = "No replacement waits for an answer on this claim"
    title_zh = "该申请没有待确认的补发"
