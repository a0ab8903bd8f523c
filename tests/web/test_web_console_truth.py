"""What the console tells an agent is true: one lean per case, reasons by the way they point, names, one verdict."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, manual_review_case, push, upload
from tests.support.factories import order_payload, png_bytes
from tests.support.suppliers import FakeSupplier
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.ids import CaseId, EvidenceId
from tuika.review.reading import EvidenceRead
from tuika.services.context import Actor
from tuika.services.review import console
from tuika.web.console_case import summary
from tuika.web.i18n import text


def visible(page: str) -> str:
    """Return the text a person reads on a page: no tags, so no attributes, scripts or styles."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]*>", " ", body)


def section(page: str, name: str) -> str:
    start = page.index(f'data-test="{name}"')
    return page[start : page.index("</section>", start)]


def reused_case(client: TestClient, auth: Auth, first: str, again: str) -> str:
    """Return a not-delivered claim whose screenshot already backed an earlier claim."""
    shot = png_bytes(color="navy")
    cases = []
    for order_id, buyer in ((first, "buyer_1"), (again, "buyer_2")):
        push(client, auth, order_payload(order_id, buyer=buyer, delivery="failed", amount_fen=1000))
        body = {"order_id": order_id, "reason": "not_delivered", "evidence_ids": [upload(client, auth, buyer, shot)]}
        cases.append(file_case(client, auth, body, buyer))
    assert [c["status"] for c in cases] == ["refunded", "manual_review"]
    return str(cases[1]["id"])


