"""Finance's balances and holds in the console over HTTP: every party's figures in yuan, a merchant's claims on hold."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.services.test_balances import claim, decide, fund, merchants_fault, publish_fault_fees
from tests.support.api import Auth, manual_review_case
from tests.support.web import sign_in
from tuika.bootstrap import System
from tuika.domain.ids import spaced_number

PAGE = "/console/finance/balances"
ZONE = ZoneInfo("Asia/Shanghai")


def parties(page: str, kind: str) -> list[str]:
    """Return the ids of the parties listed, in order."""
    return re.findall(rf'data-party="([^"]+)" data-test="{kind}-row"', page)


def row_html(page: str, party_id: str) -> str:
    start = page.index(f'data-party="{party_id}"')
    return page[start : page.index("</li>", start)]


def visible(page: str) -> str:
    """Return what a person reads of a page: its text, without tags, attributes or the stylesheet's names."""
    main = page[page.index("<main") :]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def figure(row: str, name: str) -> str:
    found = re.search(rf'data-test="{name}"[^>]*>(.*?)</dd>', row)
    assert found is not None, f"no {name} in the row"
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_finance_reads_each_merchants_figures_in_yuan_the_most_held_first(
    client: TestClient, auth: Auth, system: System
) -> None:
    publish_fault_fees(client, auth)
    fund(client, auth, "merchant", "merchant_1", 30_000, "BANK-W-001")
    claim(client, auth, "ord_wb1", 4200, merchant_name="金卡优选旗舰店")
    decide(client, auth, merchants_fault(client, auth, "ord_wb2", 8000), "approve", "merchant_confirmed_fault")
    claim(client, auth, "ord_wb3", 9000, merchant="merchant_2")
    fund(client, auth, "merchant", "merchant_3", 5_000, "BANK-W-002")
    sign_in(client, system, "finance_1", "admin")

    page = client.get(PAGE)

    assert page.status_code == 200, page.text
    body = page.text
    assert parties(body, "merchant") == ["merchant_2", "merchant_1", "merchant_3"]
    first = row_html(body, "merchant_1")
    assert 'data-test="name">金卡优选旗舰店 <span class="muted small party-id">merchant_1</span>' in first
    assert figure(first, "held") == "¥42.00 · 1 笔申请"
    assert figure(first, "settlement") == "−¥122.00"
    assert figure(first, "deposit") == "¥297.00"
    assert figure(first, "paid-in") == "¥300.00"
    assert figure(first, "recovered") == "¥80.00"
    assert figure(first, "fault-fees") == "¥3.00"
    assert f'href="{PAGE}/merchants/merchant_1"' in first
    assert ">查看冻结中的 1 笔申请</a>" in first
    quiet = row_html(body, "merchant_3")
    assert figure(quiet, "held") == "¥0.00 · 0 笔申请"
    assert 'data-test="no-holds">没有冻结中的申请。' in quiet
    assert "/merchants/merchant_3" not in quiet
    # The settlement figure is said, where the list starts, to be what claims changed only.
    assert "结算调整只记退卡申请带来的增减，不含销售收入" in body
    assert 'data-test="shown">第 1–3 家，共 3 家' in body
    assert 'aria-current="page" data-test="balances-link"' in body
    read = visible(body)
    for raw in ("merchant:", ":holds", "clawback", "fault_fee", "manual_review", "rc_"):
        assert raw not in read, raw

    english = client.get(f"{PAGE}?lang=en").text
    assert "Balances and holds" in english
    assert figure(row_html(english, "merchant_1"), "held") == "¥42.00 · 1 claim"
    assert ">See the claim on hold</a>" in english
    assert "No sales are booked here" in english


