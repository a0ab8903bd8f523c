"""Typed errors, each with a stable code and a title in zh-CN and English.

Every error a person or a client can meet is a ``TuikaError``: its ``code`` is stable (clients
branch on it), ``title`` and ``title_zh`` say it in English and Chinese, and
``tuika.http.errors`` gives each one its HTTP status. Import them from here; the modules only
group them by family:

- ``base``: the root and its four broad kinds (not found, conflict, invalid input, forbidden)
- ``access``: bearer tokens and sign-in links
- ``claims``: cases, orders and policies
- ``contacts``: phone numbers, email addresses, devices and quiet hours refused
- ``evidence``: uploaded files refused
- ``payouts``: refunds, the ledger, gateways and disputes
- ``system``: races, oversized bodies, an unreachable supplier, an unreadable card key
- ``webhooks``: webhook endpoints refused

>>> from tuika.domain.errors import Conflict, IllegalTransition
>>> error = IllegalTransition("submitted -> refunded", old="submitted", new="refunded")
>>> (isinstance(error, Conflict), error.code, error.facts["new"])
(True, 'illegal_transition', 'refunded')
"""

from __future__ import annotations

from tuika.domain.errors.access import (
    LinkNotSingleUse,
    LinkTooLong,
    LinkUsed,
    SignInRefused,
    TokenExpired,
    TokenInvalid,
    TokenMissing,
    TokenRejected,
)
from tuika.domain.errors.base import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TuikaError,
)
from tuika.domain.errors.claims import (
    AppealNotAllowed,
    CardKeyNotFound,
    ContestNotAllowed,
    IdempotencyKeyReused,
    IllegalTransition,
    ItemsAlreadyClaimed,
    MerchantResponseNotAllowed,
    OrderHasClaims,
    PolicyInvalid,
    ReplacementKeyInUse,
    ReplacementNotOpen,
    ReplacementNotPossible,
    RouteUnavailable,
    StaleState,
    UnknownItems,
)
from tuika.domain.errors.contacts import (
    DeviceTokenInvalid,
    EmailInvalid,
    InboxAlwaysOn,
    PhoneInvalid,
    QuietHoursInvalid,
)
from tuika.domain.errors.evidence import (
    EvidenceAnimated,
    EvidenceCorrupt,
    EvidenceRejected,
    EvidenceTooLarge,
    EvidenceTooLargeDecoded,
    EvidenceTooManyPixels,
    EvidenceTypeNotAllowed,
)
from tuika.domain.errors.payouts import (
    AlertAlreadyResolved,
    AlreadyRedirected,
    AmountDisputed,
    DisputeUndecided,
    GatewayBusy,
    GatewayUndecided,
    LedgerUnbalanced,
    NoGateway,
    NotRedirectable,
    OutcomeDisputed,
    OverRefund,
    RefundLimitReached,
    RefundReturned,
)
from tuika.domain.errors.system import (
    BodyTooLarge,
    CardKeyUnreadable,
    CipherError,
    CipherKeyUnknown,
    CipherTokenInvalid,
    DuplicateKey,
    SupplierUnavailable,
)
from tuika.domain.errors.webhooks import (
    DeliveryNotRetryable,
    RotationOverlapInvalid,
    TooManyEndpoints,
    WebhookTypesUnknown,
    WebhookUrlRefused,
)

__all__ = [
    "AlertAlreadyResolved",
    "AlreadyRedirected",
    "AmountDisputed",
    "AppealNotAllowed",
    "BodyTooLarge",
    "CardKeyNotFound",
    "CardKeyUnreadable",
    "CipherError",
    "CipherKeyUnknown",
    "CipherTokenInvalid",
    "Conflict",
    "ContestNotAllowed",
    "DeliveryNotRetryable",
    "DeviceTokenInvalid",
    "DisputeUndecided",
    "DuplicateKey",
    "EmailInvalid",
    "EvidenceAnimated",
    "EvidenceCorrupt",
    "EvidenceRejected",
    "EvidenceTooLarge",
    "EvidenceTooLargeDecoded",
    "EvidenceTooManyPixels",
    "EvidenceTypeNotAllowed",
    "Forbidden",
    "GatewayBusy",
    "GatewayUndecided",
    "IdempotencyKeyReused",
    "IllegalTransition",
    "InboxAlwaysOn",
    "InvalidInput",
    "ItemsAlreadyClaimed",
    "LedgerUnbalanced",
    "LinkNotSingleUse",
    "LinkTooLong",
    "LinkUsed",
    "MerchantResponseNotAllowed",
    "NoGateway",
    "NotFound",
    "NotRedirectable",
    "OrderHasClaims",
    "OutcomeDisputed",
    "OverRefund",
    "PhoneInvalid",
    "PolicyInvalid",
    "QuietHoursInvalid",
    "RefundLimitReached",
    "RefundReturned",
    "ReplacementKeyInUse",
    "ReplacementNotOpen",
    "ReplacementNotPossible",
    "RotationOverlapInvalid",
    "RouteUnavailable",
    "SignInRefused",
    "StaleState",
    "SupplierUnavailable",
    "TokenExpired",
    "TokenInvalid",
    "TokenMissing",
    "TokenRejected",
    "TooManyEndpoints",
    "TuikaError",
    "UnknownItems",
    "WebhookTypesUnknown",
    "WebhookUrlRefused",
]
