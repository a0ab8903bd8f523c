"""WechatPayGateway against the WeChat Pay sandbox, through the unmodified wechatpayv3 SDK, over real HTTP."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tuika.adapters.gateways.wechat import PlatformCertificateMissing, WechatPayGateway
from tuika.domain.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    NoticeRejected,
    RefundRequest,
    RefundState,
    Timing,
    statement_day,
)
from tuika.domain.money import Money
from tuika.settings import Settings
from tuika_dev.sandbox.wechat import REFUNDS, Fault, WechatPaySandbox, apiv3_key, merchant_keys
from tuika_dev.sandbox.wechat_wire import MerchantKeys

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
TXN = "4200000925202101284997714292"
TOTAL = Money(10000)

MakeSandbox = Callable[..., WechatPaySandbox]
MakeGateway = Callable[..., WechatPayGateway]


class Inbox:
    """A notice target: keeps what arrives, answers with the next scripted status (then 204)."""

    def __init__(self) -> None:
        self.arrived: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        self.script: list[int] = []

    def __call__(self, headers: dict[str, str], body: bytes) -> int:
        self.arrived.put((headers, body))
        return self.script.pop(0) if self.script else 204

    def next(self, timeout: float = 3.0) -> tuple[dict[str, str], bytes]:
        return self.arrived.get(timeout=timeout)

    def quiet_for(self, seconds: float) -> bool:
        try:
            self.arrived.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


class Clock:
    """The sandbox's clock, moved by the test; it starts at the real time the SDK signs with."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def merchant() -> MerchantKeys:
    return merchant_keys()


@pytest.fixture(scope="module")
def v3_key() -> str:
    return apiv3_key()


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def make_sandbox(merchant: MerchantKeys, v3_key: str, inbox: Inbox) -> Iterator[MakeSandbox]:
    made: list[WechatPaySandbox] = []

    def make(**overrides: object) -> WechatPaySandbox:
        options: dict[str, Any] = {"stall_s": 3.0, "notify_retry_s": 0.01, **overrides}
        sandbox = WechatPaySandbox(
            merchant.public_key_pem, MCHID, v3_key, merchant_serial_no=merchant.serial_no, **options
        )
        made.append(sandbox.start())
        sandbox.add_trade(TXN, "ord_1", TOTAL)
        sandbox.set_notify(inbox)
        return sandbox

    yield make
    for sandbox in made:
        sandbox.stop()


@pytest.fixture
def sandbox(make_sandbox: MakeSandbox) -> WechatPaySandbox:
    return make_sandbox()


@pytest.fixture
def cert_dir(sandbox: WechatPaySandbox, tmp_path: Path) -> Path:
    directory = tmp_path / "wechat-certs"
    sandbox.write_certificate(directory)
    return directory


@pytest.fixture
def make_gateway(merchant: MerchantKeys, v3_key: str, tmp_path: Path) -> MakeGateway:
    def make(sandbox: WechatPaySandbox, **overrides: object) -> WechatPayGateway:
        directory = tmp_path / f"certs-{sandbox.platform_serial_no[:8]}"
        if not directory.exists():
            sandbox.write_certificate(directory)
        options: dict[str, Any] = {
            "mchid": MCHID,
            "appid": APPID,
            "cert_serial_no": merchant.serial_no,
            "private_key_pem": merchant.private_key_pem,
            "apiv3_key": v3_key,
            "cert_dir": directory,
            "base_url": sandbox.base_url,
            "timeout_s": 1.5,
            **overrides,
        }
        return WechatPayGateway(**options)

    return make


@pytest.fixture
def gateway(sandbox: WechatPaySandbox, cert_dir: Path, make_gateway: MakeGateway) -> WechatPayGateway:
    return make_gateway(sandbox, cert_dir=cert_dir)


