"""A card wholesaler's signed JSON API, with retries and a circuit breaker.

Every request carries a fresh nonce and timestamp and an HMAC-SHA256 signature; every answer
must carry a valid signature and echo the request's nonce, or it is not an answer. When the
supplier cannot give a verified answer the caller gets ``SupplierUnavailable``, never a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Final, TypeVar

import httpx

from tuika.domain.errors import SupplierUnavailable
from tuika.domain.masking import mask_card_key
from tuika.domain.supplier import CardAnswer, CardState, TopupAnswer, TopupState

log = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E", CardState, TopupState)

# A refusal of our request's freshness may clear with a new nonce and timestamp; a wrong key never does.
_RETRYABLE_REFUSALS: Final = frozenset({"stale_timestamp", "nonce_reused"})


def request_signature(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 that signs one request."""
    canonical = f"{method}\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()


def answer_signature(secret: bytes, status: int, timestamp: str, nonce: str, body: bytes) -> str:
    """Return the hex HMAC-SHA256 that signs one answer."""
    canonical = f"{status}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"
    return hmac.new(secret, canonical.encode(), hashlib.sha256).hexdigest()


class CircuitBreaker:
    """Count consecutive failed attempts; past the threshold, refuse calls until a trial succeeds."""

    def __init__(self, failure_threshold: int, reset_after_s: float, monotonic: Callable[[], float]) -> None:
        self._threshold = failure_threshold
        self._reset_after_s = reset_after_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def is_open(self) -> bool:
        with self._lock:
            return self._opened_at is not None

    def allow(self) -> bool:
        """Return whether an attempt may go out now; after the pause, let exactly one trial through."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial or self._monotonic() - self._opened_at < self._reset_after_s:
                return False
            self._trial = True
            return True

    def succeeded(self) -> None:
        """Close the circuit."""
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> None:
        """Count a failure; open the circuit at the threshold, or again after a failed trial."""
        with self._lock:
            self._failures += 1
            if self._trial or (self._opened_at is None and self._failures >= self._threshold):
                self._opened_at, self._trial = self._monotonic(), False


class _Failure(Exception):
    def __init__(self, detail: str, *, retryable: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retryable = retryable


class HttpSupplier:
    """Ask a card wholesaler over its signed HTTP API.

    >>> supplier = HttpSupplier("http://127.0.0.1:8765", "tuika", b"secret", timeout_s=0.5)
    >>> supplier.query_card("sup_1", "ABCD-EFGH-JKLM-NPQR")  # doctest: +SKIP
    CardAnswer(state=<CardState.UNUSED: 'unused'>, redeemed_at=None, redeemed_by=None)
    """

    def __init__(
        self,
        base_url: str,
        partner_id: str,
        secret: bytes | str,
        *,
        timeout_s: float = 2.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        failure_threshold: int = 5,
        reset_after_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._partner_id = partner_id
        self._secret = secret.encode() if isinstance(secret, str) else secret
        self._retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._now = now
        self.breaker = CircuitBreaker(failure_threshold, reset_after_s, monotonic)
        self._client = httpx.Client(base_url=base_url, timeout=timeout_s, transport=transport)

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def query_card(self, supplier_id: str, card_key: str) -> CardAnswer:
        """Return the supplier's record of a card key."""
        body = {"supplier_id": supplier_id, "card_key": card_key}
        return self._call("/api/v1/card/query", body, _card_answer, f"query_card {mask_card_key(card_key)}")

    def void_card(self, supplier_id: str, card_key: str) -> CardAnswer:
        """Void an unused card key and return its state afterwards."""
        # Retrying is safe: the supplier voids at most once and answers "voided" again.
        body = {"supplier_id": supplier_id, "card_key": card_key}
        return self._call("/api/v1/card/void", body, _card_answer, f"void_card {mask_card_key(card_key)}")

    def query_topup(self, supplier_id: str, reference: str) -> TopupAnswer:
        """Return the upstream's record of a top-up under ``f"{order_id}:{item_id}"``."""
        body = {"supplier_id": supplier_id, "reference": reference}
        return self._call("/api/v1/topup/query", body, _topup_answer, f"query_topup {reference}")

    def _call(self, path: str, body: Mapping[str, str], parse: Callable[[object], T], what: str) -> T:
        last = ""
        for attempt in range(self._retries + 1):
            if attempt and self._backoff_s > 0:
                self._sleep(self._backoff_s * 2 ** (attempt - 1))
            if not self.breaker.allow():
                why = f"{what}: circuit open" + (f"; last failure: {last}" if last else "")
                raise SupplierUnavailable(why, supplier=body["supplier_id"])
            try:
                answer = parse(self._exchange(path, body))
            except _Failure as failure:
                self.breaker.failed()
                last = failure.detail
                log.warning("supplier %s, attempt %d failed: %s", what, attempt + 1, last)
                if not failure.retryable:
                    raise SupplierUnavailable(f"{what}: {last}", supplier=body["supplier_id"]) from None
                continue
            except BaseException:
                self.breaker.failed()  # never leave a half-open trial hanging
                raise
            self.breaker.succeeded()
            return answer
        raise SupplierUnavailable(
            f"{what}: {self._retries + 1} attempts failed; last: {last}", supplier=body["supplier_id"]
        )

    def _exchange(self, path: str, body: Mapping[str, str]) -> object:
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        request = self._client.build_request("POST", path, content=raw)
        timestamp, nonce = str(int(self._now())), secrets.token_hex(16)
        request.headers.update(
            {
                "Content-Type": "application/json",
                "X-Partner-Id": self._partner_id,
                "X-Timestamp": timestamp,
                "X-Nonce": nonce,
                "X-Signature": request_signature(self._secret, "POST", request.url.path, timestamp, nonce, raw),
            }
        )
        try:
            response = self._client.send(request)
        except httpx.TimeoutException:
            raise _Failure("timed out", retryable=True) from None
        except httpx.TransportError as error:
            raise _Failure(f"transport error: {type(error).__name__}", retryable=True) from None
        if response.status_code >= 500:
            raise _Failure(f"server error {response.status_code}", retryable=True)
        payload = _json(response.content)
        # A refusal is not verified: whatever it says, the caller only ever learns "unavailable".
        if response.status_code != 200:
            code = payload.get("code") if isinstance(payload, dict) else None
            code = code if isinstance(code, str) else None
            raise _Failure(f"refused with {response.status_code} {code}", retryable=code in _RETRYABLE_REFUSALS)
        self._verify(response, nonce)
        if not isinstance(payload, dict) or type(payload.get("code")) is not int or payload["code"] != 0:
            raise _Failure("malformed answer: no code 0", retryable=False)
        return payload.get("data")

    def _verify(self, response: httpx.Response, nonce: str) -> None:
        echoed = response.headers.get("X-Nonce", "")
        expected = answer_signature(
            self._secret, response.status_code, response.headers.get("X-Timestamp", ""), echoed, response.content
        )
        # An answer that does not echo our nonce may be a replay of an older answer.
        if not hmac.compare_digest(expected, response.headers.get("X-Signature", "")) or echoed != nonce:
            raise _Failure("answer signature invalid", retryable=True)


