"""The buyer's claim form over HTTP: filled from the order, checked, filed once, refusing what it must."""

from __future__ import annotations

import io
import re
import threading
import zlib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.support.api import push
from tests.support.factories import count_rows, deep_png, order_payload, png_bytes, png_of, stored_files
from tests.support.gateways import Unreachable
from tests.support.web import sign_in
from tuika.app import create_app
from tuika.bootstrap import System
from tuika.domain.payouts import PayoutRoute
from tuika.domain.policy import EvidenceKind
from tuika.settings import Settings

Auth = Callable[..., dict[str, str]]
MAX_BYTES = 64 * 1024
MAX_DECODED_BYTES = 16 * 1024 * 1024
SCREENSHOT = "file.card_invalid.error_screenshot"


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings with small upload limits, so an oversize file is cheap to send."""
    return Settings(
        demo=True,
        data_dir=tmp_path / "data",
        database_url=db_url,
        evidence_max_bytes=MAX_BYTES,
        evidence_max_decoded_bytes=MAX_DECODED_BYTES,
        ocr_engine="off",
    )


def open_form(client: TestClient, order_id: str) -> dict[str, str]:
    """Open the claim form and return its CSRF token and one-time key."""
    response = client.get(f"/orders/{order_id}/claim")
    assert response.status_code == 200, response.text
    return {name: _hidden(response.text, name) for name in ("csrf", "key")}


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', html)
    assert found is not None, f"no hidden {name} in the form"
    return found.group(1)


def post(client: TestClient, order_id: str, fields: dict[str, Any], files: dict[str, bytes] | None = None) -> Any:
    """Send the form as a browser would: multipart, every file input present."""
    sent = {name: (f"{name}.png", data, "image/png") for name, data in (files or {}).items()}
    return client.post(
        f"/orders/{order_id}/claim", data=fields, files=sent or {"none": ("", b"")}, follow_redirects=False
    )


def claim_fields(form: dict[str, str], order_id: str, **extra: Any) -> dict[str, Any]:
    return {**form, "reason": "card_invalid", "item": [f"{order_id}_i0"], "route": "balance", **extra}


def tag(html: str, name: str, value: str) -> str:
    """Return the input tag with this name and value."""
    found = re.search(rf'<input [^>]*name="{name}"[^>]*value="{value}"[^>]*>', html)
    assert found is not None, f"no input {name}={value}"
    return found.group(0)


def alert(html: str) -> str:
    found = re.search(r'data-test="problem"[^>]*>\s*<strong>[^<]*</strong>\s*<p>([^<]*)</p>', html)
    assert found is not None, "no problem shown on the form"
    return found.group(1)


def nothing_filed(system: System) -> None:
    assert count_rows(system.engine, "cases") == 0
    assert count_rows(system.engine, "evidence") == 0
    assert count_rows(system.engine, "idempotency_keys") == 0
    assert stored_files(system.settings.data_dir / "evidence") == []


def test_the_form_comes_filled_from_the_buyers_own_order(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f1", items=2))
    push(client, auth, order_payload("ord_f2", buyer="buyer_2"))
    sign_in(client, system)

    page = client.get("/orders/ord_f1/claim")

    assert page.status_code == 200
    for fact in ("ord_f1", "京东E卡 100元", "¥100.00", "ABCD-****-****-NPQR"):
        assert fact in page.text
    assert 'accept="image/*"' in page.text
    assert " checked" in tag(page.text, "reason", "card_invalid")  # the first open reason is chosen
    assert " checked" not in tag(page.text, "reason", "other")
    theirs = client.get("/orders/ord_f2/claim")
    assert (theirs.status_code, "未找到该订单" in theirs.text) == (404, True)
    assert client.get("/orders/ord_nope/claim").status_code == 404
    assert client.get("/orders/ord_f2/claim/precheck?reason=other&item=ord_f2_i0").json()["code"] == "not_found"


def test_a_claim_with_a_screenshot_is_filed_and_redirects_to_its_case(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f3", items=3))
    sign_in(client, system)
    form = open_form(client, "ord_f3")

    sent = post(
        client,
        "ord_f3",
        claim_fields(form, "ord_f3", item=["ord_f3_i0", "ord_f3_i2"], description="兑换提示已被使用"),
        {SCREENSHOT: png_bytes()},
    )

    assert sent.status_code == 303, sent.text
    case_id = sent.headers["location"].removeprefix("/cases/")
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert (case["reason"], case["item_ids"], case["description"]) == (
        "card_invalid",
        ["ord_f3_i0", "ord_f3_i2"],
        "兑换提示已被使用",
    )
    assert [e["kind"] for e in case["evidence"]] == ["error_screenshot"]


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_post_without_the_right_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, auth: Auth, system: System, token: str | None
) -> None:
    push(client, auth, order_payload("ord_f4"))
    sign_in(client, system)
    form = open_form(client, "ord_f4")
    fields = claim_fields(form, "ord_f4")
    fields.pop("csrf")
    if token is not None:
        fields["csrf"] = token

    sent = post(client, "ord_f4", fields, {SCREENSHOT: png_bytes()})

    assert sent.status_code == 403
    assert "页面已过期或来源不明" in sent.text
    nothing_filed(system)


def test_another_buyers_order_is_not_found_even_with_a_valid_token(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f5", buyer="buyer_2"))
    push(client, auth, order_payload("ord_f6"))
    sign_in(client, system)
    form = open_form(client, "ord_f6")

    sent = post(client, "ord_f5", claim_fields(form, "ord_f5"), {SCREENSHOT: png_bytes()})

    assert sent.status_code == 404
    nothing_filed(system)


@pytest.mark.parametrize(
    ("change", "status", "says"),
    [
        ({"reason": "refund_everything"}, 422, "请选择一个有效的退卡原因。"),
        ({"item": ["ord_f7_i9"]}, 422, "所选卡密/商品不属于该订单"),
        ({"item": []}, 422, "请至少勾选一项商品。"),
        ({"route": "original"}, 422, "请选择可用的退款方式。"),
        ({"key": "short"}, 400, "表单已失效，请检查后重新提交。"),
        ({"description": "长" * 501}, 422, "补充说明不能超过 500 字。"),
    ],
)
def test_bad_input_shows_the_form_again_with_the_buyers_choices_and_files_nothing(
    client: TestClient, auth: Auth, system: System, change: dict[str, Any], status: int, says: str
) -> None:
    push(client, auth, order_payload("ord_f7", items=2))
    sign_in(client, system)
    form = open_form(client, "ord_f7")

    sent = post(
        client,
        "ord_f7",
        claim_fields(form, "ord_f7", **{"description": "请尽快处理", **change}),
        {SCREENSHOT: png_bytes()},
    )

    assert sent.status_code == status
    assert alert(sent.text) == says
    assert "浏览器不会保留已选择的图片" in sent.text
    if "description" not in change:
        assert ">请尽快处理</textarea>" in sent.text
    nothing_filed(system)


def test_a_claim_without_the_evidence_its_reason_needs_is_not_filed(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f8"))
    sign_in(client, system)
    form = open_form(client, "ord_f8")

    sent = post(client, "ord_f8", claim_fields(form, "ord_f8"))

    assert sent.status_code == 422
    assert alert(sent.text) == "请上传：激活/充值失败截图"
    nothing_filed(system)


def test_a_claim_on_an_item_another_claim_holds_is_refused_and_the_item_shown_held(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f9", items=2))
    sign_in(client, system)
    first = post(client, "ord_f9", claim_fields(open_form(client, "ord_f9"), "ord_f9"), {SCREENSHOT: png_bytes()})
    held_by = first.headers["location"].removeprefix("/cases/")

    page = client.get("/orders/ord_f9/claim")
    sent = post(client, "ord_f9", claim_fields(open_form(client, "ord_f9"), "ord_f9"), {SCREENSHOT: png_bytes()})

    assert f'已申请退卡，不能重复申请。 <a href="/cases/{held_by}">查看退卡进度</a>' in page.text
    assert f"已在退卡申请 {held_by}" not in page.text  # the claim is a link, its id no text to read
    assert " disabled" in tag(page.text, "item", "ord_f9_i0")
    assert " checked" in tag(page.text, "item", "ord_f9_i1")
    assert sent.status_code == 422
    assert alert(sent.text) == "不符合退卡条件：所选商品已有进行中或已退款的申请"
    assert (count_rows(system.engine, "cases"), count_rows(system.engine, "evidence")) == (1, 1)


def test_the_same_one_time_key_sent_twice_files_one_case(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f10"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f10"), "ord_f10")

    first = post(client, "ord_f10", fields, {SCREENSHOT: png_bytes()})
    # A browser retry sends the files again; they would be new evidence under the same key.
    again = post(client, "ord_f10", fields, {SCREENSHOT: png_bytes(color="red")})

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert (count_rows(system.engine, "cases"), count_rows(system.engine, "evidence")) == (1, 1)


def test_two_sendings_at_once_land_on_one_case(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f11"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f11"), "ord_f11")
    start = threading.Barrier(2)
    answers: list[Any] = []

    def send(color: str) -> None:
        with TestClient(create_app(system), cookies=dict(client.cookies)) as own:
            start.wait()
            answers.append(post(own, "ord_f11", fields, {SCREENSHOT: png_bytes(color=color)}))

    threads = [threading.Thread(target=send, args=(c,)) for c in ("white", "red")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [a.status_code for a in answers] == [303, 303], [a.text[:300] for a in answers]
    assert answers[0].headers["location"] == answers[1].headers["location"]
    assert count_rows(system.engine, "cases") == 1


def test_an_oversize_or_non_image_upload_is_refused_and_nothing_is_filed(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f12"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f12"), "ord_f12")

    big = post(client, "ord_f12", fields, {SCREENSHOT: png_bytes()[:8] + b"\0" * MAX_BYTES})
    text = post(client, "ord_f12", fields, {SCREENSHOT: b"just some text, not a picture"})

    assert big.status_code == 413
    assert alert(big.text) == "“激活/充值失败截图”的图片超过 0.1 MB，请换一张较小的图片。"
    assert text.status_code == 415
    assert alert(text.text) == "“激活/充值失败截图”：仅支持 PNG、JPEG 和 WebP 图片"
    nothing_filed(system)


def test_a_damaged_deep_or_animated_image_is_refused_in_chinese_and_nothing_is_filed(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f16"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f16"), "ord_f16")
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    animated = io.BytesIO()
    frames[0].save(animated, "PNG", save_all=True, append_images=frames[1:])

    broken = post(client, "ord_f16", fields, {SCREENSHOT: png_of(200, 200, zlib.compress(bytes(200 * 601))[:-10])})
    deep = post(client, "ord_f16", fields, {SCREENSHOT: deep_png(1500, 1500)})
    moving = post(client, "ord_f16", fields, {SCREENSHOT: animated.getvalue()})

    assert broken.status_code == 422
    assert alert(broken.text) == "“激活/充值失败截图”：图片文件已损坏或不完整"
    assert deep.status_code == 422
    assert alert(deep.text) == "“激活/充值失败截图”：图片尺寸或色深过大，解码后超出上限"
    assert moving.status_code == 415
    assert alert(moving.text) == "“激活/充值失败截图”：不支持动图，请上传静态截图"
    nothing_filed(system)


def test_a_stored_file_is_kept_when_another_is_refused(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f13", paid_ago=timedelta(minutes=10)))
    sign_in(client, system)
    fields = {**open_form(client, "ord_f13"), "reason": "wrong_item", "item": ["ord_f13_i0"], "route": "balance"}

    refused = post(
        client,
        "ord_f13",
        fields,
        {"file.wrong_item.order_screenshot": png_bytes(), "file.wrong_item.received_item_screenshot": b"GIF89a"},
    )
    kept = _hidden(refused.text, "kept.order_screenshot")
    assert count_rows(system.engine, "cases") == 0
    filed = post(
        client,
        "ord_f13",
        {**fields, "kept.order_screenshot": kept},
        {"file.wrong_item.received_item_screenshot": png_bytes(color="blue")},
    )

    assert refused.status_code == 415
    assert "已上传，无需重新选择" in refused.text
    assert filed.status_code == 303, filed.text
    case_id = filed.headers["location"].removeprefix("/cases/")
    case = client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()
    assert [e["kind"] for e in case["evidence"]] == ["order_screenshot", "received_item_screenshot"]
    assert case["evidence"][0]["id"] == kept


def test_the_precheck_answers_good_input_and_a_stable_code_for_bad(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f14", items=2))
    url = "/orders/ord_f14/claim/precheck"
    assert client.get(f"{url}?reason=other&item=ord_f14_i0").json()["code"] == "signed_out"
    sign_in(client, system)

    asking = client.get(f"{url}?reason=card_invalid&item=ord_f14_i0")
    given = client.get(f"{url}?reason=card_invalid&item=ord_f14_i0&has=error_screenshot")
    mistaken = client.get(f"{url}?reason=mistaken_purchase&item=ord_f14_i0&item=ord_f14_i1&lang=en")

    assert asking.status_code == 200
    assert {k: asking.json()[k] for k in ("path", "text", "missing", "refundable")} == {
        "path": "request_evidence",
        "text": "请先补充所需凭证",
        "missing": "还需：激活/充值失败截图",
        "refundable": "50.00",
    }
    assert (given.json()["path"], given.json()["text"]) == ("manual_review", "需人工复核，预计 2 小时内")
    assert {k: mistaken.json()[k] for k in ("path", "text", "fee", "priced")} == {
        "path": "reject",
        "text": "Not refundable under the policy",
        "fee": "1.00",
        "priced": False,
    }
    assert "Already delivered; the rule needs it undelivered" in mistaken.json()["why"]
    for query, status, code in [
        ("reason=refund_everything&item=ord_f14_i0", 400, "bad_reason"),
        ("reason=other", 422, "no_items"),
        ("reason=other&item=ord_f14_i7", 422, "unknown_items"),
        ("reason=other&item=ord_f14_i0&item=ord_f14_i0", 422, "invalid_input"),
        ("reason=other&item=ord_f14_i0&has=selfie", 400, "bad_evidence_kind"),
    ]:
        bad = client.get(f"{url}?{query}")
        assert (bad.status_code, bad.json()["code"]) == (status, code), query
        assert bad.json()["message"]


def test_a_staff_session_is_turned_away_from_the_buyers_form(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f15"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f15"), "ord_f15")
    sign_in(client, system, "agent_1", "agent")

    page = client.get("/orders/ord_f15/claim")
    sent = post(client, "ord_f15", fields, {SCREENSHOT: png_bytes()})
    check = client.get("/orders/ord_f15/claim/precheck?reason=other&item=ord_f15_i0")

    assert (page.status_code, "只有买家本人可以申请退卡。" in page.text) == (403, True)
    assert sent.status_code == 403
    assert (check.status_code, check.json()["code"]) == (403, "buyers_only")
    nothing_filed(system)


def test_a_signed_out_visitor_is_sent_to_the_platform(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f16"))

    page = client.get("/orders/ord_f16/claim")

    assert (page.status_code, "请从平台进入退卡中心" in page.text) == (401, True)


def test_reasons_the_policy_refuses_or_whose_window_closed_are_shown_disabled_with_why(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f17", kind="direct_topup"))
    push(client, auth, order_payload("ord_f18", paid_ago=timedelta(hours=3)))
    sign_in(client, system)

    topup = client.get("/orders/ord_f17/claim?reason=card_invalid")
    late = client.get("/orders/ord_f18/claim?reason=wrong_item")
    picked = client.get("/orders/ord_f18/claim?reason=other")

    assert " disabled" in tag(topup.text, "reason", "card_invalid")
    assert "不支持 · 直充商品不发放卡密，请选择“未到账”。" in topup.text
    assert " checked" in tag(topup.text, "reason", "not_delivered")  # a refused reason is never preselected
    assert " disabled" in tag(late.text, "reason", "wrong_item")
    assert re.search(r"申请时限已过（\d{4}-\d\d-\d\d \d\d:\d\d 截止）", late.text)
    assert " checked" in tag(late.text, "reason", "card_invalid")
    assert " checked" in tag(picked.text, "reason", "other")
    assert " disabled" in tag(picked.text, "route", "original")
    assert "该订单暂不支持原路退款" in picked.text


def test_the_original_route_is_offered_first_when_a_gateway_can_pay_it(
    client: TestClient, auth: Auth, system: System
) -> None:
    system.ctx.gateways = {PayoutRoute.ALIPAY: Unreachable(PayoutRoute.ALIPAY)}
    push(client, auth, order_payload("ord_f19"))
    sign_in(client, system)
    page = client.get("/orders/ord_f19/claim")
    form = {name: _hidden(page.text, name) for name in ("csrf", "key")}

    sent = post(client, "ord_f19", claim_fields(form, "ord_f19", route="original"), {SCREENSHOT: png_bytes()})

    assert " checked" in tag(page.text, "route", "original")
    assert "原路退回（支付宝）" in page.text
    case_id = sent.headers["location"].removeprefix("/cases/")
    assert client.get(f"/v1/refund-cases/{case_id}", headers=auth("buyer", "buyer_1")).json()["route"] == "original"


def test_a_form_far_over_the_page_limit_is_refused_as_a_page_before_it_is_read(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f20"))
    sign_in(client, system)
    fields = claim_fields(open_form(client, "ord_f20"), "ord_f20")
    # More than one file of every kind could add up to: refused by the body limit itself.
    files = {f"{SCREENSHOT}.{n}": b"\0" * MAX_BYTES for n in range(len(EvidenceKind) + 1)}

    refused = post(client, "ord_f20", fields, files)

    assert refused.status_code == 413
    assert refused.headers["content-type"].startswith("text/html")
    assert "上传的文件过大" in refused.text
    nothing_filed(system)


def test_a_top_ups_page_and_form_show_its_own_buyer_the_account_in_full(
    client: TestClient, auth: Auth, system: System
) -> None:
    body = order_payload("ord_f19", kind="manual_topup", items=2)
    body["items"] = [{"id": "ord_f19_i0", "account": "13800138000"}, {"id": "ord_f19_i1", "account": "1开 / 天下无双"}]
    push(client, auth, body)
    push(client, auth, order_payload("ord_f20", buyer="buyer_2", kind="direct_topup"))
    sign_in(client, system)

    order = client.get("/orders/ord_f19")
    form = client.get("/orders/ord_f19/claim")

    assert order.status_code == form.status_code == 200
    for page in (order.text, form.text):
        assert "13800138000" in page
        assert "1开 / 天下无双" in page
        assert "****" not in page
    assert client.get("/orders/ord_f20").status_code == 404


def test_a_reason_the_orders_record_rules_out_says_so_not_that_its_time_passed(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f_ruled", paid_ago=timedelta(days=2)))
    sign_in(client, system)

    page = client.get("/orders/ord_f_ruled/claim").text

    mistaken = page[page.index('data-reason="mistaken_purchase"') :]
    mistaken = mistaken[: mistaken.index("</div>")]
    assert "本订单已发货，此项仅限发货前申请。" in mistaken
    assert "申请时限已过" not in mistaken


def test_each_closed_reason_says_why_in_the_orders_own_terms(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_f90", delivery="pending"))
    push(client, auth, order_payload("ord_f91"))
    sign_in(client, system)

    waiting = client.get("/orders/ord_f90/claim")
    delivered = client.get("/orders/ord_f91/claim")

    assert (waiting.status_code, delivered.status_code) == (200, 200)
    assert " disabled" in tag(waiting.text, "reason", "card_invalid")
    assert "商品发货后才能以此原因申请。" in waiting.text
    assert " disabled" in tag(delivered.text, "reason", "mistaken_purchase")
    assert "本订单已发货，此项仅限发货前申请。" in delivered.text
    assert "申请时限已过" not in waiting.text + delivered.text


def test_an_order_whose_items_are_all_claimed_says_so_instead_of_asking_to_tick_one(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_f92", delivery="failed"))
    sign_in(client, system)
    filed = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_f92", "reason": "not_delivered", "route": "balance"},
        headers=auth("buyer", "buyer_1"),
    )
    assert filed.status_code == 201, filed.text

    page = client.get("/orders/ord_f92/claim")

    assert page.status_code == 200
    assert "本订单的商品都已申请退卡，可在「我的退卡」查看进度。" in page.text
    assert "请至少勾选一项商品。" not in page.text
