"""Gateways' asynchronous notices: verified, kept once, applied once, always answered.

A notice that does not verify is refused and changes nothing. One that verifies is stored
under the provider's own id and applied in the same transaction (``applying.apply``): a
duplicate — the provider resends until it hears success — is answered "success" without being
applied twice; one about a refund we never asked for, or that contradicts our record, raises
an alert and is answered "success" too, so the provider stops resending what a person must
look at anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from tuika.domain.errors import NoGateway, NotFound
from tuika.domain.gateway import NoticeRejected
from tuika.domain.payouts import PayoutRoute
from tuika.services.context import Context
from tuika.services.payouts.applying import apply

log = logging.getLogger(__name__)

Reply = tuple[int, dict[str, str], bytes]


def receive(ctx: Context, route: PayoutRoute, headers: Mapping[str, str], body: bytes) -> Reply:
    """Verify, keep and apply a notice from ``route``'s gateway; return the answer it expects."""
    gateway = ctx.gateways.get(route)
    if gateway is None:
        raise NoGateway(f"no gateway for {route.value}")
    try:
        notice = gateway.notice(headers, body)
    except NoticeRejected as exc:
        log.warning("refused a %s notice: %s", route.value, exc)
        return gateway.notice_reply(False)
    try:
        apply(ctx, notice.answer, provider=notice.provider, source="notice", notice=(notice.notice_id, notice.raw))
    except NotFound:
        # Kept and alerted inside ``apply``; resending would not make it ours.
        log.error("a %s notice names refund %s, which is not ours", route.value, notice.answer.refund_no)
    return gateway.notice_reply(True)
