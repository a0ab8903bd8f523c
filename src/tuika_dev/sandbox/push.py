"""A local JPush: the push API v3 and its cid pool over HTTP, known devices and faults on demand.

It checks HTTP Basic auth (app key and master secret) exactly, checks the body's shape as JPush
does (platform, audience, notification, options, the cid), answers JPush's error codes, and
records each push it takes. A push sent again with a cid that was already used for a push it
took is answered with that first result and not recorded twice, as JPush documents.

>>> with SandboxPush() as jpush:
...     jpush.register("1a0018970a8f3bd2f2b")
...     jpush.fail_next(Fault.THROTTLE, count=2)
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qs, urlsplit

from tuika_dev.sandbox.serving import LocalServer, Served

PUSH_PATH: Final = "/v3/push"
CID_PATH: Final = "/v3/push/cid"

PLATFORMS: Final = frozenset({"android", "ios", "quickapp", "hmos"})
AUDIENCE_KEYS: Final = frozenset({"tag", "tag_and", "tag_not", "alias", "registration_id", "segment", "abtest"})
MAX_IDS: Final = 1000  # registration ids in one push
# The whole notification object, extras included, as JPush bounds it (APNs allows 4 KB too).
MAX_NOTIFICATION_BYTES: Final = 4000
MAX_TIME_TO_LIVE_S: Final = 10 * 86_400
CID_LIFETIME_S: Final = 86_400.0
MAX_CIDS: Final = 10  # a call, for an app that is not VIP
RATE_QUOTA: Final = 600  # calls a minute, as the X-Rate-Limit-* headers report them
RATE_WINDOW_S: Final = 60


class Fault(StrEnum):
    DOWN = "down"  # answer 503 before reading anything
    THROTTLE = "throttle"  # answer 429, code 2002, the quota spent
    SLOW = "slow"  # take the push, then answer after ``slow_s``


@dataclass(frozen=True, slots=True)
class Push:
    """One notification the sandbox took, for one registration id."""

    registration_id: str
    title: str | None
    alert: str
    extras: Mapping[str, object]
    msg_id: str
    sendno: int
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as the sandbox saw it, with the status and JPush code it answered."""

    method: str
    path: str
    status: int
    code: int
    fault: Fault | None = None


