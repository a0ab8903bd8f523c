"""Webhook endpoints refused: where they point, what they ask for, how many, what can be redelivered."""

from __future__ import annotations

from tuika.domain.errors.base import Conflict, InvalidInput

MAX_ENDPOINTS = 10


class WebhookUrlRefused(InvalidInput):
    code = "webhook_url_refused"
    title = "Webhooks go only to public http(s) addresses"
    title_zh = "回调地址必须是公网上的 http(s) 地址"


class WebhookTypesUnknown(InvalidInput):
    code = "webhook_types_unknown"
    title = "Unknown event types"
    title_zh = "事件类型不存在"


class RotationOverlapInvalid(InvalidInput):
    code = "webhook_rotation_overlap_invalid"
    title = "The old secret may sign on for 0 to 24 hours"
    title_zh = "旧密钥的保留时间须在 0 到 24 小时之间"


class TooManyEndpoints(Conflict):
    code = "webhook_endpoints_limit"
    title = f"At most {MAX_ENDPOINTS} webhook endpoints each"
    title_zh = f"每个账户最多 {MAX_ENDPOINTS} 个回调地址"


class DeliveryNotRetryable(Conflict):
    code = "webhook_delivery_not_retryable"
    title = "The endpoint is disabled; enable it before redelivering"
    title_zh = "回调地址已停用，请先启用再重发"