def test_the_summary_over_the_suggestion_is_read_off_the_suggestion(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    # Each of these once stood under "符合退卡政策…核实无误可批准" whatever was suggested.
    dear = order_payload("ord_tr1", amount_fen=30000)  # above the automatic limit; the key is dead
    push(client, auth, dear)
    shot = upload(client, auth, data=png_bytes(color="teal"))
    claim = {"order_id": "ord_tr1", "reason": "card_invalid", "evidence_ids": [shot]}
    approvable = str(file_case(client, auth, claim)["id"])
    reused = reused_case(client, auth, "ord_tr2", "ord_tr3")
    supplier.down = True
    unverified = manual_review_case(client, auth, "ord_tr4")
    sign_in(client, system, "agent_1", "agent")
    expected = {
        approvable: ("approve", "supplier_confirmed_fault", "可以批准：没有待核对的疑点。"),
        reused: ("reject", "evidence_reused", "不宜批准：建议驳回。"),
        unverified: ("request_evidence", "evidence_insufficient", "暂不能判断：建议请买家补充材料。"),
    }

    for case_id, (action, code, said) in expected.items():
        page = client.get(f"/console/cases/{case_id}").text
        machine = section(page, "machine")
        suggested = re.search(r'data-test="suggestion" data-action="([a-z_]+)" data-code="([a-z_]+)"', machine)
        assert suggested is not None, case_id
        assert suggested.groups() == (action, code), case_id
        assert re.search(r'data-test="summary"><strong>([^<]+)</strong>', machine)[1] == said  # type: ignore[index]
        assert "未自动决定，转人工复核" in machine
        assert "核实无误可批准" not in page
        file = console.case_file(system.ctx, Actor("agent_1", console.STAFF_ROLES[0]), CaseId(case_id))
        assert text("zh", str(summary(file.suggestion))) == said


def test_each_reason_is_marked_by_the_way_it_points_in_words_and_no_code_is_shown(
    client: TestClient, auth: Auth, system: System, supplier: FakeSupplier
) -> None:
    push(client, auth, order_payload("ord_tr5", amount_fen=30000))
    claim = {"order_id": "ord_tr5", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    case_id = file_case(client, auth, claim)["id"]
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{case_id}").text

    reasons = re.findall(r'class="reason dir-(\w+)" data-code="(\w+)" data-direction="(\w+)"', section(page, "machine"))
    assert sorted(reasons) == [
        ("checks", "amount_above_auto_limit", "checks"),
        ("supports", "supplier_card_invalid", "supports"),
    ]
    # The supplier's word for the buyer reads as such: a tick and "for the claim", not a warning.
    assert re.search(
        r'data-code="supplier_card_invalid" data-direction="supports" data-test="reason">'
        r'<span class="sign" aria-hidden="true">✓</span> <span class="sr">支持申请：</span>供货商确认卡密无效</span>',
        page,
    )
    assert re.search(r'aria-hidden="true">!</span> <span class="sr">需人工核实：</span>金额超过自动审核上限', page)
    assert "支持申请" in section(page, "machine")  # the key to the signs, beside them
    words = visible(page)
    for code in ("supplier_card_invalid", "amount_above_auto_limit", "supplier_confirmed_fault", "policy_refundable"):
        assert code not in words, code
    english = visible(client.get(f"/console/cases/{case_id}?lang=en").text)
    assert "For the claim: The supplier confirms the key is invalid" in " ".join(english.split())


def test_the_engine_that_read_a_screenshot_is_not_shown(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_tr6")
    evidence_id = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "a")).json()["evidence"][0]["id"]
    read = EvidenceRead(EvidenceId(evidence_id), "faster-paddle small", (), {}, (), (), datetime.now(UTC))
    with system.ctx.uow() as uow:
        uow.reads.add(CaseId(case_id), [read])
        uow.commit()
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{case_id}").text

    assert 'data-engine="faster-paddle small"' in page
    assert "faster-paddle" not in visible(page)
    assert "识别出的文字" in page


def test_merchants_and_suppliers_are_shown_by_name_with_the_id_beside_or_by_id_alone(
    client: TestClient, auth: Auth, system: System
) -> None:
    body = order_payload("ord_tr7", merchant_name="金卡 旗舰店", supplier_name="天虹卡业供应链")
    push(client, auth, body)
    claim = {"order_id": "ord_tr7", "reason": "card_invalid", "evidence_ids": [upload(client, auth)]}
    named = str(file_case(client, auth, claim)["id"])
    # A shop renamed after the claim: names are for people and may change, unlike the ids.
    body["merchant_name"] = "  金卡优选旗舰店 "
    updated = client.post("/v1/orders", json=body, headers=auth("platform", "host"))
    assert updated.status_code == 200, updated.text
    push(client, auth, order_payload("ord_tr8"))
    claim = {
        "order_id": "ord_tr8",
        "reason": "card_invalid",
        "evidence_ids": [upload(client, auth, data=png_bytes(color="red"))],
    }
    plain = str(file_case(client, auth, claim)["id"])
    shown = client.get("/v1/orders/ord_tr7", headers=auth("agent", "a")).json()
    assert (shown["merchant_name"], shown["supplier_name"]) == ("金卡优选旗舰店", "天虹卡业供应链")
    assert client.get("/v1/orders/ord_tr8", headers=auth("agent", "a")).json()["merchant_name"] == ""
    sign_in(client, system, "agent_1", "agent")

    page = client.get(f"/console/cases/{named}").text
    bare = client.get(f"/console/cases/{plain}").text
    queue = client.get("/console").text

    party = '<dd data-test="{}">{} <span class="muted small party-id">{}</span></dd>'
    assert party.format("merchant", "金卡优选旗舰店", "merchant_1") in page
    assert party.format("supplier-name", "天虹卡业供应链", "supplier_1") in page
    assert '<dd data-test="merchant">merchant_1</dd>' in bare
    assert '<dd data-test="supplier-name">supplier_1</dd>' in bare
    rows = {m[0]: m[1] for m in re.findall(r'data-case="([^"]+)".*?data-test="merchant">(.*?)</dd>', queue, re.S)}
    assert rows[named] == '金卡优选旗舰店 <span class="muted small party-id">merchant_1</span>'
    assert rows[plain] == "merchant_1"


def _stored_read(evidence_id: str) -> EvidenceRead:
    # As a read was kept before the verdicts were settled: "matches": false for a time after payment.
    def compared(field: str, read: str, expected: str, matches: bool, code: str) -> dict[str, Any]:
        return {"field": field, "read": read, "expected": expected, "matches": matches, "code": code, "item_id": None}

    matches = (
        compared("order_number", "ord_tr9", "ord_tr9", True, "order_number_matches"),
        compared("amount", "12.00", "100.00", False, "amount_differs"),
        compared("time", "2026-11-30T03:00:00+00:00", "2026-11-30T01:00:00+00:00", False, "time_after_payment"),
    )
    return EvidenceRead(
        EvidenceId(evidence_id),
        "test",
        (("订单号 ord_tr9", (0, 0, 100, 20), 0.9), ("2026-11-30 11:00:00 卡密已被使用", (0, 20, 100, 40), 0.9)),
        {"order_numbers": ["ord_tr9"], "error_texts": ["card_used"], "phones": ["138****8000"]},
        matches,
        ("ocr_contradicts_order",),
        datetime.now(UTC),
    )


def test_the_console_and_the_buyers_page_give_each_field_read_the_same_verdict(
    client: TestClient, auth: Auth, system: System
) -> None:
    case_id = manual_review_case(client, auth, "ord_tr9")
    evidence_id = client.get(f"/v1/refund-cases/{case_id}", headers=auth("agent", "a")).json()["evidence"][0]["id"]
    with system.ctx.uow() as uow:
        uow.reads.add(CaseId(case_id), [_stored_read(evidence_id)])
        uow.commit()

    sign_in(client, system, "buyer_1")
    buyer = client.get(f"/cases/{case_id}").text
    sign_in(client, system, "agent_1", "agent")
    agent = client.get(f"/console/cases/{case_id}").text

    rows = re.findall(r'data-test="read-row" data-field="(\w+)" data-verdict="(\w+)"', buyer)
    marks = re.findall(r'data-test="mark" data-field="(\w+)" data-verdict="(\w+)"', agent)
    assert marks == [
        ("order_number", "match"),
        ("amount", "mismatch"),
        ("time", "match"),
        ("error_text", "info"),
        ("phone", "info"),
    ]
    assert rows == marks
    assert "✓ 在付款之后" in buyer
    time_mark = agent[agent.index('<li class="mark match" data-test="mark" data-field="time"') :]
    time_mark = " ".join(visible(time_mark[: time_mark.index("</li>")]).split())
    assert time_mark == "✓ 时间 2026-11-30 11:00:00 · 一致：在付款之后"
    assert "晚于付款" not in agent
