"""Finance's queue in the console over HTTP, with the real bank and WeChat Pay sandboxes behind it.

Who gets in, what each kind of row shows, the two ways out of a stuck refund, and refusals that
change nothing: no CSRF token, a wrong one, a second redirect, a gateway that does not answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import Auth, file_case, push
from tests.support.factories import account_balances, count_rows, ledger_total, order_payload
from tests.support.rigs import Rig, bank_rig, wechat_rig
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.gateway import RefundAnswer, RefundState
from tuika.domain.money import Money
from tuika.services.payouts import applying, confirming
from tuika_dev.sandbox.bank import FailCode
from tuika_dev.sandbox.wechat import Fault as WechatFault

PAGE = "/console/finance"
ZONE = ZoneInfo("Asia/Shanghai")


@dataclass
class Gateways:
    bank: Rig
    wechat: Rig


@pytest.fixture
def rigs(system: System, tmp_path: Path) -> Iterator[Gateways]:
    """Wire tuika to the bank and WeChat Pay sandboxes; their notices are kept for the test to deliver."""
    with ExitStack() as stack:
        bank = stack.enter_context(bank_rig(tmp_path))
        wechat = stack.enter_context(wechat_rig(tmp_path))
        system.ctx.gateways = {bank.route: bank.gateway, wechat.route: wechat.gateway}
        yield Gateways(bank, wechat)


def deliver(client: TestClient, rig: Rig) -> None:
    """Post every notice the sandbox sent to tuika's notify URL, as the provider would."""
    rig.quiet()
    for headers, body in rig.take_notices():
        assert client.post(f"/v1/notify/{rig.route.value}", content=body, headers=headers).status_code < 300


def claim(
    client: TestClient, auth: Auth, rig: Rig, order_id: str, buyer: str, card: FailCode | None = None
) -> dict[str, Any]:
    """File a claim on an undelivered order paid by ``rig``'s route: approved at once, refund sent.

    ``card`` makes the bank refuse the refund when it settles, for that reason.
    """
    order = order_payload(order_id, buyer=buyer, route=rig.route.value, delivery="failed", amount_fen=4321)
    push(client, auth, order)
    rig.add_trade(order_id, 4321)
    if card is not None:
        rig.sandbox.fail_card(f"tx_{order_id}", card)
    case = file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "original"}, buyer)
    assert case["payout"]["status"] == "processing", case
    return case


def failed_by_bank(client: TestClient, auth: Auth, rigs: Gateways, order_id: str, buyer: str) -> dict[str, Any]:
    """Return a bank-card payout the issuing bank refused (card cancelled), as tuika now records it."""
    case = claim(client, auth, rigs.bank, order_id, buyer, card=FailCode.CARD_CANCELLED)
    rigs.bank.settle()  # past T+1: the bank settles it as failed and sends its notice
    deliver(client, rigs.bank)
    payout = payout_of(client, auth, case["id"], buyer)
    assert payout["status"] == "failed", payout
    return {**payout, "case_id": case["id"]}


def abnormal_by_wechat(
    client: TestClient, auth: Auth, system: System, rigs: Gateways, order_id: str, buyer: str
) -> dict[str, Any]:
    """Return a WeChat payout the buyer's account refused (ABNORMAL), as tuika now records it."""
    rigs.wechat.sandbox.fail_next(WechatFault.ABNORMAL)
    case = claim(client, auth, rigs.wechat, order_id, buyer)
    rigs.wechat.settle()
    confirming.follow_up(system.ctx, case["payout"]["id"])  # the query finds it ABNORMAL
    payout = payout_of(client, auth, case["id"], buyer)
    assert payout["status"] == "abnormal", payout
    return {**payout, "case_id": case["id"]}


def payout_of(client: TestClient, auth: Auth, case_id: str, buyer: str) -> dict[str, Any]:
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer)).json()
    return dict(case["payout"])


def status_of(system: System, payout_id: str) -> str:
    with system.engine.connect() as conn:
        return str(conn.execute(text("SELECT status FROM payouts WHERE id = :id"), {"id": payout_id}).scalar_one())


