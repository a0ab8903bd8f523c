"""The senders: SMS, app push and email messages the writer left pending, sent through each channel's provider.

Runs in the worker (``jobs.sending``), a few passes per channel at once. A pass claims a batch
of a channel's due messages under a lease (their ``next_try_at``) and reads, in that same
transaction, where each recipient is reached now; it then sends each outside any transaction
and stores every outcome in one transaction. A sender that dies mid-pass leaves its messages
due again when the lease ends: the provider may then get one twice, with the same message id
(JPush's cid and SMS's ``OutId`` carry it; an email keeps its Message-ID).

A message whose channel its recipient turned off since, or whose address is gone, is
``skipped``; one the provider refuses, or that still fails after ``SEND_FOR``, is ``failed``.
When the provider says the address itself is gone, tuika forgets it: the push tokens are
removed, the number or mailbox cleared (the person sees it gone in their settings).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from tuika.domain.notifications import Channel, Message, Recipient
from tuika.domain.preferences import Device, Preferences, contact_aad
from tuika.domain.sending import FailureKind, Outgoing, SendChannel, SendFailed, SendState, next_send
from tuika.services.context import Context
from tuika.services.ports import Notifier, UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChannelReport:
    """What passes did: sent, failed to retry, given up, skipped."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0

    def __add__(self, other: ChannelReport) -> ChannelReport:
        return ChannelReport(
            self.sent + other.sent,
            self.retried + other.retried,
            self.failed + other.failed,
            self.skipped + other.skipped,
        )

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.skipped


@dataclass(frozen=True, slots=True)
class _Job:
    message: Message
    # None: nothing to send to now (skipped).
    outgoing: Outgoing | None
    devices: tuple[Device, ...] = ()
    # The sealed number or mailbox sent to: forgotten if gone, unless changed meanwhile.
    sealed: str | None = None


def send_channel(ctx: Context, channel: SendChannel) -> ChannelReport:
    """Send up to a batch of ``channel``'s due messages, soonest first; store how each went."""
    notifier = ctx.notifiers.get(channel)
    if notifier is None:
        return ChannelReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        claimed = uow.sends.claim(Channel(channel.value), now, now + ctx.sending.lease, ctx.sending.batch)
        jobs = _jobs(ctx, uow, channel, claimed) if claimed else []
        uow.commit()
    if not jobs:
        return ChannelReport()
    outcomes = _send_all(notifier, jobs)
    return _finish(ctx, channel, jobs, outcomes)


def _jobs(ctx: Context, uow: UnitOfWork, channel: SendChannel, claimed: Sequence[Message]) -> list[_Job]:
    preferences: dict[tuple[Recipient, str], Preferences] = {}
    for recipient in {m.recipient for m in claimed}:
        ids = sorted({m.recipient_id for m in claimed if m.recipient is recipient})
        preferences.update({(recipient, i): p for i, p in uow.preferences.many(recipient, ids).items()})
    devices: dict[str, tuple[Device, ...]] = {}
    if channel is SendChannel.PUSH:
        buyers = sorted({m.recipient_id for m in claimed if m.recipient is Recipient.BUYER})
        devices = {buyer_id: tuple(found) for buyer_id, found in uow.preferences.devices_of(buyers).items()}
    jobs = []
    for message in claimed:
        found = preferences.get((message.recipient, message.recipient_id))
        prefs = found if found is not None else Preferences(message.recipient, message.recipient_id)
        mine = devices.get(message.recipient_id, ()) if message.recipient is Recipient.BUYER else ()
        address = _address(ctx, channel, prefs, mine)
        if not prefs.wants(channel) or address is None:
            jobs.append(_Job(message, None))
            continue
        sealed = prefs.phone_sealed if channel is SendChannel.SMS else prefs.email_sealed
        jobs.append(_Job(message, _outgoing(ctx, channel, message, prefs.language, address), mine, sealed))
    return jobs


def _address(ctx: Context, channel: SendChannel, prefs: Preferences, devices: Sequence[Device]) -> str | None:
    if channel is SendChannel.PUSH:
        return ",".join(d.token for d in devices) or None
    sealed = prefs.phone_sealed if channel is SendChannel.SMS else prefs.email_sealed
    if sealed is None:
        return None
    return ctx.cipher.decrypt(sealed, aad=contact_aad(prefs.recipient, prefs.recipient_id, channel))


