"""Security of API v1: who may see and do what, tokens, uploads, card keys at rest and on the wire."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import inspect, text

from tests.support.api import file_case, manual_review_case, push, upload
from tests.support.factories import (
    assert_problem,
    card_key_for,
    count_rows,
    deep_png,
    image_bytes,
    order_payload,
    png_bytes,
    png_chunk,
    png_header_bytes,
    png_of,
    stored_files,
    zip_bytes,
)
from tuika.bootstrap import System
from tuika.http.auth import issue_token
from tuika.settings import Settings

Auth = Callable[..., dict[str, str]]
MAX_BYTES = 64 * 1024
MAX_PIXELS = 1_000_000
MAX_DECODED_BYTES = 4 * 1024 * 1024
# The middleware refuses bodies above the file limit plus this much room for the multipart framing.
BODY_SLACK = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Return demo settings with small evidence limits, so refusals are cheap to provoke."""
    return Settings(
        demo=True,
        data_dir=tmp_path / "data",
        database_url=db_url,
        evidence_max_bytes=MAX_BYTES,
        evidence_max_pixels=MAX_PIXELS,
        evidence_max_decoded_bytes=MAX_DECODED_BYTES,
        ocr_engine="off",
    )


@pytest.fixture
def evidence_dir(settings: Settings) -> Path:
    return settings.data_dir / "evidence"


# ---------------------------------------------------------------- another buyer's data


