"""A gateway for tests that must offer a route but never reach the gateway."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from tuika.domain.gateway import Notice, RefundAnswer, RefundRequest, StatementLine, Timing
from tuika.domain.payouts import PayoutRoute


class Unreachable:
    """Offers ``route`` to buyers; fails the test if anything is actually sent."""

    timing = Timing(first_query_after=timedelta(seconds=10), expected_within=timedelta(hours=24))

    def __init__(self, route: PayoutRoute) -> None:
        self.route = route

    def refund(self, request: RefundRequest) -> RefundAnswer:
        raise AssertionError(f"refund {request.refund_no} reached the gateway")

    def query(self, request: RefundRequest) -> RefundAnswer:
        raise AssertionError(f"query {request.refund_no} reached the gateway")

    def resolve_abnormal(self, request: RefundRequest, gateway_refund_id: str) -> RefundAnswer:
        raise AssertionError("resolve_abnormal reached the gateway")

    def notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        raise AssertionError("a notice reached the gateway")

    def notice_reply(self, accepted: bool) -> tuple[int, dict[str, str], bytes]:
        raise AssertionError("a notice reply was asked for")

    def statement(self, day: date) -> list[StatementLine]:
        raise AssertionError("a statement was asked for")
