"""AlipayGateway through the unmodified python-alipay-sdk against the Alipay sandbox, in every fault mode."""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from alipay import AliPay
from alipay.exceptions import AliPayException

from tuika.adapters.gateways.alipay import AlipayGateway
from tuika.domain.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    Notice,
    NoticeRejected,
    RefundRequest,
    RefundState,
    StatementLine,
    Timing,
)
from tuika.domain.money import Money
from tuika.settings import Settings
from tuika_dev.sandbox.alipay import AlipaySandbox, Fault, generate_app_keys

APP_ID = "2021000117600001"
TRADE = "2024050122001412340000000001"
OTHER_TRADE = "2024050122001412340000000002"
NOW = datetime(2024, 5, 1, 16, 30, tzinfo=UTC)  # 00:30 on 2 May in Beijing


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Inbox:
    """A notice target that keeps what it is given and answers ``status``."""

    status: int = 200
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    on_receive: Callable[[], None] | None = None

    def __call__(self, headers: dict[str, str], body: bytes) -> int:
        self.received.append((headers, body))
        if self.on_receive is not None:
            self.on_receive()
        return self.status


@pytest.fixture(scope="module")
def app_keys() -> tuple[str, str]:
    return generate_app_keys()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_sandbox(app_keys: tuple[str, str], clock: Clock) -> Iterator[Callable[..., AlipaySandbox]]:
    made: list[AlipaySandbox] = []

    def make(**options: object) -> AlipaySandbox:
        settings: dict[str, object] = {"stall_s": 3.0, "notice_retries": 2, "notice_retry_s": 0.05, "clock": clock}
        sandbox = AlipaySandbox(app_keys[1], APP_ID, **(settings | options)).start()  # type: ignore[arg-type]
        made.append(sandbox)
        sandbox.add_trade(TRADE, "T-1", Money(5000))
        sandbox.add_trade(OTHER_TRADE, "T-2", Money(3000))
        return sandbox

    yield make
    for sandbox in made:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: Callable[..., AlipaySandbox]) -> AlipaySandbox:
    return make_sandbox()


@pytest.fixture
def inbox(sandbox: AlipaySandbox) -> Inbox:
    target = Inbox()
    sandbox.set_notify(target)
    return target


def gateway_for(sandbox: AlipaySandbox, app_private_key: str) -> AlipayGateway:
    return AlipayGateway(APP_ID, app_private_key, sandbox.alipay_public_key_pem, sandbox.gateway_url, timeout_s=1.5)


@pytest.fixture
def gateway(sandbox: AlipaySandbox, app_keys: tuple[str, str]) -> Iterator[AlipayGateway]:
    made = gateway_for(sandbox, app_keys[0])
    yield made
    made.close()


def request(refund_no: str = "po_1", amount: int = 1234, trade: str = TRADE) -> RefundRequest:
    return RefundRequest(refund_no, "ord_1", trade, Money(amount), Money(5000), reason="卡密无效")


def notices_of(gateway: AlipayGateway, inbox: Inbox) -> list[Notice]:
    return [gateway.notice({k.lower(): v for k, v in h.items()}, body) for h, body in inbox.received]


# --- the happy path ---


