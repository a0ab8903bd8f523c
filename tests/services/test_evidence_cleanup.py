"""Uploads that never back a claim are deleted after a while, files too, unless something still needs them."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.support.api import Auth, file_case, push, upload
from tests.support.factories import count_rows, order_payload, png_bytes, stored_files
from tuika.bootstrap import System
from tuika.services.claims.evidence import forget_unused
from tuika.services.upkeep.sweep import sweep


def age_everything(system: System, hours: int) -> None:
    """Make every upload and stored file look ``hours`` older than it is."""
    from sqlalchemy import text

    with system.engine.begin() as conn:
        rows = conn.execute(text("SELECT id, created_at FROM evidence")).all()
        for row_id, created in rows:
            conn.execute(
                text("UPDATE evidence SET created_at = :at WHERE id = :id"),
                {"at": _shifted(created, hours), "id": row_id},
            )
    then = time.time() - hours * 3600
    for path in stored_files(system.settings.data_dir / "evidence"):
        os.utime(path, (then, then))


def _shifted(created: object, hours: int) -> object:
    from datetime import datetime

    if isinstance(created, datetime):
        return created - timedelta(hours=hours)
    return (datetime.fromisoformat(str(created)) - timedelta(hours=hours)).isoformat(sep=" ")


def test_an_old_upload_that_backs_no_claim_is_deleted_with_its_file(
    client: TestClient, auth: Auth, system: System
) -> None:
    push(client, auth, order_payload("ord_ev1", delivery="failed"))
    kept = upload(client, auth, data=png_bytes(color="red"))
    file_case(client, auth, {"order_id": "ord_ev1", "reason": "not_delivered", "evidence_ids": [kept]})
    upload(client, auth, data=png_bytes(color="blue"))  # uploaded, never used
    fresh_twin = png_bytes(color="green")
    upload(client, auth, data=fresh_twin)
    age_everything(system, 30)
    upload(client, auth, data=fresh_twin)  # the same picture again, just now: its file must stay
    assert count_rows(system.engine, "evidence") == 4

    report = sweep(system.ctx)

    assert report.forgotten == 2  # the blue one, and the old green record
    assert count_rows(system.engine, "evidence") == 2
    assert len(stored_files(system.settings.data_dir / "evidence")) == 2  # the claim's, and the green one
    assert client.get(f"/v1/evidence/{kept}/content", headers=auth("buyer", "buyer_1")).status_code == 200
    assert forget_unused(system.ctx, timedelta(hours=24)) == 0


def test_a_recent_upload_is_left_for_its_buyer_to_use(client: TestClient, auth: Auth, system: System) -> None:
    push(client, auth, order_payload("ord_ev2", delivery="failed"))
    evidence_id = upload(client, auth)

    assert forget_unused(system.ctx, timedelta(hours=24)) == 0
    case = file_case(client, auth, {"order_id": "ord_ev2", "reason": "not_delivered", "evidence_ids": [evidence_id]})
    assert [e["id"] for e in case["evidence"]] == [evidence_id]
