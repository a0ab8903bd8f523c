"""What ``tuika bench notify`` counts: what each provider took, against the rows and the plan.

The providers' side is the sandboxes' own records, read at the end: a text by its ``OutId``,
a push by the message id in its extras, an email by its ``X-Tuika-Message``, a webhook by its
``webhook-id``. A duplicate is a message the provider took more than once. The SMS sandbox
and JPush drop a repeat themselves (one by ``OutId``, the other by cid), so repeats are
counted from the answers there: each request the SMS sandbox answered as taken beyond the
first for its ``OutId``, each push (a request of its own or a batch's entry) JPush answered
with the first result of its cid. A message is lost when the plan says it is due and it has no row, when
its row never reached ``sent``, or when its row says ``sent`` and the provider has no record of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tuika.domain.notifications import Channel
from tuika.domain.sending import SendState
from tuika_dev.bench.load import percentile
from tuika_dev.bench.notify_load import Hook
from tuika_dev.sandbox.channels import Channels

# A message's id is its event's (a ULID) and two digits: its place among the event's messages.
_EVENT_ID_LENGTH = 26


def event_of(message_id: str) -> str:
    """Return the id of the event a message was written for."""
    return message_id[:_EVENT_ID_LENGTH]


@dataclass
class Receipts:
    """What one provider took: when it first took each message, and how often it took each."""

    first: dict[str, float] = field(default_factory=dict)
    taken: Counter[str] = field(default_factory=Counter)
    # Repeats the provider answered as taken without keeping a record of them.
    unrecorded: int = 0

    def took(self, message_id: str, at: float) -> None:
        self.taken[message_id] += 1
        known = self.first.get(message_id)
        self.first[message_id] = at if known is None else min(known, at)

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.taken.values() if n > 1) + self.unrecorded


def receipts(channels: Channels) -> dict[Channel, Receipts]:
    """Return what the SMS, push and email sandboxes took, each by message id."""
    sms, push, email = Receipts(), Receipts(), Receipts()
    for text in channels.sms.messages:
        sms.first.setdefault(text.out_id, text.received_at.timestamp())
    # The sandbox answers a repeated OutId with the first BizId and keeps one record: count the calls.
    sms.taken.update(call.out_id for call in channels.sms.calls if call.code == "OK")
    pushed_once: set[tuple[str, str]] = set()
    for pushed in channels.push.pushes:
        # One push to a buyer's two phones is a record for each with one msg_id: one take.
        message_id = str(pushed.extras.get("message_id", ""))
        if (message_id, pushed.msg_id) not in pushed_once:
            pushed_once.add((message_id, pushed.msg_id))
            push.took(message_id, pushed.received_at.timestamp())
    # A push sent again with the cid JPush took, alone or in a batch, is answered as taken and
    # not recorded again; the sandbox counts each such answer, however many a request held.
    push.unrecorded = channels.push.repeats
    for mail in channels.smtp.messages:
        email.took(mail.tuika_message or "", mail.received_at.timestamp())
    return {Channel.SMS: sms, Channel.PUSH: push, Channel.EMAIL: email}


@dataclass(frozen=True, slots=True)
class Phase:
    """One part of the run: its events, and when its clock started."""

    events: frozenset[str]
    started: float


def seconds(lags_ns: list[int], fraction: float) -> float | None:
    """Return a percentile of nanosecond lags in seconds, or None when there are none."""
    return round(percentile(lags_ns, fraction) / 1000, 3) if lags_ns else None


def channel_figures(
    rows: Mapping[str, str],
    got: Receipts,
    planned: int,
    occurred: Mapping[str, float],
    backlog: Phase,
    live: Phase,
) -> dict[str, Any]:
    """Return one channel's counts, its rate on the backlog and its lag in the live part.

    ``rows`` is each of the channel's message rows by id, with its status.
    """
    unwritten = max(0, planned - len(rows))
    unsent = sum(1 for status in rows.values() if status != SendState.SENT.value)
    unreceived = sum(1 for m, status in rows.items() if status == SendState.SENT.value and m not in got.first)
    drained = [got.first[m] for m in rows if m in got.first and event_of(m) in backlog.events]
    lags = sorted(
        int((got.first[m] - occurred[event_of(m)]) * 1e9) for m in rows if m in got.first and event_of(m) in live.events
    )
    return {
        "planned": planned,
        "rows": len(rows),
        "taken": len(got.first),
        "backlog": len(drained),
        "backlog_per_s": _rate(len(drained), drained, backlog.started),
        "live": len(lags),
        "p50_s": seconds(lags, 0.50),
        "p99_s": seconds(lags, 0.99),
        "max_s": round(lags[-1] / 1e9, 3) if lags else None,
        "lost": unwritten + unsent + unreceived,
        "unsent": unsent,
        "duplicates": got.duplicates,
    }


def hook_figures(
    hook: Hook, states: Mapping[str, int], occurred: Mapping[str, float], backlog: Phase, live: Phase
) -> dict[str, Any]:
    """Return one endpoint's deliveries: taken, tried, refused, still waiting, and how fast and late."""
    received = hook.received()
    got = Receipts()
    for webhook_id, status, at in received:
        if status == 200:
            got.took(webhook_id, at)
    events = backlog.events | live.events
    drained = [at for e, at in got.first.items() if e in backlog.events]
    lags = sorted(int((got.first[e] - occurred[e]) * 1e9) for e in live.events if e in got.first)
    return {
        "events": len(events),
        "delivered": sum(1 for e in got.first if e in events),
        "tries": len(received),
        "refused": sum(1 for _, status, _ in received if status != 200),
        "pending": states.get("pending", 0),
        "failed": states.get("failed", 0),
        "backlog_per_s": _rate(len(drained), drained, backlog.started),
        "live_p50_s": seconds(lags, 0.50),
        "live_p99_s": seconds(lags, 0.99),
        "duplicates": got.duplicates,
    }


def _rate(count: int, times: Iterable[float], started: float) -> float | None:
    last = max(times, default=None)
    if last is None or count == 0:
        return None
    return round(count / max(last - started, 1e-9), 1)
