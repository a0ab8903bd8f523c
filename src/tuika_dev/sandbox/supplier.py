"""A local card wholesaler: signed JSON over HTTP, an in-memory store and faults on demand.

Requests are signed with HMAC-SHA256 over ``"{method}\\n{path}\\n{timestamp}\\n{nonce}\\n{sha256(body)}"``
and sent with ``X-Partner-Id``, ``X-Timestamp``, ``X-Nonce`` and ``X-Signature``. Every answer is
signed over ``"{status}\\n{timestamp}\\n{nonce}\\n{sha256(body)}"``; its ``X-Nonce`` echoes the
request's, which binds the answer to the request it answers.

>>> with SandboxSupplier() as sandbox:
...     sandbox.add_card("sup_1", "ABCD-EFGH-JKLM-NPQR", CardState.UNUSED)
...     sandbox.fail_next(Fault.ERROR_500)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from typing import Final

from tuika.domain.supplier import CardState, TopupState
from tuika_dev.sandbox.serving import LocalServer, Served

CARD_QUERY: Final = "/api/v1/card/query"
CARD_VOID: Final = "/api/v1/card/void"
TOPUP_QUERY: Final = "/api/v1/topup/query"

WINDOW_S: Final = 300
# A wholesaler in China reports its times in Beijing time; the client must convert them.
_BEIJING: Final = timezone(timedelta(hours=8))


class Fault(StrEnum):
    TIMEOUT = "timeout"  # do the work, then stall the answer past the client's timeout
    ERROR_500 = "error_500"  # fail before doing anything
    SLOW = "slow"  # answer after ``slow_s``
    CONTRADICT = "contradict"  # card queries alternate between unused and redeemed
    BAD_SIGNATURE = "bad_signature"  # sign the answer with the wrong key


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the sandbox saw it, with the code it answered; a refused body is not read."""

    path: str
    partner_id: str
    body: Mapping[str, object]
    status: int
    code: int | str
    fault: Fault | None = None


@dataclass(slots=True)
class _Card:
    state: CardState
    redeemed_at: datetime | None = None
    redeemed_by: str | None = None


@dataclass(slots=True)
class _Topup:
    state: TopupState
    carrier_ref: str | None = None
    at: datetime | None = None


@dataclass(slots=True)
class _Reply:
    status: int
    code: int | str
    data: dict[str, object] | None = None
    message: str = ""
    delay_s: float = 0.0
    wrong_key: bool = False

    @property
    def payload(self) -> dict[str, object]:
        if self.data is None:
            return {"code": self.code, "message": self.message}
        return {"code": self.code, "data": self.data}


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