def test_a_refund_is_accepted_then_confirmed_by_query_and_by_a_verified_notice(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    answer = gateway.refund(request())

    assert answer.state is RefundState.PROCESSING
    assert answer.amount == Money(1234)
    assert answer.gateway_refund_id == f"{TRADE}:po_1"
    call = sandbox.calls()[0]
    assert (call.method, call.biz["out_request_no"], call.biz["refund_amount"]) == (
        "alipay.trade.refund",
        "po_1",
        "12.34",
    )
    assert call.biz["trade_no"] == TRADE
    queried = gateway.query(request())
    assert (queried.state, queried.amount, queried.gateway_refund_id) == (
        RefundState.SUCCEEDED,
        Money(1234),
        f"{TRADE}:po_1",
    )
    assert queried.settled_at == NOW
    assert sandbox.wait_for_notices(1)
    [notice] = notices_of(gateway, inbox)
    assert notice.provider == "alipay"
    assert notice.notice_id == sandbox.notices()[0].notify_id
    assert notice.answer.refund_no == "po_1"
    assert notice.answer.state is RefundState.SUCCEEDED
    assert notice.answer.amount is None  # refund_fee is the trade's running total
    assert notice.answer.gateway_refund_id == f"{TRADE}:po_1"
    assert notice.answer.settled_at == NOW
    assert sandbox.paid_count("po_1") == 1


def test_the_notice_reply_is_the_plain_text_alipay_waits_for(gateway: AlipayGateway) -> None:
    assert gateway.notice_reply(True) == (200, {"Content-Type": "text/plain; charset=utf-8"}, b"success")
    assert gateway.notice_reply(False)[2] == b"fail"


def test_asking_again_under_the_same_number_is_the_same_refund(sandbox: AlipaySandbox, gateway: AlipayGateway) -> None:
    first = gateway.refund(request())
    again = gateway.refund(request())

    assert (first.detail, again.detail) == ("fund_change=Y", "fund_change=N")
    assert again.gateway_refund_id == first.gateway_refund_id
    assert sandbox.paid_count("po_1") == 1
    assert len(sandbox.refunds()) == 1


def test_a_refund_keeps_processing_until_it_settles_then_the_notice_comes(
    make_sandbox: Callable[..., AlipaySandbox], app_keys: tuple[str, str], clock: Clock
) -> None:
    sandbox = make_sandbox(settle_s=0.3)
    inbox = Inbox()
    sandbox.set_notify(inbox)
    gateway = gateway_for(sandbox, app_keys[0])

    gateway.refund(request())

    assert gateway.query(request()).state is RefundState.NOT_FOUND  # Alipay: not done yet, ask again later
    assert not inbox.received
    assert sandbox.wait_for_notices(1)
    clock.now = NOW + timedelta(seconds=1)
    assert gateway.query(request()).state is RefundState.SUCCEEDED
    assert notices_of(gateway, inbox)[0].answer.settled_at == NOW + timedelta(seconds=0.3)


# --- faults ---


def test_a_timeout_after_acceptance_is_unknown_and_the_retry_pays_once(
    sandbox: AlipaySandbox, gateway: AlipayGateway
) -> None:
    sandbox.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(GatewayUnavailable):
        gateway.refund(request())
    assert [r.refund_no for r in sandbox.refunds()] == ["po_1"]  # Alipay did refund

    answer = gateway.refund(request())
    assert (answer.state, answer.detail) == (RefundState.PROCESSING, "fund_change=N")
    assert sandbox.paid_count("po_1") == 1


def test_a_server_error_is_unknown_nothing_is_paid_and_the_retry_works(
    sandbox: AlipaySandbox, gateway: AlipayGateway
) -> None:
    sandbox.fail_next(Fault.ERROR_500)

    with pytest.raises(GatewayUnavailable):
        gateway.refund(request())
    assert sandbox.refunds() == []
    assert sandbox.paid_count("po_1") == 0

    assert gateway.refund(request()).detail == "fund_change=Y"
    assert sandbox.paid_count("po_1") == 1


def test_a_notice_sent_twice_verifies_twice_under_one_notice_id(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.DUPLICATE_NOTICE)

    gateway.refund(request())

    assert sandbox.wait_for_notices(2)
    first, second = notices_of(gateway, inbox)
    assert first.notice_id == second.notice_id
    assert first.answer == second.answer
    assert sandbox.paid_count("po_1") == 1


def test_a_notice_may_arrive_before_the_refund_call_returns(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    returned = threading.Event()
    seen_before_return: list[bool] = []
    inbox.on_receive = lambda: seen_before_return.append(not returned.is_set())
    sandbox.fail_next(Fault.NOTICE_BEFORE_RESPONSE)

    answer = gateway.refund(request())
    returned.set()

    assert seen_before_return == [True]
    assert answer.state is RefundState.PROCESSING
    assert notices_of(gateway, inbox)[0].answer.state is RefundState.SUCCEEDED


def test_without_a_notice_the_query_still_answers(sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox) -> None:
    sandbox.fail_next(Fault.NO_NOTICE)

    gateway.refund(request())

    assert gateway.query(request()).state is RefundState.SUCCEEDED
    assert not sandbox.wait_for_notices(1, timeout_s=0.3)
    assert inbox.received == []


def test_a_closed_trade_refuses_the_refund_and_nothing_is_found_or_noticed(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.CLOSED)

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(request())

    assert refused.value.code == "ACQ.TRADE_STATUS_ERROR"
    assert gateway.query(request()).state is RefundState.NOT_FOUND
    with pytest.raises(GatewayRefused):
        gateway.refund(request())  # the trade stays closed
    assert sandbox.paid_count("po_1") == 0
    assert not sandbox.wait_for_notices(1, timeout_s=0.2)


def test_an_empty_query_answer_means_not_found_yet_and_a_later_query_finds_it(
    sandbox: AlipaySandbox, gateway: AlipayGateway
) -> None:
    sandbox.fail_next(Fault.EMPTY_QUERY)  # waits for a query: the refund call passes it by

    gateway.refund(request())

    assert gateway.query(request()).state is RefundState.NOT_FOUND
    assert gateway.query(request()).state is RefundState.SUCCEEDED


def test_a_refund_answer_with_a_bad_signature_is_unknown_and_its_notice_rejected(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.BAD_SIGNATURE)

    with pytest.raises(GatewayUnavailable, match="signature"):
        gateway.refund(request())

    assert sandbox.wait_for_notices(1)
    headers, body = inbox.received[0]
    with pytest.raises(NoticeRejected, match="does not verify"):
        gateway.notice(headers, body)
    assert gateway.refund(request()).detail == "fund_change=N"
    assert sandbox.paid_count("po_1") == 1


def test_alipays_try_again_answers_are_unknown_outcomes_and_the_retry_works(
    sandbox: AlipaySandbox, gateway: AlipayGateway
) -> None:
    sandbox.fail_next(Fault.SYSTEM_ERROR, count=2)

    with pytest.raises(GatewayUnavailable, match=r"ACQ\.SYSTEM_ERROR"):
        gateway.refund(request())
    with pytest.raises(GatewayUnavailable, match="20000"):
        gateway.query(request())

    assert sandbox.paid_count("po_1") == 0
    gateway.refund(request())
    assert gateway.query(request()).state is RefundState.SUCCEEDED


def test_a_query_answer_with_a_bad_signature_is_unknown(sandbox: AlipaySandbox, gateway: AlipayGateway) -> None:
    gateway.refund(request())
    sandbox.fail_next(Fault.BAD_SIGNATURE)

    with pytest.raises(GatewayUnavailable):
        gateway.query(request())
    assert gateway.query(request()).state is RefundState.SUCCEEDED


@pytest.mark.parametrize(
    ("find", "replace"),
    [
        (b"refund_fee=12.34", b"refund_fee=50.00"),
        (b"out_biz_no=po_1", b"out_biz_no=po_2"),
        (b"sign_type=RSA2", b"sign_type=RSA"),
    ],
)
def test_a_tampered_notice_is_rejected(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox, find: bytes, replace: bytes
) -> None:
    gateway.refund(request())
    assert sandbox.wait_for_notices(1)
    headers, body = inbox.received[0]
    assert find in body

    with pytest.raises(NoticeRejected):
        gateway.notice(headers, body.replace(find, replace))


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"not a form", b"a=1&a=2&sign=x&sign_type=RSA2"])
def test_garbage_is_not_a_notice(gateway: AlipayGateway, body: bytes) -> None:
    with pytest.raises(NoticeRejected):
        gateway.notice({"content-type": "application/x-www-form-urlencoded"}, body)


