"""Typed domain errors, each with a stable code and a title in zh-CN and English."""

from __future__ import annotations

from typing import ClassVar


class TuikaError(Exception):
    """Base of every error tuika reports to a caller."""

    code: ClassVar[str] = "tuika_error"
    title: ClassVar[str] = "Request failed"
    title_zh: ClassVar[str] = "请求失败"

    def __init__(self, detail: str = "", **facts: object) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.facts = facts


class NotFound(TuikaError):
    code = "not_found"
    title = "Not found"
    title_zh = "未找到"


class Conflict(TuikaError):
    code = "conflict"
    title = "Conflict with the current state"
    title_zh = "与当前状态冲突"


class InvalidInput(TuikaError):
    code = "invalid_input"
    title = "Invalid input"
    title_zh = "输入无效"


class Forbidden(TuikaError):
    code = "forbidden"
    title = "Not allowed for this role"
    title_zh = "当前角色无权执行此操作"


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


class ItemsAlreadyClaimed(Conflict):
    code = "items_already_claimed"
    title = "Some items already have an open or refunded claim"
    title_zh = "所选商品已有进行中或已退款的退卡申请"


class OverRefund(Conflict):
    code = "over_refund"
    title = "Refunds would exceed what was paid"
    title_zh = "退款总额将超过实付金额"


class LedgerUnbalanced(TuikaError):
    code = "ledger_unbalanced"
    title = "A ledger posting does not balance"
    title_zh = "记账分录借贷不平"


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
