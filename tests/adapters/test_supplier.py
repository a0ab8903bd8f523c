"""HttpSupplier against the sandbox wholesaler, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tuika.adapters.suppliers.http import HttpSupplier, answer_signature, request_signature
from tuika.domain.errors import SupplierUnavailable
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState
from tuika_dev.sandbox.supplier import CARD_QUERY, CARD_VOID, Fault, SandboxSupplier

SUP = "sup_1"
KEY = "ABCD-EFGH-JKLM-NPQR"
REDEEMED_AT = datetime(2024, 5, 1, 4, 30, tzinfo=UTC)

MakeSupplier = Callable[..., HttpSupplier]


class FakeMonotonic:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[SandboxSupplier]:
    with SandboxSupplier(stall_s=1.0, slow_s=0.3) as running:
        yield running


@pytest.fixture
def clock() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def make_supplier(sandbox: SandboxSupplier, clock: FakeMonotonic) -> Iterator[MakeSupplier]:
    made: list[HttpSupplier] = []

    def make(**overrides: object) -> HttpSupplier:
        options: dict[str, object] = {"timeout_s": 0.2, "backoff_s": 0.0, "monotonic": clock, **overrides}
        secret = options.pop("secret", sandbox.secret)
        partner_id = options.pop("partner_id", sandbox.partner_id)
        supplier = HttpSupplier(sandbox.base_url, str(partner_id), secret, **options)  # type: ignore[arg-type]
        made.append(supplier)
        return supplier

    yield make
    for supplier in made:
        supplier.close()


def codes(sandbox: SandboxSupplier, path: str | None = None) -> list[int | str]:
    return [r.code for r in sandbox.requests if path is None or r.path == path]


# --- answers ---


@pytest.mark.parametrize("state", [CardState.UNUSED, CardState.INVALID, CardState.EXPIRED, CardState.VOIDED])
def test_query_card_reports_the_stored_state(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier, state: CardState
) -> None:
    sandbox.add_card(SUP, KEY, state)

    assert make_supplier().query_card(SUP, KEY) == CardAnswer(state)


def test_query_card_reports_when_and_by_whom_a_card_was_redeemed(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.REDEEMED, redeemed_at=REDEEMED_AT, redeemed_by="138****1234")

    answer = make_supplier().query_card(SUP, KEY)

    assert answer == CardAnswer(CardState.REDEEMED, REDEEMED_AT, "138****1234")
    assert answer.redeemed_at is not None
    assert answer.redeemed_at.tzinfo is UTC  # the sandbox sent +08:00


def test_an_unknown_card_is_invalid(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)

    assert make_supplier().query_card("sup_2", KEY) == CardAnswer(CardState.INVALID)
    assert make_supplier().query_card(SUP, "ZZZZ-ZZZZ-ZZZZ-ZZZZ") == CardAnswer(CardState.INVALID)


@pytest.mark.parametrize(
    ("state", "carrier_ref", "at"),
    [
        (TopupState.SUCCEEDED, "CM20240501123", REDEEMED_AT),
        (TopupState.FAILED, None, REDEEMED_AT),
        (TopupState.PROCESSING, None, None),
    ],
)
def test_query_topup_reports_the_stored_state(
    sandbox: SandboxSupplier,
    make_supplier: MakeSupplier,
    state: TopupState,
    carrier_ref: str | None,
    at: datetime | None,
) -> None:
    sandbox.add_topup(SUP, "ord_1:item_1", state, carrier_ref, at)

    assert make_supplier().query_topup(SUP, "ord_1:item_1") == TopupAnswer(state, carrier_ref, at)


def test_an_unknown_topup_is_unavailable_without_retrying(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    with pytest.raises(SupplierUnavailable, match="topup_not_found"):
        make_supplier().query_topup(SUP, "ord_1:item_9")

    assert codes(sandbox) == ["topup_not_found"]


# --- void ---


def test_void_voids_an_unused_card_once_and_repeats_harmlessly(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    supplier = make_supplier()

    assert supplier.void_card(SUP, KEY) == CardAnswer(CardState.VOIDED)
    assert supplier.void_card(SUP, KEY) == CardAnswer(CardState.VOIDED)
    assert supplier.query_card(SUP, KEY) == CardAnswer(CardState.VOIDED)
    assert codes(sandbox, CARD_VOID) == [0, 0]
    assert [r.body for r in sandbox.requests] == [{"supplier_id": SUP, "card_key": KEY}] * 3


def test_a_redeemed_card_cannot_be_voided(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.REDEEMED, redeemed_at=REDEEMED_AT, redeemed_by="138****1234")

    assert make_supplier().void_card(SUP, KEY) == CardAnswer(CardState.REDEEMED, REDEEMED_AT, "138****1234")
    assert sandbox.card_state(SUP, KEY) is CardState.REDEEMED
    assert codes(sandbox, CARD_VOID) == [0]


# --- signatures and replays ---


def test_a_client_with_the_wrong_secret_is_refused_and_voids_nothing(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)

    with pytest.raises(SupplierUnavailable, match="401 bad_signature"):
        make_supplier(secret=b"not-the-secret").void_card(SUP, KEY)

    assert codes(sandbox) == ["bad_signature"]  # a wrong key is not retried
    assert sandbox.card_state(SUP, KEY) is CardState.UNUSED


def test_an_unknown_partner_is_refused(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    with pytest.raises(SupplierUnavailable, match="unknown_partner"):
        make_supplier(partner_id="someone_else").query_card(SUP, KEY)

    assert codes(sandbox) == ["unknown_partner"]


def test_a_stale_timestamp_is_refused_on_every_attempt(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    with pytest.raises(SupplierUnavailable, match="3 attempts failed"):
        make_supplier(now=lambda: time.time() - 1000).query_card(SUP, KEY)

    assert codes(sandbox) == ["stale_timestamp"] * 3


def test_an_answer_signed_wrongly_is_never_taken(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.REDEEMED)
    sandbox.fail_next(Fault.BAD_SIGNATURE, count=3)

    with pytest.raises(SupplierUnavailable, match="answer signature invalid"):
        make_supplier().query_card(SUP, KEY)

    assert codes(sandbox) == [0, 0, 0]


def test_an_answer_signed_wrongly_once_is_retried(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.EXPIRED)
    sandbox.fail_next(Fault.BAD_SIGNATURE)

    assert make_supplier().query_card(SUP, KEY) == CardAnswer(CardState.EXPIRED)
    assert [r.fault for r in sandbox.requests] == [Fault.BAD_SIGNATURE, None]


def test_a_replayed_request_is_refused(sandbox: SandboxSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    body = json.dumps({"supplier_id": SUP, "card_key": KEY}).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    headers = {
        "X-Partner-Id": sandbox.partner_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": request_signature(sandbox.secret, "POST", CARD_QUERY, timestamp, nonce, body),
    }

    first = httpx.post(sandbox.base_url + CARD_QUERY, content=body, headers=headers)
    replay = httpx.post(sandbox.base_url + CARD_QUERY, content=body, headers=headers)

    assert (first.status_code, first.json()) == (
        200,
        {"code": 0, "data": {"state": "unused", "redeemed_at": None, "redeemed_by": None}},
    )
    assert first.headers["X-Nonce"] == nonce
    assert first.headers["X-Signature"] == answer_signature(
        sandbox.secret, 200, first.headers["X-Timestamp"], nonce, first.content
    )
    assert (replay.status_code, replay.json()["code"]) == (401, "nonce_reused")


# --- faults and retries ---


def test_a_timeout_is_retried_and_the_void_it_lost_is_not_repeated(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.fail_next(Fault.TIMEOUT)

    assert make_supplier().void_card(SUP, KEY) == CardAnswer(CardState.VOIDED)
    # The first void went through but its answer was lost; the retry finds the card voided already.
    assert [r.fault for r in sandbox.requests] == [Fault.TIMEOUT, None]
    assert sandbox.card_state(SUP, KEY) is CardState.VOIDED


def test_timeouts_past_the_retries_make_the_supplier_unavailable(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.fail_next(Fault.TIMEOUT, count=3)

    with pytest.raises(SupplierUnavailable, match="3 attempts failed; last: timed out"):
        make_supplier().query_card(SUP, KEY)

    assert len(sandbox.requests) == 3


def test_a_server_error_is_retried(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.fail_next(Fault.ERROR_500)

    assert make_supplier().query_card(SUP, KEY) == CardAnswer(CardState.UNUSED)
    assert codes(sandbox) == ["internal_error", 0]


def test_server_errors_past_the_retries_make_the_supplier_unavailable(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.fail_next(Fault.ERROR_500, count=2)

    with pytest.raises(SupplierUnavailable, match="2 attempts failed; last: server error 500"):
        make_supplier(retries=1).void_card(SUP, KEY)

    assert codes(sandbox) == ["internal_error", "internal_error"]
    assert sandbox.card_state(SUP, KEY) is CardState.UNUSED


def test_a_supplier_that_is_down_is_unavailable(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    supplier = make_supplier()
    sandbox.stop()

    with pytest.raises(SupplierUnavailable, match="3 attempts failed; last: transport error: ConnectError"):
        supplier.query_card(SUP, KEY)


def test_retries_back_off_exponentially(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.fail_next(Fault.ERROR_500, count=2)
    pauses: list[float] = []

    make_supplier(backoff_s=0.1, sleep=pauses.append).query_card(SUP, KEY)

    assert pauses == [0.1, 0.2]


def test_a_slow_answer_within_the_timeout_is_taken(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.fail_next(Fault.SLOW)

    assert make_supplier(timeout_s=2.0).query_card(SUP, KEY) == CardAnswer(CardState.UNUSED)
    assert len(sandbox.requests) == 1


def test_contradicting_answers_are_passed_on_as_they_come(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.mode = Fault.CONTRADICT
    supplier = make_supplier()

    states = [supplier.query_card(SUP, KEY).state for _ in range(3)]

    assert states == [CardState.UNUSED, CardState.REDEEMED, CardState.UNUSED]


# --- circuit breaker ---


def test_the_circuit_opens_after_consecutive_failures_and_stops_calling(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier
) -> None:
    sandbox.mode = Fault.ERROR_500
    supplier = make_supplier(retries=0, failure_threshold=3)
    for _ in range(3):
        with pytest.raises(SupplierUnavailable, match="server error 500"):
            supplier.query_card(SUP, KEY)

    with pytest.raises(SupplierUnavailable, match="circuit open"):
        supplier.query_card(SUP, KEY)

    assert len(sandbox.requests) == 3


def test_the_circuit_stops_retries_once_it_opens(sandbox: SandboxSupplier, make_supplier: MakeSupplier) -> None:
    sandbox.mode = Fault.ERROR_500

    with pytest.raises(SupplierUnavailable, match="circuit open; last failure: server error 500"):
        make_supplier(retries=5, failure_threshold=2).query_card(SUP, KEY)

    assert len(sandbox.requests) == 2


def test_the_circuit_closes_after_a_successful_trial(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier, clock: FakeMonotonic
) -> None:
    sandbox.add_card(SUP, KEY, CardState.UNUSED)
    sandbox.mode = Fault.ERROR_500
    supplier = make_supplier(retries=0, failure_threshold=2, reset_after_s=30.0)
    for _ in range(2):
        with pytest.raises(SupplierUnavailable):
            supplier.query_card(SUP, KEY)
    sandbox.mode = None

    clock.now += 29.9
    with pytest.raises(SupplierUnavailable, match="circuit open"):
        supplier.query_card(SUP, KEY)
    clock.now += 0.1

    assert supplier.query_card(SUP, KEY) == CardAnswer(CardState.UNUSED)
    assert supplier.query_card(SUP, KEY) == CardAnswer(CardState.UNUSED)
    assert codes(sandbox) == ["internal_error", "internal_error", 0, 0]


def test_a_failed_trial_opens_the_circuit_again(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier, clock: FakeMonotonic
) -> None:
    sandbox.mode = Fault.ERROR_500
    supplier = make_supplier(retries=2, failure_threshold=2, reset_after_s=30.0)
    with pytest.raises(SupplierUnavailable):
        supplier.query_card(SUP, KEY)
    clock.now += 30.0

    with pytest.raises(SupplierUnavailable, match="circuit open"):
        supplier.query_card(SUP, KEY)  # one trial goes out, fails, and its retries are refused
    with pytest.raises(SupplierUnavailable, match="circuit open"):
        supplier.query_card(SUP, KEY)

    assert len(sandbox.requests) == 3


# --- secrecy ---


def test_the_card_key_is_logged_only_masked(
    sandbox: SandboxSupplier, make_supplier: MakeSupplier, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.fail_next(Fault.ERROR_500, count=3)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(SupplierUnavailable) as raised:
        make_supplier().query_card(SUP, KEY)

    assert "ABCD-****-****-NPQR" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in raised.value.detail