def test_the_sandbox_resends_a_notice_the_app_did_not_accept(
    sandbox: AlipaySandbox, gateway: AlipayGateway, inbox: Inbox
) -> None:
    inbox.status = 500

    gateway.refund(request())

    assert sandbox.wait_for_notices(3)
    assert [n.accepted for n in sandbox.notices()] == [False, False, False]  # two resends, then Alipay gives up
    assert len({n.notify_id for n in sandbox.notices()}) == 1


# --- refusals ---


def test_the_same_number_with_another_amount_is_refused(sandbox: AlipaySandbox, gateway: AlipayGateway) -> None:
    gateway.refund(request(amount=1234))

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(request(amount=1000))

    assert refused.value.code == "ACQ.DISCORDANT_REPEAT_REQUEST"
    assert [r.amount for r in sandbox.refunds()] == [Money(1234)]
    assert sandbox.paid_count("po_1") == 1


@pytest.mark.parametrize(
    ("asked", "code"),
    [
        (request(trade="2024050122009999999999999999"), "ACQ.TRADE_NOT_EXIST"),
        (request(amount=5001), "ACQ.REASON_TRADE_REFUND_FEE_ERR"),
        (request(amount=0), "ACQ.INVALID_PARAMETER"),
    ],
)
def test_alipay_business_refusals_are_refusals(
    sandbox: AlipaySandbox, gateway: AlipayGateway, asked: RefundRequest, code: str
) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(asked)

    assert refused.value.code == code
    assert sandbox.refunds() == []


def test_refunds_of_one_trade_are_capped_at_its_total(sandbox: AlipaySandbox, gateway: AlipayGateway) -> None:
    gateway.refund(request("po_1", 3000))

    with pytest.raises(GatewayRefused, match=r"ACQ\.REASON_TRADE_REFUND_FEE_ERR"):
        gateway.refund(request("po_2", 2001))
    gateway.refund(request("po_3", 2000))

    assert [r.refund_no for r in sandbox.refunds()] == ["po_1", "po_3"]


def test_a_request_signed_with_another_app_key_is_refused(sandbox: AlipaySandbox) -> None:
    stranger = gateway_for(sandbox, generate_app_keys()[0])

    with pytest.raises(GatewayRefused) as refused:
        stranger.refund(request())

    assert refused.value.code == "isv.invalid-signature"
    assert sandbox.refunds() == []


def test_an_unreachable_gateway_is_unavailable(app_keys: tuple[str, str], sandbox: AlipaySandbox) -> None:
    gateway = gateway_for(sandbox, app_keys[0])
    sandbox.stop()

    with pytest.raises(GatewayUnavailable):
        gateway.refund(request())