class SandboxSupplier(Served):
    """Serve the wholesaler protocol on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        partner_id: str = "tuika",
        secret: bytes | str = b"sandbox-secret",
        *,
        stall_s: float = 5.0,
        slow_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.partner_id = partner_id
        self.secret = secret.encode() if isinstance(secret, str) else secret
        self.stall_s = stall_s
        self.slow_s = slow_s
        self.mode: Fault | None = None  # a standing fault, used when no queued one is left
        self._clock = clock
        self._lock = threading.Lock()
        self._cards: dict[tuple[str, str], _Card] = {}
        self._topups: dict[tuple[str, str], _Topup] = {}
        self._nonces: dict[str, float] = {}
        self._faults: deque[Fault] = deque()
        self._flips: dict[tuple[str, str], int] = {}
        self._requests: list[ReceivedRequest] = []
        self._stopping = threading.Event()
        self._http = LocalServer(
            lambda _method, target, headers, raw: self.handle(target, headers, raw),
            "the sandbox supplier",
            thread_name="sandbox-supplier",
            methods=("POST",),
        )

    # --- control, for tests and the demo ---

    def add_card(
        self,
        supplier_id: str,
        card_key: str,
        state: CardState,
        redeemed_at: datetime | None = None,
        redeemed_by: str | None = None,
    ) -> None:
        """Record a card key as the wholesaler issued it."""
        with self._lock:
            self._cards[(supplier_id, card_key)] = _Card(state, redeemed_at, redeemed_by)

    def add_topup(
        self,
        supplier_id: str,
        reference: str,
        state: TopupState,
        carrier_ref: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """Record a top-up under ``f"{order_id}:{item_id}"``."""
        with self._lock:
            self._topups[(supplier_id, reference)] = _Topup(state, carrier_ref, at)

    def card_state(self, supplier_id: str, card_key: str) -> CardState:
        """Return a card's state in the store; unknown cards are invalid."""
        with self._lock:
            card = self._cards.get((supplier_id, card_key))
            return card.state if card else CardState.INVALID

    def fail_next(self, mode: Fault | str, count: int = 1) -> None:
        """Apply a fault to the next ``count`` authenticated requests."""
        with self._lock:
            self._faults.extend([Fault(mode)] * count)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Return a copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # --- the protocol ---

    def handle(self, path: str, headers: Mapping[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one request given lower-cased headers; return the status, headers and body to send."""
        partner_id = headers.get("x-partner-id", "")
        body: Mapping[str, object] = {}
        fault: Fault | None = None
        try:
            body = self._authenticate(path, headers, raw)
            with self._lock:
                fault = self._faults.popleft() if self._faults else self.mode
            reply = self._reply(path, body, fault)
        except _Refused as refused:
            reply = _Reply(refused.status, refused.code, message=str(refused))
        with self._lock:
            self._requests.append(ReceivedRequest(path, partner_id, body, reply.status, reply.code, fault))
        if reply.delay_s:
            self._stopping.wait(reply.delay_s)
        return self._signed(reply, headers.get("x-nonce") or secrets.token_hex(16))

    def _authenticate(self, path: str, headers: Mapping[str, str], raw: bytes) -> Mapping[str, object]:
        if headers.get("x-partner-id") != self.partner_id:
            raise _Refused(401, "unknown_partner", "unknown partner")
        timestamp, nonce = headers.get("x-timestamp", ""), headers.get("x-nonce", "")
        if not timestamp.isdigit() or not nonce:
            raise _Refused(400, "bad_request", "X-Timestamp and X-Nonce are required")
        # Written apart from the client on purpose: a shared helper would hide a signing bug from both.
        canonical = f"POST\n{path}\n{timestamp}\n{nonce}\n{hashlib.sha256(raw).hexdigest()}"
        expected = hmac.new(self.secret, canonical.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-signature", "")):
            raise _Refused(401, "bad_signature", "the signature does not match")
        now = self._clock()
        if abs(now - int(timestamp)) > WINDOW_S:
            raise _Refused(401, "stale_timestamp", "the timestamp is outside ±300 s")
        with self._lock:
            # A nonce must outlive every timestamp that would still be accepted with it.
            self._nonces = {n: t for n, t in self._nonces.items() if now - t <= 2 * WINDOW_S}
            if nonce in self._nonces:
                raise _Refused(401, "nonce_reused", "the nonce was used already")
            self._nonces[nonce] = now
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("supplier_id"), str):
            raise _Refused(400, "bad_request", "the body must be a JSON object with supplier_id")
        return body

    def _reply(self, path: str, body: Mapping[str, object], fault: Fault | None) -> _Reply:
        if fault is Fault.ERROR_500:
            return _Reply(500, "internal_error", message="simulated failure")
        supplier_id = str(body["supplier_id"])
        with self._lock:
            if path == CARD_QUERY:
                data = self._query_card(supplier_id, _field(body, "card_key"), fault is Fault.CONTRADICT)
            elif path == CARD_VOID:
                data = self._void_card(supplier_id, _field(body, "card_key"))
            elif path == TOPUP_QUERY:
                data = self._query_topup(supplier_id, _field(body, "reference"))
            else:
                raise _Refused(404, "not_found", f"no such endpoint: {path}")
        delay = self.stall_s if fault is Fault.TIMEOUT else self.slow_s if fault is Fault.SLOW else 0.0
        return _Reply(200, 0, data, delay_s=delay, wrong_key=fault is Fault.BAD_SIGNATURE)

    def _query_card(self, supplier_id: str, card_key: str, contradict: bool) -> dict[str, object]:
        card = self._cards.get((supplier_id, card_key), _Card(CardState.INVALID))
        if contradict:
            flips = self._flips.get((supplier_id, card_key), 0)
            self._flips[(supplier_id, card_key)] = flips + 1
            at = datetime.fromtimestamp(self._clock(), UTC)
            card = _Card(CardState.UNUSED) if flips % 2 == 0 else _Card(CardState.REDEEMED, at, "1**********8")
        return _card_data(card)

    def _void_card(self, supplier_id: str, card_key: str) -> dict[str, object]:
        card = self._cards.get((supplier_id, card_key))
        if card is None:
            return _card_data(_Card(CardState.INVALID))
        if card.state is CardState.UNUSED:
            card.state = CardState.VOIDED
        return _card_data(card)

    def _query_topup(self, supplier_id: str, reference: str) -> dict[str, object]:
        topup = self._topups.get((supplier_id, reference))
        if topup is None:
            raise _Refused(404, "topup_not_found", "no top-up under this reference")
        return {"state": topup.state.value, "carrier_ref": topup.carrier_ref, "at": _iso(topup.at)}

    def _signed(self, reply: _Reply, nonce: str) -> tuple[int, dict[str, str], bytes]:
        raw = json.dumps(reply.payload, ensure_ascii=False).encode()
        timestamp = str(int(self._clock()))
        canonical = f"{reply.status}\n{timestamp}\n{nonce}\n{hashlib.sha256(raw).hexdigest()}"
        key = self.secret + b"-wrong" if reply.wrong_key else self.secret
        signature = hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Timestamp": timestamp,
            "X-Nonce": nonce,
            "X-Signature": signature,
        }
        return reply.status, headers, raw


def _field(body: Mapping[str, object], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise _Refused(400, "bad_request", f"{name} is required")
    return value


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(_BEIJING).isoformat() if at else None


def _card_data(card: _Card) -> dict[str, object]:
    return {"state": card.state.value, "redeemed_at": _iso(card.redeemed_at), "redeemed_by": card.redeemed_by}
