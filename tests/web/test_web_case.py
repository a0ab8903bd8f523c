"""The buyer's case page through the app: only one's own claims, CSRF on every action, refusals inline."""

from __future__ import annotations

import re
import zlib
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, manual_review_case, push
from tests.support.factories import card_key_for, count_rows, order_payload, png_bytes, png_of, stored_files, zip_bytes
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number
from tuika.review.reading import EvidenceRead
from tuika.web.session import shanghai


def api_case(client: TestClient, auth: Auth, case_id: str, buyer: str = "buyer_1") -> dict[str, Any]:
    response = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", buyer))
    assert response.status_code == 200, response.text
    return dict(response.json())


def current_step(html: str) -> str:
    found = re.search(r'aria-current="step">\s*<span[^>]*>[^<]*</span>\s*<span class="case-step-label">([^<]+)<', html)
    assert found, html
    return found.group(1)


def refunded_case(client: TestClient, auth: Auth, order_id: str, amount_fen: int = 5000) -> dict[str, Any]:
    push(client, auth, order_payload(order_id, delivery="failed", amount_fen=amount_fen))
    case = file_case(client, auth, {"order_id": order_id, "reason": "not_delivered", "route": "balance"})
    assert case["status"] == "refunded"
    return case


def rejected_case(client: TestClient, auth: Auth, order_id: str) -> dict[str, Any]:
    # A mistaken purchase after delivery is outside the policy: the machine rejects it.
    push(client, auth, order_payload(order_id))
    case = file_case(client, auth, {"order_id": order_id, "reason": "mistaken_purchase"})
    assert case["status"] == "rejected"
    return case


def test_a_refunded_claim_shows_its_stages_voucher_and_history(client: TestClient, auth: Auth, system: System) -> None:
    case = refunded_case(client, auth, "ord_wc1", amount_fen=5000)
    sign_in(client, system, "buyer_1")

    page = client.get(f"/cases/{case['id']}")

    assert page.status_code == 200
    assert current_step(page.text) == "已退款"
    steps = re.findall(r'data-step="([a-z_]+)"', page.text)
    assert steps == ["submitted", "reviewing", "approved", "refunding", "refunded"]
    payout = case["payout"]
    assert "退款凭证" in page.text
    assert f'<code data-test="voucher-id">{spaced_number(case["number"])}</code>' in page.text
    assert payout["id"] not in page.text  # the payout's API id means nothing to a buyer
    assert 'href="/balance" data-test="voucher-balance"' in page.text
    assert '¥<span data-test="voucher-amount">50.00</span>' in page.text
    assert "平台余额" in page.text
    assert "已到账" in page.text
    assert page.text.count('data-test="event"') == 5
    assert "系统自动审核通过" in page.text  # the reason code, described
    assert 'data-test="expected"' not in page.text  # nothing left to wait for
    assert 'data-final="true"' in page.text
    english = client.get(f"/cases/{case['id']}?lang=en")
    assert current_step(english.text) == "Refunded"
    assert "Refund voucher" in english.text


def test_the_status_json_says_where_the_claim_is(client: TestClient, auth: Auth, system: System) -> None:
    moving = manual_review_case(client, auth, "ord_wc2")
    done = refunded_case(client, auth, "ord_wc3")
    sign_in(client, system, "buyer_1")

    now = client.get(f"/cases/{moving}/status")
    finished = client.get(f"/cases/{done['id']}/status")

    assert now.status_code == 200
    assert now.headers["cache-control"] == "no-store"
    body = now.json()
    shown = api_case(client, auth, moving)
    assert body == {
        "status": "manual_review",
        "stage": "人工复核中",
        "updated_at": body["updated_at"],
        "payout_status": None,
        "final": False,
    }
    assert datetime.fromisoformat(body["updated_at"]) == datetime.fromisoformat(shown["updated_at"])
    assert (finished.json()["status"], finished.json()["payout_status"], finished.json()["final"]) == (
        "refunded",
        "succeeded",
        True,
    )
    page = client.get(f"/cases/{moving}")
    assert f'data-updated-at="{body["updated_at"]}"' in page.text
    due = shanghai(datetime.fromisoformat(shown["due_at"]))
    assert f'<span data-test="expected">预计 {due} 前完成</span>' in page.text


