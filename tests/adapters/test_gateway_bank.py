"""BankCardGateway against the bank sandbox over real HTTP on 127.0.0.1, in every fault mode.

The sandbox and the adapter share one fake clock, so a test moves both across a weekend.
Friday 2024-03-15 10:00 Beijing is the day of the refunds; T+1 is Monday 00:00 Beijing.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tuika.adapters.gateways.bank import BankCardGateway
from tuika.adapters.gateways.bank_statement import SettlementFileInvalid
from tuika.domain.gateway import (
    GatewayRefused,
    GatewayUnavailable,
    NoticeRejected,
    RefundAnswer,
    RefundRequest,
    RefundState,
    StatementLine,
    Timing,
)
from tuika.domain.money import Money
from tuika.domain.payouts import PayoutRoute
from tuika.settings import Settings
from tuika_dev.sandbox.bank import BankSandbox, FailCode, Fault

MERCHANT = "898310048990001"
TXN = "TXN20240315000001"
FRIDAY = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
SUNDAY_LAST_SECOND = datetime(2024, 3, 17, 15, 59, 59, tzinfo=UTC)  # 23:59:59 in Beijing
MONDAY = datetime(2024, 3, 17, 16, 0, tzinfo=UTC)  # 00:00 in Beijing: T+1 of Friday

Headers = dict[str, str]


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Inbox:
    """The merchant's notify endpoint: records each delivery, answers the next queued status or 200."""

    def __init__(self) -> None:
        self.received: list[tuple[Headers, bytes]] = []
        self.statuses: list[int] = []

    def __call__(self, headers: Headers, body: bytes) -> int:
        self.received.append((headers, body))
        return self.statuses.pop(0) if self.statuses else 200


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(FRIDAY)


@pytest.fixture
def bank(clock: FakeClock) -> Iterator[BankSandbox]:
    with BankSandbox(MERCHANT, clock=clock, stall_s=3.0, notify_retry_s=0.0) as sandbox:
        sandbox.add_trade(TXN, "ord_1", Money(5000))
        yield sandbox


@pytest.fixture
def inbox(bank: BankSandbox) -> Inbox:
    received = Inbox()
    bank.set_notify(received)
    return received


@pytest.fixture
def gateway(bank: BankSandbox, clock: FakeClock) -> Iterator[BankCardGateway]:
    made = BankCardGateway(bank.base_url, bank.merchant_id, bank.secret, timeout_s=1.5, clock=clock)
    yield made
    made.close()


def ask(refund_no: str = "po_1", fen: int = 1999, transaction_id: str = TXN) -> RefundRequest:
    return RefundRequest(refund_no, "ord_1", transaction_id, Money(fen), Money(5000), "card_invalid")


def bank_id(bank: BankSandbox, refund_no: str) -> str:
    return next(r.bank_refund_id for r in bank.refunds() if r.refund_no == refund_no)


def lower(headers: Headers) -> Headers:
    return {name.lower(): value for name, value in headers.items()}


# --- the happy path ---


