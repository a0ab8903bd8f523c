"""Every error a caller can meet is one class of one family: a stable code, words in Chinese and English, a status."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import tuika
from tuika.domain import errors
from tuika.domain.errors import TuikaError
from tuika.http import errors as http_errors

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"^[A-Z][\x20-\x7e]*[\x21-\x7e]$")
HOME = "tuika.domain.errors"

# What clients see: changing a code or a status breaks an integrator, so each one is written here.
ANSWERS: dict[str, tuple[str, int]] = {
    "DeviceTokenInvalid": ("device_token_invalid", 422),
    "EmailInvalid": ("email_invalid", 422),
    "InboxAlwaysOn": ("inbox_always_on", 422),
    "PhoneInvalid": ("phone_invalid", 422),
    "QuietHoursInvalid": ("quiet_hours_invalid", 422),
    "DeliveryNotRetryable": ("webhook_delivery_not_retryable", 409),
    "RotationOverlapInvalid": ("webhook_rotation_overlap_invalid", 422),
    "TooManyEndpoints": ("webhook_endpoints_limit", 409),
    "WebhookTypesUnknown": ("webhook_types_unknown", 422),
    "WebhookUrlRefused": ("webhook_url_refused", 422),
    "TokenRejected": ("token_rejected", 401),
    "TokenInvalid": ("token_invalid", 401),
    "TokenExpired": ("token_expired", 401),
    "TokenMissing": ("token_missing", 401),
    "SignInRefused": ("sign_in_refused", 401),
    "LinkNotSingleUse": ("sign_in_link_without_id", 401),
    "LinkTooLong": ("sign_in_link_too_long", 401),
    "LinkUsed": ("sign_in_link_used", 401),
    "Forbidden": ("forbidden", 403),
    "NotFound": ("not_found", 404),
    "CardKeyNotFound": ("card_key_not_found", 404),
    "NoGateway": ("gateway_not_configured", 404),
    "Conflict": ("conflict", 409),
    "IllegalTransition": ("illegal_transition", 409),
    "StaleState": ("case_state_conflict", 409),
    "ItemsAlreadyClaimed": ("items_already_claimed", 409),
    "IdempotencyKeyReused": ("idempotency_key_reused", 409),
    "ContestNotAllowed": ("contest_not_allowed", 409),
    "MerchantResponseNotAllowed": ("merchant_response_not_allowed", 409),
    "ReplacementNotPossible": ("replacement_not_possible", 409),
    "ReplacementKeyInUse": ("replacement_key_in_use", 409),
    "ReplacementNotOpen": ("replacement_not_open", 409),
    "AppealNotAllowed": ("appeal_not_allowed", 409),
    "OrderHasClaims": ("order_has_claims", 409),
    "OverRefund": ("over_refund", 409),
    "GatewayBusy": ("gateway_unavailable", 409),
    "NotRedirectable": ("payout_not_redirectable", 409),
    "AlreadyRedirected": ("payout_already_redirected", 409),
    "OutcomeDisputed": ("payout_outcome_disputed", 409),
    "AlertAlreadyResolved": ("alert_already_resolved", 409),
    "DisputeUndecided": ("dispute_undecided", 409),
    "GatewayUndecided": ("gateway_undecided", 409),
    "AmountDisputed": ("gateway_amount_disputed", 409),
    "RefundReturned": ("refund_returned_by_gateway", 409),
    "DuplicateKey": ("duplicate_key", 409),
    "BodyTooLarge": ("body_too_large", 413),
    "EvidenceTooLarge": ("evidence_too_large", 413),
    "EvidenceTypeNotAllowed": ("evidence_type_not_allowed", 415),
    "EvidenceAnimated": ("evidence_animated", 415),
    "InvalidInput": ("invalid_input", 422),
    "PolicyInvalid": ("policy_invalid", 422),
    "UnknownItems": ("unknown_items", 422),
    "RouteUnavailable": ("route_unavailable", 422),
    "RefundLimitReached": ("gateway_refund_limit", 422),
    "EvidenceRejected": ("evidence_rejected", 422),
    "EvidenceTooManyPixels": ("evidence_too_many_pixels", 422),
    "EvidenceTooLargeDecoded": ("evidence_too_large_decoded", 422),
    "EvidenceCorrupt": ("evidence_corrupt", 422),
    "LedgerUnbalanced": ("ledger_unbalanced", 500),
    "CardKeyUnreadable": ("card_key_unreadable", 500),
    "SupplierUnavailable": ("supplier_unavailable", 500),
}


def _below(kind: type[TuikaError]) -> Iterator[type[TuikaError]]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _below(sub)


# Only tuika's own: a test may narrow an error for its own purposes.
FAMILY = sorted({k for k in _below(TuikaError) if k.__module__.startswith("tuika.")}, key=lambda k: k.__name__)


def test_the_family_is_exactly_the_errors_clients_are_promised() -> None:
    assert {k.__name__: (k.code, http_errors.status_of(k)) for k in FAMILY} == ANSWERS


@pytest.mark.parametrize("kind", FAMILY, ids=lambda k: k.__name__)
def test_each_error_lives_with_the_family_and_is_exported_from_it(kind: type[TuikaError]) -> None:
    assert kind.__module__.startswith(HOME + ".")
    assert getattr(errors, kind.__name__) is kind
    assert kind.__name__ in errors.__all__


@pytest.mark.parametrize("kind", FAMILY, ids=lambda k: k.__name__)
def test_each_error_has_a_code_and_says_itself_in_chinese_and_english(kind: type[TuikaError]) -> None:
    assert CODE.match(kind.code), kind.code
    assert CJK.search(kind.title_zh), kind.title_zh
    assert ENGLISH.match(kind.title), kind.title


@pytest.mark.parametrize("kind", FAMILY, ids=lambda k: k.__name__)
def test_each_error_has_its_status_in_the_table(kind: type[TuikaError]) -> None:
    matches = [status for named, status in http_errors._STATUS if issubclass(kind, named)]
    assert matches, f"{kind.__name__} is in no entry of the error → status table"
    assert http_errors.status_of(kind) == matches[0]


def test_the_table_names_only_the_familys_own_classes() -> None:
    assert all(named.__module__.startswith(HOME + ".") for named, _ in http_errors._STATUS)


def test_no_two_errors_share_a_code_unless_one_inherits_it() -> None:
    by_code: dict[str, list[type[TuikaError]]] = {}
    for kind in [TuikaError, *FAMILY]:
        by_code.setdefault(kind.code, []).append(kind)
    for code, kinds in by_code.items():
        owners = [k for k in kinds if "code" in vars(k)]
        assert len(owners) == 1, f"{code} is declared by {[k.__name__ for k in owners]}"
        assert all(issubclass(k, owners[0]) for k in kinds), code


def test_no_module_outside_the_family_narrows_one_of_its_errors() -> None:
    names = {k.__name__ for k in [TuikaError, *FAMILY]}
    root = Path(tuika.__file__).parent
    strays = []
    for path in sorted(root.rglob("*.py")):
        if path.parent.name == "errors" and path.parent.parent.name == "domain":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & names:
                    strays.append(f"{path.relative_to(root)}: {node.name}")
    assert strays == []
