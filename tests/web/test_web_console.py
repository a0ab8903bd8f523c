"""The agent console over HTTP: who gets in, the queue and its filters, decisions refused without a change."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import card_key_for, count_rows, order_payload, png_bytes
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number
from tuika.domain.reason_codes import is_known
from tuika.review.reading import EvidenceRead
from tuika.web.console_case import REASONS
from tuika.web.console_marks import marks


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def api_case(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_9"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def visible(page: str) -> str:
    """Return the text a person reads on a page: no tags, so no attributes, no scripts or styles."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", body)


def queue_ids(page: str) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', page)


def decide(client: TestClient, case_id: str, csrf: str | None, **form: str) -> Any:
    data = dict(form)
    if csrf is not None:
        data["csrf"] = csrf
    return client.post(f"/console/cases/{case_id}/decisions", data=data, follow_redirects=False)


def test_nobody_but_staff_reaches_the_console(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_cg1")
    pages = ("/console", f"/console/cases/{case_id}", "/console?queue=arbitration")

    for path in pages:
        refused = client.get(path)
        assert refused.status_code == 401, path
        assert "请从平台进入退卡中心" in refused.text
    assert decide(client, case_id, None, action="approve", reason_code="goodwill").status_code in (401, 403)

    buyer_csrf = sign_in(client, system, "buyer_1", "buyer")
    for path in pages:
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "仅客服与仲裁人员可进入工作台" in refused.text
    # Even with the buyer's own valid CSRF token, a buyer cannot decide.
    refused = decide(client, case_id, buyer_csrf, action="approve", reason_code="goodwill")
    assert refused.status_code == 403

    assert api_case(client, auth, case_id)["status"] == "manual_review"
    assert count_rows(system.engine, "decisions") == 1  # the machine's only


def test_the_queue_lists_the_agents_cases_by_deadline_with_countdown_and_priority(
    client: TestClient, auth: Auth, system: System
) -> None:
    first = manual_review_case(client, auth, "ord_cq1")
    second = manual_review_case(client, auth, "ord_cq2", buyer="buyer_2")
    # The second case's deadline passed: it comes first, red and marked in words.
    with system.engine.begin() as conn:
        past = datetime.now(UTC) - timedelta(minutes=3)
        conn.execute(text("UPDATE cases SET due_at = :at WHERE id = :id"), {"at": past, "id": second})
    sign_in(client, system, "agent_1", "agent")

    page = client.get("/console")

    assert page.status_code == 200
    assert queue_ids(page.text) == [second, first]
    rows = page.text.split('data-test="queue-case"')[1:]
    assert "已超时 0:0" in rows[0]
    assert "prio-urgent overdue" in page.text.split(f'data-case="{second}"')[0].rsplit("<li", 1)[1]
    assert "紧急" in rows[0]
    assert re.search(r"剩余 1:5\d:\d\d", rows[1])
    assert "普通" in rows[1]
    assert 'data-due="' in rows[1]
    english = client.get("/console?lang=en").text
    assert "Overdue by 0:0" in english
    # A deadline days away reads in days, in both languages and as console.js ticks it.
    with system.engine.begin() as conn:
        later = datetime.now(UTC) + timedelta(days=2, hours=3)
        conn.execute(text("UPDATE cases SET due_at = :at WHERE id = :id"), {"at": later, "id": first})
    rows = client.get("/console?lang=zh").text.split('data-test="queue-case"')[1:]
    assert re.search(r"剩余 2 天 (3:00|2:59):\d\d", rows[1]), rows[1]
    assert 'data-days="{d} 天 "' in rows[1]
    assert re.search(r"(3:00|2:59):\d\d left", client.get("/console?lang=en").text.split("2 d ")[1][:20])
    assert "Review queue" in english


def test_filters_narrow_the_queue_and_bad_values_are_explained(client: TestClient, auth: Auth, system: System) -> None:
    cheap = manual_review_case(client, auth, "ord_cf1", amount_fen=5000)
    dear = manual_review_case(client, auth, "ord_cf2", amount_fen=15000)
    push(client, auth, order_payload("ord_cf3", kind="direct_topup", merchant_id="merchant_7"))
    sign_in(client, system, "agent_1", "agent")

    assert queue_ids(client.get("/console?min=100").text) == [dear]
    assert queue_ids(client.get("/console?max=99.99").text) == [cheap]
    assert queue_ids(client.get("/console?min=50&max=50.00").text) == [cheap]
    assert queue_ids(client.get("/console?reason=card_invalid&kind=card_key").text) == [cheap, dear]
    assert queue_ids(client.get("/console?reason=not_delivered").text) == []
    assert queue_ids(client.get("/console?merchant=merchant_1").text) == [cheap, dear]
    assert queue_ids(client.get("/console?merchant=merchant_7").text) == []
    assert queue_ids(client.get("/console?kind=direct_topup").text) == []

    bad = {
        "reason=refund_me": "退卡原因无效",
        "kind=giftcard": "商品类型无效",
        "merchant=m%20x": "商家编号只能包含",
        "min=abc": "金额请填写",
        "max=-1": "金额请填写",
        "min=1e9": "金额请填写",
        "min=20&max=10": "最高金额不能低于最低金额",
        "queue=vip": "没有这个队列",
    }
    for query, said in bad.items():
        page = client.get(f"/console?{query}")
        assert page.status_code == 400, query
        assert said in page.text, query
        assert 'role="alert"' in page.text
    # A bad filter is left out and the good ones still hold.
    assert queue_ids(client.get("/console?min=abc&max=60").text) == [cheap]


def test_the_arbitration_queue_is_for_arbitrators_only(client: TestClient, auth: Auth, system: System) -> None:
    waiting = manual_review_case(client, auth, "ord_ca1")
    disputed = manual_review_case(client, auth, "ord_ca2")
    contested = client.post(
        f"/v1/refund-cases/{disputed}/contest", json={"note": "有效"}, headers=auth("merchant", "merchant_1")
    )
    assert contested.status_code == 200, contested.text

    sign_in(client, system, "agent_1", "agent")
    refused = client.get("/console?queue=arbitration")
    assert refused.status_code == 403
    assert "仲裁队列仅限仲裁员与管理员查看" in refused.text
    agents = client.get("/console").text
    assert queue_ids(agents) == [waiting]
    assert 'data-test="tab-arbitration"' not in agents

    sign_in(client, system, "arb_1", "arbitrator")
    assert queue_ids(client.get("/console?queue=arbitration").text) == [disputed]
    assert queue_ids(client.get("/console?queue=manual_review").text) == [waiting]
    everything = client.get("/console").text
    assert sorted(queue_ids(everything)) == sorted([waiting, disputed])
    assert 'data-test="tab-arbitration"' in everything


def test_decisions_need_the_csrf_token(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_cc1")
    csrf = sign_in(client, system, "agent_1", "agent")

    missing = decide(client, case_id, None, action="approve", reason_code="evidence_confirms_claim")
    wrong = decide(client, case_id, "0" * 40, action="approve", reason_code="evidence_confirms_claim")
    as_header = client.post(
        f"/console/cases/{case_id}/decisions",
        data={"action": "approve", "reason_code": "goodwill"},
        headers={"X-CSRF-Token": csrf[:-1] + ("0" if csrf[-1] != "0" else "1")},
    )

    for refused in (missing, wrong, as_header):
        assert refused.status_code == 403
        assert "页面已过期或来源不明" in refused.text
    assert api_case(client, auth, case_id)["status"] == "manual_review"
    assert count_rows(system.engine, "decisions") == 1
    assert count_rows(system.engine, "payouts") == 0


def test_a_decision_without_a_fitting_reason_is_refused_inline(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_cr1")
    csrf = sign_in(client, system, "agent_1", "agent")

    cases = [
        ({"action": "reject"}, "请选择原因。"),
        ({"action": "reject", "reason_code": "goodwill"}, "该原因不适用于此操作"),
        ({"action": "reject", "reason_code": "made_up"}, "该原因不适用于此操作"),
        ({"action": "request_evidence", "reason_code": "evidence_insufficient"}, "请填写给买家的留言"),
        ({"action": "refund_twice", "reason_code": "goodwill"}, "没有这个操作"),
        ({"action": "approve", "reason_code": "goodwill", "note": "长" * 2001}, "备注最多 2000 字"),
    ]
    for form, said in cases:
        page = decide(client, case_id, csrf, **form)
        assert page.status_code == 400, form
        assert said in page.text, form
        assert 'data-test="action-error"' in page.text
    reject = decide(client, case_id, csrf, action="reject", note="看不清")
    # The refused form comes back open, with what was typed.
    assert re.search(r'id="act-reject" data-key="r" open', reject.text)
    assert 'value="看不清"' in reject.text

    assert api_case(client, auth, case_id)["status"] == "manual_review"
    assert count_rows(system.engine, "decisions") == 1


def test_an_approval_lands_on_the_timeline_and_opens_the_next_case(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_cd1")
    other = manual_review_case(client, auth, "ord_cd2")
    csrf = sign_in(client, system, "agent_1", "agent")

    done = decide(client, case_id, csrf, action="approve", reason_code="evidence_confirms_claim", note="截图清晰")

    # The next case in the queue opens at once, saying what was decided on this one.
    assert (done.status_code, done.headers["location"]) == (303, f"/console/cases/{other}")
    following = client.get(done.headers["location"])
    assert 'data-test="form-approve"' in following.text
    assert (
        f"已批准申请 {spaced_number(api_case(client, auth, case_id)['number'])}。已打开队列中的下一件。"
        in following.text
    )
    assert f'<a href="/console/cases/{case_id}">查看上一件</a>' in following.text
    assert "已批准申请" not in client.get(f"/console/cases/{other}").text  # said once
    assert queue_ids(client.get("/console").text) == [other]
    case = api_case(client, auth, case_id)
    assert case["status"] == "refunded"
    approval = [e for e in case["timeline"] if e["role"] == "agent"]
    assert [(e["actor"], [c["code"] for c in e["reason_codes"]], e["note"]) for e in approval] == [
        ("agent_1", ["evidence_confirms_claim"], "截图清晰")
    ]
    page = client.get(f"/console/cases/{case_id}").text
    assert "agent_1" in page
    assert 'data-code="evidence_confirms_claim"' in page
    assert "凭证证实问题属实" in page
    assert "evidence_confirms_claim" not in visible(page)  # words, the code only for scripts
    assert "已退款" in page
    assert 'data-test="not-decidable"' in page
    assert 'data-test="form-approve"' not in page
    # A second decision, from a page loaded before the first: the service says why, nothing changes.
    late = decide(client, case_id, csrf, action="reject", reason_code="suspected_fraud")
    assert late.status_code == 409
    assert "退卡申请已被他人处理" in late.text
    assert api_case(client, auth, case_id)["status"] == "refunded"
    # The last case decided, the queue is empty: back to it, with the word on the decision.
    last = decide(client, other, csrf, action="reject", reason_code="evidence_insufficient")
    assert (last.status_code, last.headers["location"]) == (303, "/console")
    queue = client.get("/console").text
    number = api_case(client, auth, other)["number"]
    assert f"已驳回申请 {number[:6]} {number[6:10]} {number[10:]}。" in queue  # named as people read it
    assert f'href="/console/cases/{other}"' in queue
    assert 'data-test="queue-empty"' in queue


def test_an_agent_asks_for_evidence_or_escalates_with_a_message_on_the_timeline(
    client: TestClient, auth: Auth, system: System
) -> None:
    asked = manual_review_case(client, auth, "ord_ce1")
    escalated = manual_review_case(client, auth, "ord_ce2")
    csrf = sign_in(client, system, "agent_1", "agent")

    first = decide(client, asked, csrf, action="request_evidence", reason_code="evidence_unreadable", note="请上传截图")
    second = decide(client, escalated, csrf, action="escalate", reason_code="escalated_by_agent")

    assert (first.status_code, first.headers["location"]) == (303, f"/console/cases/{escalated}")
    assert (second.status_code, second.headers["location"]) == (303, "/console")
    said = f"已将申请 {spaced_number(api_case(client, auth, escalated)['number'])} 转仲裁"
    assert said in client.get("/console").text  # the last decision's
    case = api_case(client, auth, asked)
    assert case["status"] == "awaiting_evidence"
    assert (case["timeline"][-1]["note"], case["timeline"][-1]["reason_codes"][0]["code"]) == (
        "请上传截图",
        "evidence_unreadable",
    )
    assert api_case(client, auth, escalated)["status"] == "arbitration"
    sign_in(client, system, "arb_1", "arbitrator")
    assert queue_ids(client.get("/console?queue=arbitration").text) == [escalated]


def test_an_agent_cannot_decide_an_arbitration_case_and_is_told_why(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_cx1")
    client.post(f"/v1/refund-cases/{case_id}/contest", json={}, headers=auth("merchant", "merchant_1"))
    csrf = sign_in(client, system, "agent_1", "agent")

    page = decide(client, case_id, csrf, action="approve", reason_code="goodwill")

    assert page.status_code == 403
    assert "当前角色无权执行此操作" in page.text
    assert api_case(client, auth, case_id)["status"] == "arbitration"
    csrf = sign_in(client, system, "arb_1", "arbitrator")
    done = decide(client, case_id, csrf, action="reject", reason_code="card_used_by_buyer")
    assert done.status_code == 303
    assert api_case(client, auth, case_id)["status"] == "rejected"


def test_the_case_page_shows_the_order_with_masked_keys_and_serves_its_screenshot(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_cv1")
    evidence_id = api_case(client, auth, case_id)["evidence"][0]["id"]
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{case_id}")

    assert page.status_code == 200
    for shown in ("ord_cv1", "merchant_1", "supplier_1", "支付宝", "tx_ord_cv1", "¥100.00", "ABCD-****-****-NPQR"):
        assert shown in page.text, shown
    assert card_key_for("ord_cv1") not in page.text
    assert f'src="/console/evidence/{evidence_id}"' in page.text
    assert "卡密使用状态待核实" in page.text  # the machine's reason for a person
    image = client.get(f"/console/evidence/{evidence_id}")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert image.content.startswith(b"\x89PNG")
    assert client.get("/console/evidence/ev_nothing").status_code == 404
    assert client.get("/console/cases/rc_nothing").status_code == 404
    client.cookies.clear()
    assert client.get(f"/console/evidence/{evidence_id}").status_code == 401


def test_every_reason_code_offered_is_published() -> None:
    assert all(is_known(code) for codes in REASONS.values() for code in codes)


def test_each_field_read_is_found_on_its_line_and_marked_as_compared() -> None:
    read = EvidenceRead(
        evidence_id="ev_1",
        engine="test",
        lines=(
            ("订单号：ord_m1", (10, 100, 310, 140), 0.99),
            ("卡密：ABCD-****-****-NPQR", (10, 200, 410, 240), 0.98),
            ("实付金额 ¥500.00", (10, 300, 330, 340), 0.97),
            ("2026-01-02 10:04:05 卡密已被使用 E1023", (10, 400, 710, 440), 0.9),
        ),
        fields={"error_codes": ["E1023"], "error_texts": ["card_used"], "phones": ["138****8000"]},
        matches=(
            {"field": "order_number", "read": "ord_m1", "expected": "ord_m1", "matches": True, "code": "x"},
            {"field": "card_key", "read": "ABCD-****-****-NPQR", "expected": None, "matches": False, "code": "y"},
            {"field": "amount", "read": "500.00", "expected": "100.00", "matches": False, "code": "z"},
            {"field": "time", "read": "2026-01-02T02:04:05+00:00", "expected": None, "matches": True, "code": "t"},
        ),
        codes=(),
        at=datetime.now(UTC),
    )

    found = {m.field: m for m in marks(read)}

    assert {f: m.verdict for f, m in found.items()} == {
        "order_number": "match",
        "card_key": "mismatch",
        "amount": "mismatch",
        "time": "match",
        "error_code": "info",
        "error_text": "info",
        "phone": "info",
    }
    order, key, amount, at = (found[f].box for f in ("order_number", "card_key", "amount", "time"))
    assert order is not None
    assert (order[1], order[3]) == (100, 140)
    assert 10 < order[0] < 200 < order[2] <= 310  # past the label, to the line's end
    assert key is not None
    assert key[1] == 200
    assert amount is not None
    assert amount[1] == 300
    assert at is not None
    assert at[0] == 10
    assert at[2] < 400
    assert found["time"].read == "2026-01-02 10:04:05"
    assert found["error_code"].box is not None
    assert found["error_code"].box[0] > 500
    assert found["phone"].box is None  # not on any line


def test_the_case_page_shows_a_top_ups_account_masked(client: TestClient, auth: Auth, system: System) -> None:
    body = order_payload("ord_cv2", kind="manual_topup", items=2)
    body["items"] = [
        {"id": "ord_cv2_i0", "account": "13800138000"},
        {"id": "ord_cv2_i1", "account": "player_lee@qq.com"},
    ]
    push(client, auth, body)
    claim = {"order_id": "ord_cv2", "reason": "not_delivered", "evidence_ids": [upload(client, auth)]}
    case = file_case(client, auth, claim)
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{case['id']}")

    assert page.status_code == 200
    items = page.text.split('data-test="item"')[1:]
    assert len(items) == 2
    assert "充值账号 138****8000" in items[0]
    assert "充值账号 pl****e@qq.com" in items[1]
    for clear in ("13800138000", "0013", "player_lee"):
        assert clear not in page.text, clear


def test_the_case_file_shows_the_history_that_counted_and_the_limits(
    client: TestClient, auth: Auth, system: System
) -> None:
    first = manual_review_case(client, auth, "ord_ch1", buyer="buyer_7")
    response = client.post(
        f"/v1/refund-cases/{first}/decisions",
        json={"action": "reject", "reason_codes": ["suspected_fraud"], "note": "forged"},
        headers=auth("agent", "agent_1"),
    )
    assert response.status_code == 200, response.text
    second = manual_review_case(client, auth, "ord_ch2", buyer="buyer_7")
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{second}").text
    history = page[page.index('data-test="history"') :]
    history = history[: history.index("</section>")]

    assert re.search(r"经人工确认滥用</dt><dd>1</dd>", history)
    assert "申请 1 次 · 人工驳回 1 次 · 确认滥用 1 次" in history
    assert "近 30 天内满 5 次申请、人工驳回超过 50%（至少 3 次申请时）或有 1 次确认滥用" in history
    assert "买家近期退卡记录异常" in history  # why this claim came to a person


def test_the_agent_reads_the_merchants_deadline_then_its_answer_and_files(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_cm1")
    sign_in(client, system, "agent_1", "agent")

    waiting = visible(client.get(f"/console/cases/{case_id}").text)
    assert "等待商家答复，期限" in waiting
    assert "逾期未答复视为同意退款" in waiting

    shot = client.post(
        "/v1/evidence",
        files={"file": ("proof.png", png_bytes(color="olive"), "image/png")},
        headers=auth("merchant", "merchant_1"),
    ).json()["id"]
    contested = client.post(
        f"/v1/refund-cases/{case_id}/merchant-responses",
        json={"action": "contest", "note": "买家已于发货后兑换成功", "evidence_ids": [shot]},
        headers=auth("merchant", "merchant_1"),
    )
    assert contested.status_code == 200, contested.text

    sign_in(client, system, "arb_1", "arbitrator")
    page = client.get(f"/console/cases/{case_id}").text
    shown = visible(page)
    assert "商家提出异议，已转快速仲裁" in shown
    assert "买家已于发货后兑换成功" in shown
    assert "等待商家答复" not in shown
    assert f'src="/console/evidence/{shot}"' in page
    assert client.get(f"/console/evidence/{shot}").status_code == 200