def test_a_refund_is_processing_until_t_plus_1_then_settled_by_query_and_notice(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    answer = gateway.refund(ask())

    processing = RefundAnswer("po_1", RefundState.PROCESSING, Money(1999), bank_id(bank, "po_1"))
    assert answer == processing
    assert gateway.query(ask()) == processing
    clock.now = SUNDAY_LAST_SECOND
    assert bank.settle_due() == []
    assert gateway.query(ask()) == processing
    assert inbox.received == []

    clock.now = MONDAY
    assert [r.status for r in bank.settle_due()] == ["SETTLED"]

    settled = RefundAnswer("po_1", RefundState.SUCCEEDED, Money(1999), bank_id(bank, "po_1"), settled_at=MONDAY)
    assert gateway.query(ask()) == settled
    [(headers, body)] = inbox.received
    notice = gateway.notice(lower(headers), body)
    assert (notice.provider, notice.answer, notice.raw) == ("bank_card", settled, body.decode())
    assert notice.notice_id.startswith("NT")
    assert bank.settle_due() == []
    assert len(inbox.received) == 1
    assert bank.paid_count("po_1") == 1


@pytest.mark.parametrize(
    ("accepted", "settle_days", "settles"),
    [
        (FRIDAY, 1, MONDAY),
        (FRIDAY, 2, MONDAY + timedelta(days=1)),
        (MONDAY + timedelta(hours=10), 1, MONDAY + timedelta(days=1)),
        (FRIDAY + timedelta(days=1), 1, MONDAY),  # accepted on Saturday
        (datetime(2024, 3, 14, 16, 30, tzinfo=UTC), 1, MONDAY),  # Thursday in UTC, Friday 00:30 in Beijing
        (datetime(2024, 3, 15, 15, 30, tzinfo=UTC), 1, MONDAY),  # Friday 23:30 in Beijing
    ],
)
def test_settlement_waits_n_business_days_in_beijing_time(
    clock: FakeClock, accepted: datetime, settle_days: int, settles: datetime
) -> None:
    clock.now = accepted
    with BankSandbox(MERCHANT, "s3cret", clock=clock, settle_days=settle_days) as bank:
        bank.add_trade(TXN, "ord_1", Money(5000))
        gateway = BankCardGateway(bank.base_url, MERCHANT, "s3cret", clock=clock)
        gateway.refund(ask())

        clock.now = settles - timedelta(seconds=1)
        assert gateway.query(ask()).state is RefundState.PROCESSING
        clock.now = settles
        answer = gateway.query(ask())
        gateway.close()

    assert (answer.state, answer.settled_at) == (RefundState.SUCCEEDED, settles)


def test_settle_days_zero_settles_at_the_next_look(clock: FakeClock) -> None:
    with BankSandbox(MERCHANT, "s3cret", clock=clock, settle_days=0) as bank:
        bank.add_trade(TXN, "ord_1", Money(5000))
        gateway = BankCardGateway(bank.base_url, MERCHANT, "s3cret", clock=clock)
        assert gateway.refund(ask()).state is RefundState.PROCESSING
        answer = gateway.query(ask())
        gateway.close()

    assert (answer.state, answer.settled_at) == (RefundState.SUCCEEDED, FRIDAY)


def test_a_ticking_sandbox_sends_notices_by_itself() -> None:
    inbox = Inbox()
    with BankSandbox(settle_days=0, tick_s=0.02) as bank:
        bank.add_trade(TXN, "ord_1", Money(5000))
        bank.set_notify(inbox)
        gateway = BankCardGateway(bank.base_url, bank.merchant_id, bank.secret)
        gateway.refund(ask())
        deadline = time.monotonic() + 2.0
        while not inbox.received and time.monotonic() < deadline:
            time.sleep(0.01)
        [(headers, body)] = inbox.received
        assert gateway.notice(headers, body).answer.state is RefundState.SUCCEEDED
        gateway.close()


def test_the_same_number_from_many_threads_pays_once(bank: BankSandbox, clock: FakeClock) -> None:
    # A patient client: on a busy machine eight at once may take longer than the suite's 0.3 s.
    gateway = BankCardGateway(bank.base_url, bank.merchant_id, bank.secret, timeout_s=10.0, clock=clock)
    answers: list[RefundAnswer] = []
    threads = [threading.Thread(target=lambda: answers.append(gateway.refund(ask()))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    gateway.close()
    assert {a.gateway_refund_id for a in answers} == {bank_id(bank, "po_1")}
    assert len(answers) == 8
    assert bank.paid_count("po_1") == 1


# --- faults of the call ---


def test_a_timeout_after_accepting_is_unavailable_and_the_retry_finds_the_same_refund(
    bank: BankSandbox, gateway: BankCardGateway
) -> None:
    bank.fail_next(Fault.TIMEOUT_AFTER_ACCEPT)

    with pytest.raises(GatewayUnavailable, match="timed out"):
        gateway.refund(ask())

    assert [r.refund_no for r in bank.refunds()] == ["po_1"]  # the bank did it all the same
    again = gateway.refund(ask())
    assert again == RefundAnswer("po_1", RefundState.PROCESSING, Money(1999), bank_id(bank, "po_1"))
    assert bank.paid_count("po_1") == 1
    assert len(bank.refunds()) == 1


def test_a_500_is_unavailable_and_nothing_was_done(bank: BankSandbox, gateway: BankCardGateway) -> None:
    bank.fail_next(Fault.ERROR_500)

    with pytest.raises(GatewayUnavailable, match="HTTP 500"):
        gateway.refund(ask())

    assert bank.refunds() == []
    assert gateway.refund(ask()).state is RefundState.PROCESSING
    assert bank.paid_count("po_1") == 1


def test_query_faults_are_unavailable(bank: BankSandbox, gateway: BankCardGateway) -> None:
    gateway.refund(ask())
    for fault, message in [(Fault.ERROR_500, "HTTP 500"), (Fault.TIMEOUT_AFTER_ACCEPT, "timed out")]:
        bank.fail_next(fault)
        with pytest.raises(GatewayUnavailable, match=message):
            gateway.query(ask())

    assert gateway.query(ask()).state is RefundState.PROCESSING


def test_an_answer_signed_with_a_wrong_key_is_unavailable_though_the_refund_was_made(
    bank: BankSandbox, gateway: BankCardGateway
) -> None:
    bank.fail_next(Fault.BAD_SIGNATURE)

    with pytest.raises(GatewayUnavailable, match="signature"):
        gateway.refund(ask())

    assert gateway.refund(ask()).gateway_refund_id == bank_id(bank, "po_1")
    assert bank.paid_count("po_1") == 1
    bank.fail_next(Fault.BAD_SIGNATURE)
    with pytest.raises(GatewayUnavailable, match="signature"):
        gateway.query(ask())


def test_a_replayed_answer_to_an_earlier_request_is_unavailable(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock
) -> None:
    gateway.refund(ask())
    recorded: list[httpx.Response] = []

    def replaying(request: httpx.Request) -> httpx.Response:
        if not recorded:
            with httpx.Client() as client:
                live = client.send(request)
                recorded.append(httpx.Response(live.status_code, headers=live.headers, content=live.content))
        return recorded[0]

    url = bank.base_url
    between = BankCardGateway(url, MERCHANT, bank.secret, clock=clock, transport=httpx.MockTransport(replaying))

    assert between.query(ask()).state is RefundState.PROCESSING
    clock.now = MONDAY  # settled now, but a man in the middle replays the signed "processing"
    with pytest.raises(GatewayUnavailable, match="signature"):
        between.query(ask())


def test_a_request_with_a_wrong_secret_or_clock_is_refused_and_nothing_is_paid(
    bank: BankSandbox, clock: FakeClock
) -> None:
    wrong_key = BankCardGateway(bank.base_url, MERCHANT, "not-the-secret", clock=clock)
    late = BankCardGateway(bank.base_url, MERCHANT, bank.secret, clock=lambda: FRIDAY + timedelta(minutes=6))

    for gateway in (wrong_key, late):
        with pytest.raises(GatewayUnavailable, match="HTTP 401"):
            gateway.refund(ask())
        gateway.close()

    assert bank.refunds() == []
    assert [(r.status, r.resp_code) for r in bank.requests] == [(401, "11"), (401, "11")]


# --- refusals ---


def test_the_same_number_with_another_amount_is_refused(bank: BankSandbox, gateway: BankCardGateway) -> None:
    gateway.refund(ask(fen=1999))

    with pytest.raises(GatewayRefused) as refused:
        gateway.refund(ask(fen=2000))

    assert refused.value.code == "12"
    assert [(r.refund_no, r.amount) for r in bank.refunds()] == [("po_1", Money(1999))]


def test_an_unknown_trade_and_too_much_are_refused(bank: BankSandbox, gateway: BankCardGateway) -> None:
    gateway.refund(ask("po_1", 4000))

    with pytest.raises(GatewayRefused) as unknown:
        gateway.refund(ask("po_2", 100, transaction_id="TXN_UNKNOWN"))
    with pytest.raises(GatewayRefused) as too_much:
        gateway.refund(ask("po_3", 1001))

    assert (unknown.value.code, too_much.value.code) == ("35", "33")
    assert [r.refund_no for r in bank.refunds()] == ["po_1"]
    assert gateway.refund(ask("po_4", 1000)).state is RefundState.PROCESSING  # exactly the rest


def test_an_unknown_number_is_not_found(gateway: BankCardGateway) -> None:
    assert gateway.query(ask("po_never")) == RefundAnswer("po_never", RefundState.NOT_FOUND)


def test_abnormal_refunds_do_not_exist_on_the_bank_channel(gateway: BankCardGateway) -> None:
    with pytest.raises(GatewayRefused) as refused:
        gateway.resolve_abnormal(ask(), "20240315100000000001")

    assert refused.value.code == "unsupported"


# --- bank-side failures ---


def test_a_closed_card_fails_at_settlement_through_query_and_notice(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    bank.fail_next(Fault.CLOSED)
    assert gateway.refund(ask("po_1", 5000)).state is RefundState.PROCESSING
    assert gateway.query(ask("po_1", 5000)).state is RefundState.PROCESSING

    clock.now = MONDAY
    bank.settle_due()

    failed = RefundAnswer(
        "po_1", RefundState.FAILED, Money(5000), bank_id(bank, "po_1"), detail=FailCode.CARD_CANCELLED.value
    )
    assert gateway.query(ask("po_1", 5000)) == failed
    [(headers, body)] = inbox.received
    assert gateway.notice(headers, body).answer == failed
    assert bank.paid_count("po_1") == 0
    # Nothing reached the card, so the whole trade may be refunded again under a new number.
    assert gateway.refund(ask("po_2", 5000)).state is RefundState.PROCESSING


def test_a_card_rule_fails_every_refund_to_that_card(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock
) -> None:
    bank.fail_card(TXN, FailCode.ACCOUNT_FROZEN)
    gateway.refund(ask("po_1", 100))
    gateway.refund(ask("po_2", 200))

    clock.now = MONDAY

    assert [(a.state, a.detail) for a in (gateway.query(ask("po_1", 100)), gateway.query(ask("po_2", 200)))] == [
        (RefundState.FAILED, "ACCOUNT_FROZEN"),
        (RefundState.FAILED, "ACCOUNT_FROZEN"),
    ]


# --- notices ---


def test_a_duplicate_notice_verifies_twice_with_the_same_id(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    bank.fail_next(Fault.DUPLICATE_NOTICE)
    gateway.refund(ask())
    clock.now = MONDAY

    bank.settle_due()

    notices = [gateway.notice(headers, body) for headers, body in inbox.received]
    assert len(notices) == 2
    assert notices[0] == notices[1]
    assert notices[0].answer.state is RefundState.SUCCEEDED


def test_a_notice_of_acceptance_arrives_before_the_answer(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock
) -> None:
    answered = threading.Event()
    early: list[tuple[Headers, bytes, bool]] = []
    bank.set_notify(lambda headers, body: early.append((headers, body, answered.is_set())) or 200)
    bank.fail_next(Fault.NOTICE_BEFORE_RESPONSE)

    answer = gateway.refund(ask())
    answered.set()

    [(headers, body, after_answer)] = early
    assert after_answer is False
    first = gateway.notice(headers, body)
    assert first.answer == answer
    clock.now = MONDAY
    bank.settle_due()
    last = gateway.notice(early[1][0], early[1][1])
    assert last.answer.state is RefundState.SUCCEEDED
    assert last.notice_id != first.notice_id


def test_without_a_notice_the_query_still_answers(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    bank.fail_next(Fault.NO_NOTICE)
    gateway.refund(ask())
    clock.now = MONDAY

    assert [r.refund_no for r in bank.settle_due()] == ["po_1"]

    assert inbox.received == []
    assert gateway.query(ask()).state is RefundState.SUCCEEDED


def test_a_notice_signed_with_a_wrong_key_is_rejected(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    gateway.refund(ask())
    bank.fail_next(Fault.BAD_SIGNATURE)
    clock.now = MONDAY
    bank.settle_due()

    [(headers, body)] = inbox.received
    with pytest.raises(NoticeRejected, match="signature"):
        gateway.notice(headers, body)


@pytest.fixture
def settled_notice(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> tuple[Headers, bytes]:
    gateway.refund(ask())
    clock.now = MONDAY
    bank.settle_due()
    [(headers, body)] = inbox.received
    return headers, body


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b.replace(b'"amount_fen": 1999', b'"amount_fen": 9999')),
        lambda h, b: (h, b.replace(b'"SETTLED"', b'"FAILED"')),
        lambda h, b: ({**h, "X-Bank-Merchant-Id": "898310048990002"}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "X-Bank-Signature"}, b),
        lambda h, b: ({**h, "X-Bank-Nonce": "0" * 32}, b),
        lambda h, b: (h, b""),
    ],
    ids=["amount", "status", "merchant", "no-signature", "nonce", "empty"],
)
def test_a_tampered_notice_is_rejected(
    gateway: BankCardGateway,
    settled_notice: tuple[Headers, bytes],
    tamper: Callable[[Headers, bytes], tuple[Headers, bytes]],
) -> None:
    headers, body = tamper(*settled_notice)
    assert (headers, body) != settled_notice

    with pytest.raises(NoticeRejected):
        gateway.notice(headers, body)


def test_a_notice_verifies_with_headers_in_any_case_within_five_minutes(
    gateway: BankCardGateway, clock: FakeClock, settled_notice: tuple[Headers, bytes]
) -> None:
    headers, body = settled_notice
    upper = {name.upper(): value for name, value in headers.items()}

    clock.now = MONDAY + timedelta(minutes=4, seconds=59)
    assert gateway.notice(lower(headers), body).answer.state is RefundState.SUCCEEDED
    assert gateway.notice(upper, body).answer.state is RefundState.SUCCEEDED
    clock.now = MONDAY + timedelta(minutes=5, seconds=1)
    with pytest.raises(NoticeRejected, match="5 minutes"):
        gateway.notice(headers, body)


def test_a_signed_notice_that_is_not_json_is_rejected(gateway: BankCardGateway, bank: BankSandbox) -> None:
    body, timestamp, nonce = b"<xml>refund</xml>", "20240315100000", "ab" * 16
    canonical = f"NOTICE\n{MERCHANT}\n{timestamp}\n{nonce}\n".encode() + body
    signature = hmac.new(bank.secret.encode(), canonical, hashlib.sha256).hexdigest()
    headers = {"x-bank-merchant-id": MERCHANT, "x-bank-timestamp": timestamp, "x-bank-nonce": nonce}

    with pytest.raises(NoticeRejected, match="not JSON"):
        gateway.notice({**headers, "x-bank-signature": signature}, body)


def test_notice_replies_tell_the_bank_to_stop_or_retry(gateway: BankCardGateway) -> None:
    ok, refused = gateway.notice_reply(True), gateway.notice_reply(False)

    assert (ok[0], json.loads(ok[2])["resp_code"]) == (200, "00")
    assert (refused[0], json.loads(refused[2])["resp_code"]) == (400, "96")


def test_the_bank_retries_a_notice_the_merchant_did_not_store(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock, inbox: Inbox
) -> None:
    inbox.statuses = [400, 503]
    gateway.refund(ask())
    clock.now = MONDAY

    bank.settle_due()

    assert [d.http_status for d in bank.deliveries] == [400, 503, 200]
    assert len({d.notice_id for d in bank.deliveries}) == 1
    assert len({gateway.notice(h, b).notice_id for h, b in inbox.received}) == 1


def test_notices_are_posted_to_a_url_and_the_reply_is_honoured(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock
) -> None:
    stored: list[str] = []

    class Endpoint(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            try:
                stored.append(gateway.notice(dict(self.headers.items()), body).notice_id)
                status, headers, reply = gateway.notice_reply(True)
            except NoticeRejected:
                status, headers, reply = gateway.notice_reply(False)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Endpoint)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        bank.set_notify(f"http://127.0.0.1:{server.server_address[1]}/notify/bank_card")
        gateway.refund(ask())
        clock.now = MONDAY
        bank.settle_due()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    assert len(stored) == 1
    assert [d.http_status for d in bank.deliveries] == [200]


# --- the settlement file ---


def test_the_statement_lists_each_days_refunds_with_numbers_amounts_and_states(
    bank: BankSandbox, gateway: BankCardGateway, clock: FakeClock
) -> None:
    gateway.refund(ask("po_1", 1999))
    clock.now = FRIDAY + timedelta(hours=1)
    bank.fail_next(Fault.CLOSED)
    gateway.refund(ask("po_2", 500))
    clock.now = MONDAY + timedelta(hours=3)
    gateway.refund(ask("po_3", 700))

    friday, monday = gateway.statement(date(2024, 3, 15)), gateway.statement(date(2024, 3, 18))

    assert friday == [
        StatementLine("po_1", bank_id(bank, "po_1"), Money(1999), RefundState.SUCCEEDED, FRIDAY),
        StatementLine("po_2", bank_id(bank, "po_2"), Money(500), RefundState.FAILED, FRIDAY + timedelta(hours=1)),
    ]
    assert monday == [
        StatementLine("po_3", bank_id(bank, "po_3"), Money(700), RefundState.PROCESSING, MONDAY + timedelta(hours=3))
    ]
    assert gateway.statement(date(2024, 3, 16)) == []


def test_a_statement_not_ready_or_badly_signed_is_unavailable(bank: BankSandbox, gateway: BankCardGateway) -> None:
    with pytest.raises(GatewayUnavailable, match="39"):
        gateway.statement(date(2024, 3, 16))  # tomorrow
    bank.fail_next(Fault.BAD_SIGNATURE)
    with pytest.raises(GatewayUnavailable, match="signature"):
        gateway.statement(date(2024, 3, 15))


def test_a_settlement_file_whose_trailer_disagrees_is_refused(clock: FakeClock) -> None:
    secret = b"mock-secret"
    truncated = (
        b"H,BANKSTL,01,898310048990001,20240315,20240316020000\r\n"
        b"D,1,REFUND,po_1,202403151000000000001,TXN1,20240315,100000,1999,CNY,SETTLED,20240318,\r\n"
        b"T,2,2499\r\n"
    )

    def bank(request: httpx.Request) -> httpx.Response:
        nonce, timestamp = request.headers["X-Bank-Nonce"], "20240315100000"
        canonical = f"200\n{MERCHANT}\n{timestamp}\n{nonce}\n".encode() + truncated
        signature = hmac.new(secret, canonical, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "text/csv; charset=utf-8", "X-Bank-Merchant-Id": MERCHANT}
        headers |= {"X-Bank-Timestamp": timestamp, "X-Bank-Nonce": nonce, "X-Bank-Signature": signature}
        return httpx.Response(200, headers=headers, content=truncated)

    gateway = BankCardGateway("https://bank.test", MERCHANT, secret, clock=clock, transport=httpx.MockTransport(bank))

    with pytest.raises(SettlementFileInvalid, match="trailer says 2 records, 2499 fen; the file holds 1 records"):
        gateway.statement(date(2024, 3, 15))


# --- configuration ---


def test_from_settings_reaches_the_bank_with_the_settings_key() -> None:
    with BankSandbox() as bank:
        settings = Settings(
            bank_url=bank.base_url, bank_merchant_id=bank.merchant_id, bank_secret=bank.secret, gateway_timeout_s=1.0
        )
        gateway = BankCardGateway.from_settings(settings)
        answer = gateway.query(ask("po_missing"))
        gateway.close()

    assert answer.state is RefundState.NOT_FOUND
    assert (gateway.route, gateway.timing) == (
        PayoutRoute.BANK_CARD,
        Timing(first_query_after=timedelta(hours=1), expected_within=timedelta(days=3)),
    )
    with pytest.raises(ValueError, match="bank_url"):
        BankCardGateway.from_settings(Settings())


def test_timing_can_be_shortened() -> None:
    short = Timing(timedelta(seconds=1), timedelta(seconds=10))

    assert BankCardGateway("http://127.0.0.1:9", MERCHANT, "s", timing=short).timing == short
