"""Doubts a person must weigh: a recycled screenshot, a buyer whose recent claims cross a limit."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

from tests.support.api import Auth, buyer_case, file_case, push, upload
from tests.support.factories import order_payload, png_bytes, zip_bytes
from tests.support.screens import RedeemError
from tuika.bootstrap import System


def failed_delivery_claim(
    client: TestClient, auth: Auth, order_id: str, buyer: str, evidence: list[str] | None = None
) -> dict[str, Any]:
    push(client, auth, order_payload(order_id, buyer=buyer, delivery="failed", amount_fen=1000))
    body: dict[str, Any] = {"order_id": order_id, "reason": "not_delivered"}
    if evidence is not None:
        body["evidence_ids"] = evidence
    return file_case(client, auth, body, buyer)


def codes(case: dict[str, Any]) -> list[str]:
    return [c["code"] for c in case["reason_codes"]]


def test_a_screenshot_already_behind_another_claim_sends_the_claim_to_a_person(
    client: TestClient, auth: Auth, system: System
) -> None:
    shot = png_bytes(color="navy")
    first = failed_delivery_claim(client, auth, "ord_re1", "buyer_1", [upload(client, auth, "buyer_1", shot)])
    again = failed_delivery_claim(client, auth, "ord_re2", "buyer_2", [upload(client, auth, "buyer_2", shot)])

    assert first["status"] == "refunded"  # a failed delivery on our record: no person needed
    assert (again["status"], codes(again)) == ("manual_review", ["evidence_reused"])
    [reuse] = [f for f in again["findings"] if f["kind"] == "forensics"]
    assert reuse["subject"] == again["evidence"][0]["id"]
    assert reuse["facts"]["other_case"] == first["id"]
    assert [c["code"] for c in reuse["reason_codes"]] == ["evidence_reused"]


def test_a_screenshot_sent_again_with_other_bytes_after_its_end_is_still_a_reuse(
    client: TestClient, auth: Auth, system: System
) -> None:
    shot = png_bytes(color="teal")
    first = failed_delivery_claim(
        client, auth, "ord_re5", "buyer_1", [upload(client, auth, "buyer_1", shot + b"first trailer")]
    )
    again = failed_delivery_claim(
        client, auth, "ord_re6", "buyer_2", [upload(client, auth, "buyer_2", shot + zip_bytes())]
    )

    assert first["evidence"][0]["sha256"] == again["evidence"][0]["sha256"]
    assert (again["status"], codes(again)) == ("manual_review", ["evidence_reused"])
    [reuse] = [f for f in again["findings"] if f["kind"] == "forensics"]
    assert reuse["facts"]["other_case"] == first["id"]


def test_a_different_screenshot_is_not_a_reuse(client: TestClient, auth: Auth) -> None:
    failed_delivery_claim(client, auth, "ord_re3", "buyer_1", [upload(client, auth, "buyer_1", png_bytes(color="red"))])
    other = failed_delivery_claim(
        client, auth, "ord_re4", "buyer_2", [upload(client, auth, "buyer_2", png_bytes(color="green"))]
    )

    assert other["status"] == "refunded"
    assert [f for f in other["findings"] if f["kind"] == "forensics"] == []


def test_a_buyers_fifth_recent_claim_goes_to_a_person_with_the_history_shown(
    client: TestClient, auth: Auth, system: System
) -> None:
    earlier = [failed_delivery_claim(client, auth, f"ord_h{n}", "buyer_9") for n in range(5)]
    assert [c["status"] for c in earlier] == ["refunded"] * 5

    sixth = failed_delivery_claim(client, auth, "ord_h5", "buyer_9")

    assert (sixth["status"], codes(sixth)) == ("manual_review", ["buyer_history_flagged"])
    [history] = [f for f in sixth["findings"] if f["kind"] == "history"]
    assert (history["subject"], history["facts"]) == (
        "buyer_9",
        {"window_days": 30, "claims": 5, "approved": 5, "rejected": 0, "abuse": 0},
    )
    # Other buyers are not affected.
    assert failed_delivery_claim(client, auth, "ord_h6", "buyer_8")["status"] == "refunded"


def test_a_recompressed_copy_of_another_claims_screenshot_is_shown_as_similar_but_decides_nothing(
    client: TestClient, auth: Auth, system: System
) -> None:
    original = RedeemError(order_id="ord_sim1").render()
    first = failed_delivery_claim(client, auth, "ord_sim1", "buyer_1", [upload(client, auth, "buyer_1", original)])
    copy = reencoded(original, scale=0.7, quality=50)
    again = failed_delivery_claim(client, auth, "ord_sim2", "buyer_2", [upload(client, auth, "buyer_2", copy)])

    assert again["status"] == "refunded"  # a failed delivery on our record; the hint is for people
    [similar] = [f for f in again["findings"] if f["kind"] == "forensics"]
    assert [c["code"] for c in similar["reason_codes"]] == ["screenshot_similar_to_other_claim"]
    assert similar["facts"]["other_case"] == first["id"]
    assert int(str(similar["facts"]["bits_apart"])) <= 8


def test_a_screenshot_saved_by_an_editor_is_flagged(client: TestClient, auth: Auth, system: System) -> None:
    with Image.open(io.BytesIO(RedeemError(order_id="ord_ed1").render())) as img:
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "美图秀秀 9.6")
        edited = io.BytesIO()
        img.save(edited, "PNG", pnginfo=info)

    evidence = [upload(client, auth, "buyer_1", edited.getvalue())]
    case = failed_delivery_claim(client, auth, "ord_ed1", "buyer_1", evidence)

    assert (case["status"], codes(case)) == ("manual_review", ["image_edited"])
    [mark] = [f for f in case["findings"] if f["kind"] == "forensics"]
    assert mark["facts"] == {"software": "美图秀秀 9.6", "modified_after_capture": False}


def reencoded(png: bytes, scale: float, quality: int) -> bytes:
    with Image.open(io.BytesIO(png)) as img:
        out = io.BytesIO()
        size = (round(img.width * scale), round(img.height * scale))
        img.convert("RGB").resize(size).save(out, "JPEG", quality=quality)
        return out.getvalue()


def test_a_photo_taken_before_the_payment_is_a_contradiction(client: TestClient, auth: Auth, system: System) -> None:
    taken = (datetime.now(UTC) - timedelta(days=2)).astimezone(timezone(timedelta(hours=8)))
    with Image.open(io.BytesIO(RedeemError(order_id="ord_cap1").render())) as img:
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        photo = io.BytesIO()
        img.convert("RGB").save(photo, "JPEG", exif=exif.tobytes())

    evidence = [upload(client, auth, "buyer_1", photo.getvalue())]
    case = failed_delivery_claim(client, auth, "ord_cap1", "buyer_1", evidence)

    assert (case["status"], codes(case)) == ("manual_review", ["screenshot_time_before_payment"])
    [mark] = [f for f in case["findings"] if f["kind"] == "forensics"]
    assert datetime.fromisoformat(str(mark["facts"]["captured_at"])) == taken.replace(microsecond=0)


def test_the_buyer_reads_their_case_without_the_signals_that_sent_it_to_a_person(
    client: TestClient, auth: Auth, system: System
) -> None:
    shot = png_bytes(color="teal")
    first = failed_delivery_claim(client, auth, "ord_bw1", "buyer_1", [upload(client, auth, "buyer_1", shot)])
    again = failed_delivery_claim(client, auth, "ord_bw2", "buyer_2", [upload(client, auth, "buyer_2", shot)])
    assert codes(again) == ["evidence_reused"]  # staff see why

    mine = buyer_case(client, auth, again["id"], "buyer_2")

    assert mine["status"] == "manual_review"
    assert [c["code"] for c in mine["reason_codes"]] == ["screenshot_needs_check"]
    assert [c["zh"] for c in mine["reason_codes"]] == ["需要人工核对截图"]
    every_code = [c["code"] for e in mine["timeline"] for c in e["reason_codes"]]
    every_code += [c["code"] for d in mine["decisions"] for c in d["reason_codes"]]
    assert "evidence_reused" not in every_code
    assert [f for f in mine["findings"] if f["kind"] in ("forensics", "history", "delivery")] == []
    assert first["id"] not in str(mine)  # the other claim is not named
    listed = client.get("/v1/refund-cases", headers=auth("buyer", "buyer_2")).json()["items"]
    assert [[c["code"] for c in s["reason_codes"]] for s in listed] == [["screenshot_needs_check"]]


def _decide(client: TestClient, auth: Auth, case_id: str, action: str, *codes: str) -> None:
    response = client.post(
        f"/v1/refund-cases/{case_id}/decisions",
        json={"action": action, "reason_codes": list(codes), "note": "checked"},
        headers=auth("agent", "agent_1"),
    )
    assert response.status_code == 200, response.text


def history_of(case: dict[str, Any]) -> dict[str, Any]:
    [history] = [f for f in case["findings"] if f["kind"] == "history"]
    return dict(history["facts"])


def test_a_doubt_a_person_cleared_does_not_follow_the_buyer_and_a_rejection_as_abuse_does(
    client: TestClient, auth: Auth, system: System
) -> None:
    shot = png_bytes(color="teal")
    failed_delivery_claim(client, auth, "ord_fh1", "buyer_1", [upload(client, auth, "buyer_1", shot)])
    doubted = failed_delivery_claim(client, auth, "ord_fh2", "buyer_2", [upload(client, auth, "buyer_2", shot)])
    assert (doubted["status"], codes(doubted)) == ("manual_review", ["evidence_reused"])
    # A person looked and approved: the machine's doubt was answered.
    _decide(client, auth, doubted["id"], "approve", "evidence_confirms_claim")

    cleared = failed_delivery_claim(client, auth, "ord_fh3", "buyer_2")

    assert cleared["status"] == "refunded"
    assert history_of(cleared) == {"window_days": 30, "claims": 1, "approved": 1, "rejected": 0, "abuse": 0}

    # Rejected by a person as abuse: the buyer's next claim goes to a person, with why.
    forged = failed_delivery_claim(client, auth, "ord_fh4", "buyer_3", [upload(client, auth, "buyer_3", shot)])
    assert forged["status"] == "manual_review"
    _decide(client, auth, forged["id"], "reject", "suspected_fraud")

    watched = failed_delivery_claim(client, auth, "ord_fh5", "buyer_3")

    assert (watched["status"], codes(watched)) == ("manual_review", ["buyer_history_flagged"])
    assert history_of(watched) == {"window_days": 30, "claims": 1, "approved": 0, "rejected": 1, "abuse": 1}


def test_a_person_rejecting_a_claim_as_not_covered_is_not_counted_as_abuse(
    client: TestClient, auth: Auth, system: System
) -> None:
    shot = png_bytes(color="olive")
    failed_delivery_claim(client, auth, "ord_fn1", "buyer_1", [upload(client, auth, "buyer_1", shot)])
    doubted = failed_delivery_claim(client, auth, "ord_fn2", "buyer_4", [upload(client, auth, "buyer_4", shot)])
    _decide(client, auth, doubted["id"], "reject", "evidence_insufficient")

    later = failed_delivery_claim(client, auth, "ord_fn3", "buyer_4")

    assert later["status"] == "refunded"
    assert history_of(later) == {"window_days": 30, "claims": 1, "approved": 0, "rejected": 1, "abuse": 0}