def test_a_merchants_claims_on_hold_link_to_their_cases_by_refund_number_largest_first(
    client: TestClient, auth: Auth, system: System
) -> None:
    small = claim(client, auth, "ord_wh1", 1500)
    large = claim(client, auth, "ord_wh2", 7000)
    decide(client, auth, claim(client, auth, "ord_wh3", 9900), "reject", "evidence_insufficient")
    cases = {c: client.get(f"/v1/refund-cases/{c}", headers=auth("admin", "root")).json() for c in (small, large)}
    sign_in(client, system, "finance_1", "admin")

    page = client.get(f"{PAGE}/merchants/merchant_1")

    assert page.status_code == 200, page.text
    body = page.text
    assert re.findall(r'data-case="([^"]+)" data-test="hold-row"', body) == [large, small]
    row = body[body.index(f'data-case="{large}"') :]
    number = spaced_number(cases[large]["number"])
    assert f'href="/console/cases/{large}" data-test="case-link"><span class="sr">退款编号 </span>{number}</a>' in row
    assert 'data-test="amount">¥70.00</strong>' in row
    assert 'data-test="product">京东E卡 100元</dd>' in row
    assert 'data-test="stage">人工复核中</dd>' in row
    held_at = datetime.fromisoformat(cases[large]["created_at"]).astimezone(ZONE).strftime("%Y-%m-%d %H:%M")
    assert held_at in row
    assert figure(body, "held") == "¥85.00 · 2 笔申请"
    assert "冻结款：merchant_1" in body
    assert 'data-test="shown">第 1–2 笔，共 2 笔' in body
    read = visible(body)
    assert "rc_" not in read
    assert "manual_review" not in read

    assert "Funds on hold: merchant_1" in client.get(f"{PAGE}/merchants/merchant_1?lang=en").text


def test_suppliers_come_owing_most_first_and_what_one_owes_is_said_in_words(
    client: TestClient, auth: Auth, system: System
) -> None:
    fund(client, auth, "supplier", "supplier_2", 10_000, "BANK-W-010")
    decide(
        client,
        auth,
        manual_review_case(client, auth, "ord_ws1", amount_fen=10_000),
        "approve",
        "supplier_confirmed_fault",
    )
    sign_in(client, system, "finance_1", "admin")

    body = client.get(f"{PAGE}/suppliers").text

    assert parties(body, "supplier") == ["supplier_1", "supplier_2"]
    owing = row_html(body, "supplier_1")
    assert figure(owing, "deposit") == "−¥100.00（欠款）"
    assert 'class="owes"' in owing
    assert figure(owing, "recovered") == "¥100.00"
    assert "已追偿退款" in owing
    assert 'data-test="held"' not in owing
    assert figure(row_html(body, "supplier_2"), "deposit") == "¥100.00"
    assert 'aria-current="page" data-test="suppliers-tab"' in body
    assert "−¥100.00 (owes)" in client.get(f"{PAGE}/suppliers?lang=en").text


def test_merchants_come_a_page_at_a_time(client: TestClient, auth: Auth, system: System) -> None:
    for n in range(51):
        fund(client, auth, "merchant", f"merchant_p{n:02d}", 100 + n, f"BANK-WP-{n:02d}")
    sign_in(client, system, "finance_1", "admin")

    first = client.get(PAGE).text
    second = client.get(f"{PAGE}?page=2").text

    assert len(parties(first, "merchant")) == 50
    assert parties(second, "merchant") == ["merchant_p50"]
    assert 'data-test="shown">第 1–50 家，共 51 家' in first
    assert f'href="{PAGE}?page=2" rel="next"' in first
    assert f'href="{PAGE}?page=1" rel="prev"' in second
    assert 'rel="next"' not in second
    assert client.get(f"{PAGE}?page=3").status_code == 404


def test_only_admins_open_the_balances_and_an_unknown_merchant_is_not_found(
    client: TestClient, auth: Auth, system: System
) -> None:
    claim(client, auth, "ord_wa1", 2000)
    assert client.get(PAGE).status_code == 401
    for role in ("agent", "arbitrator"):
        sign_in(client, system, f"{role}_1", role)
        refused = client.get(PAGE)
        assert refused.status_code == 403
        assert "余额与冻结仅限管理员查看。" in refused.text
        assert client.get(f"{PAGE}/merchants/merchant_1").status_code == 403
        assert 'data-test="balances-link"' not in client.get("/console").text
    sign_in(client, system, "merchant_1", "merchant")
    assert client.get(PAGE).status_code == 403
    east_claim = claim(client, auth, "ord_wa2", 1000, merchant="m:east")
    sign_in(client, system, "finance_1", "admin")
    # An id with a colon goes into its link escaped and comes back whole.
    assert f'href="{PAGE}/merchants/m%3Aeast"' in client.get(PAGE).text
    east = client.get(f"{PAGE}/merchants/m%3Aeast")
    assert east.status_code == 200
    assert "冻结款：m:east" in east.text
    assert re.findall(r'data-case="([^"]+)" data-test="hold-row"', east.text) == [east_claim]
    for missing in ("merchant_9", "a%20b"):
        gone = client.get(f"{PAGE}/merchants/{missing}")
        assert gone.status_code == 404
        assert "账本中没有该商家的记录。" in gone.text
    assert 'data-test="balances-link"' in client.get("/console").text
