"""What ``tuika bench notify`` sends through: reachable people, webhook receivers, and the cases it moves.

Every buyer has a number, a mailbox and one app registered with JPush; every merchant a mailbox.
They are written straight through the repositories, a few hundred to a transaction, as
``orders.sync_order`` and ``POST /v1/devices`` would leave them (sealed the same way), since
seeding is not what is measured. The events are not: each case is opened and moved with the
``open_case`` and ``move_case`` every service uses, one transaction per case, so the outbox,
the message writer and the webhook writer see what production writes.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from tuika.bootstrap import System
from tuika.domain.cases import Case, CaseStatus, Role, Route, TimelineEvent
from tuika.domain.events import Event
from tuika.domain.ids import CaseId, OrderId
from tuika.domain.money import Money
from tuika.domain.notifications import Channel, Plan, Recipient, moments_of
from tuika.domain.orders import DeliveryStatus, Order, OrderItem, PaymentRoute, ProductKind
from tuika.domain.policy import LiableParty, Reason
from tuika.domain.preferences import Device, Preferences, contact_aad, normal_email, normal_phone
from tuika.domain.sending import SendChannel
from tuika.services.context import Actor
from tuika.services.moves import move_case, open_case
from tuika.services.ports import Cipher
from tuika.services.webhooks import endpoints
from tuika_dev.sandbox.push import SandboxPush
from tuika_dev.sandbox.serving import LocalServer

AGENT: Final = Actor("agent_bench", Role.AGENT)
HOST: Final = Actor("host", Role.PLATFORM)
MERCHANTS: Final = 20
# Reviewed by the machine, sent to a person, decided: a buyer hears of all but the review.
PATH: Final = (CaseStatus.REVIEWING, CaseStatus.MANUAL_REVIEW)
EVENTS_PER_CASE: Final = 2 + len(PATH)
HOOK_TYPES: Final = ("case.submitted", "case.moved", "case.decided")
_SEED_BATCH: Final = 500


class Hook:
    """A webhook receiver on 127.0.0.1: answers 200 after ``delay_s``, or 500 to a share of tries.

    It keeps each request's ``webhook-id`` (the event's id), its answer and when it came.
    """

    def __init__(self, name: str, *, delay_s: float = 0.0, fail_share: float = 0.0, seed: int = 7) -> None:
        self.name = name
        self.delay_s = delay_s
        self.fail_share = fail_share
        self.endpoint_id = ""
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._received: list[tuple[str, int, float]] = []
        self._server = LocalServer(self._answer, f"the {name} webhook receiver")

    @property
    def url(self) -> str:
        return self._server.base_url + "/hooks"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def received(self) -> list[tuple[str, int, float]]:
        """Return (webhook-id, status answered, wall-clock seconds) of every request, in order."""
        with self._lock:
            return list(self._received)

    def _answer(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.delay_s:
            time.sleep(self.delay_s)
        with self._lock:
            status = 500 if self._random.random() < self.fail_share else 200
            self._received.append((headers.get("webhook-id", ""), status, time.time()))
        return status, {"Content-Type": "text/plain"}, b"ok" if status == 200 else b"try later"


def register_hooks(system: System, hooks: list[Hook]) -> None:
    """Register an endpoint of the host platform at each receiver, for every case event."""
    for hook in hooks:
        made = endpoints.create(system.ctx, HOST, url=hook.url, description=hook.name, types=list(HOOK_TYPES))
        hook.endpoint_id = made.endpoint.id


def seed(system: System, cases: int, push: SandboxPush) -> None:
    """Write an order per case and make its buyer and merchant reachable on every channel."""
    ctx = system.ctx
    now = ctx.clock.now()
    with ctx.uow() as uow:
        for m in range(MERCHANTS):
            shop = Preferences(Recipient.MERCHANT, _merchant(m))
            uow.preferences.save(_with(ctx.cipher, shop, SendChannel.EMAIL, normal_email(f"shop{m}@example.com")), now)
        uow.commit()
    for start in range(0, cases, _SEED_BATCH):
        with ctx.uow() as uow:
            for n in range(start, min(cases, start + _SEED_BATCH)):
                uow.orders.upsert(_order(n, now))
                buyer = Preferences(Recipient.BUYER, _buyer(n))
                buyer = _with(ctx.cipher, buyer, SendChannel.SMS, normal_phone(f"139{n:08d}"))
                buyer = _with(ctx.cipher, buyer, SendChannel.EMAIL, normal_email(f"buyer{n}@example.com"))
                uow.preferences.save(buyer, now)
                token = f"bn{n:010d}"
                uow.preferences.save_device(Device(f"dev_bn{n}", _buyer(n), "android", token, now, now))
                push.register(token)
            uow.commit()


def _with(cipher: Cipher, p: Preferences, channel: SendChannel, value: str) -> Preferences:
    sealed = cipher.encrypt(value, aad=contact_aad(p.recipient, p.recipient_id, channel))
    return p.with_contact(channel, value, sealed)


def _buyer(n: int) -> str:
    return f"buyer_bn{n}"


def _merchant(m: int) -> str:
    return f"merchant_bn{m}"


def _order(n: int, paid: datetime) -> Order:
    return Order(
        id=OrderId(f"ord_bn{n}"),
        buyer_id=_buyer(n),
        merchant_id=_merchant(n % MERCHANTS),
        supplier_id="supplier_bench",
        sku="sku_bench",
        title="王者荣耀 60 点券",
        product_kind=ProductKind.DIRECT_TOPUP,
        items=(OrderItem(id=f"ord_bn{n}_i0", secret=None),),
        amount=Money(1000),
        payment_route=PaymentRoute.BALANCE,
        transaction_id=f"tx_bn{n}",
        paid_at=paid,
        delivery_status=DeliveryStatus.FAILED,
    )


@dataclass
class Written:
    """The events the writers committed: when each happened and was committed, and what the plan sends for them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    # Event id -> its occurred_at, and the wall clock just after its commit, in epoch seconds.
    occurred: dict[str, float] = field(default_factory=dict)
    committed: dict[str, float] = field(default_factory=dict)
    planned: Counter[Channel] = field(default_factory=Counter)


