"""The one place that wires settings → adapters → services."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from importlib.resources import files

from sqlalchemy import Engine

from tuika.adapters.crypto import CardKeyCipher
from tuika.adapters.db.engine import make_engine
from tuika.adapters.db.migrate import upgrade
from tuika.adapters.db.uow import SqlUnitOfWork, session_factory
from tuika.adapters.evidence_store import EvidenceStore
from tuika.adapters.gateways.alipay import AlipayGateway
from tuika.adapters.gateways.bank import BankCardGateway
from tuika.adapters.gateways.wechat import WechatPayGateway
from tuika.adapters.notify.email import SmtpNotifier
from tuika.adapters.notify.push import JPushNotifier
from tuika.adapters.notify.sms import AliyunSmsNotifier
from tuika.adapters.ocr.paddle import ModelSize, PaddleOcr
from tuika.adapters.suppliers.http import HttpSupplier
from tuika.adapters.webhooks.http import HttpWebhookClient
from tuika.domain.clock import Clock, SystemClock
from tuika.domain.events import Event, EventType
from tuika.domain.history import HistoryLimits
from tuika.domain.ids import EventId
from tuika.domain.notifications import Channel, Moment, Plan, parse_plan
from tuika.domain.payouts import PayoutRoute
from tuika.domain.sending import SendChannel
from tuika.jobs.queue import HueyRelay, Tasks, TuikaHuey, make_huey, register
from tuika.services.claims.policies import ensure_default
from tuika.services.context import (
    Context,
    EventRules,
    Handler,
    PolicyBook,
    SendRules,
    SignInRules,
    Sla,
    WebhookRules,
    subscriptions,
)
from tuika.services.events.handlers import handler_table
from tuika.services.events.relay import hint
from tuika.services.notify.writing import default_plan
from tuika.services.orders.encrypt_accounts import encrypt_accounts
from tuika.services.ports import Gateway, Notifier, Relay
from tuika.services.review.remask import remask_reads
from tuika.settings import Settings, sms_template_codes

log = logging.getLogger(__name__)


@dataclass
class System:
    """Everything a process needs: settings, the database, the use-case context, the queue."""

    settings: Settings
    engine: Engine
    ctx: Context
    # The queue and its registered tasks, when the system was built with one.
    huey: TuikaHuey | None = None
    tasks: Tasks | None = None
    # Accounts that migration 0010's follow-up encrypted while this system was built.
    encrypted_accounts: int = 0


class RelayLater:
    """A relay hint that forwards to the queue once it exists (the queue needs the context)."""

    def __init__(self) -> None:
        self.target: Relay | None = None

    def wake(self, event_ids: Sequence[EventId], delay_s: float = 0.0) -> None:
        """Forward the hint, or leave the events to the relay's poll when no queue is attached."""
        if self.target is not None:
            self.target.wake(event_ids, delay_s)


def sla(settings: Settings) -> Sla:
    """Return the SLA times from settings."""
    return Sla(
        machine_review=timedelta(seconds=settings.sla_machine_review_s),
        manual_review=timedelta(seconds=settings.sla_manual_review_s),
        arbitration=timedelta(seconds=settings.sla_arbitration_s),
        awaiting_evidence=timedelta(seconds=settings.sla_awaiting_evidence_s),
        merchant_response=timedelta(seconds=settings.sla_merchant_response_s),
        replacement_answer=timedelta(seconds=settings.sla_replacement_answer_s),
        redrive_after=timedelta(seconds=max(5, settings.sweep_interval_s)),
    )


def _ocr(settings: Settings) -> PaddleOcr | None:
    # Building it is cheap: the model loads on the first read, so only a process that
    # reviews (a worker) ever pays for it.
    if settings.ocr_engine == "off":
        return None
    size: ModelSize = "tiny" if settings.ocr_engine == "paddle-tiny" else "small"
    return PaddleOcr(
        model_size=size,
        threads=settings.ocr_threads,
        det_max_side=settings.ocr_det_max_side,
        engines=settings.ocr_engines,
    )


