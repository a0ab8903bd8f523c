"""Money: what an order can refund, the ledger, the gateways' limits, stuck refunds and disputed ones."""

from __future__ import annotations

from tuika.domain.errors.base import Conflict, InvalidInput, NotFound, TuikaError


class OverRefund(Conflict):
    code = "over_refund"
    title = "Refunds would exceed what was paid"
    title_zh = "退款总额将超过实付金额"


class LedgerUnbalanced(TuikaError):
    code = "ledger_unbalanced"
    title = "A ledger posting does not balance"
    title_zh = "记账分录借贷不平"


class RefundLimitReached(InvalidInput):
    code = "gateway_refund_limit"
    title = "The payment gateway takes no more refunds for this order; choose the balance"
    title_zh = "该订单已超出支付渠道的退款限制，请选择退至平台余额"


class NoGateway(NotFound):
    code = "gateway_not_configured"
    title = "No gateway is configured for this route"
    title_zh = "该支付渠道未配置"


class GatewayBusy(Conflict):
    code = "gateway_unavailable"
    title = "The payment gateway did not answer; try again shortly"
    title_zh = "支付渠道暂无响应，请稍后重试"


class NotRedirectable(Conflict):
    code = "payout_not_redirectable"
    title = "Only a failed or abnormal original-route refund can go to the balance"
    title_zh = "只有失败或异常的原路退款可以改退至余额"


class AlreadyRedirected(Conflict):
    code = "payout_already_redirected"
    title = "This refund has already been sent to the balance"
    title_zh = "该退款已改退至余额"


class OutcomeDisputed(Conflict):
    code = "payout_outcome_disputed"
    title = "The gateway's answer about this refund differs from our record; finance is checking it"
    title_zh = "支付渠道对该退款的答复与记录不一致，财务核实前不能改退余额"


class AlertAlreadyResolved(Conflict):
    code = "alert_already_resolved"
    title = "This alert has already been resolved"
    title_zh = "该提醒已处理"


class DisputeUndecided(Conflict):
    code = "dispute_undecided"
    title = "The gateway's answer does not settle this dispute yet"
    title_zh = "支付渠道的答复尚不能了结此争议"


class GatewayUndecided(DisputeUndecided):
    code = "gateway_undecided"
    title = "The gateway has no final outcome for this refund yet; check again later"
    title_zh = "支付渠道尚无该退款的最终结果，请稍后再核实"


class AmountDisputed(DisputeUndecided):
    code = "gateway_amount_disputed"
    title = "The gateway reports another amount than ours; settle it with the gateway first"
    title_zh = "支付渠道报告的退款金额与记录不符，请先与渠道核实"


class RefundReturned(DisputeUndecided):
    code = "refund_returned_by_gateway"
    title = "The gateway now says this refund did not reach the buyer; the buyer must be paid again"
    title_zh = "支付渠道称该退款未到买家账户（已退回），需另行向买家退款"
