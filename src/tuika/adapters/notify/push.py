"""App pushes through JPush (极光推送), over its REST API v3 with httpx.

Not through the ``jpush`` SDK: its hosts are module constants, so pointing it at the sandbox
would mean patching the module (decision 0007). One ``Outgoing`` is one notification to one
registration id, on Android and iOS, with the case link and the message id in its ``extras``.

JPush answers ``{"sendno": "…", "msg_id": "…"}`` or ``{"error": {"code": …, "message": …}}``;
what each code means for a retry is the table below.

A retry is made safe by JPush's ``cid``: a push sent again with the cid of a push JPush already
took is answered with that first push's result and not sent again. A cid comes from JPush's own
pool (``GET /v3/push/cid``, valid a day), so it cannot be derived from the message id; this client
keeps the cid it gave each message id in memory. A retry in the same process, after a timeout
that hid a push JPush did take, therefore sends nothing twice. A retry in another process, or
after a crash between the send and the caller's record of it, gets a new cid: that message may
reach the device twice, once more at most for each such crash.

>>> notifier = JPushNotifier("0123456789abcdef01234567", "master-secret", base_url="http://127.0.0.1:8766")
>>> notifier.send(Outgoing("msg_1", "1a0018970a8f3bd2f2b", "退款已受理", "您的退款申请已受理"))  # doctest: +SKIP
'18100000001'
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import httpx

from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed, one_by_one

PUSH_PATH: Final = "/v3/push"
CID_PATH: Final = "/v3/push/cid"

# JPush's push API codes, by what they mean for the next attempt; any other 4xx is a refusal.
_ADDRESS_GONE: Final = frozenset({1011})  # no such registration id, or inactive for 255 days
_THROTTLED: Final = frozenset({2002, 2005, 2008})  # call rate, daily volume, broadcast rate
_UNAVAILABLE: Final = frozenset({1000, 1030})  # JPush's internal error, its internal timeout

# A cid is valid for a day from when JPush issued it; one kept longer risks being refused.
CID_LIFETIME_S: Final = 20 * 3600.0
# A JPush app that is not VIP gets at most 10 cids a call.
CID_BATCH: Final = 10
# Message ids whose cid is kept, newest last; a retry comes within hours, long before eviction.
CIDS_KEPT: Final = 10_000


def sendno(message_id: str) -> int:
    """Return the ``sendno`` for a message: a stable 31-bit number JPush echoes, kept as a trace."""
    # A trace only: JPush does not deduplicate on it; the cid does that.
    return int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:4], "big") & 0x7FFF_FFFF


class JPushNotifier:
    """Send app pushes to registration ids through JPush's push API v3.

    ``base_url`` is JPush's host (``https://bjapi.push.jiguang.cn`` for an app in the Beijing
    region, a sandbox's URL in tests); ``timeout_s`` bounds each request, connection included.
    """

    def __init__(
        self,
        app_key: str,
        master_secret: str,
        *,
        base_url: str = "https://api.jpush.cn",
        timeout_s: float = 5.0,
        time_to_live_s: int = 86_400,
        apns_production: bool = True,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._time_to_live_s = time_to_live_s
        self._apns_production = apns_production
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pool: deque[tuple[str, float]] = deque()  # unused cids and when they were fetched
        self._cids: OrderedDict[str, tuple[str, float]] = OrderedDict()  # message id -> cid
        self._client = httpx.Client(
            base_url=base_url,
            auth=httpx.BasicAuth(app_key, master_secret),
            timeout=timeout_s,
            transport=transport,
            headers={"Accept": "application/json"},
        )

    @property
    def channel(self) -> SendChannel:
        return SendChannel.PUSH

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    def send_all(self, messages: Sequence[Outgoing]) -> list[str | SendFailed]:
        """Send a pass's messages, one request each."""
        return one_by_one(self.send, messages)

    def send(self, message: Outgoing) -> str:
        """Push one notification to ``message.address``, registration ids joined by commas; return JPush's msg_id."""
        body = self.payload(message, self._cid_for(message.message_id))
        answer = self._exchange("POST", PUSH_PATH, body)
        msg_id = answer.get("msg_id")
        if isinstance(msg_id, int | str) and not isinstance(msg_id, bool) and str(msg_id):
            return str(msg_id)
        # JPush says a 200 is always a success, but without its id there is nothing to record.
        raise SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "a 200 without a msg_id")

    def payload(self, message: Outgoing, cid: str | None = None) -> dict[str, object]:
        """Return the push API body for one message."""
        extras: dict[str, str] = {"message_id": message.message_id}
        if message.link is not None:
            extras["link"] = message.link
        payload: dict[str, object] = {
            "platform": "all",
            # A buyer's every device: JPush pushes to those it knows and says 1011 only if none.
            "audience": {"registration_id": message.address.split(",")},
            "notification": {
                "alert": message.body,
                "android": {"alert": message.body, "title": message.title, "extras": extras},
                "ios": {
                    "alert": {"title": message.title, "body": message.body},
                    "sound": "default",
                    "extras": extras,
                },
            },
            "options": {
                "sendno": sendno(message.message_id),
                "time_to_live": self._time_to_live_s,
                "apns_production": self._apns_production,
            },
        }
        if cid is not None:
            payload["cid"] = cid
        return payload

    def _cid_for(self, message_id: str) -> str:
        now = self._monotonic()
        with self._lock:
            kept = self._cids.get(message_id)
            if kept is not None and now - kept[1] < CID_LIFETIME_S:
                self._cids.move_to_end(message_id)
                return kept[0]
            while self._pool and now - self._pool[0][1] >= CID_LIFETIME_S:
                self._pool.popleft()
        if not self._pool:
            # Outside the lock: a slow JPush must not hold up a send that still has a cid.
            fetched = self._fetch_cids()
            with self._lock:
                self._pool.extend((cid, now) for cid in fetched)
        with self._lock:
            if not self._pool:
                raise SendFailed(FailureKind.UNAVAILABLE, "no_cid", "JPush gave no cid")
            cid, fetched_at = self._pool.popleft()
            self._cids[message_id] = (cid, fetched_at)
            while len(self._cids) > CIDS_KEPT:
                self._cids.popitem(last=False)
            return cid

    def _fetch_cids(self) -> list[str]:
        answer = self._exchange("GET", CID_PATH, None, params={"count": CID_BATCH, "type": "push"})
        cids = answer.get("cidlist")
        if not isinstance(cids, list):
            raise SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "a cid answer without a cidlist")
        return [cid for cid in cids if isinstance(cid, str) and cid]

    def _exchange(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None,
        params: Mapping[str, str | int] | None = None,
    ) -> dict[str, object]:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if content is not None else {}
        try:
            response = self._client.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            # JPush may have taken the push before the time ran out; the retry's cid covers that.
            raise SendFailed(FailureKind.UNAVAILABLE, "timeout", f"{method} {path} timed out") from None
        except httpx.TransportError as error:
            raise SendFailed(FailureKind.UNAVAILABLE, "transport", type(error).__name__) from None
        answer = _json_object(response.content)
        if response.status_code == 200:
            return answer
        raise _failure(response.status_code, answer, response.headers)