def redirects_of(system: System, payout_id: str) -> int:
    with system.engine.connect() as conn:
        query = text("SELECT count(*) FROM payouts WHERE redirected_from = :id")
        return int(conn.execute(query, {"id": payout_id}).scalar_one())


def rows(page: str, kind: str) -> list[str]:
    """Return the payout ids of one list on the page, in order."""
    return re.findall(rf'data-payout="([^"]+)" data-test="{kind}-row"', page)


def row_html(page: str, payout_id: str) -> str:
    start = page.index(f'data-payout="{payout_id}"')
    return page[start : page.index("</li>", start)]


def act(client: TestClient, payout_id: str, action: str, csrf: str | None) -> Any:
    data = {} if csrf is None else {"csrf": csrf}
    return client.post(f"{PAGE}/payouts/{payout_id}/{action}", data=data, follow_redirects=False)


def test_an_admin_sees_every_kind_of_stuck_refund_and_the_alerts(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    abnormal = abnormal_by_wechat(client, auth, system, rigs, "ord_fq1", "buyer_f1")
    failed = failed_by_bank(client, auth, rigs, "ord_fq2", "buyer_f2")
    disputed = failed_by_bank(client, auth, rigs, "ord_fq5", "buyer_f5")
    late = claim(client, auth, rigs.bank, "ord_fq3", "buyer_f3")["payout"]
    on_time = claim(client, auth, rigs.bank, "ord_fq4", "buyer_f4")["payout"]
    sent = datetime.now(UTC) - timedelta(days=4, hours=2, minutes=30)
    with system.engine.begin() as conn:  # sent four days ago: past the bank's three
        conn.execute(text("UPDATE payouts SET sent_at = :at WHERE id = :id"), {"at": sent, "id": late["id"]})
    # The bank later claims one refused refund paid a single fen: an alert, nothing changed, and
    # that refund's outcome is now in doubt.
    applying.apply(
        system.ctx, RefundAnswer(disputed["id"], RefundState.SUCCEEDED, Money(1)), provider="bank_card", source="query"
    )
    sign_in(client, system, "finance_1", "admin")

    page = client.get(PAGE)

    assert page.status_code == 200, page.text
    body = page.text
    assert (rows(body, "abnormal"), rows(body, "failed"), rows(body, "disputed"), rows(body, "overdue")) == (
        [abnormal["id"]],
        [failed["id"]],
        [disputed["id"]],
        [late["id"]],
    )
    assert on_time["id"] not in body  # processing, but not late yet
    first = row_html(body, abnormal["id"])
    assert f'href="/console/cases/{abnormal["case_id"]}" data-test="case-link"' in first
    assert '¥<span data-test="amount">43.21</span> · 微信支付' in first
    assert ">异常<" in first
    assert "/resolve-abnormal" in first
    assert "/to-balance" in first
    assert "按渠道异常退款流程处理（退至商户银行卡，由商户线下转给买家）" in first
    second = row_html(body, failed["id"])
    assert f'href="/console/cases/{failed["case_id"]}" data-test="case-link"' in second
    assert "银行卡" in second
    assert ">失败<" in second
    assert 'data-test="failure">CARD_CANCELLED</dd>' in second
    assert "/to-balance" in second
    assert "/resolve-abnormal" not in second
    sent_local = datetime.fromisoformat(failed["sent_at"]).astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    assert sent_local in second  # Beijing time
    doubt = row_html(body, disputed["id"])
    assert ">失败<" in doubt
    assert "/to-balance" not in doubt  # its money may have left: no balance until resolved
    assert "渠道称已退款（或金额不同），与本系统记录的失败不符" in body
    third = row_html(body, late["id"])
    assert 'data-test="age">已等待 4 天 2 小时</span>' in third
    assert "<form" not in third
    assert 'data-kind="amount_mismatch"' in body
    assert "金额不符" in body
    alert_part = body[body.index('data-test="alert-row"') :]
    assert f"<code>{disputed['id']}</code>" in alert_part
    assert "query: succeeded 1 fen, payout is 4321 fen" in body
    assert 'data-test="resolve-alert"' in alert_part
    assert "将向原渠道重新查询该退款，以渠道答复为准。" in alert_part
    for kind, n in (("abnormal", 1), ("failed", 1), ("disputed", 1), ("overdue", 1), ("alerts", 1)):
        assert f'data-test="n-{kind}">{n}</span>' in body

    english = client.get(f"{PAGE}?lang=en").text
    assert "Finance queue" in english
    assert "Amount differs" in english
    assert "Waiting for 4 d 2 h" in english
    assert "Use the gateway&#39;s abnormal-refund process" in english
    assert "Refunds with a disputed outcome" in english


def test_nobody_but_an_admin_opens_the_queue_or_acts_on_it(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    failed = failed_by_bank(client, auth, rigs, "ord_fg1", "buyer_g1")

    assert client.get(PAGE).status_code == 401
    sign_in(client, system, "buyer_g1", "buyer")
    refused = client.get(PAGE)
    assert refused.status_code == 403
    assert "仅客服与仲裁人员可进入工作台" in refused.text
    for role in ("agent", "arbitrator"):
        csrf = sign_in(client, system, f"{role}_1", role)
        refused = client.get(PAGE)
        assert refused.status_code == 403, role
        assert "财务队列仅限管理员查看" in refused.text
        assert 'data-test="finance-link"' not in client.get("/console").text
        # Even with their own valid CSRF token, they cannot move the money.
        assert act(client, failed["id"], "to-balance", csrf).status_code == 403
        assert act(client, failed["id"], "resolve-abnormal", csrf).status_code == 403

    assert status_of(system, failed["id"]) == "failed"
    assert redirects_of(system, failed["id"]) == 0
    sign_in(client, system, "finance_1", "admin")
    assert 'href="/console/finance"' in client.get("/console").text


def test_an_action_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    failed = failed_by_bank(client, auth, rigs, "ord_fc1", "buyer_c1")
    abnormal = abnormal_by_wechat(client, auth, system, rigs, "ord_fc2", "buyer_c2")
    sign_in(client, system, "finance_1", "admin")
    requests_before = len(rigs.wechat.sandbox.requests())

    for csrf in (None, "0" * 40):
        for payout, action in ((failed, "to-balance"), (abnormal, "to-balance"), (abnormal, "resolve-abnormal")):
            refused = act(client, payout["id"], action, csrf)
            assert refused.status_code == 403, (action, csrf)
            assert "页面已过期或来源不明" in refused.text

    assert (status_of(system, failed["id"]), status_of(system, abnormal["id"])) == ("failed", "abnormal")
    assert count_rows(system.engine, "payouts") == 2
    assert len(rigs.wechat.sandbox.requests()) == requests_before  # WeChat was never asked
    assert rows(client.get(PAGE).text, "failed") == [failed["id"]]


def test_a_failed_refund_goes_to_the_balance_once_and_a_second_try_is_refused_inline(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    failed = failed_by_bank(client, auth, rigs, "ord_fr1", "buyer_r1")
    csrf = sign_in(client, system, "finance_1", "admin")

    done = act(client, failed["id"], "to-balance", csrf)

    assert (done.status_code, done.headers["location"]) == (303, PAGE)
    after = client.get(PAGE)
    assert f"已将退款 {failed['id']} 改退至买家的平台余额" in after.text
    assert rows(after.text, "failed") == []
    assert failed["id"] not in client.get(PAGE).text  # the confirmation is shown once

    again = act(client, failed["id"], "to-balance", csrf)

    assert again.status_code == 409
    assert re.search(rf'data-test="action-error">{failed["id"]}：该退款已改退至余额</p>', again.text), again.text
    english = client.post(f"{PAGE}/payouts/{failed['id']}/to-balance?lang=en", data={"csrf": csrf})
    assert english.status_code == 409
    assert "This refund has already been sent to the balance" in english.text
    assert redirects_of(system, failed["id"]) == 1
    case = client.get(f"/v1/refund-cases/{failed['case_id']}", headers=auth("buyer", "buyer_r1")).json()
    assert (case["status"], case["payout"]["route"], case["payout"]["status"]) == ("refunded", "balance", "succeeded")
    assert account_balances(system.engine)["buyer:buyer_r1"] == 4321
    assert ledger_total(system.engine) == 0


def test_an_abnormal_wechat_refund_goes_to_the_merchant_bank_card_once_the_gateway_answers(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    abnormal = abnormal_by_wechat(client, auth, system, rigs, "ord_fw1", "buyer_w1")
    csrf = sign_in(client, system, "finance_1", "admin")
    rigs.wechat.sandbox.fail_next(WechatFault.ERROR_500)

    busy = act(client, abnormal["id"], "resolve-abnormal", csrf)

    assert busy.status_code == 409
    assert "支付渠道暂无响应，请稍后重试" in row_html(busy.text, abnormal["id"])
    assert status_of(system, abnormal["id"]) == "abnormal"

    done = act(client, abnormal["id"], "resolve-abnormal", csrf)

    assert (done.status_code, done.headers["location"]) == (303, PAGE)
    assert status_of(system, abnormal["id"]) == "processing"
    assert rigs.wechat.sandbox.requests()[-1].body == {"out_refund_no": abnormal["id"], "type": "MERCHANT_BANK_CARD"}
    after = client.get(PAGE).text
    assert "款项将退至商户银行卡" in after
    assert rows(after, "abnormal") == []
    # Sent again, it is no longer the balance's to take.
    late = act(client, abnormal["id"], "to-balance", csrf)
    assert late.status_code == 409
    assert "只有失败或异常的原路退款可以改退至余额" in late.text
    assert redirects_of(system, abnormal["id"]) == 0


def test_an_unknown_payout_is_said_so_and_nothing_happens(client: TestClient, system: System, rigs: Gateways) -> None:
    csrf = sign_in(client, system, "finance_1", "admin")

    missing = act(client, "po_nothing", "to-balance", csrf)

    assert missing.status_code == 404
    assert "po_nothing：未找到该退款。" in missing.text
    assert count_rows(system.engine, "payouts") == 0


def resolve(client: TestClient, alert_id: str, csrf: str | None, note: str = "已在银行商户后台核对") -> Any:
    data = {"note": note} if csrf is None else {"note": note, "csrf": csrf}
    return client.post(f"{PAGE}/alerts/{alert_id}/resolve", data=data, follow_redirects=False)


def alert_ids(page: str) -> list[str]:
    return re.findall(r'data-test="alert-row" data-kind="[a-z_]+" data-alert="([^"]+)"', page)


def test_finance_resolves_a_dispute_from_the_queue_and_the_banks_word_decides(
    client: TestClient, auth: Auth, system: System, rigs: Gateways
) -> None:
    failed = failed_by_bank(client, auth, rigs, "ord_fd1", "buyer_d1")
    rigs.bank.sandbox.correct(failed["id"], "SETTLED")  # the bank finds it paid the card after all
    rigs.bank.settle()
    deliver(client, rigs.bank)
    csrf = sign_in(client, system, "finance_1", "admin")
    page = client.get(PAGE).text
    assert rows(page, "disputed") == [failed["id"]]
    [alert_id] = alert_ids(page)

    for wrong in (None, "0" * 40):
        assert resolve(client, alert_id, wrong).status_code == 403
    empty = resolve(client, alert_id, csrf, note="   ")
    assert empty.status_code == 422
    assert "请填写核实说明（1–500 字）" in row_html_alert(empty.text, alert_id)
    assert status_of(system, failed["id"]) == "failed"

    done = resolve(client, alert_id, csrf)

    assert (done.status_code, done.headers["location"]) == (303, PAGE)
    after = client.get(PAGE).text
    assert "渠道确认已退款：该笔退款已记为到账，申请已完成。" in after
    assert (rows(after, "disputed"), alert_ids(after)) == ([], [])
    assert status_of(system, failed["id"]) == "succeeded"
    case = client.get(f"/v1/refund-cases/{failed['case_id']}", headers=auth("buyer", "buyer_d1")).json()
    assert case["status"] == "refunded"
    assert redirects_of(system, failed["id"]) == 0
    assert account_balances(system.engine)["gateway:bank_card:clearing"] == 4321
    assert ledger_total(system.engine) == 0
    again = resolve(client, alert_id, csrf)
    assert again.status_code == 409
    assert f"{alert_id}：该提醒已处理" in again.text


def row_html_alert(page: str, alert_id: str) -> str:
    start = page.index(f'data-alert="{alert_id}"')
    return page[start : page.index("</li>", start)]
