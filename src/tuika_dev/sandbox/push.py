"""A local JPush: the push API v3, its batch single push and its cid pool over HTTP, known devices and faults on demand.

It checks HTTP Basic auth (app key and master secret) exactly, checks the body's shape as JPush
does (platform, audience, notification, options, the cid), answers JPush's error codes, and
records each push it takes. A push sent again with a cid that was already used for a push it
took is answered with that first result and not recorded twice, as JPush documents.

The batch single push (``POST /v3/push/batch/regid/single``, JPush's for VIP apps) takes
``{"pushlist": {"<cid>": {"platform", "target", "notification", "options"}, …}}``, up to 1000
entries, and answers each cid with ``{"msg_id": …}`` or ``{"error": {"code", "message"}}``: an
entry is checked, deduplicated by its cid and recorded as a single push to its one target is,
an unknown target is that entry's 1011. The faults apply to a batch request as a whole. An app
made with ``vip=False`` is answered 2006 there, and gets at most 10 cids a call.

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
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from tuika_dev.sandbox.serving import LocalServer, Served

PUSH_PATH: Final = "/v3/push"
BATCH_PATH: Final = "/v3/push/batch/regid/single"
CID_PATH: Final = "/v3/push/cid"

PLATFORMS: Final = frozenset({"android", "ios", "quickapp", "hmos"})
AUDIENCE_KEYS: Final = frozenset({"tag", "tag_and", "tag_not", "alias", "registration_id", "segment", "abtest"})
MAX_IDS: Final = 1000  # registration ids in one push
MAX_ENTRIES: Final = 1000  # cids in one batch request
ENTRY_KEYS: Final = frozenset({"platform", "target", "notification", "message", "sms_message", "options"})
# The whole notification object, extras included, as JPush bounds it (APNs allows 4 KB too).
MAX_NOTIFICATION_BYTES: Final = 4000
MAX_TIME_TO_LIVE_S: Final = 10 * 86_400
CID_LIFETIME_S: Final = 86_400.0
MAX_CIDS: Final = 10  # a call, for an app that is not VIP
MAX_CIDS_VIP: Final = 1000  # a call, for a VIP app
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
    """One request as the sandbox saw it, with the status and JPush code it answered.

    ``entries`` is how many pushes a batch request held; a single push or a cid call holds none.
    """

    method: str
    path: str
    status: int
    code: int
    fault: Fault | None = None
    entries: int = 0


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
        vip: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_key = app_key
        self.master_secret = master_secret
        self.slow_s = slow_s
        self.vip = vip
        self.mode: Fault | None = None  # a standing fault, used when no queued one is left
        self._clock = clock
        self._lock = threading.Lock()
        self._devices: dict[str, bool] = {}  # registration id -> still valid
        self._faults: deque[Fault] = deque()
        self._issued: dict[str, float] = {}  # cid -> when it was issued
        self._taken: dict[str, tuple[str, str]] = {}  # cid -> (sendno, msg_id) of its push
        self._pushes: list[Push] = []
        self._repeats = 0  # pushes answered from their cid's first result, nothing sent
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
    def repeats(self) -> int:
        """Return how many pushes, single or batch entries, were answered as their cid's first push, not sent."""
        with self._lock:
            return self._repeats

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
        status, entries = 200, 0
        payload: dict[str, object] = {}
        try:
            if fault is Fault.DOWN:
                raise _Refused(503, 1000, "Service Unavailable")
            self._authenticate(headers)
            if fault is Fault.THROTTLE:
                remaining = 0
                raise _Refused(429, 2002, "Request times of API exceed the limit")
            payload, entries = self._route(method, url.path, url.query, raw, now)
        except _Refused as refused:
            status = refused.status
            payload = {**refused.extra, "error": {"code": refused.code, "message": str(refused)}}
        error = payload.get("error")
        code = int(error["code"]) if isinstance(error, dict) else 0
        with self._lock:
            self._requests.append(ReceivedRequest(method, url.path, status, code, fault, entries))
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

    def _route(self, method: str, path: str, query: str, raw: bytes, now: float) -> tuple[dict[str, object], int]:
        """Answer one request; return the answer and how many batch entries it held."""
        if path == CID_PATH:
            if method != "GET":
                raise _Refused(405, 1001, "Only GET is supported")
            return self._issue_cids(query, now), 0
        if path == PUSH_PATH:
            if method != "POST":
                raise _Refused(405, 1001, "Only POST is supported")
            return self._push(raw, now), 0
        if path == BATCH_PATH:
            if method != "POST":
                raise _Refused(405, 1001, "Only POST is supported")
            if not self.vip:
                raise _Refused(403, 2006, "This API is only available to VIP apps")
            return self._batch(raw, now)
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
            most = MAX_CIDS_VIP if self.vip else MAX_CIDS
            cids = [f"{self.app_key}-{uuid.uuid4()}" for _ in range(min(int(count_text), most))]
            self._issued.update(dict.fromkeys(cids, now))
        return {"cidlist": cids}

    def _push(self, raw: bytes, now: float) -> dict[str, object]:
        body = _json_body(raw)
        _check_platform(body.get("platform"))
        audience = _audience(body.get("audience"))
        content = _content(body)
        cid = body.get("cid")
        if cid is not None and not self._cid_valid(cid, now):
            raise _Refused(400, 1003, "cid is invalid or expired")
        answer = self._take(cid, audience, content, now)
        if "error" in answer:
            failure = _Refused(400, 1011, answer["error"]["message"])
            failure.extra = {"msg_id": answer["msg_id"]}
            raise failure
        return answer

    def _batch(self, raw: bytes, now: float) -> tuple[dict[str, object], int]:
        pushlist = _json_body(raw).get("pushlist")
        if pushlist is None:
            raise _Refused(400, 1002, "Missing parameter: pushlist")
        if not isinstance(pushlist, dict) or not pushlist:
            raise _Refused(400, 1003, "pushlist must be a non-empty JSON object")
        if len(pushlist) > MAX_ENTRIES:
            raise _Refused(400, 1003, f"pushlist holds at most {MAX_ENTRIES} cids")
        answer: dict[str, object] = {}
        for cid, entry in pushlist.items():
            try:
                answer[cid] = self._entry(cid, entry, now)
            except _Refused as refused:
                answer[cid] = {"error": {"code": refused.code, "message": str(refused)}}
        return answer, len(pushlist)

    def _entry(self, cid: str, entry: object, now: float) -> dict[str, object]:
        if not isinstance(entry, dict):
            raise _Refused(400, 1003, "an entry must be a JSON object")
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            raise _Refused(400, 1009, f"unsupported key: {', '.join(unknown)}")
        _check_platform(entry.get("platform"))
        target = entry.get("target")
        if target is None:
            raise _Refused(400, 1002, "Missing parameter: target")
        if not isinstance(target, str) or not target:
            raise _Refused(400, 1003, "target must be a registration id")
        content = _content(entry)
        if not self._cid_valid(cid, now):
            raise _Refused(400, 1003, "cid is invalid or expired")
        answer = self._take(cid, [target], content, now)
        # JPush's batch answers a msg_id as a number, and no sendno.
        answer.pop("sendno", None)
        return {**answer, "msg_id": int(answer["msg_id"])}

    def _cid_valid(self, cid: object, now: float) -> bool:
        with self._lock:
            return isinstance(cid, str) and now - self._issued.get(cid, -CID_LIFETIME_S) < CID_LIFETIME_S

    def _take(self, cid: object, audience: list[str], content: _Content, now: float) -> dict[str, Any]:
        """Push ``content`` to the known devices of ``audience``, or answer the first push of ``cid``."""
        with self._lock:
            if isinstance(cid, str) and cid in self._taken:
                self._repeats += 1
                first_sendno, first_msg_id = self._taken[cid]
                return {"sendno": first_sendno, "msg_id": first_msg_id}
            msg_id = str(self._next_msg)
            self._next_msg += 1
            targets = [reg_id for reg_id in audience if self._devices.get(reg_id, False)]
            if not targets:
                message = "cannot find user by this audience or has been inactive for more than 255 days"
                return {"msg_id": msg_id, "error": {"code": 1011, "message": message}}
            at = datetime.fromtimestamp(now, UTC)
            self._pushes.extend(
                Push(reg_id, content.title, content.alert, content.extras, msg_id, content.sendno, at)
                for reg_id in targets
            )
            if isinstance(cid, str):
                self._taken[cid] = (str(content.sendno), msg_id)
        return {"sendno": str(content.sendno), "msg_id": msg_id}


@dataclass(frozen=True, slots=True)
class _Content:
    title: str | None
    alert: str
    extras: Mapping[str, object]
    sendno: int


def _json_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise _Refused(400, 1002, "Missing parameter")
    return body


def _content(body: Mapping[str, object]) -> _Content:
    """Return what a push or a batch entry shows and carries, checked as JPush checks it."""
    title, alert, extras = _notification(body)
    options = body.get("options", {})
    if not isinstance(options, dict):
        raise _Refused(400, 1003, "options must be a JSON object")
    number = _sendno(options)
    _check_options(options)
    return _Content(title, alert, extras, number)


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