def test_alipay_has_no_abnormal_refunds_to_resolve(gateway: AlipayGateway) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.resolve_abnormal(request(), f"{TRADE}:po_1")
    assert refused.value.code == "unsupported"


def test_the_sandbox_refuses_other_methods_in_alipays_error_shape(
    sandbox: AlipaySandbox, app_keys: tuple[str, str]
) -> None:
    client = AliPay(
        appid=APP_ID, app_private_key_string=app_keys[0], alipay_public_key_string=sandbox.alipay_public_key_pem
    )
    client._gateway = sandbox.gateway_url

    with pytest.raises(AliPayException, match="40002"):
        client.api_alipay_trade_query(trade_no=TRADE)
    assert [(c.method, c.sub_code) for c in sandbox.calls()] == [("alipay.trade.query", "isv.invalid-method")]


# --- the statement ---


def test_the_statement_lists_the_refunds_of_the_beijing_day(
    sandbox: AlipaySandbox, gateway: AlipayGateway, clock: Clock
) -> None:
    gateway.refund(request("po_1", 1234))
    clock.now = NOW + timedelta(hours=2)
    gateway.refund(request("po_2", 3000, trade=OTHER_TRADE))
    clock.now = NOW + timedelta(days=1)
    gateway.refund(request("po_3", 100))

    lines = gateway.statement(date(2024, 5, 2))

    assert lines == [
        StatementLine("po_1", f"{TRADE}:po_1", Money(1234), RefundState.SUCCEEDED, NOW),
        StatementLine("po_2", f"{OTHER_TRADE}:po_2", Money(3000), RefundState.SUCCEEDED, NOW + timedelta(hours=2)),
    ]
    assert [line.refund_no for line in gateway.statement(date(2024, 5, 3))] == ["po_3"]
    assert gateway.statement(date(2024, 5, 1)) == []  # 16:30 UTC on 1 May is already 2 May in Beijing


def test_a_bill_for_a_day_not_yet_cut_is_refused(gateway: AlipayGateway) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.statement(date(2024, 5, 3))
    assert refused.value.code == "isp.bill_not_exist"


# --- settings and the real notify URL ---


class _App(BaseHTTPRequestHandler):
    """The app's notify endpoint: verify with the adapter, answer what Alipay expects."""

    gateway: AlipayGateway
    seen: list[Notice | NoticeRejected]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            self.seen.append(self.gateway.notice(headers, body))
            status, answer_headers, answer = self.gateway.notice_reply(True)
        except NoticeRejected as rejected:
            self.seen.append(rejected)
            status, answer_headers, answer = self.gateway.notice_reply(False)
        self.send_response(status)
        for name, value in answer_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_from_settings_with_a_key_file_and_a_bare_public_key_and_notices_over_http(
    sandbox: AlipaySandbox, app_keys: tuple[str, str], tmp_path: Path
) -> None:
    key_file = tmp_path / "alipay_app_private_key.pem"
    key_file.write_text(app_keys[0], encoding="utf-8")
    bare = "".join(line for line in sandbox.alipay_public_key_pem.splitlines() if "-----" not in line)
    assert base64.b64decode(bare)
    settings = Settings(
        alipay_url=sandbox.gateway_url,
        alipay_app_id=APP_ID,
        alipay_app_private_key_file=key_file,
        alipay_public_key=bare,
        gateway_timeout_s=0.5,
    )
    gateway = AlipayGateway.from_settings(settings)
    assert gateway.timing == Timing(first_query_after=timedelta(seconds=10), expected_within=timedelta(hours=24))
    short = Timing(first_query_after=timedelta(seconds=1), expected_within=timedelta(minutes=1))
    assert AlipayGateway(APP_ID, app_keys[0], bare, sandbox.gateway_url, timing=short).timing == short
    app = type("App", (_App,), {"gateway": gateway, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), app)
    threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
    try:
        sandbox.set_notify(f"http://127.0.0.1:{server.server_address[1]}/notify/alipay")
        sandbox.fail_next(Fault.BAD_SIGNATURE)
        with pytest.raises(GatewayUnavailable):
            gateway.refund(request("po_1"))
        gateway.refund(request("po_2", 100))

        assert sandbox.wait_for_notices(4)
    finally:
        server.shutdown()
        server.server_close()
    attempts: dict[str, list[bool]] = {}
    for sent in sandbox.notices():
        attempts.setdefault(sent.refund_no, []).append(sent.accepted)
    assert attempts == {"po_1": [False, False, False], "po_2": [True]}  # a rejected notice is sent again
    assert sum(isinstance(seen, NoticeRejected) for seen in app.seen) == 3
    assert [seen.answer.refund_no for seen in app.seen if isinstance(seen, Notice)] == ["po_2"]
