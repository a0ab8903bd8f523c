"""Each gateway with its sandbox, behind one face, for tests that run the same story on all of them.

A rig starts the provider's sandbox, builds the real adapter against it (first query at once),
keeps every notice the sandbox sends instead of delivering it, so a test can deliver them late,
twice or out of order, and names the provider's faults by what they do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from tuika.adapters.gateways.alipay import AlipayGateway
from tuika.adapters.gateways.bank import BankCardGateway
from tuika.adapters.gateways.wechat import WechatPayGateway
from tuika.bootstrap import System
from tuika.domain.gateway import Timing
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute
from tuika.services.ports import Gateway
from tuika_dev.sandbox import alipay as alipay_sandbox
from tuika_dev.sandbox import bank as bank_sandbox
from tuika_dev.sandbox import wechat as wechat_sandbox

QUICK = Timing(first_query_after=timedelta(0), expected_within=timedelta(days=3))
# A client timeout a busy machine does not trip by accident; a stalled answer outlasts it twice.
# The property test passes a short one: a timeout there is one more fault, and it must hold anyway.
PATIENT = 2.0
Headers = dict[str, str]


class FakeClock:
    """The bank's time, shared by its sandbox and tuika's adapter; tuika's own clock stays real."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def next_business_day(self) -> None:
        self.now += timedelta(days=4)  # past any weekend: T+1 has come whatever today is