def _failure(status: int, answer: Mapping[str, object], headers: httpx.Headers) -> SendFailed:
    error = answer.get("error")
    code: int | None = None
    text = ""
    if isinstance(error, dict):
        raw_code, raw_text = error.get("code"), error.get("message")
        code = raw_code if isinstance(raw_code, int) and not isinstance(raw_code, bool) else None
        text = raw_text if isinstance(raw_text, str) else ""
    shown = str(code) if code is not None else f"http_{status}"
    if status == 429 or code in _THROTTLED:
        reset = headers.get("X-Rate-Limit-Reset")
        wait = f"; the quota resets in {reset} s" if reset and reset.isdigit() else ""
        return SendFailed(FailureKind.THROTTLED, shown, text + wait)
    if status >= 500 or code in _UNAVAILABLE:
        return SendFailed(FailureKind.UNAVAILABLE, shown, text or f"JPush answered {status}")
    if code in _ADDRESS_GONE:
        return SendFailed(FailureKind.ADDRESS_GONE, shown, text)
    # Authentication (1004, 401), a bad app key (1008), a body JPush will never take (1002,
    # 1003, 1005), an app barred (2003, 2004): the same push would be refused again.
    return SendFailed(FailureKind.REFUSED, shown, text or f"JPush answered {status}")


def _json_object(raw: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