def test_another_buyers_claim_its_status_and_its_screenshot_are_not_found(
    client: TestClient, auth: Auth, system: System
) -> None:
    theirs = manual_review_case(client, auth, "ord_wc4", buyer="buyer_2")
    their_evidence = api_case(client, auth, theirs, "buyer_2")["evidence"][0]["id"]
    mine = manual_review_case(client, auth, "ord_wc5")
    my_evidence = api_case(client, auth, mine)["evidence"][0]["id"]
    sign_in(client, system, "buyer_1")

    for path in (
        f"/cases/{theirs}",
        f"/cases/{theirs}/evidence/{their_evidence}",
        f"/cases/{mine}/evidence/{their_evidence}",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "未找到" in response.text
    assert client.get(f"/cases/{theirs}/status").status_code == 404
    assert client.get("/cases/rc_nothing").status_code == 404
    # A screenshot is served only under its own claim.
    other = manual_review_case(client, auth, "ord_wc6")
    assert client.get(f"/cases/{other}/evidence/{my_evidence}").status_code == 404

    image = client.get(f"/cases/{mine}/evidence/{my_evidence}")
    assert image.status_code == 200
    assert image.content == png_bytes()
    assert image.headers["content-type"] == "image/png"
    assert image.headers["cache-control"].startswith("private")
    assert image.headers["x-content-type-options"] == "nosniff"
    listed = client.get("/cases")
    assert listed.status_code == 200
    assert listed.text.count('data-test="case"') == 2
    assert theirs not in listed.text


def test_actions_without_the_right_csrf_token_change_nothing(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_wc7")
    rejected = rejected_case(client, auth, "ord_wc8")["id"]
    before = api_case(client, auth, case_id)
    before_rejected = api_case(client, auth, rejected)
    token = sign_in(client, system, "buyer_1")
    evidence_before = count_rows(system.engine, "evidence")

    for sent in ({}, {"csrf": "0" * 40}, {"csrf": token + "x"}):
        assert client.post(f"/cases/{case_id}/withdraw", data={**sent, "note": "x"}).status_code == 403
        assert client.post(f"/cases/{rejected}/appeal", data={**sent, "note": "x"}).status_code == 403
        added = client.post(
            f"/cases/{case_id}/evidence", data=sent, files={"files": ("e.png", png_bytes(color="black"), "image/png")}
        )
        assert added.status_code == 403
        assert "页面已过期或来源不明" in added.text

    assert api_case(client, auth, case_id) == before
    assert api_case(client, auth, rejected) == before_rejected
    assert count_rows(system.engine, "evidence") == evidence_before


def test_withdrawing_asks_first_then_withdraws_and_redirects(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_wc9")
    token = sign_in(client, system, "buyer_1")
    asking = client.get(f"/cases/{case_id}?confirm=withdraw")
    assert 'id="withdraw"' in asking.text
    assert "确认撤回这个退卡申请？" in asking.text

    done = client.post(f"/cases/{case_id}/withdraw", data={"csrf": token, "note": "不需要了"}, follow_redirects=False)

    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{case_id}")
    after = api_case(client, auth, case_id)
    assert after["status"] == "withdrawn"
    assert after["timeline"][-1]["note"] == "不需要了"
    assert current_step(client.get(f"/cases/{case_id}").text) == "已撤回"


def test_withdrawing_after_the_refund_is_refused_on_the_page(client: TestClient, auth: Auth, system: System) -> None:
    case = refunded_case(client, auth, "ord_wc10")
    token = sign_in(client, system, "buyer_1")

    refused = client.post(f"/cases/{case['id']}/withdraw", data={"csrf": token}, follow_redirects=False)

    assert refused.status_code == 409
    assert 'role="alert"' in refused.text
    assert "无法撤回" in refused.text
    assert current_step(refused.text) == "已退款"
    assert api_case(client, auth, case["id"]) == case
    english = client.post(f"/cases/{case['id']}/withdraw?lang=en", data={"csrf": token})
    assert "can no longer be withdrawn" in english.text


def test_a_second_appeal_is_refused_inline_and_there_stays_one_appeal(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = rejected_case(client, auth, "ord_wc11")["id"]
    token = sign_in(client, system, "buyer_1")
    assert "对驳回结果申诉" in client.get(f"/cases/{case_id}").text

    first = client.post(
        f"/cases/{case_id}/appeal", data={"csrf": token, "note": "发货前就买错了"}, follow_redirects=False
    )
    assert (first.status_code, first.headers["location"]) == (303, f"/cases/{case_id}")
    upheld = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": "reject", "reason_codes": ["already_delivered"], "note": "已发货"},
        headers=auth("arbitrator", "arb_1"),
    )
    assert upheld.status_code == 200
    page = client.get(f"/cases/{case_id}")
    assert "对驳回结果申诉" not in page.text
    assert "您已申诉过" in page.text
    before = api_case(client, auth, case_id)

    second = client.post(f"/cases/{case_id}/appeal", data={"csrf": token, "note": "再申诉一次"})

    assert second.status_code == 409
    assert "仅已驳回的申请可申诉，且仅限一次" in second.text
    after = api_case(client, auth, case_id)
    assert after == before
    appeals = [e for e in after["timeline"] if [c["code"] for c in e["reason_codes"]] == ["buyer_appeal"]]
    assert len(appeals) == 1


def test_more_evidence_from_the_page_sends_a_waiting_claim_back_to_review(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_wc12"))
    case_id = file_case(client, auth, {"order_id": "ord_wc12", "reason": "card_invalid"})["id"]
    assert api_case(client, auth, case_id)["status"] == "awaiting_evidence"
    token = sign_in(client, system, "buyer_1")
    page = client.get(f"/cases/{case_id}")
    assert "请补充：激活/充值失败截图" in page.text  # the machine's request, in words
    assert '<option value="error_screenshot" selected>' in page.text

    nothing = client.post(f"/cases/{case_id}/evidence", data={"csrf": token, "note": "草稿"})
    assert nothing.status_code == 422
    assert "请选择至少一张图片" in nothing.text
    assert "草稿</textarea>" in nothing.text
    not_image = client.post(
        f"/cases/{case_id}/evidence",
        data={"csrf": token, "kind": "error_screenshot"},
        files={"files": ("e.txt", b"not an image at all", "text/plain")},
    )
    assert not_image.status_code == 415
    assert "仅支持 PNG、JPEG 和 WebP 图片" in not_image.text
    damaged = client.post(
        f"/cases/{case_id}/evidence",
        data={"csrf": token, "kind": "error_screenshot"},
        files={"files": ("e.png", png_of(64, 64, zlib.compress(bytes(64 * 193))[:-10]), "image/png")},
    )
    assert damaged.status_code == 422
    assert "图片文件已损坏或不完整" in damaged.text
    assert api_case(client, auth, case_id)["evidence"] == []
    assert stored_files(system.settings.data_dir / "evidence") == []

    shot = png_bytes(color="black")
    sent = client.post(
        f"/cases/{case_id}/evidence",
        data={"csrf": token, "kind": "error_screenshot", "note": "补充截图"},
        files={"files": ("e.png", shot + zip_bytes(), "image/png")},
        follow_redirects=False,
    )

    assert (sent.status_code, sent.headers["location"]) == (303, f"/cases/{case_id}")
    after = api_case(client, auth, case_id)
    assert after["status"] == "manual_review"
    assert [e["kind"] for e in after["evidence"]] == ["error_screenshot"]
    assert after["timeline"][3]["note"] == "补充截图"
    shown = client.get(f"/cases/{case_id}")
    assert shown.text.count('data-test="shot"') == 1
    assert f"/cases/{case_id}/evidence/{after['evidence'][0]['id']}" in shown.text
    # What the page serves back is the picture alone, not the archive sent after its end.
    assert client.get(f"/cases/{case_id}/evidence/{after['evidence'][0]['id']}").content == shot


def test_a_staff_session_cannot_act_as_the_buyer(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_wc13")
    before = api_case(client, auth, case_id)
    token = sign_in(client, system, "agent_1", role="agent")

    assert client.get(f"/cases/{case_id}").status_code == 403
    assert client.get(f"/cases/{case_id}/status").status_code == 403
    withdrawn = client.post(f"/cases/{case_id}/withdraw", data={"csrf": token})
    added = client.post(
        f"/cases/{case_id}/evidence", data={"csrf": token}, files={"files": ("e.png", png_bytes(), "image/png")}
    )

    assert (withdrawn.status_code, added.status_code) == (403, 403)
    assert api_case(client, auth, case_id) == before


def test_the_buyer_sees_what_was_read_but_not_the_forensic_doubts(
    client: TestClient, auth: Auth, system: System
) -> None:
    # The same screenshot behind two claims: the second goes to a person as "evidence_reused".
    first = manual_review_case(client, auth, "ord_wc14")
    second = manual_review_case(client, auth, "ord_wc15")
    staff = client.get(f"/v1/refund-cases/{second}", headers=auth("admin", "root")).json()
    assert "evidence_reused" in [c["code"] for e in staff["timeline"] for c in e["reason_codes"]]
    # Its buyer reads the neutral code in its place, through the API as on the page.
    codes = [c["code"] for e in api_case(client, auth, second)["timeline"] for c in e["reason_codes"]]
    assert ("evidence_reused" in codes, "screenshot_needs_check" in codes) == (False, True)
    evidence_id = api_case(client, auth, first)["evidence"][0]["id"]
    read = EvidenceRead(
        evidence_id,
        "test",
        (("订单号 ord_wc14", (0, 0, 10, 10), 0.9), ("卡密 ABCD-****-****-NPQR 已被使用", (0, 10, 10, 20), 0.9)),
        {"order_numbers": ["ord_wc14"], "error_texts": ["card_used"], "phones": ["138****8000"]},
        (
            {
                "field": "order_number",
                "read": "ord_wc14",
                "expected": "ord_wc14",
                "matches": True,
                "code": "order_number_matches",
                "item_id": None,
            },
            {
                "field": "amount",
                "read": "12.00",
                "expected": "100.00",
                "matches": False,
                "code": "amount_differs",
                "item_id": None,
            },
        ),
        ("ocr_contradicts_order",),
        datetime.now(UTC),
    )
    with system.ctx.uow() as uow:
        uow.reads.add(first, [read])
        uow.commit()
    sign_in(client, system, "buyer_1")

    doubted = client.get(f"/cases/{second}").text
    shown = client.get(f"/cases/{first}").text

    assert "截图已用于其他申请" not in doubted
    assert "evidence_reused" not in doubted
    assert "需要人工核对截图" in doubted
    assert "ord_wc14" in shown
    assert "✓ 与本订单号一致" in shown
    assert "¥12.00" in shown
    assert "✗ 与订单金额不一致" in shown
    assert "卡密已被使用" in shown
    assert "138****8000" in shown
    assert "截图中的部分信息与订单不一致，客服会人工核对。" in shown
    assert "ABCD-****-****-NPQR" in shown
    assert card_key_for("ord_wc14") not in shown


def test_an_agents_request_for_evidence_is_shown_above_the_upload(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_wc16")
    asked = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={
            "action": "request_evidence",
            "reason_codes": ["evidence_insufficient"],
            "note": "请上传带时间的激活失败截图",
        },
        headers=auth("agent", "agent_1"),
    )
    assert asked.status_code == 200
    sign_in(client, system, "buyer_1")

    page = client.get(f"/cases/{case_id}").text

    block = page[page.index('data-test="asked"') : page.index('id="case-files"')]
    assert "<p>请上传带时间的激活失败截图</p><p>凭证不足或不清晰</p>" in block
    assert 'data-test="add-evidence" open>' in page
    assert 'aria-describedby="case-asked case-files-hint"' in page
    assert current_step(page) == "待补充材料"
