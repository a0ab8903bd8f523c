"""The merchant's pages over HTTP: who gets in, its claims and figures, one claim as it reads it, its answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import card_key_for, count_rows, order_payload, png_bytes
from tests.support.suppliers import FakeSupplier
from tests.support.web import link, sign_in
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number
from tuika.domain.supplier import CardAnswer, CardState
from tuika.web.session import SESSION, SHANGHAI

# What a merchant must never read: who the buyers are, and what the anti-fraud review made of them.
WITHHELD = ("buyer_1", "buyer_2", "buyer_9", "evidence_reused", "截图已用于其他申请", "card_key_in_other_order")


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def listed(page: str) -> list[str]:
    return re.findall(r'data-case="([^"]+)"', page)


def staff_case(client: TestClient, auth: Auth, case_id: str) -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "agent_9"))
    assert response.status_code == 200, response.text
    return dict(response.json())


def answer(
    client: TestClient,
    case_id: str,
    csrf: str | None,
    action: str = "accept",
    note: str = "已核对，同意退款",
    files: list[tuple[str, bytes]] | None = None,
) -> Response:
    data = {"action": action, "note": note}
    if csrf is not None:
        data["csrf"] = csrf
    sent = [("files", (name, body, "image/png")) for name, body in files or []]
    response: Response = client.post(
        f"/merchant/cases/{case_id}/responses", data=data, files=sent or None, follow_redirects=False
    )
    return response


def reused_claim(client: TestClient, auth: Auth) -> str:
    """Return merchant_1's claim whose screenshot another buyer's claim used first: staff see why, the merchant not."""
    shot = png_bytes(color="maroon")
    push(client, auth, order_payload("ord_wr0", buyer="buyer_9"))
    first = {"order_id": "ord_wr0", "reason": "card_invalid", "evidence_ids": [upload(client, auth, "buyer_9", shot)]}
    file_case(client, auth, first, "buyer_9")
    push(client, auth, order_payload("ord_wr1"))
    body = {
        "order_id": "ord_wr1",
        "reason": "card_invalid",
        "description": "卡密提示已被使用，但我刚买的",
        "evidence_ids": [upload(client, auth, "buyer_1", shot)],
    }
    case = file_case(client, auth, body)
    assert "evidence_reused" in [c["code"] for c in case["reason_codes"]]
    return str(case["id"])


def set_deadline(system: System, case_id: str, at: datetime) -> None:
    with system.engine.begin() as conn:
        moved = text("UPDATE merchant_windows SET respond_by = :at WHERE case_id = :id")
        conn.execute(moved, {"at": at, "id": case_id})


def test_a_merchant_lands_on_its_pages_and_only_merchants_get_in(client: TestClient, system: System) -> None:
    landed = client.get(link(system, "merchant_1", "merchant"), follow_redirects=False)
    assert (landed.status_code, landed.headers["location"]) == (303, "/merchant")
    page = client.get("/merchant")
    assert page.status_code == 200
    assert "商家退卡中心" in page.text

    # A merchant on the buyers' pages or in the console is sent to its own.
    for path in ("/", "/cases", "/balance", "/messages", "/console", "/console/cases/rc_x", "/console/finance"):
        refused = client.get(path)
        assert refused.status_code == 403, path
        assert "买家页面和客服工作台不对商家开放" in refused.text, path
        assert '<a href="/merchant" data-test="go">前往商家退卡中心</a>' in refused.text, path

    client.cookies.delete(SESSION)
    for path in ("/merchant", "/merchant/cases/rc_x", "/merchant/cases/rc_x/evidence/ev_x"):
        nobody = client.get(path)
        assert nobody.status_code == 401, path
        assert "请从平台进入退卡中心" in nobody.text
    for role, subject, home, words in (
        ("buyer", "buyer_1", "/", "返回我的订单"),
        ("agent", "agent_1", "/console", "前往客服工作台"),
        ("admin", "admin_1", "/console", "前往客服工作台"),
    ):
        sign_in(client, system, subject, role)
        turned = client.get("/merchant")
        assert turned.status_code == 403, role
        assert "商家退卡中心只对商家开放" in turned.text
        assert f'<a href="{home}" data-test="go">{words}</a>' in turned.text


def test_the_list_leads_with_the_claims_waiting_for_an_answer_nearest_deadline_first(
    client: TestClient, auth: Auth, system: System
) -> None:
    later = manual_review_case(client, auth, "ord_wl1")
    sooner = manual_review_case(client, auth, "ord_wl2", amount_fen=2500)
    push(client, auth, order_payload("ord_wl3", delivery="failed"))
    refunded = file_case(client, auth, {"order_id": "ord_wl3", "reason": "not_delivered", "route": "balance"})
    push(client, auth, order_payload("ord_wl4", buyer="buyer_2", merchant_id="merchant_2"))
    theirs = file_case(client, auth, {"order_id": "ord_wl4", "reason": "not_delivered"}, "buyer_2")
    due = datetime.now(UTC) + timedelta(minutes=40)
    set_deadline(system, sooner, due)
    sign_in(client, system, "merchant_1", "merchant")

    page = client.get("/merchant")

    assert page.status_code == 200
    assert listed(page.text) == [sooner, later, refunded["id"]]
    assert theirs["id"] not in page.text
    assert "待您答复（2）" in page.text
    first = page.text[page.text.index(f'data-case="{sooner}"') :].split("</li>", 1)[0]
    assert "卡密无效 · 京东E卡 100元" in first
    assert "¥25.00" in first
    assert "bu***_1" in first
    assert re.search(r'data-test="countdown">剩余 0:(39|40):\d\d<', first), first
    assert f'<time data-test="respond-by">{due.astimezone(SHANGHAI):%Y-%m-%d %H:%M}</time>（北京时间）' in first
    settled = page.text[page.text.index(f'data-case="{refunded["id"]}"') :].split("</li>", 1)[0]
    assert '<span class="tag" data-test="status">已退款</span>' in settled
    assert "未到账 · 京东E卡 100元" in settled
    assert spaced_number(refunded["number"]) in settled
    for secret in WITHHELD:
        assert secret not in page.text


def test_the_figures_count_this_merchants_sales_and_refunds(client: TestClient, auth: Auth, system: System) -> None:
    manual_review_case(client, auth, "ord_wf1")
    push(client, auth, order_payload("ord_wf2", delivery="failed", amount_fen=3000))
    file_case(client, auth, {"order_id": "ord_wf2", "reason": "not_delivered", "route": "balance"})
    push(client, auth, order_payload("ord_wf3", paid_ago=timedelta(days=12)))
    push(client, auth, order_payload("ord_wf4", merchant_id="merchant_2"))
    sign_in(client, system, "merchant_1", "merchant")

    page = client.get("/merchant").text

    week = page[page.index('data-test="period-7"') :].split("</section>", 1)[0]
    month = page[page.index('data-test="period-30"') :].split("</section>", 1)[0]
    assert "近 7 天" in week
    assert re.search(r'data-test="orders">2<.*data-test="claims">2<.*data-test="refunded">1<', week, re.S)
    assert 'data-test="rate">50%<' in week
    assert 'data-test="refunded-amount">¥30.00<' in week
    assert '<span class="chip">卡密无效 1 件</span><span class="chip">未到账 1 件</span>' in week
    assert re.search(r'data-test="orders">3<.*data-test="rate">33.3%<', month, re.S)


def test_a_merchant_with_no_claims_is_told_so(client: TestClient, system: System) -> None:
    sign_in(client, system, "merchant_5", "merchant")

    page = client.get("/merchant")

    assert page.status_code == 200
    assert "目前没有针对您商品的退卡申请。" in page.text
    assert page.text.count(">无售出<") == 2
    assert page.text.count("期间无申请") == 2
    english = client.get("/merchant?lang=en").text
    assert "There are no refund claims on your goods." in english
    assert "None sold" in english


def test_the_case_page_shows_the_claim_as_the_merchant_reads_it(client: TestClient, auth: Auth, system: System) -> None:
    case_id = reused_claim(client, auth)
    case = staff_case(client, auth, case_id)
    shot = case["evidence"][0]["id"]
    sign_in(client, system, "merchant_1", "merchant")

    page = client.get(f"/merchant/cases/{case_id}")

    assert page.status_code == 200
    body = page.text
    for shown in (
        "卡密无效 · 京东E卡 100元",
        "ord_wr1",
        "¥100.00",
        "ABCD-****-****-NPQR",
        "卡密提示已被使用，但我刚买的",
        "bu***_1",
        spaced_number(case["number"]),
        f'src="/merchant/cases/{case_id}/evidence/{shot}"',
        "请在",
        "逾期未答复将视为同意退款",
        "同意退款",
        "不同意，提出申诉",
        "补充说明",
        "提交申请",
        "人工复核中",
    ):
        assert shown in body, shown
    respond_by = datetime.fromisoformat(case["merchant"]["respond_by"])
    assert f"请在 {respond_by.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）前答复" in body
    for secret in WITHHELD:
        assert secret not in body, secret
    image = client.get(f"/merchant/cases/{case_id}/evidence/{shot}")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert image.headers["cache-control"] == "private, max-age=3600"


def test_a_merchant_signed_in_through_the_platforms_link_follows_its_messages_link_to_the_claim(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_wl1")
    told = client.get("/v1/inbox", headers=auth("merchant", "merchant_1")).json()["items"]
    links = {m["moment"]: m["link"] for m in told}
    assert links == {
        "claim_against_goods": f"/merchant/cases/{case_id}",
        "claim_to_answer": f"/merchant/cases/{case_id}",
    }
    # Not signed in here: the page says to come in from the platform, as every page does.
    assert client.get(links["claim_to_answer"]).status_code == 401

    sign_in(client, system, "merchant_1", "merchant")
    page = client.get(links["claim_to_answer"])

    assert page.status_code == 200
    assert spaced_number(staff_case(client, auth, case_id)["number"]) in page.text
    assert "不同意，提出申诉" in page.text  # the form it answers the claim with
    sign_in(client, system, "merchant_2", "merchant")
    assert client.get(links["claim_to_answer"]).status_code == 404


def test_another_merchants_claim_and_its_images_are_not_found(client: TestClient, auth: Auth, system: System) -> None:
    case_id = reused_claim(client, auth)
    shot = staff_case(client, auth, case_id)["evidence"][0]["id"]
    other = manual_review_case(client, auth, "ord_wo1")
    sign_in(client, system, "merchant_2", "merchant")
    csrf = csrf_of(client.get("/merchant").text)

    for path in (f"/merchant/cases/{case_id}", f"/merchant/cases/{case_id}/evidence/{shot}", "/merchant/cases/rc_nope"):
        missing = client.get(path)
        assert missing.status_code == 404, path
        assert "没有找到" in missing.text
        for secret in (*WITHHELD, "ord_wr1"):
            assert secret not in missing.text
    refused = answer(client, case_id, csrf)
    assert refused.status_code == 404
    assert listed(client.get("/merchant").text) == []
    # Its own case does not open another's image either.
    sign_in(client, system, "merchant_1", "merchant")
    assert client.get(f"/merchant/cases/{other}/evidence/{shot}").status_code == 404
    assert staff_case(client, auth, case_id)["merchant"]["responses"] == []


def test_the_merchant_accepts_by_the_form_and_is_told_the_refund_goes_ahead(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_wa1")
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get(f"/merchant/cases/{case_id}").text)

    sent = answer(client, case_id, csrf, "accept", "确认卡密有误，同意退款")

    assert (sent.status_code, sent.headers["location"]) == (303, f"/merchant/cases/{case_id}")
    case = staff_case(client, auth, case_id)
    assert case["status"] in ("approved", "refunding", "refunded")
    assert case["merchant"]["answer"] == "accept"
    page = client.get(sent.headers["location"]).text
    flash = "您已同意退款，款项已退还买家。" if case["status"] == "refunded" else "您已同意退款，退款正在处理。"
    assert f'<p class="flash" role="status" data-test="flash">✓ {flash}</p>' in page
    assert 'data-test="answer-form"' not in page
    assert re.search(r'data-test="closed">您已于 \d{4}-\d\d-\d\d \d\d:\d\d 同意退款，无需再作答复。<', page)
    said = page[page.index('data-test="said"') :]
    assert "同意退款" in said
    assert "确认卡密有误，同意退款" in said
    # The word is said once.
    assert 'data-test="flash"' not in client.get(f"/merchant/cases/{case_id}").text
    for secret in WITHHELD:
        assert secret not in page


def test_the_merchant_contests_with_an_image_and_may_then_only_add_statements(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_wc1")
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get(f"/merchant/cases/{case_id}").text)

    shipped = [("shipped.png", png_bytes(color="green"))]
    sent = answer(client, case_id, csrf, "contest", "卡密发货后已被买家兑换", shipped)

    assert sent.status_code == 303, sent.text
    case = staff_case(client, auth, case_id)
    assert (case["status"], case["merchant"]["answer"]) == ("arbitration", "contest")
    [response] = case["merchant"]["responses"]
    [image] = response["evidence"]
    page = client.get(sent.headers["location"]).text
    decided_by = datetime.fromisoformat(case["due_at"]).astimezone(SHANGHAI)
    assert f"您已提出申诉，申请已转快速仲裁，仲裁员将在 {decided_by:%Y-%m-%d %H:%M}（北京时间）前裁决。" in page
    assert f'src="/merchant/cases/{case_id}/evidence/{image["id"]}"' in page
    assert client.get(f"/merchant/cases/{case_id}/evidence/{image['id']}").status_code == 200
    # In arbitration a statement is all that is left, said as such.
    form = page[page.index('data-test="answer-form"') :].split("</form>", 1)[0]
    assert '<input type="hidden" name="action" value="statement">' in form
    assert "仲裁员和买家都能看到" in form
    assert 'value="accept"' not in form
    assert re.search(r"您已于 \d{4}-\d\d-\d\d \d\d:\d\d 提出申诉。", page)

    again = answer(client, case_id, csrf, "statement", "补充：兑换记录见图")
    assert again.status_code == 303
    told = client.get(again.headers["location"]).text
    assert "您的说明已添加到处理记录。" in told
    assert [r["action"] for r in staff_case(client, auth, case_id)["merchant"]["responses"]] == ["contest", "statement"]


def test_a_statement_while_waiting_answers_nothing_and_says_so(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_ws1")
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get(f"/merchant/cases/{case_id}").text)

    sent = answer(client, case_id, csrf, "statement", "正在核实发货记录")

    assert sent.status_code == 303
    page = client.get(sent.headers["location"]).text
    assert "它不算答复：请在" in page
    assert staff_case(client, auth, case_id)["status"] == "manual_review"
    assert 'value="accept"' in page


@pytest.mark.parametrize(
    ("form", "status", "said"),
    [
        ({"action": "", "note": "同意"}, 422, "请选择一项答复。"),
        ({"action": "refund", "note": "同意"}, 422, "请选择一项答复。"),
        ({"action": "accept", "note": "   "}, 422, "请填写说明。"),
        ({"action": "contest", "note": "长" * 2001}, 422, "说明不能超过 2000 字。"),
        ({"action": "contest", "files": [("a.png", b"not an image")]}, 422, "图片「a.png」无法使用："),
        ({"action": "contest", "files": [(f"{n}.png", png_bytes()) for n in range(7)]}, 422, "最多上传 6 张图片。"),
    ],
    ids=["no-answer", "unknown-answer", "no-note", "long-note", "bad-image", "too-many-images"],
)
def test_a_refused_form_is_explained_and_changes_nothing(
    client: TestClient, auth: Auth, system: System, form: dict[str, Any], status: int, said: str
) -> None:
    case_id = manual_review_case(client, auth, "ord_wx1")
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get(f"/merchant/cases/{case_id}").text)
    files_before = count_rows(system.engine, "evidence")

    refused = answer(client, case_id, csrf, form["action"], form.get("note", "有误"), form.get("files"))

    assert refused.status_code == status
    assert said in refused.text
    assert 'role="alert" data-test="refused-top"' in refused.text
    assert 'id="answer-error" data-test="refused"' in refused.text
    if form.get("files"):
        assert "所选图片没有保存，请重新选择。" in refused.text
    case = staff_case(client, auth, case_id)
    assert (case["status"], case["merchant"]["answer"], case["merchant"]["responses"]) == ("manual_review", None, [])
    assert count_rows(system.engine, "evidence") == files_before


def test_an_answer_past_its_time_or_given_twice_is_refused_on_the_page(
    client: TestClient, auth: Auth, system: System
) -> None:
    late = manual_review_case(client, auth, "ord_wt1")
    done = manual_review_case(client, auth, "ord_wt2")
    set_deadline(system, late, datetime.now(UTC) - timedelta(minutes=1))
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get("/merchant").text)

    page = client.get(f"/merchant/cases/{late}").text
    assert "答复期限已过，系统即将按同意退款处理" in page
    assert 'value="accept"' not in page
    assert re.search(r'data-test="countdown">已超时 0:0[01]:\d\d<', page)
    refused = answer(client, late, csrf, "contest", "不同意", [("shipped.png", png_bytes(color="green"))])
    assert refused.status_code == 409
    assert "答复期限已过，不能再同意或申诉：逾期未答复视为同意退款。" in refused.text
    assert staff_case(client, auth, late)["merchant"]["responses"] == []

    assert answer(client, done, csrf, "accept").status_code == 303
    twice = answer(client, done, csrf, "contest", "我改主意了")
    assert twice.status_code == 409
    assert "您已答复过这笔申请，不能再次同意或申诉。" in twice.text
    assert [r["action"] for r in staff_case(client, auth, done)["merchant"]["responses"]] == ["accept"]
    assert count_rows(system.engine, "merchant_responses") == 1


def test_a_claim_past_the_merchant_says_why_nothing_can_be_done(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_wd1", delivery="failed"))
    refunded = file_case(client, auth, {"order_id": "ord_wd1", "reason": "not_delivered", "route": "balance"})
    sign_in(client, system, "merchant_1", "merchant")
    csrf = csrf_of(client.get("/merchant").text)

    page = client.get(f"/merchant/cases/{refunded['id']}").text

    assert "这笔申请已结束（已退款），不再接受答复。" in page
    assert 'data-test="answer-form"' not in page
    refused = answer(client, refunded["id"], csrf, "statement", "补充")
    assert refused.status_code == 409
    assert "这笔申请现在是「已退款」，不接受这项答复。" in refused.text


def test_every_answer_needs_the_csrf_token(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_wk1")
    sign_in(client, system, "merchant_1", "merchant")
    client.get("/merchant")

    for token in (None, "0" * 40):
        refused = answer(client, case_id, token)
        assert refused.status_code == 403
        assert "页面已过期或来源不明" in refused.text
    assert staff_case(client, auth, case_id)["merchant"]["responses"] == []


def test_the_pages_read_in_english(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_we1")
    sign_in(client, system, "merchant_1", "merchant")

    listing = client.get("/merchant?lang=en").text
    page = client.get(f"/merchant/cases/{case_id}").text

    assert "Waiting for your answer (1)" in listing
    assert "My refunds at a glance" in listing
    for words in ("Accept the refund", "Contest the claim", "Add a statement", "you are taken to have accepted"):
        assert words in page, words
    assert "同意退款" not in page


def test_the_suppliers_answer_is_told_in_words_without_who_used_the_key(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    redeemed = datetime.now(UTC) - timedelta(minutes=30)
    supplier.cards[card_key_for("ord_wv1")] = CardAnswer(CardState.REDEEMED, redeemed, "广东 138****0000")
    push(client, auth, order_payload("ord_wv1"))
    body = {"order_id": "ord_wv1", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case_id = file_case(client, auth, body)["id"]
    sign_in(client, system, "merchant_1", "merchant")

    page = client.get(f"/merchant/cases/{case_id}").text

    lines = re.sub(r"<[^>]*>", "", page[page.index('data-test="supplier"') :].split("</section>", 1)[0])
    assert "卡密查询 · 第 1 件：供货商记录：卡密已被使用" in lines
    assert f"使用时间 {redeemed.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" in lines
    assert "查询于" in lines
    assert "广东" not in page
    assert "138****0000" not in page


def test_the_merchant_reads_its_funds_held_for_open_claims_and_its_deposit(
    client: TestClient, auth: Auth, system: System
) -> None:
    manual_review_case(client, auth, "ord_wf1", amount_fen=3000)
    manual_review_case(client, auth, "ord_wf2", amount_fen=4500)
    funded = client.post(
        "/v1/ledger/deposits",
        json={"party": "merchant:merchant_1", "amount_fen": 20000, "reference": "BANK-2026-1207-01"},
        headers=auth("admin", "root"),
    )
    assert funded.status_code == 201, funded.text
    sign_in(client, system, "merchant_1", "merchant")

    page = client.get("/merchant").text

    funds = page[page.index('data-test="funds"') :]
    assert re.search(r'data-test="held">¥75\.00<', funds)
    assert re.search(r'data-test="open-holds">2<', funds)
    assert re.search(r'data-test="deposit">¥200\.00<', funds)
