"""The sender: try each endpoint's due deliveries, keep every attempt, disable an endpoint failing for a day.

Runs in the worker (``jobs.sending``): one endpoint at a time per thread, so a slow or failing
endpoint holds up only its own deliveries. A pass over one endpoint claims a few of its due
deliveries under a lease (their ``next_try_at``), posts them outside any transaction, then
stores the attempts, each delivery's outcome and the endpoint's health in one transaction.
A sender that dies mid-pass leaves its deliveries due again when the lease ends: a receiver
may then get one twice, with the same ``webhook-id``, and drops it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from tuika.domain.webhooks import (
    RETRY_WAITS,
    Attempt,
    Delivery,
    DeliveryState,
    Endpoint,
    excerpt,
    next_try,
)
from tuika.services.context import Context
from tuika.services.ports import WebhookAnswer, WebhookClient
from tuika.services.webhooks.telling import tell_disabled

log = logging.getLogger(__name__)

# After this many failures in a row in one pass, the rest of the pass's deliveries are put
# back (no attempt counted): an endpoint that is down should not cost a timeout for each.
GIVE_WAY_AFTER = 3


@dataclass(frozen=True, slots=True)
class SendReport:
    """What passes did: tries made, delivered, failed (to retry), given up, endpoints disabled."""

    tried: int = 0
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    disabled: int = 0

    def __add__(self, other: SendReport) -> SendReport:
        return SendReport(
            self.tried + other.tried,
            self.delivered + other.delivered,
            self.failed + other.failed,
            self.gave_up + other.gave_up,
            self.disabled + other.disabled,
        )


def due_endpoints(ctx: Context, busy: Sequence[str], limit: int) -> list[str]:
    """Return enabled endpoints with deliveries due, the longest waiting first, other than ``busy``."""
    with ctx.read() as uow:
        return uow.webhooks.due_endpoints(ctx.clock.now(), busy, limit)


def send_endpoint(ctx: Context, endpoint_id: str) -> SendReport:
    """Try up to a batch of one endpoint's due deliveries, oldest first; store how each went."""
    client = ctx.webhook_client
    if client is None:
        return SendReport()
    now = ctx.clock.now()
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(endpoint_id)
        claimed = (
            uow.webhooks.claim(endpoint_id, now, now + ctx.webhooks.lease, ctx.webhooks.batch)
            if endpoint is not None and endpoint.enabled
            else []
        )
        uow.commit()
    if endpoint is None or not claimed:
        return SendReport()
    secrets = [ctx.cipher.decrypt(s.sealed, aad=endpoint.id) for s in endpoint.signing(now)]
    results: list[Delivery] = []
    attempts: list[Attempt] = []
    failures = 0
    for delivery in claimed:
        if failures >= GIVE_WAY_AFTER:
            # Back when the last failure's wait is over, as if tried with it: none is counted.
            results.append(replace(delivery, next_try_at=ctx.clock.now() + RETRY_WAITS[0]))
            continue
        attempt = _post(ctx, client, endpoint, delivery, secrets, manual=False)
        attempts.append(attempt)
        results.append(_after(delivery, attempt))
        failures = 0 if attempt.ok else failures + 1
    # Down, by the look of it: three failures in a row, or every try of a short pass.
    down = failures >= min(GIVE_WAY_AFTER, len(attempts))
    return _finish(ctx, endpoint_id, results, attempts, down=down)


def send_now(ctx: Context, delivery: Delivery, endpoint: Endpoint) -> Attempt:
    """Try one delivery at once, by its owner's hand, whatever its state; store the attempt and its outcome."""
    client = ctx.webhook_client
    if client is None:
        raise RuntimeError("no webhook client is configured")
    now = ctx.clock.now()
    secrets = [ctx.cipher.decrypt(s.sealed, aad=endpoint.id) for s in endpoint.signing(now)]
    attempt = _post(ctx, client, endpoint, delivery, secrets, manual=True)
    if attempt.ok:
        outcome = replace(
            delivery,
            state=DeliveryState.DELIVERED,
            attempts=delivery.attempts + 1,
            delivered_at=attempt.at,
            next_try_at=None,
            last_status=attempt.status,
            last_error=None,
        )
    else:
        # A manual try that fails changes no schedule: a pending delivery keeps its next try.
        outcome = replace(
            delivery, attempts=delivery.attempts + 1, last_status=attempt.status, last_error=attempt.error
        )
    _finish(ctx, endpoint.id, [outcome], [attempt], manual=True)
    return attempt


def _post(
    ctx: Context,
    client: WebhookClient,
    endpoint: Endpoint,
    delivery: Delivery,
    secrets: Sequence[str],
    *,
    manual: bool,
) -> Attempt:
    at = ctx.clock.now()
    answer: WebhookAnswer = client.post(
        endpoint.url, message_id=delivery.event_id, secrets=secrets, body=delivery.body.encode()
    )
    return Attempt(delivery.id, at, answer.status, answer.latency_ms, answer.error, excerpt(answer.excerpt), manual)


def _after(delivery: Delivery, attempt: Attempt) -> Delivery:
    tried = replace(delivery, attempts=delivery.attempts + 1, last_status=attempt.status, last_error=attempt.error)
    if attempt.ok:
        return replace(tried, state=DeliveryState.DELIVERED, delivered_at=attempt.at, next_try_at=None, last_error=None)
    later = next_try(tried, attempt.at)
    if later is None:
        return replace(tried, state=DeliveryState.FAILED, next_try_at=None)
    return replace(tried, next_try_at=later)


def _finish(
    ctx: Context,
    endpoint_id: str,
    results: list[Delivery],
    attempts: list[Attempt],
    *,
    manual: bool = False,
    down: bool = False,
) -> SendReport:
    disabled = 0
    with ctx.uow() as uow:
        endpoint = uow.webhooks.endpoint(endpoint_id, lock=True)
        if endpoint is None:
            # Deleted while its deliveries were out, and they with it.
            uow.rollback()
            return SendReport(tried=len(attempts))
        health = endpoint
        for attempt in attempts:
            health = health.after_try(attempt.ok, attempt.at)
        now = ctx.clock.now()
        if down:
            health = health.paused(now)
        if not manual and health.should_disable(now):
            health = replace(health, enabled=False, disabled_reason="failing", updated_at=now)
            tell_disabled(uow, health, now)
            disabled = 1
            log.warning("webhook endpoint %s disabled: every try failed since %s", endpoint_id, health.failing_since)
        if health != endpoint:
            uow.webhooks.save_endpoint(health)
        uow.webhooks.finish(results, attempts)
        uow.commit()
    return SendReport(
        tried=len(attempts),
        delivered=sum(r.state is DeliveryState.DELIVERED for r in results),
        failed=sum(not a.ok for a in attempts),
        gave_up=sum(r.state is DeliveryState.FAILED for r in results),
        disabled=disabled,
    )