def _quick_ocr(settings: Settings) -> PaddleOcr | None:
    if settings.ocr_engine != "paddle-tiny-first":
        return None
    return PaddleOcr(
        model_size="tiny",
        threads=settings.ocr_threads,
        det_max_side=settings.ocr_det_max_side,
        engines=settings.ocr_engines,
    )


def gateways(settings: Settings) -> dict[PayoutRoute, Gateway]:
    """Return the original-route gateways the settings configure; a route without its URL has none."""
    found: dict[PayoutRoute, Gateway] = {}
    if settings.alipay_url:
        found[PayoutRoute.ALIPAY] = AlipayGateway.from_settings(settings)
    if settings.wechat_url:
        found[PayoutRoute.WECHAT] = WechatPayGateway.from_settings(settings)
    if settings.bank_url:
        found[PayoutRoute.BANK_CARD] = BankCardGateway.from_settings(settings)
    if settings.gateway_first_query_s is not None:
        first = timedelta(seconds=settings.gateway_first_query_s)
        for gateway in found.values():
            gateway.timing = replace(gateway.timing, first_query_after=first)
    return found


def _supplier(settings: Settings) -> HttpSupplier | None:
    if not settings.supplier_url:
        return None
    return HttpSupplier(
        settings.supplier_url,
        settings.supplier_partner_id,
        settings.supplier_secret,
        timeout_s=settings.supplier_timeout_s,
    )


def notifiers(settings: Settings) -> dict[SendChannel, Notifier]:
    """Return a sender for each channel whose provider is configured."""
    found: dict[SendChannel, Notifier] = {}
    if settings.sms_access_key_id:
        found[SendChannel.SMS] = AliyunSmsNotifier(
            settings.sms_access_key_id,
            settings.sms_access_key_secret,
            settings.sms_sign_name,
            endpoint=settings.sms_endpoint,
            protocol=settings.sms_protocol,
        )
    if settings.push_app_key:
        found[SendChannel.PUSH] = JPushNotifier(
            settings.push_app_key,
            settings.push_master_secret,
            base_url=settings.push_url,
            apns_production=settings.push_apns_production,
            batch=settings.push_batch,
        )
    if settings.smtp_host:
        found[SendChannel.EMAIL] = SmtpNotifier(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_sender,
            sender_name=settings.smtp_sender_name,
            username=settings.smtp_username or None,
            password=settings.smtp_password or None,
            ssl=settings.smtp_ssl,
            starttls=settings.smtp_starttls,
        )
    return found


def notify_plan(settings: Settings) -> Plan:
    """Return the notification plan: the settings' file, parsed strictly, or the package's."""
    if settings.notify_plan_file is None:
        return default_plan()
    try:
        document = tomllib.loads(settings.notify_plan_file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"notify_plan_file {settings.notify_plan_file}: {exc}") from exc
    return parse_plan(document)


def sms_templates(settings: Settings, plan: Plan) -> dict[str, str]:
    """Return the SMS template codes, refusing a moment the plan does not know; warn of any missing."""
    codes = sms_template_codes(settings.sms_templates)
    known = {m.value for m in Moment}
    unknown = sorted(k for k in codes if k.partition(".")[0] not in known)
    if unknown:
        raise ValueError(f"sms_templates: unknown moments {unknown}")
    if settings.sms_access_key_id:
        wanted = sorted(f"{m.value}.{lang}" for (m, c, lang) in plan.templates if c is Channel.SMS)
        missing = [k for k in wanted if k not in codes]
        if missing:
            log.warning("no SMS template code for %s: those text messages will fail", ", ".join(missing))
    return codes