def _json(raw: bytes) -> object:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _card_answer(data: object) -> CardAnswer:
    fields = _fields(data)
    return CardAnswer(
        state=_enum(CardState, fields.get("state")),
        redeemed_at=_time(fields.get("redeemed_at")),
        redeemed_by=_optional_str(fields.get("redeemed_by")),
    )


def _topup_answer(data: object) -> TopupAnswer:
    fields = _fields(data)
    return TopupAnswer(
        state=_enum(TopupState, fields.get("state")),
        carrier_ref=_optional_str(fields.get("carrier_ref")),
        at=_time(fields.get("at")),
    )


def _fields(data: object) -> Mapping[str, object]:
    if not isinstance(data, dict):
        raise _Failure("malformed answer: data is not an object", retryable=False)
    return data


def _enum(kind: type[E], value: object) -> E:
    try:
        return kind(str(value))
    except ValueError:
        raise _Failure(f"malformed answer: unknown state {value!r}", retryable=False) from None


def _optional_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Failure(f"malformed answer: {value!r} is not a string", retryable=False)


def _time(value: object) -> datetime | None:
    text = _optional_str(value)
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise _Failure(f"malformed answer: {text!r} is not an ISO 8601 time", retryable=False) from None
    if at.tzinfo is None:
        raise _Failure(f"malformed answer: {text!r} has no offset", retryable=False)
    return at.astimezone(UTC)