def test_a_buyer_cannot_read_or_claim_another_buyers_order(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_s1", buyer="buyer_1"))
    stranger = auth("buyer", "buyer_2")

    for response in (
        client.get("/v1/orders/ord_s1", headers=stranger),
        client.get("/v1/orders/ord_s1/refund-policy", headers=stranger),
        client.post("/v1/orders/ord_s1/refund-precheck", json={"reason": "card_invalid"}, headers=stranger),
        client.post(
            "/v1/refund-cases",
            json={"order_id": "ord_s1", "reason": "card_invalid"},
            headers={**stranger, "Idempotency-Key": "steal-1"},
        ),
    ):
        body = assert_problem(response, 404, "not_found")
        assert "ABCD" not in response.text
        assert body["detail"] == "order ord_s1 not found"

    # The stranger's own listing shows nothing, even when asking for the owner's orders by name.
    assert client.get("/v1/orders", headers=stranger).json() == {"items": [], "next_cursor": None}
    assert client.get("/v1/orders?buyer_id=buyer_1", headers=stranger).json() == {"items": [], "next_cursor": None}
    assert count_rows(system.engine, "cases") == 0
    assert count_rows(system.engine, "idempotency_keys") == 0
    # …while the owner still sees it.
    assert client.get("/v1/orders/ord_s1", headers=auth("buyer", "buyer_1")).status_code == 200


def test_a_buyer_cannot_read_or_act_on_another_buyers_case(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_s1", items=2, amount_fen=20000, item_ids=["ord_s1_i0"])
    owner = auth("buyer", "buyer_1")
    before = client.get(f"/v1/refund-cases/{case_id}", headers=owner).json()
    stranger = auth("buyer", "buyer_2")
    own_evidence = upload(client, auth, "buyer_2")

    for response in (
        client.get(f"/v1/refund-cases/{case_id}", headers=stranger),
        client.post(f"/v1/refund-cases/{case_id}/withdraw", json={"note": "x"}, headers=stranger),
        client.post(f"/v1/refund-cases/{case_id}/appeal", json={"note": "x"}, headers=stranger),
        client.post(f"/v1/refund-cases/{case_id}/evidence", json={"evidence_ids": [own_evidence]}, headers=stranger),
    ):
        assert assert_problem(response, 404, "not_found")["detail"] == f"case {case_id} not found"

    assert client.get("/v1/refund-cases", headers=stranger).json() == {"items": [], "next_cursor": None}
    after = client.get(f"/v1/refund-cases/{case_id}", headers=owner).json()
    assert after == before
    assert after["status"] == "manual_review"
    # The stranger's file was not attached to the case.
    assert client.get(f"/v1/evidence/{own_evidence}", headers=auth("buyer", "buyer_2")).json()["case_id"] is None
    assert count_rows(system.engine, "case_events") == len(before["timeline"])


def test_a_buyer_cannot_read_or_use_another_buyers_evidence(
    client: TestClient, auth: Auth, system: System, evidence_dir: Path
) -> None:
    data = png_bytes(100, 80, "blue")
    evidence_id = upload(client, auth, "buyer_1", data)
    push(client, auth, order_payload("ord_s2", buyer="buyer_2"))
    stranger = auth("buyer", "buyer_2")

    assert_problem(client.get(f"/v1/evidence/{evidence_id}", headers=stranger), 404, "not_found")
    content = client.get(f"/v1/evidence/{evidence_id}/content", headers=stranger)
    assert_problem(content, 404, "not_found")
    assert data not in content.content
    # Nor back a claim of their own with it.
    claim = client.post(
        "/v1/refund-cases",
        json={"order_id": "ord_s2", "reason": "card_invalid", "evidence_ids": [evidence_id]},
        headers=stranger,
    )
    assert assert_problem(claim, 404, "not_found")["detail"] == f"evidence {evidence_id} not found"
    assert count_rows(system.engine, "cases") == 0

    # The owner and staff read it; it is still unattached.
    owner = client.get(f"/v1/evidence/{evidence_id}/content", headers=auth("buyer", "buyer_1"))
    assert (owner.status_code, owner.content, owner.headers["content-type"]) == (200, data, "image/png")
    meta = client.get(f"/v1/evidence/{evidence_id}", headers=auth("agent", "agent_1")).json()
    assert (meta["case_id"], meta["size"], meta["width"], meta["height"]) == (None, len(data), 100, 80)
    assert len(stored_files(evidence_dir)) == 1


def test_a_buyer_cannot_read_another_buyers_balance_or_platform_accounts(client: TestClient, auth: Auth) -> None:
    push(client, auth, order_payload("ord_s3", buyer="buyer_1", delivery="failed", amount_fen=4200))
    assert file_case(client, auth, {"order_id": "ord_s3", "reason": "not_delivered"})["status"] == "refunded"
    stranger = auth("buyer", "buyer_2")

    for account in ("buyer:buyer_1", "platform:clearing", "platform:fee_income", "supplier:supplier_1:deposit"):
        response = client.get(f"/v1/ledger/accounts/{account}", headers=stranger)
        assert assert_problem(response, 404, "not_found")["detail"] == f"account {account} not found"
    # Staff other than an admin may not read accounts either.
    assert_problem(client.get("/v1/ledger/accounts/buyer:buyer_1", headers=auth("agent", "a")), 403, "forbidden")

    own = client.get("/v1/ledger/accounts/buyer:buyer_2", headers=stranger).json()
    assert (own["balance_fen"], own["entries"]) == (0, [])
    assert (
        client.get("/v1/ledger/accounts/buyer:buyer_1", headers=auth("buyer", "buyer_1")).json()["balance_fen"] == 4200
    )


# ---------------------------------------------------------------- roles


@pytest.mark.parametrize("role", ["buyer", "merchant", "platform"])
def test_only_agents_arbitrators_and_admins_see_the_review_queue(client: TestClient, auth: Auth, role: str) -> None:
    assert_problem(client.get("/v1/review-queue", headers=auth(role, "someone")), 403, "forbidden")


def test_a_buyer_cannot_decide_even_their_own_case(client: TestClient, auth: Auth, system: System) -> None:
    case_id = manual_review_case(client, auth, "ord_s1", items=2, amount_fen=20000, item_ids=["ord_s1_i0"])
    owner = auth("buyer", "buyer_1")
    before = client.get(f"/v1/refund-cases/{case_id}", headers=owner).json()

    for action in ("approve", "reject", "request_evidence", "escalate"):
        response = client.post(
            f"/v1/refund-cases/{case_id}/decisions",
            json={"action": action, "reason_codes": ["goodwill"], "note": "我自己批准"},
            headers=owner,
        )
        assert_problem(response, 403, "forbidden")

    assert client.get(f"/v1/refund-cases/{case_id}", headers=owner).json() == before
    assert count_rows(system.engine, "payouts") == 0
    assert count_rows(system.engine, "decisions") == 1  # the machine's, routing it to a person


@pytest.mark.parametrize("role", ["buyer", "agent", "arbitrator", "merchant"])
def test_only_the_platform_or_an_admin_pushes_orders(client: TestClient, auth: Auth, system: System, role: str) -> None:
    response = client.post("/v1/orders", json=order_payload("ord_forged"), headers=auth(role, "buyer_1"))
    assert_problem(response, 403, "forbidden")
    assert count_rows(system.engine, "orders") == 0
    assert count_rows(system.engine, "order_items") == 0
    assert_problem(client.get("/v1/orders/ord_forged", headers=auth("admin", "root")), 404, "not_found")


def test_staff_cannot_file_claims_for_a_buyer(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_s4", delivery="failed"))
    for role in ("agent", "arbitrator", "admin", "platform"):
        response = client.post(
            "/v1/refund-cases", json={"order_id": "ord_s4", "reason": "not_delivered"}, headers=auth(role, "buyer_1")
        )
        assert_problem(response, 403, "forbidden")
    assert count_rows(system.engine, "cases") == 0


# ---------------------------------------------------------------- tokens


def _forged(settings: Settings, **claims: Any) -> str:
    now = int(datetime.now(UTC).timestamp())
    body = {"sub": "buyer_1", "role": "buyer", "iat": now, "exp": now + 600, **claims}
    return jwt.encode(body, settings.secret_key, algorithm="HS256")


def bad_headers(settings: Settings) -> list[tuple[str, dict[str, str], str]]:
    """Return (name, headers, expected code) for every kind of bad credential."""
    now = datetime.now(UTC)
    expired = issue_token(settings.secret_key, "platform", "host", 60, now - timedelta(hours=2))
    foreign = issue_token("another-secret-that-is-long-enough-1234", "platform", "host", 3600, now)
    unsigned = jwt.encode({"sub": "host", "role": "platform", "iat": 1, "exp": 2**40}, None, algorithm="none")
    return [
        ("missing", {}, "token_missing"),
        ("empty bearer", {"Authorization": "Bearer "}, "token_missing"),
        ("basic scheme", {"Authorization": "Basic aG9zdDpzZWNyZXQ="}, "token_missing"),
        ("garbage", {"Authorization": "Bearer not.a.token"}, "token_invalid"),
        ("expired", {"Authorization": f"Bearer {expired}"}, "token_expired"),
        ("other secret", {"Authorization": f"Bearer {foreign}"}, "token_invalid"),
        ("alg none", {"Authorization": f"Bearer {unsigned}"}, "token_invalid"),
        ("unknown role", {"Authorization": f"Bearer {_forged(settings, role='root')}"}, "token_invalid"),
        ("no exp", {"Authorization": "Bearer " + _forged(settings, exp=None)}, "token_invalid"),
        ("issued in future", {"Authorization": "Bearer " + _forged(settings, iat=2**33)}, "token_invalid"),
    ]


def test_bad_tokens_are_refused_with_their_codes_and_nothing_is_stored(
    client: TestClient, settings: Settings, system: System, evidence_dir: Path
) -> None:
    for name, headers, code in bad_headers(settings):
        for response in (
            client.get("/v1/orders", headers=headers),
            client.get("/v1/review-queue", headers=headers),
            client.post("/v1/orders", json=order_payload("ord_t1"), headers=headers),
            client.post("/v1/evidence", files={"file": ("e.png", png_bytes(), "image/png")}, headers=headers),
            client.post(
                "/v1/refund-cases",
                json={"order_id": "ord_t1", "reason": "not_delivered"},
                headers={**headers, "Idempotency-Key": "t-1"},
            ),
        ):
            assert (name, response.status_code, response.json()["code"]) == (name, 401, code)
            assert_problem(response, 401, code)
            assert response.headers["www-authenticate"] == "Bearer"
    assert count_rows(system.engine, "orders") == 0
    assert count_rows(system.engine, "evidence") == 0
    assert count_rows(system.engine, "cases") == 0
    assert stored_files(evidence_dir) == []


def test_a_token_is_accepted_until_it_expires(client: TestClient, settings: Settings) -> None:
    now = datetime.now(UTC)
    fresh = issue_token(settings.secret_key, "buyer", "buyer_1", 60, now - timedelta(seconds=30))
    stale = issue_token(settings.secret_key, "buyer", "buyer_1", 60, now - timedelta(seconds=61))
    assert client.get("/v1/orders", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200
    assert_problem(client.get("/v1/orders", headers={"Authorization": f"Bearer {stale}"}), 401, "token_expired")


def test_healthz_needs_no_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


# ---------------------------------------------------------------- uploads


def _send(client: TestClient, auth: Auth, data: bytes, name: str = "e.png", content_type: str = "image/png") -> Any:
    return client.post(
        "/v1/evidence",
        files={"file": (name, data, content_type)},
        data={"kind": "error_screenshot"},
        headers=auth("buyer", "buyer_1"),
    )


def _animated_png() -> bytes:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        pytest.param(png_bytes() + b"\0" * MAX_BYTES, "image/png", 413, "evidence_too_large", id="file-over-limit"),
        pytest.param(b"\0" * (MAX_BYTES + BODY_SLACK + 1), "image/png", 413, "body_too_large", id="body-over-limit"),
        pytest.param("这不是图片 not an image".encode(), "text/plain", 415, "evidence_type_not_allowed", id="text"),
        pytest.param(b"hello, definitely a png", "image/png", 415, "evidence_type_not_allowed", id="text-as-png"),
        pytest.param(image_bytes("GIF"), "image/gif", 415, "evidence_type_not_allowed", id="gif"),
        pytest.param(
            b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml", 415, "evidence_type_not_allowed", id="svg"
        ),
        pytest.param(b"", "image/png", 415, "evidence_type_not_allowed", id="empty"),
        pytest.param(png_bytes(1001, 1000), "image/png", 422, "evidence_too_many_pixels", id="too-many-pixels"),
        pytest.param(png_header_bytes(60_000, 60_000), "image/png", 422, "evidence_too_many_pixels", id="bomb-header"),
        pytest.param(png_bytes(200, 200)[:-20], "image/png", 422, "evidence_corrupt", id="truncated-png"),
        # Every CRC right, the compressed pixels cut short: the worker would fail on it later.
        pytest.param(
            png_of(200, 200, zlib.compress(bytes(200 * 601))[:-10]),
            "image/png",
            422,
            "evidence_corrupt",
            id="broken-idat",
        ),
        # 640,000 pixels, under the pixel limit, but 8 bytes each: 5.1 MB once inflated, from 5 KB.
        pytest.param(deep_png(800, 800), "image/png", 422, "evidence_too_large_decoded", id="16-bit-rgba"),
        pytest.param(_animated_png(), "image/png", 415, "evidence_animated", id="animated-png"),
    ],
)
def test_refused_uploads_store_nothing(
    client: TestClient,
    auth: Auth,
    system: System,
    evidence_dir: Path,
    data: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    assert_problem(_send(client, auth, data, content_type=content_type), status, code)
    assert stored_files(evidence_dir) == []
    assert count_rows(system.engine, "evidence") == 0


def test_an_oversize_upload_without_a_content_length_is_refused(
    client: TestClient, auth: Auth, system: System, evidence_dir: Path
) -> None:
    data = png_bytes() + b"\0" * (MAX_BYTES + BODY_SLACK)
    boundary = "tuika-test-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="e.png"\r\n'
            "Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    response = client.post(
        "/v1/evidence",
        content=chunks(),
        headers=auth("buyer", "buyer_1", **{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
    )
    assert response.status_code == 413
    assert response.json()["code"] in ("evidence_too_large", "body_too_large")
    assert_problem(response, 413, response.json()["code"])
    assert stored_files(evidence_dir) == []
    assert count_rows(system.engine, "evidence") == 0


def test_an_oversize_json_body_without_a_content_length_is_refused(
    client: TestClient, auth: Auth, system: System
) -> None:
    # BUG: the body limit only reads Content-Length; a chunked body of any size is read and parsed.
    body = order_payload("ord_huge", title="x" * (MAX_BYTES + BODY_SLACK + 1))
    encoded = json.dumps(body).encode()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(encoded), 16 * 1024):
            yield encoded[start : start + 16 * 1024]

    response = client.post(
        "/v1/orders", content=chunks(), headers=auth("platform", "host", **{"Content-Type": "application/json"})
    )
    assert_problem(response, 413, "body_too_large")
    assert count_rows(system.engine, "orders") == 0


def test_uploads_by_anyone_but_a_buyer_or_of_an_unknown_kind_store_nothing(
    client: TestClient, auth: Auth, system: System, evidence_dir: Path
) -> None:
    for role in ("agent", "admin", "platform"):
        response = client.post(
            "/v1/evidence", files={"file": ("e.png", png_bytes(), "image/png")}, headers=auth(role, "staff_1")
        )
        assert_problem(response, 403, "forbidden")
    unknown_kind = client.post(
        "/v1/evidence",
        files={"file": ("e.png", png_bytes(), "image/png")},
        data={"kind": "selfie"},
        headers=auth("buyer", "buyer_1"),
    )
    assert_problem(unknown_kind, 422, "validation_failed")
    no_file = client.post("/v1/evidence", data={"kind": "error_screenshot"}, headers=auth("buyer", "buyer_1"))
    assert_problem(no_file, 422, "validation_failed")
    assert stored_files(evidence_dir) == []
    assert count_rows(system.engine, "evidence") == 0


def test_uploads_at_the_limits_are_accepted(client: TestClient, auth: Auth, system: System, evidence_dir: Path) -> None:
    exact_pixels = png_bytes(1000, 1000)
    # Filled to the byte limit with a text chunk inside the image, not with bytes after its end.
    base = png_bytes()
    exact_size = base[:-12] + png_chunk(b"tEXt", b"Comment\0" + b"x" * (MAX_BYTES - len(base) - 20)) + base[-12:]
    assert len(exact_size) == MAX_BYTES
    shown = []
    for data, fmt in (
        (exact_pixels, "png"),
        (exact_size, "png"),
        (image_bytes("JPEG"), "jpeg"),
        (image_bytes("WEBP"), "webp"),
    ):
        response = _send(client, auth, data)
        assert response.status_code == 201, response.text
        shown.append((response.json()["content_type"], response.json()["size"]))
        assert response.json()["content_type"] == f"image/{fmt}"
    assert [size for _, size in shown] == [
        len(exact_pixels),
        MAX_BYTES,
        len(image_bytes("JPEG")),
        len(image_bytes("WEBP")),
    ]
    assert len(stored_files(evidence_dir)) == 4
    assert count_rows(system.engine, "evidence") == 4


def test_an_upload_is_kept_and_served_back_without_the_bytes_after_its_end(
    client: TestClient, auth: Auth, system: System, evidence_dir: Path
) -> None:
    image = png_bytes(10, 10)
    polyglot = image + zip_bytes()
    assert zipfile.is_zipfile(io.BytesIO(polyglot))

    sent = _send(client, auth, polyglot)
    assert sent.status_code == 201, sent.text
    shown = client.get(f"/v1/evidence/{sent.json()['id']}/content", headers=auth("buyer", "buyer_1"))

    assert (sent.json()["size"], sent.json()["sha256"]) == (len(image), hashlib.sha256(image).hexdigest())
    assert shown.status_code == 200
    assert shown.content == image
    assert shown.content.endswith(png_chunk(b"IEND", b""))
    assert not zipfile.is_zipfile(io.BytesIO(shown.content))
    assert [p.read_bytes() for p in stored_files(evidence_dir)] == [image]
    assert count_rows(system.engine, "evidence") == 1


def test_the_same_screenshot_is_stored_once(client: TestClient, auth: Auth, evidence_dir: Path) -> None:
    data = png_bytes(10, 10)
    first, second = _send(client, auth, data).json(), _send(client, auth, data).json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert [p.name for p in stored_files(evidence_dir)] == [first["sha256"]]


# ---------------------------------------------------------------- card keys

KEYS = [card_key_for("ord_k1", n) for n in range(3)]
MASKED = "ABCD-****-****-NPQR"
# The hidden middle of ord_k1's keys: what must never show where a key is masked.
HIDDEN = KEYS[0][5:9]


def test_every_read_masks_the_card_keys_and_only_the_buyers_own_reveal_shows_one(
    client: TestClient, auth: Auth
) -> None:
    push(client, auth, order_payload("ord_k1", items=3))
    push(client, auth, order_payload("ord_k2", items=1, buyer="buyer_2"))

    detail = client.get("/v1/orders/ord_k1", headers=auth("buyer", "buyer_1"))
    assert [(i["card_key"], i["card_key_masked"]) for i in detail.json()["items"]] == [(MASKED, True)] * 3
    assert HIDDEN not in detail.text
    shown = client.post("/v1/orders/ord_k1/items/ord_k1_i1/reveal", headers=auth("buyer", "buyer_1"))
    assert (shown.status_code, shown.json()["card_key"]) == (200, KEYS[1])
    assert shown.headers["cache-control"] == "no-store"

    listed = client.get("/v1/orders", headers=auth("buyer", "buyer_1")).json()["items"]
    assert [i["card_key"] for o in listed for i in o["items"]] == [MASKED] * 3
    assert all(i["card_key_masked"] for o in listed for i in o["items"])

    for role in ("agent", "arbitrator", "admin"):
        staff = auth(role, "staff_1")
        shown = client.get("/v1/orders/ord_k1", headers=staff)
        assert [(i["card_key"], i["card_key_masked"]) for i in shown.json()["items"]] == [(MASKED, True)] * 3
        everything = client.get("/v1/orders", headers=staff)
        assert everything.status_code == 200
        assert [o["id"] for o in everything.json()["items"]] == ["ord_k1", "ord_k2"]
        assert HIDDEN not in everything.text
        assert HIDDEN not in shown.text


def test_card_keys_never_reach_the_database_logs_or_error_bodies(
    client: TestClient, auth: Auth, system: System, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    synced = client.post("/v1/orders", json=order_payload("ord_k1", items=3), headers=auth("platform", "host"))
    assert synced.json() == {"id": "ord_k1", "created": True, "warnings": []}
    rejected = client.post(
        "/v1/orders", json=order_payload("ord_k9", items=3, surprise="field"), headers=auth("platform", "host")
    )
    assert_problem(rejected, 422, "validation_failed")
    assert HIDDEN not in rejected.text
    client.get("/v1/orders/ord_k1", headers=auth("buyer", "buyer_1"))
    client.post(
        "/v1/refund-cases", json={"order_id": "ord_k1", "reason": "card_invalid"}, headers=auth("buyer", "buyer_1")
    )

    with system.engine.connect() as conn:
        secrets = [row[0] for row in conn.execute(text("SELECT secret_enc FROM order_items ORDER BY position"))]
        dumps = [
            repr(list(conn.execute(text(f"SELECT * FROM {table}"))))
            for table in ("orders", "order_items", "cases", "case_events", "decisions", "idempotency_keys")
        ]
    assert len(secrets) == 3
    assert all(isinstance(s, str) and s for s in secrets)
    assert len(set(secrets)) == 3
    for key in KEYS:
        assert all(key not in s and key.replace("-", "") not in s for s in secrets)
        assert all(key not in d for d in dumps)
        assert key not in caplog.text
    assert all(HIDDEN not in d for d in dumps)


# ---------------------------------------------------------------- accounts topped up

# Direct top-ups go to a mobile number, spelled as the platform likes; manual ones to a game
# account, a QQ number, a mailbox or a server and role.
ACCOUNTS = {
    "ord_a1": ["+86 139 1234 5678", "13800138000"],
    "ord_a2": ["player_lee@qq.com", "1开 / 天下无双", "12345678"],
}
MASKED_ACCOUNTS = {
    "ord_a1": ["139****5678", "138****8000"],
    "ord_a2": ["pl****e@qq.com", "1****双", "1****8"],
}
# What must never show where an account is masked: its middle, in any spelling.
ACCOUNT_MIDDLES = ("1234 5", "912345", "00138", "player_l", "天下无", "234567")


def topup_payload(order_id: str, buyer: str = "buyer_1", **extra: Any) -> dict[str, Any]:
    """Return an order body whose items are topped up to the accounts of ``ACCOUNTS``."""
    kind = "direct_topup" if order_id == "ord_a1" else "manual_topup"
    accounts = ACCOUNTS[order_id]
    body = order_payload(order_id, buyer=buyer, kind=kind, items=len(accounts), **extra)
    body["items"] = [{"id": f"{order_id}_i{n}", "account": a} for n, a in enumerate(accounts)]
    return body


def shown_accounts(order: dict[str, Any]) -> list[tuple[str | None, bool]]:
    return [(i["account"], i["account_masked"]) for i in order["items"]]


def test_accounts_are_shown_in_full_only_on_the_buyers_own_order_detail(client: TestClient, auth: Auth) -> None:
    push(client, auth, topup_payload("ord_a1"))
    push(client, auth, topup_payload("ord_a2", buyer="buyer_2"))

    for role in ("agent", "arbitrator", "admin"):
        staff = auth(role, "staff_1")
        everything = client.get("/v1/orders", headers=staff)
        assert everything.status_code == 200
        listed = {o["id"]: [i["account"] for i in o["items"]] for o in everything.json()["items"]}
        assert listed == MASKED_ACCOUNTS
        assert all(middle not in everything.text for middle in ACCOUNT_MIDDLES)
        assert all(i["account_masked"] for o in everything.json()["items"] for i in o["items"])
        for order_id, masked in MASKED_ACCOUNTS.items():
            shown = client.get(f"/v1/orders/{order_id}", headers=staff)
            assert shown_accounts(shown.json()) == [(m, True) for m in masked]
            assert all(middle not in shown.text for middle in ACCOUNT_MIDDLES)

    detail = client.get("/v1/orders/ord_a1", headers=auth("buyer", "buyer_1")).json()
    assert shown_accounts(detail) == [(a, False) for a in ACCOUNTS["ord_a1"]]
    theirs = client.get("/v1/orders/ord_a2", headers=auth("buyer", "buyer_2")).json()
    assert shown_accounts(theirs) == [(a, False) for a in ACCOUNTS["ord_a2"]]
    listed_own = client.get("/v1/orders", headers=auth("buyer", "buyer_1")).json()["items"]
    assert [shown_accounts(o) for o in listed_own] == [[(m, True) for m in MASKED_ACCOUNTS["ord_a1"]]]
    # A card key order has no account to mask.
    push(client, auth, order_payload("ord_k1"))
    card = client.get("/v1/orders/ord_k1", headers=auth("agent", "staff_1")).json()
    assert shown_accounts(card) == [(None, False)]


def test_accounts_never_reach_the_database_logs_or_error_bodies(
    client: TestClient, auth: Auth, system: System, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    platform = auth("platform", "host")
    for order_id in ACCOUNTS:
        assert client.post("/v1/orders", json=topup_payload(order_id), headers=platform).status_code == 201
    # Pushed again, as platforms do when delivery changes.
    again = topup_payload("ord_a1", delivery="failed")
    assert client.post("/v1/orders", json=again, headers=platform).json()["created"] is False
    rejected = client.post("/v1/orders", json=topup_payload("ord_a2", surprise=1), headers=platform)
    assert_problem(rejected, 422, "validation_failed")
    client.get("/v1/orders/ord_a1", headers=auth("buyer", "buyer_1"))
    client.get("/v1/orders", headers=auth("agent", "staff_1"))
    carrier = upload(client, auth, kind="carrier_record")
    claim = {"order_id": "ord_a1", "reason": "not_delivered", "evidence_ids": [carrier]}
    filed = client.post("/v1/refund-cases", json=claim, headers=auth("buyer", "buyer_1"))
    assert filed.status_code == 201, filed.text
    client.get(filed.headers["location"], headers=auth("agent", "staff_1"))

    with system.engine.connect() as conn:
        tables = inspect(conn).get_table_names()
        dumps = [repr(list(conn.execute(text(f"SELECT * FROM {table}")))) for table in tables]
    assert "order_items" in tables
    for account in (a for accounts in ACCOUNTS.values() for a in accounts):
        digits = account.replace(" ", "").removeprefix("+86")
        assert all(account not in d and digits not in d for d in dumps), account
        assert account not in caplog.text
        assert digits not in caplog.text
    assert all(middle not in caplog.text for middle in ACCOUNT_MIDDLES)
    with system.engine.connect() as conn:
        stored = [tuple(row) for row in conn.execute(text("SELECT account, account_enc FROM order_items"))]
    assert len(stored) == 5
    assert all(clear is None and isinstance(sealed, str) and sealed.startswith("v1:") for clear, sealed in stored)
    assert len({sealed for _, sealed in stored}) == 5


def test_an_account_opens_only_on_its_own_item_and_never_as_a_card_key(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, topup_payload("ord_a1"))
    push(client, auth, order_payload("ord_k1"))
    buyer = auth("buyer", "buyer_1")
    swaps = (
        # Another item's sealed account copied over this one's.
        "UPDATE order_items SET account_enc = (SELECT account_enc FROM order_items WHERE item_id = 'ord_a1_i0')"
        " WHERE item_id = 'ord_a1_i1'",
        # A card key's ciphertext, sealed for the same order and item, offered as its account.
        "UPDATE order_items SET account_enc = secret_enc WHERE item_id = 'ord_k1_i0'",
    )
    for order_id, swap in zip(("ord_a1", "ord_k1"), swaps, strict=True):
        with system.engine.begin() as conn:
            conn.execute(text(swap))

        response = client.get(f"/v1/orders/{order_id}", headers=buyer)

        assert_problem(response, 500, "card_key_unreadable")
        assert all(a not in response.text for a in ACCOUNTS["ord_a1"])
        assert card_key_for("ord_k1") not in response.text