class _Refused(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.extra: dict[str, object] = {}


class SandboxPush(Served):
    """Serve JPush's push API on 127.0.0.1 from a background thread."""

    def __init__(
        self,
        app_key: str = "a1b2c3d4e5f60718293a4b5c",
        master_secret: str = "sandbox-master-secret",
        *,
        slow_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_key = app_key
        self.master_secret = master_secret
        self.slow_s = slow_s
        self.mode: Fault | None = None  # a standing fault, used when no queued one is left
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, bool] = {}  # registration id -> still valid
        self._faults: deque[Fault] = deque()
        self._issued: dict[str, float] = {}  # cid -> when it was issued
        self._taken: dict[str, tuple[str, str]] = {}  # cid -> (sendno, msg_id) of its push
        self._pushes: list[Push] = []
        self._requests: list[ReceivedRequest] = []
        self._calls: dict[int, int] = {}  # rate window -> calls in it
        self._next_msg = 18_100_000_000
        self._stopping = threading.Event()
        self._http = LocalServer(
            lambda method, target, headers, raw: self.handle(method, target, headers, raw),
            "the sandbox JPush",
            thread_name="sandbox-jpush",
        )

    # --- control, for tests and the demo ---

    def register(self, registration_id: str) -> None:
        """Know a device, as the JPush SDK in the app registers it."""
        with self._lock:
            self._devices[registration_id] = True

    def reject(self, registration_id: str) -> None:
        """Make a known device unreachable, as an app uninstalled or idle for 255 days is."""
        with self._lock:
            self._devices[registration_id] = False

    def fail_next(self, fault: Fault | str, count: int = 1) -> None:
        """Apply a fault to the next ``count`` requests."""
        with self._lock:
            self._faults.extend([Fault(fault)] * count)

    def throttle(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with 429, as JPush does past an app's quota."""
        self.fail_next(Fault.THROTTLE, count)

    @property
    def pushes(self) -> list[Push]:
        """Return a copy of every push taken so far, oldest first."""
        with self._lock:
            return list(self._pushes)

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Return a copy of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    # --- the protocol ---

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """Answer one request given lower-cased headers; return the status, headers and body."""
        url = urlsplit(target)
        with self._lock:
            fault = self._faults.popleft() if self._faults else self.mode
            now = self._clock()
            window = int(now // RATE_WINDOW_S)
            self._calls = {window: self._calls.get(window, 0) + 1}
            remaining = max(RATE_QUOTA - self._calls[window], 0)
        reset = str(RATE_WINDOW_S - int(now % RATE_WINDOW_S))
        status, payload = 200, {}
        try:
            if fault is Fault.DOWN:
                raise _Refused(503, 1000, "Service Unavailable")
            self._authenticate(headers)
            if fault is Fault.THROTTLE:
                remaining = 0
                raise _Refused(429, 2002, "Request times of API exceed the limit")
            payload = self._route(method, url.path, url.query, raw, now)
        except _Refused as refused:
            status = refused.status
            payload = {**refused.extra, "error": {"code": refused.code, "message": str(refused)}}
        error = payload.get("error")
        code = int(error["code"]) if isinstance(error, dict) else 0
        with self._lock:
            self._requests.append(ReceivedRequest(method, url.path, status, code, fault))
        if fault is Fault.SLOW:
            self._stopping.wait(self.slow_s)
        answer_headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Rate-Limit-Limit": str(RATE_QUOTA),
            "X-Rate-Limit-Remaining": str(remaining),
            "X-Rate-Limit-Reset": reset,
        }
        return status, answer_headers, json.dumps(payload, ensure_ascii=False).encode()

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        key, sep, secret = decoded.partition(":")
        if scheme.lower() != "basic" or not sep:
            raise _Refused(401, 1004, "Basic authentication failed")
        if len(key) != 24 or any(c not in "0123456789abcdef" for c in key):
            raise _Refused(401, 1008, "Invalid app_key")
        key_ok = hmac.compare_digest(key.encode(), self.app_key.encode())
        secret_ok = hmac.compare_digest(secret.encode(), self.master_secret.encode())
        if not (key_ok and secret_ok):
            raise _Refused(401, 1004, "Basic authentication failed")

    def _route(self, method: str, path: str, query: str, raw: bytes, now: float) -> dict[str, object]:
        if path == CID_PATH:
            if method != "GET":
                raise _Refused(405, 1001, "Only GET is supported")
            return self._issue_cids(query, now)
        if path == PUSH_PATH:
            if method != "POST":
                raise _Refused(405, 1001, "Only POST is supported")
            return self._push(raw, now)
        raise _Refused(404, 1001, f"no such resource: {path}")

    def _issue_cids(self, query: str, now: float) -> dict[str, object]:
        params = parse_qs(query)
        count_text = params.get("count", ["1"])[0]
        if not count_text.isdigit() or int(count_text) < 1:
            raise _Refused(400, 1003, "count must be a positive integer")
        if params.get("type", ["push"])[0] != "push":
            raise _Refused(400, 1003, "this sandbox issues push cids only")
        with self._lock:
            self._issued = {c: t for c, t in self._issued.items() if now - t < CID_LIFETIME_S}
            cids = [f"{self.app_key}-{uuid.uuid4()}" for _ in range(min(int(count_text), MAX_CIDS))]
            self._issued.update(dict.fromkeys(cids, now))
        return {"cidlist": cids}

    def _push(self, raw: bytes, now: float) -> dict[str, object]:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _Refused(400, 1002, "Missing parameter")
        _check_platform(body.get("platform"))
        audience = _audience(body.get("audience"))
        title, alert, extras = _notification(body)
        options = body.get("options", {})
        if not isinstance(options, dict):
            raise _Refused(400, 1003, "options must be a JSON object")
        number = _sendno(options)
        _check_options(options)
        cid = body.get("cid")
        with self._lock:
            if cid is not None:
                if not isinstance(cid, str) or now - self._issued.get(cid, -CID_LIFETIME_S) >= CID_LIFETIME_S:
                    raise _Refused(400, 1003, "cid is invalid or expired")
                if cid in self._taken:
                    first_sendno, first_msg_id = self._taken[cid]
                    return {"sendno": first_sendno, "msg_id": first_msg_id}
            msg_id = str(self._next_msg)
            self._next_msg += 1
            targets = [reg_id for reg_id in audience if self._devices.get(reg_id, False)]
            if not targets:
                failure = _Refused(
                    400, 1011, "cannot find user by this audience or has been inactive for more than 255 days"
                )
                failure.extra = {"msg_id": msg_id}
                raise failure
            at = datetime.fromtimestamp(now, UTC)
            self._pushes.extend(Push(reg_id, title, alert, extras, msg_id, number, at) for reg_id in targets)
            if cid is not None:
                self._taken[cid] = (str(number), msg_id)
        return {"sendno": str(number), "msg_id": msg_id}


def _check_platform(platform: object) -> None:
    if platform == "all":
        return
    if not isinstance(platform, list) or not platform:
        raise _Refused(400, 1003, 'platform must be "all" or a JSON array')
    if any(name not in PLATFORMS for name in platform):
        raise _Refused(400, 1003, f"Invalid platform: {platform}")


def _audience(audience: object) -> list[str]:
    if audience is None:
        raise _Refused(400, 1002, "Missing parameter: audience")
    if audience == "all":
        raise _Refused(400, 1003, "this sandbox pushes to registration ids only")
    if not isinstance(audience, dict) or not audience or any(key not in AUDIENCE_KEYS for key in audience):
        raise _Refused(400, 1003, "Invalid audience")
    ids = audience.get("registration_id")
    if not isinstance(ids, list):
        raise _Refused(400, 1003, "Audience value must be JSON Array format!")
    if not ids or len(ids) > MAX_IDS or any(not isinstance(reg_id, str) or not reg_id for reg_id in ids):
        raise _Refused(400, 1003, "Invalid registration_id")
    return list(ids)


def _notification(body: Mapping[str, object]) -> tuple[str | None, str, dict[str, object]]:
    notification = body.get("notification")
    if notification is None:
        if body.get("message") is None:
            raise _Refused(400, 1002, "Missing parameter: notification or message")
        raise _Refused(400, 1003, "this sandbox takes notifications only")
    if not isinstance(notification, dict):
        raise _Refused(400, 1003, "notification must be a JSON object")
    if len(json.dumps(notification, ensure_ascii=False).encode()) > MAX_NOTIFICATION_BYTES:
        raise _Refused(400, 1005, "Message length exceeds the limit")
    android = notification.get("android", {})
    ios = notification.get("ios", {})
    if not isinstance(android, dict) or not isinstance(ios, dict):
        raise _Refused(400, 1003, "a platform's notification must be a JSON object")
    ios_alert = ios.get("alert")
    alert = android.get("alert", notification.get("alert"))
    if alert is None and isinstance(ios_alert, dict):
        alert = ios_alert.get("body")
    if not isinstance(alert, str) or not alert:
        raise _Refused(400, 1003, "alert must be a non-empty string")
    title = android.get("title")
    if title is None and isinstance(ios_alert, dict):
        title = ios_alert.get("title")
    if title is not None and not isinstance(title, str):
        raise _Refused(400, 1003, "title must be a string")
    extras = android.get("extras", ios.get("extras", {}))
    if not isinstance(extras, dict):
        raise _Refused(400, 1003, "extras must be a JSON object")
    return title, alert, extras


def _sendno(options: Mapping[str, object]) -> int:
    number = options.get("sendno", 0)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 0x7FFF_FFFF:
        raise _Refused(400, 1003, "sendno must be an int")
    return number


def _check_options(options: Mapping[str, object]) -> None:
    ttl = options.get("time_to_live", 86_400)
    if not isinstance(ttl, int) or isinstance(ttl, bool) or not 0 <= ttl <= MAX_TIME_TO_LIVE_S:
        raise _Refused(400, 1003, "time_to_live must be an int from 0 to 864000")
    if not isinstance(options.get("apns_production", False), bool):
        raise _Refused(400, 1003, "apns_production must be a boolean")
