"""A shop driven through API v1 in process, and waiting for what a worker does in its own time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.factories import order_payload, png_bytes
from tuika.app import create_app
from tuika.bootstrap import System
from tuika.domain.cases import Case, CaseStatus
from tuika.domain.ledger import buyer_account
from tuika.domain.money import Money
from tuika.domain.payouts import Payout, PayoutStatus
from tuika.http.auth import issue_token
from tuika.jobs.queue import Tasks


def tasks_of(system: System) -> Tasks:
    """Return the Huey tasks registered by ``build``."""
    tasks = system.tasks
    assert tasks is not None
    return tasks


class Shop:
    """Drives API v1 in process as the platform, a buyer and an agent, and reads the books.

    Tokens are issued at the system's clock, so a test may move that clock.
    """

    def __init__(self, system: System) -> None:
        self.system = system
        self.client = TestClient(create_app(system))

    def headers(self, role: str, subject: str, **extra: str) -> dict[str, str]:
        """Return Authorization headers for ``role`` and ``subject``."""
        now = self.system.ctx.clock.now()
        token = issue_token(self.system.settings.secret_key, role, subject, 3600, now)
        return {"Authorization": f"Bearer {token}", **extra}

    def order(self, order_id: str, **options: Any) -> None:
        """Push an order in as the host platform."""
        response = self.client.post(
            "/v1/orders", json=order_payload(order_id, **options), headers=self.headers("platform", "host")
        )
        assert response.status_code in (200, 201), response.text

    def claim(self, order_id: str, reason: str = "not_delivered", *, buyer: str = "buyer_1", **body: Any) -> str:
        """Submit a claim to the balance as ``buyer``; return the case id."""
        payload = {"order_id": order_id, "reason": reason, "route": "balance", **body}
        response = self.client.post("/v1/refund-cases", json=payload, headers=self.headers("buyer", buyer))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def screenshot(self, buyer: str = "buyer_1") -> str:
        """Upload an error screenshot as ``buyer``; return the evidence id."""
        response = self.client.post(
            "/v1/evidence",
            files={"file": ("e.png", png_bytes(), "image/png")},
            data={"kind": "error_screenshot"},
            headers=self.headers("buyer", buyer),
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def approve(self, case_id: str) -> None:
        """Approve a case in manual review as an agent."""
        response = self.client.post(
            f"/v1/refund-cases/{case_id}/decisions",
            json={"action": "approve", "reason_codes": ["supplier_confirmed_fault"], "note": "核实无误"},
            headers=self.headers("agent", "agent_1"),
        )
        assert response.status_code == 200, response.text

    def case(self, case_id: str) -> Case:
        """Return a case as stored."""
        with self.system.ctx.uow() as uow:
            case = uow.cases.get(case_id)
        assert case is not None
        return case

    def payouts(self, case_id: str) -> list[Payout]:
        """Return every payout of a case."""
        with self.system.ctx.uow() as uow:
            return uow.payouts.for_case(case_id)

    def balance(self, buyer: str = "buyer_1") -> Money:
        """Return a buyer's platform balance."""
        with self.system.ctx.uow() as uow:
            return uow.ledger.balance(buyer_account(buyer))

    def credits(self, buyer: str = "buyer_1") -> int:
        """Return how many ledger entries touched a buyer's balance."""
        with self.system.ctx.uow() as uow:
            return len(uow.ledger.entries(buyer_account(buyer)))

    def ledger_total(self) -> Money:
        """Return the sum of every ledger entry: zero when every posting balanced."""
        with self.system.ctx.uow() as uow:
            return uow.ledger.total()

    def assert_paid_once(self, case_id: str, amount: int, buyer: str = "buyer_1") -> None:
        """Assert the case has one succeeded payout of ``amount``, credited once to a balanced ledger."""
        payouts = self.payouts(case_id)
        assert [(p.status, p.amount) for p in payouts] == [(PayoutStatus.SUCCEEDED, Money(amount))]
        assert payouts[0].attempts == 1
        assert payouts[0].voucher == payouts[0].id
        assert self.balance(buyer) == Money(amount)
        assert self.credits(buyer) == 1
        assert self.ledger_total() == Money(0)

    def wait_for_status(self, case_id: str, status: CaseStatus, timeout: float = 10.0) -> Case:
        """Poll until the case reaches ``status``; fail after ``timeout`` seconds."""
        wait_until(lambda: self.case(case_id).status is status, timeout, f"case {case_id} to be {status.value}")
        return self.case(case_id)


def wait_until(check: Callable[[], bool], timeout: float = 10.0, what: str = "the condition") -> None:
    """Poll ``check`` every 50 ms; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