def planned(plan: Plan, event: Event, channels: frozenset[Channel]) -> Counter[Channel]:
    """Return the messages the plan sends for ``event`` on ``channels``, everyone being reachable."""
    counts: Counter[Channel] = Counter()
    for moment in moments_of(event, appealed=bool(event.payload.get("appealed"))):
        for telling in plan.for_moment(moment):
            counts.update(c for c in telling.channels if c in channels)
    return counts


def write(system: System, written: Written, plan: Plan, cases: range, writers: int) -> None:
    """Open and decide ``cases`` from ``writers`` threads, one transaction a case; even ones approved."""
    channels = frozenset({Channel.INBOX, *(Channel(c.value) for c in system.ctx.notifiers)})

    def writer(index: int) -> None:
        for n in cases[index::writers]:
            now = system.ctx.clock.now()
            with system.ctx.uow() as uow:
                case = _case(n, now)
                open_case(uow, case, merchant_id=_merchant(n % MERCHANTS))
                for status in PATH:
                    case = move_case(uow, case, status, at=now, actor=AGENT)
                if n % 2 == 0:
                    case = move_case(uow, case, CaseStatus.APPROVED, at=now, actor=AGENT, codes=_APPROVED)
                else:
                    case = move_case(uow, case, CaseStatus.REJECTED, at=now, actor=AGENT, codes=_REJECTED)
                events: list[Event] = list(uow.events.written)  # type: ignore[attr-defined]
                uow.commit()
            committed = time.time()
            counts: Counter[Channel] = Counter()
            for event in events:
                counts += planned(plan, event, channels)
            with written.lock:
                written.planned += counts
                for event in events:
                    written.occurred[event.id] = event.occurred_at.timestamp()
                    written.committed[event.id] = committed

    threads = [threading.Thread(target=writer, args=(i,), name=f"bench-writer-{i}") for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


_APPROVED: Final = ("evidence_confirms_claim",)
_REJECTED: Final = ("evidence_insufficient",)


def _case(n: int, now: datetime) -> Case:
    submitted = TimelineEvent(now, _buyer(n), Role.BUYER, None, CaseStatus.SUBMITTED)
    return Case(
        id=CaseId(f"rc_bn{n}"),
        order_id=OrderId(f"ord_bn{n}"),
        buyer_id=_buyer(n),
        reason=Reason.NOT_DELIVERED,
        item_ids=(f"ord_bn{n}_i0",),
        route=Route.BALANCE,
        status=CaseStatus.SUBMITTED,
        policy_version=1,
        created_at=now,
        updated_at=now,
        refundable=Money(1000),
        fee=Money(0),
        liable=LiableParty.SUPPLIER,
        timeline=(submitted,),
    )


def epoch(at: datetime) -> float:
    """Return an aware time as epoch seconds (a naive one is taken as UTC, as SQLite returns them)."""
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()
