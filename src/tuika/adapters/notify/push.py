"""App pushes through JPush (极光推送), over its REST API v3 with httpx.

Not through the ``jpush`` SDK: its hosts are module constants, so pointing it at the sandbox
would mean patching the module (decision 0007). One ``Outgoing`` is one notification to every
device of its buyer, on Android and iOS, with the case link and the message id in its ``extras``.

A pass's messages go out in as few requests as JPush allows:

=============================  ===========================================================
a message to                   goes in
=============================  ===========================================================
one registration id            a batch single push (``POST /v3/push/batch/regid/single``),
                               up to ``batch`` entries a request, each keyed by its cid
several registration ids       its own push (``POST /v3/push``) to the list: JPush pushes
                               to those it knows and says 1011 only if it knows none
=============================  ===========================================================

The batch endpoint is JPush's, for VIP apps only; a host that does not have it (404) or an
app not allowed it (2006, 2007) gets each message pushed on its own instead, the batch tried
again an hour later. A batch of one is a single push too.

JPush answers a push ``{"sendno": "…", "msg_id": "…"}`` or ``{"error": {"code": …, "message": …}}``,
and a batch ``{"<cid>": {"msg_id": …} or {"error": {…}}, …}``: each entry's outcome is its
message's. An error wins over a msg_id given with it (JPush sends both for a 1011). What each code
means for a retry is the table below; a whole batch refused, timed out or failed is every entry's
outcome.

A retry is made safe by JPush's ``cid``: a push sent again with the cid of a push JPush already
took, on its own or as a batch entry, is answered with that first push's result and not sent
again. A cid comes from JPush's own pool (``GET /v3/push/cid``, valid a day), so it cannot be
derived from the message id; this client keeps the cid it gave each message id in memory, and a
message keeps its cid whether it goes alone or in a batch. A retry in the same process, after a
timeout that hid a push JPush did take, therefore sends nothing twice. A retry in another
process, or after a crash between the send and the caller's record of it, gets a new cid: that
message may reach the device twice, once more at most for each such crash.

>>> notifier = JPushNotifier("0123456789abcdef01234567", "master-secret", base_url="http://127.0.0.1:8766")
>>> notifier.send(Outgoing("msg_1", "1a0018970a8f3bd2f2b", "退款已受理", "您的退款申请已受理"))  # doctest: +SKIP
'18100000001'
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from typing import Final

import httpx

from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed, one_by_one

PUSH_PATH: Final = "/v3/push"
BATCH_PATH: Final = "/v3/push/batch/regid/single"
CID_PATH: Final = "/v3/push/cid"

# JPush's push API codes, by what they mean for the next attempt; any other 4xx is a refusal.
_ADDRESS_GONE: Final = frozenset({1011})  # no such registration id, or inactive for 255 days
_THROTTLED: Final = frozenset({2002, 2005, 2008})  # call rate, daily volume, broadcast rate
_UNAVAILABLE: Final = frozenset({1000, 1030})  # JPush's internal error, its internal timeout
# The batch endpoint refused to this app: it is not VIP (2006), or not granted the endpoint (2007).
_NO_BATCH: Final = frozenset({2006, 2007})

# A cid is valid for a day from when JPush issued it; one kept longer risks being refused.
CID_LIFETIME_S: Final = 20 * 3600.0
# A JPush app that is not VIP gets at most 10 cids a call (it is given 10 if it asks for more).
CID_BATCH: Final = 10
# A VIP app, the only kind the batch endpoint serves, gets up to 1000 a call.
CIDS_A_CALL: Final = 1000
# Message ids whose cid is kept, newest last; a retry comes within hours, long before eviction.
CIDS_KEPT: Final = 10_000
# Entries JPush takes in one batch request.
MAX_BATCH: Final = 1000
# After the batch endpoint was refused, how long messages are pushed one by one before it is tried again.
BATCH_RETRY_S: Final = 3600.0

log = logging.getLogger(__name__)


def sendno(message_id: str) -> int:
    """Return the ``sendno`` for a message: a stable 31-bit number JPush echoes, kept as a trace."""
    # A trace only: JPush does not deduplicate on it; the cid does that.
    return int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:4], "big") & 0x7FFF_FFFF


class JPushNotifier:
    """Send app pushes to registration ids through JPush's push API v3.

    ``base_url`` is JPush's host (``https://bjapi.push.jiguang.cn`` for an app in the Beijing
    region, a sandbox's URL in tests); ``timeout_s`` bounds each request, connection included;
    ``batch`` is how many single-device messages go in one batch request (1 to 1000; 1 pushes
    each on its own).
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
        batch: int = 100,
        transport: httpx.BaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"batch must be from 1 to {MAX_BATCH}, not {batch}")
        self._time_to_live_s = time_to_live_s
        self._apns_production = apns_production
        self._batch = batch
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pool: deque[tuple[str, float]] = deque()  # unused cids and when they were fetched
        self._cids: OrderedDict[str, tuple[str, float]] = OrderedDict()  # message id -> cid
        self._batch_refused_at: float | None = None  # when the batch endpoint was last refused
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
        """Send a pass's messages: those to one device in batches, the others one push each."""
        outcomes: dict[int, str | SendFailed] = {}
        alone = [i for i, m in enumerate(messages) if "," not in m.address]
        for start in range(0, len(alone), self._batch):
            places = alone[start : start + self._batch]
            outcomes.update(zip(places, self._send_batch([messages[i] for i in places]), strict=True))
        several = [i for i in range(len(messages)) if i not in outcomes]
        outcomes.update(zip(several, one_by_one(self.send, [messages[i] for i in several]), strict=True))
        return [outcomes[i] for i in range(len(messages))]

    def send(self, message: Outgoing) -> str:
        """Push one notification to ``message.address``, registration ids joined by commas; return JPush's msg_id."""
        body = self.payload(message, self._cid_for(message.message_id))
        msg_id = _msg_id(self._exchange("POST", PUSH_PATH, body))
        if msg_id is None:
            # JPush says a 200 is always a success, but without its id there is nothing to record.
            raise SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "a 200 without a msg_id")
        return msg_id

    def payload(self, message: Outgoing, cid: str | None = None) -> dict[str, object]:
        """Return the push API body for one message."""
        # A buyer's every device: JPush pushes to those it knows and says 1011 only if none.
        payload = {**self._content(message), "audience": {"registration_id": message.address.split(",")}}
        if cid is not None:
            payload["cid"] = cid
        return payload

    def entry(self, message: Outgoing) -> dict[str, object]:
        """Return a batch single push entry for a message to one registration id (its key is the cid)."""
        return {**self._content(message), "target": message.address}

    def _content(self, message: Outgoing) -> dict[str, object]:
        extras: dict[str, str] = {"message_id": message.message_id}
        if message.link is not None:
            extras["link"] = message.link
        return {
            "platform": "all",
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

    def _send_batch(self, messages: Sequence[Outgoing]) -> list[str | SendFailed]:
        if len(messages) == 1 or not self._batch_open():
            return one_by_one(self.send, messages)
        cids, no_cid = self._cids_for([m.message_id for m in messages])
        # Keyed by cid: a message id given twice is one entry, and both get its outcome.
        pushlist = {cids[m.message_id]: self.entry(m) for m in messages if m.message_id in cids}
        answer: dict[str, object] = {}
        headers = httpx.Headers()
        whole: SendFailed | None = None
        if pushlist:
            try:
                response = self._request("POST", BATCH_PATH, {"pushlist": pushlist})
            except SendFailed as failed:
                whole = failed
            else:
                answer, headers = _json_object(response.content), response.headers
                if response.status_code == 404 or _error_code(answer) in _NO_BATCH:
                    # Nothing was pushed: each message goes on its own, with the cid it already has.
                    self._batch_refused_at = self._monotonic()
                    log.warning(
                        "JPush refused the batch endpoint (%s); pushing one by one for %d s",
                        _error_code(answer) or f"http_{response.status_code}",
                        BATCH_RETRY_S,
                    )
                    return one_by_one(self.send, messages)
                if response.status_code != 200:
                    whole = _failure(response.status_code, answer, headers)
        outcomes: list[str | SendFailed] = []
        for message in messages:
            cid = cids.get(message.message_id)
            if cid is None:
                outcomes.append(no_cid or SendFailed(FailureKind.UNAVAILABLE, "no_cid", "JPush gave no cid"))
            else:
                outcomes.append(whole or _entry_outcome(answer.get(cid), headers))
        return outcomes

    def _batch_open(self) -> bool:
        refused_at = self._batch_refused_at
        return refused_at is None or self._monotonic() - refused_at >= BATCH_RETRY_S

    def _cid_for(self, message_id: str) -> str:
        cids, failed = self._cids_for([message_id])
        if message_id in cids:
            return cids[message_id]
        raise failed or SendFailed(FailureKind.UNAVAILABLE, "no_cid", "JPush gave no cid")

    def _cids_for(self, message_ids: Sequence[str]) -> tuple[dict[str, str], SendFailed | None]:
        """Return the cid of each message id that has or can get one, and why the others have none."""
        now = self._monotonic()
        found: dict[str, str] = {}
        with self._lock:
            for message_id in message_ids:
                kept = self._cids.get(message_id)
                if kept is not None and now - kept[1] < CID_LIFETIME_S:
                    self._cids.move_to_end(message_id)
                    found[message_id] = kept[0]
            while self._pool and now - self._pool[0][1] >= CID_LIFETIME_S:
                self._pool.popleft()
        wanted = deque(m for m in dict.fromkeys(message_ids) if m not in found)
        while True:
            with self._lock:
                while wanted and self._pool:
                    message_id = wanted.popleft()
                    cid, fetched_at = self._pool.popleft()
                    self._cids[message_id] = (cid, fetched_at)
                    found[message_id] = cid
                while len(self._cids) > CIDS_KEPT:
                    self._cids.popitem(last=False)
            if not wanted:
                return found, None
            # Outside the lock: a slow JPush must not hold up a send that still has a cid.
            try:
                fetched = self._fetch_cids(min(max(len(wanted), CID_BATCH), CIDS_A_CALL))
            except SendFailed as failed:
                return found, failed
            if not fetched:
                return found, SendFailed(FailureKind.UNAVAILABLE, "no_cid", "JPush gave no cid")
            with self._lock:
                self._pool.extend((cid, now) for cid in fetched)

    def _fetch_cids(self, count: int) -> list[str]:
        answer = self._exchange("GET", CID_PATH, None, params={"count": count, "type": "push"})
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
        response = self._request(method, path, body, params)
        answer = _json_object(response.content)
        if response.status_code == 200:
            return answer
        raise _failure(response.status_code, answer, response.headers)

    def _request(
        self,
        method: str,
        path: str,
        body: Mapping[str, object] | None,
        params: Mapping[str, str | int] | None = None,
    ) -> httpx.Response:
        content = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"} if content is not None else {}
        try:
            return self._client.request(method, path, content=content, params=params, headers=headers)
        except httpx.TimeoutException:
            # JPush may have taken the push before the time ran out; the retry's cid covers that.
            raise SendFailed(FailureKind.UNAVAILABLE, "timeout", f"{method} {path} timed out") from None
        except httpx.TransportError as error:
            raise SendFailed(FailureKind.UNAVAILABLE, "transport", type(error).__name__) from None


def _msg_id(answer: Mapping[str, object]) -> str | None:
    msg_id = answer.get("msg_id")
    if isinstance(msg_id, int | str) and not isinstance(msg_id, bool) and str(msg_id):
        return str(msg_id)
    return None


def _entry_outcome(entry: object, headers: httpx.Headers) -> str | SendFailed:
    """Return a batch entry's outcome: its msg_id, or its error as the table reads it."""
    # A bad answer is retried with the same cid, so JPush then answers whatever it did the first time.
    if not isinstance(entry, dict):
        return SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "a batch answer without this entry")
    if "error" in entry:
        if _error_code(entry) is None:
            return SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "an entry's error without a code")
        return _failure(200, entry, headers)
    msg_id = _msg_id(entry)
    if msg_id is None:
        return SendFailed(FailureKind.UNAVAILABLE, "bad_answer", "an entry without a msg_id")
    return msg_id


def _error_code(answer: Mapping[str, object]) -> int | None:
    error = answer.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


def _failure(status: int, answer: Mapping[str, object], headers: httpx.Headers) -> SendFailed:
    error = answer.get("error")
    code = _error_code(answer)
    raw_text = error.get("message") if isinstance(error, dict) else None
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
    # 1003, 1005, 1009), an app barred (2003, 2004): the same push would be refused again.
    return SendFailed(FailureKind.REFUSED, shown, text or f"JPush answered {status}")


def _json_object(raw: bytes) -> dict[str, object]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