@dataclass
class Rig:
    """A provider's sandbox and the adapter pointed at it."""

    route: PayoutRoute
    gateway: Gateway
    sandbox: Any
    faults: dict[str, Any]
    settle: Callable[[], None]
    # Wait for the notices the sandbox is still sending from its own threads.
    quiet: Callable[[], None] = lambda: None
    caught: list[tuple[Headers, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def catch(self, headers: Headers, body: bytes) -> int:
        """The sandbox's notify target: keep the notice for the test to deliver, answer success."""
        with self.lock:
            self.caught.append((dict(headers), body))
        return 200

    def take_notices(self) -> list[tuple[Headers, bytes]]:
        with self.lock:
            taken, self.caught = self.caught, []
        return taken

    def add_trade(self, order_id: str, fen: int) -> None:
        self.sandbox.add_trade(f"tx_{order_id}", order_id, Money(fen))

    def fault(self, name: str) -> bool:
        """Queue the provider's fault of that name; False if the provider has no such fault."""
        mode = self.faults.get(name)
        if mode is None:
            return False
        self.sandbox.fail_next(mode)
        return True


@contextmanager
def bank_sandbox_and_gateway(
    clock: FakeClock, timeout_s: float = PATIENT
) -> Iterator[tuple[bank_sandbox.BankSandbox, BankCardGateway]]:
    """A T+1 bank sandbox and the adapter pointed at it, both on ``clock``, first query at once."""
    with bank_sandbox.BankSandbox(clock=clock, settle_days=1, stall_s=2 * timeout_s, notify_retry_s=0.0) as sandbox:
        gateway = BankCardGateway(
            sandbox.base_url, sandbox.merchant_id, sandbox.secret, timeout_s=timeout_s, clock=clock, timing=QUICK
        )
        try:
            yield sandbox, gateway
        finally:
            gateway.close()


@contextmanager
def bank_wired(system: System, client: TestClient) -> Iterator[tuple[bank_sandbox.BankSandbox, FakeClock]]:
    """Point tuika's bank-card route at a bank sandbox whose notices are posted into the app."""
    clock = FakeClock()
    with bank_sandbox_and_gateway(clock) as (sandbox, gateway):
        system.ctx.gateways = {PayoutRoute.BANK_CARD: gateway}

        def post(headers: Headers, body: bytes) -> int:
            return client.post("/v1/notify/bank_card", content=body, headers=headers).status_code

        sandbox.set_notify(post)
        yield sandbox, clock


@contextmanager
def bank_rig(tmp: Path, timeout_s: float = PATIENT) -> Iterator[Rig]:
    clock = FakeClock()
    F = bank_sandbox.Fault
    with bank_sandbox_and_gateway(clock, timeout_s) as (sandbox, gateway):

        def settle() -> None:
            clock.next_business_day()
            sandbox.settle_due()

        rig = Rig(
            PayoutRoute.BANK_CARD,
            gateway,
            sandbox,
            {
                "timeout_after_accept": F.TIMEOUT_AFTER_ACCEPT,
                "error_500": F.ERROR_500,
                "duplicate_notice": F.DUPLICATE_NOTICE,
                "notice_before_response": F.NOTICE_BEFORE_RESPONSE,
                "no_notice": F.NO_NOTICE,
            },
            settle,
        )
        sandbox.set_notify(rig.catch)
        yield rig


@contextmanager
def alipay_rig(tmp: Path, timeout_s: float = PATIENT) -> Iterator[Rig]:
    private, public = alipay_sandbox.generate_app_keys()
    F = alipay_sandbox.Fault
    with alipay_sandbox.AlipaySandbox(public, stall_s=2 * timeout_s, notice_retry_s=0.0) as sandbox:
        gateway = AlipayGateway(
            sandbox.app_id,
            private,
            sandbox.alipay_public_key_pem,
            sandbox.gateway_url,
            timeout_s=timeout_s,
            timing=QUICK,
        )

        def settle() -> None:
            quiet()  # Alipay settles at once here

        def quiet() -> None:
            # Its notices go out from a thread of their own; a refund's within moments, and one
            # it was told never to send is not waited for.
            sandbox.wait_for_quiet(timeout_s=2.0)

        rig = Rig(
            PayoutRoute.ALIPAY,
            gateway,
            sandbox,
            {
                "timeout_after_accept": F.TIMEOUT_AFTER_ACCEPT,
                "error_500": F.ERROR_500,
                "duplicate_notice": F.DUPLICATE_NOTICE,
                "notice_before_response": F.NOTICE_BEFORE_RESPONSE,
                "no_notice": F.NO_NOTICE,
                "empty_query": F.EMPTY_QUERY,
                "system_error": F.SYSTEM_ERROR,
            },
            settle,
            quiet=quiet,
        )
        sandbox.set_notify(rig.catch)
        try:
            yield rig
        finally:
            gateway.close()


@contextmanager
def wechat_rig(tmp: Path, timeout_s: float = PATIENT) -> Iterator[Rig]:
    merchant, v3_key = wechat_sandbox.merchant_keys(), wechat_sandbox.apiv3_key()
    F = wechat_sandbox.Fault
    sandbox = wechat_sandbox.WechatPaySandbox(
        merchant.public_key_pem,
        "1900000109",
        v3_key,
        merchant_serial_no=merchant.serial_no,
        stall_s=2 * timeout_s,
        notify_retry_s=0.0,
        refund_interval_s=0.0,  # one refund per order here; tuika keeps WeChat's minute itself
    )
    with sandbox:
        certs = tmp / f"wechat-certs-{id(sandbox)}"
        sandbox.write_certificate(certs)
        gateway = WechatPayGateway(
            mchid="1900000109",
            appid=sandbox.appid,
            cert_serial_no=merchant.serial_no,
            private_key_pem=merchant.private_key_pem,
            apiv3_key=v3_key,
            cert_dir=certs,
            base_url=sandbox.base_url,
            timeout_s=timeout_s,
            timing=QUICK,
        )
        rig = Rig(
            PayoutRoute.WECHAT,
            gateway,
            sandbox,
            {
                "timeout_after_accept": F.TIMEOUT_AFTER_ACCEPT,
                "error_500": F.ERROR_500,
                "duplicate_notice": F.DUPLICATE_NOTICE,
                "notice_before_response": F.NOTICE_BEFORE_RESPONSE,
                "no_notice": F.NO_NOTICE,
            },
            lambda: None,
        )
        rig.settle = lambda: sandbox.settle() and None
        sandbox.set_notify(rig.catch)
        yield rig


RIGS: dict[str, Callable[[Path], Any]] = {"bank_card": bank_rig, "alipay": alipay_rig, "wechat": wechat_rig}