def _outgoing(ctx: Context, channel: SendChannel, message: Message, lang: str, address: str) -> Outgoing:
    title, body = message.text(lang)
    link = ctx.sending.site_url.rstrip("/") + message.link if message.link.startswith("/") else message.link or None
    template: str | None = None
    params: Mapping[str, str] = {}
    if channel is SendChannel.SMS:
        template = ctx.sending.sms_templates.get(f"{message.moment.value}.{lang}")
        params = (message.params or {}).get(lang, {})
    if channel is not SendChannel.EMAIL:
        return Outgoing(message.id, address, title, body, template, params, link)
    return Outgoing(
        message.id, address, title, body, link=None if link and link in body else link, html=_html(body, link)
    )


def _html(body: str, link: str | None) -> str:
    """Return an email's HTML part: its paragraphs, the case's page a link where the text names it."""
    anchor = "" if link is None else f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
    paragraphs = []
    for part in body.split("\n\n"):
        text = html.escape(part).replace("\n", "<br>")
        if link is not None:
            text = text.replace(html.escape(link), anchor)
        paragraphs.append(f"<p>{text}</p>")
    if link is not None and link not in body:
        paragraphs.append(f"<p>{anchor}</p>")
    return f"<!doctype html><html><body>{''.join(paragraphs)}</body></html>"


def _send_all(notifier: Notifier, jobs: Sequence[_Job]) -> list[str | SendFailed | None]:
    """Send the pass's messages that have somewhere to go; None for those that have not."""
    sending = [job.outgoing for job in jobs if job.outgoing is not None]
    try:
        sent = iter(notifier.send_all(sending) if sending else [])
    except Exception:
        # A client's bug: one by one, so that it costs only the message that sets it off.
        log.exception("sending %d messages together failed unexpectedly; sending them one by one", len(sending))
        sent = iter([_send_one(notifier, m) for m in sending])
    return [next(sent) if job.outgoing is not None else None for job in jobs]


def _send_one(notifier: Notifier, message: Outgoing) -> str | SendFailed:
    try:
        return notifier.send(message)
    except SendFailed as failed:
        return failed
    except Exception as exc:
        log.exception("sending message %s failed unexpectedly", message.message_id)
        return SendFailed(FailureKind.UNAVAILABLE, "error", type(exc).__name__)


def _finish(
    ctx: Context, channel: SendChannel, jobs: Sequence[_Job], outcomes: Sequence[str | SendFailed | None]
) -> ChannelReport:
    now = ctx.clock.now()
    results: list[Message] = []
    gone_tokens: list[str] = []
    gone_contacts: list[tuple[Recipient, str, str | None]] = []
    report = ChannelReport()
    for job, outcome in zip(jobs, outcomes, strict=True):
        m = job.message
        if outcome is None:
            results.append(
                replace(m, status=SendState.SKIPPED, next_try_at=None, last_error="no address or turned off")
            )
            report += ChannelReport(skipped=1)
        elif isinstance(outcome, str):
            results.append(
                replace(
                    m,
                    status=SendState.SENT,
                    attempts=m.attempts + 1,
                    sent_at=now,
                    next_try_at=None,
                    provider_id=outcome[:100],
                    last_error=None,
                )
            )
            report += ChannelReport(sent=1)
        else:
            tried = replace(m, attempts=m.attempts + 1, last_error=f"{outcome.code} {outcome.detail}".strip())
            later = next_send(outcome.kind, tried.attempts, m.created_at, now)
            if later is None:
                results.append(replace(tried, status=SendState.FAILED, next_try_at=None))
                report += ChannelReport(failed=1)
            else:
                results.append(replace(tried, next_try_at=later))
                report += ChannelReport(retried=1)
            if outcome.kind is FailureKind.ADDRESS_GONE:
                if channel is SendChannel.PUSH:
                    gone_tokens.extend(d.token for d in job.devices)
                else:
                    gone_contacts.append((m.recipient, m.recipient_id, job.sealed))
    with ctx.uow() as uow:
        uow.sends.finish(results)
        if gone_tokens:
            uow.preferences.remove_tokens(gone_tokens)
        for recipient, recipient_id, sealed in set(gone_contacts):
            found = uow.preferences.get(recipient, recipient_id)
            used = None if found is None else (found.phone_sealed if channel is SendChannel.SMS else found.email_sealed)
            if found is not None and used == sealed:
                uow.preferences.save(found.without(channel), now)
        uow.commit()
    if gone_tokens or gone_contacts:
        log.info(
            "%s: %d addresses the provider says are gone, forgotten", channel.value, len(gone_tokens or gone_contacts)
        )
    return report