def request(refund_no: str = "po_1", fen: int = 3000, txn: str = TXN, total: Money = TOTAL) -> RefundRequest:
    return RefundRequest(refund_no, "ord_1", txn, Money(fen), total, reason="卡密无效")


def paths(sandbox: WechatPaySandbox) -> list[str]:
    return [f"{r.method} {r.path.split('?')[0]}" for r in sandbox.requests()]


# --- the happy path ---


def test_a_refund_is_accepted_then_notified_and_queried_as_succeeded(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    answer = gateway.refund(request())

    assert answer.state is RefundState.PROCESSING
    assert answer.amount == Money(3000)
    assert answer.gateway_refund_id is not None
    assert len(answer.gateway_refund_id) == 29
    notice = gateway.notice(*inbox.next())
    assert notice.provider == "wechat"
    assert notice.answer.refund_no == "po_1"
    assert notice.answer.state is RefundState.SUCCEEDED
    assert notice.answer.amount == Money(3000)
    assert notice.answer.gateway_refund_id == answer.gateway_refund_id
    assert notice.answer.settled_at is not None
    assert notice.answer.settled_at.tzinfo is UTC
    assert json.loads(notice.raw)["id"] == notice.notice_id
    queried = gateway.query(request())
    assert (queried.state, queried.amount, queried.settled_at) == (
        RefundState.SUCCEEDED,
        Money(3000),
        notice.answer.settled_at,
    )
    assert sandbox.paid_count("po_1") == 1
    body = sandbox.requests()[0].body
    assert body["out_refund_no"] == "po_1"
    assert body["amount"] == {"refund": 3000, "total": 10000, "currency": "CNY"}
    assert body["transaction_id"] == TXN


def test_notice_headers_are_read_in_any_case(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    gateway.refund(request())
    headers, body = inbox.next()

    as_sent = gateway.notice(headers, body)
    as_starlette_gives_them = gateway.notice({k.lower(): v for k, v in headers.items()}, body)

    assert as_sent == as_starlette_gives_them
    assert "Wechatpay-Signature" in headers


def test_a_refund_stays_processing_until_it_settles(make_sandbox: MakeSandbox, make_gateway: MakeGateway) -> None:
    clock = Clock()
    sandbox = make_sandbox(settle_s=60, clock=clock)
    gateway = make_gateway(sandbox)
    gateway.refund(request())

    assert gateway.query(request()).state is RefundState.PROCESSING
    clock.now += 61
    assert gateway.query(request()).state is RefundState.SUCCEEDED


def test_the_notice_is_sent_again_until_the_target_takes_it(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    inbox.script = [500, 503]

    gateway.refund(request())

    bodies = [inbox.next()[1] for _ in range(3)]
    assert bodies[0] == bodies[1] == bodies[2]
    assert [d.status for d in sandbox.deliveries()] == [500, 503, 204]
    assert len({d.notice_id for d in sandbox.deliveries()}) == 1


def test_notices_are_posted_to_a_url(sandbox: WechatPaySandbox, gateway: WechatPayGateway) -> None:
    got: list[tuple[dict[str, str], bytes]] = []
    answers = [500, 204]

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append((dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"]))))
            status, headers, body = gateway.notice_reply(answers.pop(0) == 204)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        sandbox.set_notify(f"http://127.0.0.1:{server.server_address[1]}/notify/wechat")
        gateway.refund(request())
        deadline = time.monotonic() + 3
        while len(sandbox.deliveries()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        server.shutdown()
        server.server_close()

    assert [d.status for d in sandbox.deliveries()] == [500, 204]
    assert gateway.notice(*got[1]).answer.state is RefundState.SUCCEEDED


def test_notice_replies_are_what_wechat_pay_expects(gateway: WechatPayGateway) -> None:
    assert gateway.notice_reply(True) == (204, {}, b"")
    status, headers, body = gateway.notice_reply(False)
    assert status == 500
    assert headers["Content-Type"].startswith("application/json")
    assert json.loads(body) == {"code": "FAIL", "message": "失败"}


# --- faults ---


def test_a_timeout_after_accepting_is_unavailable_and_the_retry_finds_the_same_refund(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(GatewayUnavailable, match="Timeout"):
        gateway.refund(request())

    again = gateway.refund(request())
    assert again.state is RefundState.PROCESSING
    assert [r.refund_id for r in sandbox.refunds()] == [again.gateway_refund_id]
    assert sandbox.paid_count("po_1") == 1
    assert gateway.notice(*inbox.next()).answer.gateway_refund_id == again.gateway_refund_id


def test_a_500_is_unavailable_pays_nothing_and_the_retry_pays_once(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.ERROR_500)

    with pytest.raises(GatewayUnavailable, match="500 SYSTEM_ERROR"):
        gateway.refund(request())

    assert sandbox.refunds() == []
    assert sandbox.paid_count("po_1") == 0
    assert inbox.quiet_for(0.1)
    assert gateway.refund(request()).state is RefundState.PROCESSING
    assert sandbox.paid_count("po_1") == 1


def test_an_answer_with_a_bad_signature_is_unavailable_though_the_refund_was_made(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway
) -> None:
    sandbox.fail_next(Fault.BAD_SIGNATURE)

    with pytest.raises(GatewayUnavailable, match="failed to verify the signature"):
        gateway.refund(request())

    assert sandbox.paid_count("po_1") == 1
    assert gateway.refund(request()).gateway_refund_id == sandbox.refunds()[0].refund_id
    assert sandbox.paid_count("po_1") == 1


def test_a_duplicated_notice_verifies_twice_with_the_same_id(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.DUPLICATE_NOTICE)
    gateway.refund(request())

    first, second = gateway.notice(*inbox.next()), gateway.notice(*inbox.next())

    assert first.notice_id == second.notice_id
    assert first.answer == second.answer
    assert first.answer.state is RefundState.SUCCEEDED


def test_a_notice_can_arrive_before_the_refund_call_returns(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.NOTICE_BEFORE_RESPONSE)

    answer = gateway.refund(request())

    assert inbox.arrived.qsize() == 1  # already there when the call returned
    assert answer.state is RefundState.PROCESSING  # WeChat said SUCCESS; a call's answer is never final
    assert gateway.notice(*inbox.next()).answer.state is RefundState.SUCCEEDED


def test_without_a_notice_the_query_still_answers(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.NO_NOTICE)
    gateway.refund(request())

    assert inbox.quiet_for(0.2)
    assert gateway.query(request()).state is RefundState.SUCCEEDED
    assert sandbox.deliveries() == []


def test_an_abnormal_refund_goes_to_the_merchant_bank_card_and_then_succeeds(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.ABNORMAL)
    refund_id = gateway.refund(request()).gateway_refund_id
    assert refund_id is not None

    abnormal = gateway.notice(*inbox.next())
    assert abnormal.answer.state is RefundState.ABNORMAL
    assert gateway.query(request()).state is RefundState.ABNORMAL

    resolved = gateway.resolve_abnormal(request(), refund_id)
    assert resolved.state is RefundState.PROCESSING
    succeeded = gateway.notice(*inbox.next())
    assert succeeded.notice_id != abnormal.notice_id
    assert succeeded.answer.state is RefundState.SUCCEEDED
    assert "商户银行卡" in succeeded.answer.detail
    assert gateway.query(request()).state is RefundState.SUCCEEDED
    assert sandbox.requests()[-2].body == {"out_refund_no": "po_1", "type": "MERCHANT_BANK_CARD"}
    with pytest.raises(GatewayRefused) as refused:
        gateway.resolve_abnormal(request(), refund_id)
    assert refused.value.code == "INVALID_REQUEST"
    assert sandbox.paid_count("po_1") == 1


def test_a_closed_refund_fails_through_notice_and_query_and_pays_nothing(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.CLOSED)
    gateway.refund(request())

    assert gateway.notice(*inbox.next()).answer.state is RefundState.FAILED
    queried = gateway.query(request())
    assert (queried.state, queried.settled_at) == (RefundState.FAILED, None)
    assert gateway.refund(request()).state is RefundState.FAILED  # a repeat reports what WeChat says
    assert sandbox.paid_count("po_1") == 0


def test_faults_on_queries(sandbox: WechatPaySandbox, gateway: WechatPayGateway) -> None:
    gateway.refund(request())
    sandbox.fail_next(Fault.ERROR_500)
    sandbox.fail_next(Fault.BAD_SIGNATURE)
    sandbox.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)

    for _ in range(3):
        with pytest.raises(GatewayUnavailable):
            gateway.query(request())

    assert gateway.query(request()).state is RefundState.SUCCEEDED


def test_a_query_for_an_unknown_number_is_not_found(gateway: WechatPayGateway) -> None:
    answer = gateway.query(request("po_never"))

    assert answer.state is RefundState.NOT_FOUND
    assert answer.gateway_refund_id is None


# --- notices that must not be believed ---


def test_a_notice_signed_with_a_wrong_key_is_rejected(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.fail_next(Fault.BAD_NOTICE_SIGNATURE)
    gateway.refund(request())

    with pytest.raises(NoticeRejected, match="does not verify"):
        gateway.notice(*inbox.next())


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda b: b.replace("退款成功".encode(), "退款失败".encode()), id="summary"),
        pytest.param(lambda b: b.replace(b'"ciphertext": "', b'"ciphertext": "A'), id="ciphertext"),
        pytest.param(lambda b: b.replace(b"REFUND.SUCCESS", b"REFUND.CLOSED"), id="event"),
    ],
)
def test_a_tampered_notice_is_rejected(
    gateway: WechatPayGateway, inbox: Inbox, tamper: Callable[[bytes], bytes]
) -> None:
    gateway.refund(request())
    headers, body = inbox.next()

    with pytest.raises(NoticeRejected):
        gateway.notice(headers, tamper(body))


def test_garbage_and_missing_headers_are_rejected(gateway: WechatPayGateway, inbox: Inbox) -> None:
    gateway.refund(request())
    headers, body = inbox.next()

    with pytest.raises(NoticeRejected):
        gateway.notice({}, body)
    with pytest.raises(NoticeRejected):
        gateway.notice({**headers, "Wechatpay-Serial": "not hex"}, body)
    with pytest.raises(NoticeRejected):
        gateway.notice(headers, b"\xff not json")


def test_a_notice_under_a_serial_wechat_does_not_list_is_rejected_after_asking(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    gateway.refund(request())
    headers, body = inbox.next()

    with pytest.raises(NoticeRejected):
        gateway.notice({**headers, "Wechatpay-Serial": "0123456789ABCDEF"}, body)

    assert paths(sandbox)[-1] == "GET /v3/certificates"


def test_a_notice_the_apiv3_key_does_not_open_is_rejected(
    sandbox: WechatPaySandbox, cert_dir: Path, make_gateway: MakeGateway, inbox: Inbox
) -> None:
    make_gateway(sandbox, cert_dir=cert_dir).refund(request())
    other_key = make_gateway(sandbox, cert_dir=cert_dir, apiv3_key=apiv3_key())

    with pytest.raises(NoticeRejected):
        other_key.notice(*inbox.next())


# --- platform certificates ---


def test_the_sdk_fetches_a_rotated_certificate_when_a_notice_is_signed_with_it(
    make_sandbox: MakeSandbox, make_gateway: MakeGateway, inbox: Inbox, tmp_path: Path
) -> None:
    clock = Clock()
    sandbox = make_sandbox(settle_s=60, clock=clock)
    cert_dir = tmp_path / "rotating"
    first = sandbox.write_certificate(cert_dir)
    gateway = make_gateway(sandbox, cert_dir=cert_dir)
    gateway.refund(request())  # answered under the first certificate
    new_serial = sandbox.rotate_certificate()
    clock.now += 61

    assert sandbox.settle() == 1
    headers, body = inbox.next()
    assert headers["Wechatpay-Serial"] == new_serial
    assert "GET /v3/certificates" not in paths(sandbox)

    assert gateway.notice(headers, body).answer.state is RefundState.SUCCEEDED
    assert paths(sandbox).count("GET /v3/certificates") == 1
    assert sorted(p.name for p in cert_dir.iterdir()) == sorted([first.name, f"{new_serial}.pem"])  # saved by the SDK
    assert gateway.query(request()).state is RefundState.SUCCEEDED  # signed with the new one, now known
    assert paths(sandbox).count("GET /v3/certificates") == 1


def test_the_adapter_refuses_to_start_without_a_platform_certificate(
    sandbox: WechatPaySandbox, make_gateway: MakeGateway, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "junk.pem").write_text("not a certificate")

    with pytest.raises(PlatformCertificateMissing, match="平台证书"):
        make_gateway(sandbox, cert_dir=empty)
    with pytest.raises(PlatformCertificateMissing):
        make_gateway(sandbox, cert_dir=tmp_path / "absent")

    assert sandbox.requests() == []


# --- refusals ---


def test_the_same_number_with_another_amount_is_refused(sandbox: WechatPaySandbox, gateway: WechatPayGateway) -> None:
    gateway.refund(request(fen=3000))

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(request(fen=4000))

    assert refused.value.code == "INVALID_REQUEST"
    assert [(r.refund_no, r.amount) for r in sandbox.refunds()] == [("po_1", Money(3000))]
    assert sandbox.paid_count("po_1") == 1


@pytest.mark.parametrize(
    ("refund", "code"),
    [
        (request(txn="4200000000000000000000000000"), "RESOURCE_NOT_EXISTS"),
        (request(fen=20000), "PARAM_ERROR"),
        (request(total=Money(9999)), "PARAM_ERROR"),
    ],
)
def test_refunds_wechat_pay_refuses(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, refund: RefundRequest, code: str
) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(refund)

    assert refused.value.code == code
    assert refused.value.message
    assert sandbox.refunds() == []


def test_a_second_refund_of_a_trade_within_a_minute_is_frequency_limited(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway
) -> None:
    gateway.refund(request("po_1"))

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(request("po_2"))

    assert refused.value.code == "FREQUENCY_LIMITED"
    assert [r.status for r in sandbox.requests()] == [200, 429]
    assert sandbox.paid_count("po_2") == 0


def test_refunds_add_up_to_the_total_and_at_most_fifty(make_sandbox: MakeSandbox, make_gateway: MakeGateway) -> None:
    sandbox = make_sandbox(refund_interval_s=0)
    sandbox.set_notify(None)
    gateway = make_gateway(sandbox)
    gateway.refund(request("po_big", fen=9900))
    with pytest.raises(GatewayRefused, match="可退金额"):
        gateway.refund(request("po_over", fen=101))

    for n in range(49):
        gateway.refund(request(f"po_{n}", fen=1))
    with pytest.raises(GatewayRefused, match="50"):
        gateway.refund(request("po_51st", fen=1))

    assert len(sandbox.refunds()) == 50


def test_a_trade_paid_over_a_year_ago_is_refused(sandbox: WechatPaySandbox, gateway: WechatPayGateway) -> None:
    sandbox.add_trade("4200000000000000000000000001", "ord_old", TOTAL, datetime.now(UTC) - timedelta(days=366))

    with pytest.raises(GatewayRefused, match="退款期限"):
        gateway.refund(request(txn="4200000000000000000000000001"))


def test_a_merchant_short_of_balance_is_refused(sandbox: WechatPaySandbox, gateway: WechatPayGateway) -> None:
    sandbox.set_balance(Money(100))

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(request())

    assert refused.value.code == "NOT_ENOUGH"


def test_requests_signed_with_another_key_are_refused(
    sandbox: WechatPaySandbox, cert_dir: Path, make_gateway: MakeGateway
) -> None:
    impostor = make_gateway(sandbox, cert_dir=cert_dir, private_key_pem=merchant_keys().private_key_pem)

    with pytest.raises(GatewayRefused) as refused:
        impostor.refund(request())
    unsigned = httpx.post(sandbox.base_url + REFUNDS, json={"out_refund_no": "po_1"})

    assert refused.value.code == "SIGN_ERROR"
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "SIGN_ERROR")
    assert sandbox.refunds() == []


# --- the bill ---


def test_the_statement_reads_back_the_refunds_of_the_day(
    sandbox: WechatPaySandbox, gateway: WechatPayGateway, inbox: Inbox
) -> None:
    sandbox.add_trade("4200000000000000000000000002", "ord_2", Money(500))
    gateway.refund(request("po_1", fen=3000))
    sandbox.fail_next(Fault.CLOSED)
    gateway.refund(request("po_2", fen=500, txn="4200000000000000000000000002", total=Money(500)))
    for _ in range(2):
        inbox.next()

    lines = gateway.statement(statement_day(datetime.now(UTC)))

    by_no = {line.refund_no: line for line in lines}
    held = {r.refund_no: r for r in sandbox.refunds()}
    assert sorted(by_no) == ["po_1", "po_2"]
    assert (by_no["po_1"].amount, by_no["po_1"].state) == (Money(3000), RefundState.SUCCEEDED)
    assert (by_no["po_2"].amount, by_no["po_2"].state) == (Money(500), RefundState.FAILED)
    assert all(by_no[no].gateway_refund_id == held[no].refund_id for no in by_no)
    assert all(abs(by_no[no].at - held[no].created_at) < timedelta(seconds=1) for no in by_no)
    bill_request = next(r for r in sandbox.requests() if r.path.startswith("/v3/bill/tradebill"))
    assert "tar_type=GZIP" in bill_request.path


def test_a_day_without_trades_has_an_empty_statement(gateway: WechatPayGateway) -> None:
    assert gateway.statement(statement_day(datetime.now(UTC)) - timedelta(days=3)) == []


# --- configuration ---


def test_from_settings_reads_the_key_from_a_file_and_reaches_the_configured_url(
    sandbox: WechatPaySandbox, cert_dir: Path, merchant: MerchantKeys, v3_key: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "apiclient_key.pem"
    key_file.write_text(merchant.private_key_pem)
    settings = Settings(
        wechat_url=sandbox.base_url + "/",
        wechat_mchid=MCHID,
        wechat_appid=APPID,
        wechat_cert_serial_no=merchant.serial_no,
        wechat_private_key_file=key_file,
        wechat_apiv3_key=v3_key,
        wechat_cert_dir=cert_dir,
        wechat_notify_url="https://tuika.example/notify/wechat",
        gateway_timeout_s=2,
    )

    gateway = WechatPayGateway.from_settings(settings)

    assert gateway.refund(request()).state is RefundState.PROCESSING
    assert sandbox.requests()[0].body["notify_url"] == "https://tuika.example/notify/wechat"
    assert gateway.timing == Timing(timedelta(seconds=60), timedelta(hours=24))
    with pytest.raises(PlatformCertificateMissing):
        WechatPayGateway.from_settings(settings.model_copy(update={"wechat_cert_dir": None}))


def test_the_timing_can_be_overridden(sandbox: WechatPaySandbox, make_gateway: MakeGateway) -> None:
    short = Timing(timedelta(milliseconds=50), timedelta(seconds=2))

    assert make_gateway(sandbox, timing=short).timing == short