def build(
    settings: Settings,
    *,
    clock: Clock | None = None,
    relay: Relay | None = None,
    handlers: Mapping[EventType, tuple[Handler, ...]] | None = None,
    queue: bool = True,
    migrate: bool = False,
) -> System:
    """Wire a system. With ``queue`` the Huey tasks are registered and woken after each commit.

    ``relay`` replaces the queue's wake-up (tests run handlers inline); ``handlers`` replaces
    the handler table (tests and benchmarks add their own).
    """
    engine = make_engine(settings.db_url())
    after = upgrade(engine) if migrate else frozenset()
    forward = RelayLater()
    target: Relay = relay or forward
    plan = notify_plan(settings)
    senders = notifiers(settings)
    channels = frozenset(Channel(c.value) for c in senders)
    site_url = settings.public_url or f"http://{settings.host}:{settings.port}"
    table = handler_table(plan, channels, site_url) if handlers is None else handlers
    subscribed = subscriptions(table)

    def wake(events: Sequence[Event]) -> None:
        hint(target, events)

    allow_private = settings.demo if settings.webhooks_allow_private is None else settings.webhooks_allow_private
    ctx = Context(
        uow=lambda: SqlUnitOfWork(sessions, subscriptions=subscribed, wake=wake),
        read=lambda: SqlUnitOfWork(sessions, read_only=True),
        clock=clock or SystemClock(),
        relay=target,
        cipher=CardKeyCipher(settings.card_key_bytes(), settings.card_key_active),
        files=EvidenceStore(
            settings.data_dir / "evidence",
            settings.evidence_max_bytes,
            settings.evidence_max_pixels,
            settings.evidence_max_decoded_bytes,
        ),
        policies=PolicyBook(files("tuika.policies").joinpath("default.toml").read_text(encoding="utf-8")),
        sla=sla(settings),
        supplier=_supplier(settings),
        gateways=gateways(settings),
        evidence_unused=timedelta(hours=settings.evidence_unused_hours),
        ocr=_ocr(settings),
        quick_ocr=_quick_ocr(settings),
        history_window=timedelta(days=settings.history_window_days),
        answer_reuse=timedelta(seconds=settings.supplier_answer_reuse_s),
        history_limits=HistoryLimits(
            max_claims=settings.history_max_claims, max_rejected_share=settings.history_max_rejected_share
        ),
        sign_in=SignInRules(
            link_max=timedelta(seconds=settings.sign_in_link_max_s), session=timedelta(hours=settings.session_hours)
        ),
        handlers=table,
        events=EventRules(
            lease=timedelta(seconds=settings.events_lease_s),
            batch=settings.events_batch,
            keep=timedelta(days=settings.events_keep_days) if settings.events_keep_days else None,
            feed_settle=timedelta(seconds=settings.events_feed_settle_s),
        ),
        webhook_client=HttpWebhookClient(timeout_s=settings.webhooks_timeout_s, allow_private=allow_private),
        webhooks=WebhookRules(
            lease=timedelta(seconds=max(120.0, settings.webhooks_timeout_s * 25)),
            threads=settings.webhooks_threads,
            allow_private=allow_private,
        ),
        notifiers=senders,
        sending=SendRules(
            threads=settings.sending_threads,
            site_url=site_url,
            sms_templates=sms_templates(settings, plan),
        ),
    )
    sessions = session_factory(engine)
    system = System(settings, engine, ctx)
    if migrate:
        with ctx.uow() as uow:
            if ensure_default(ctx, uow):
                uow.commit()
    if "remask_reads" in after:
        # Migration 0009 masked what has a key's shape; the orders' own keys need the cipher.
        log.info("masked %d stored screenshot reads again with their orders' card keys", remask_reads(ctx))
    if "encrypt_accounts" in after:
        # Migration 0010 added account_enc; only here, with the cipher, can the clear accounts move there.
        system.encrypted_accounts = done = encrypt_accounts(ctx)
        log.info("encrypted %d accounts kept in clear before migration 0010", done)
    if queue and relay is None:
        system.huey = make_huey(settings)
        tasks = register(system.huey, lambda: ctx)
        forward.target = HueyRelay(tasks)
        system.tasks = tasks
    return system
