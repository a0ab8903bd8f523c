"""The review benchmark end to end on a small set: it runs, and its figures are well formed.

The figures themselves are never asserted: they belong in docs/performance.md, not in a test.
"""

from __future__ import annotations

import json

import pytest

from tuika_dev.bench.review import run

pytestmark = pytest.mark.ocr

KEYS = (
    "claims",
    "auto_decided_share",
    "fraud_auto_approved",
    "legit_auto_rejected",
    "ocr_field_accuracy",
    "p50_s",
    "p99_s",
    "cpu_s_per_claim",
    "out_of_window",
    "scenarios",
    "precheck_mismatch",
)


def test_twelve_claims_go_through_the_real_review_and_give_well_formed_figures() -> None:
    lines: list[str] = []

    result = run(claims=12, workers=2, echo=lines.append, seed=7, ocr="paddle-tiny")

    assert set(KEYS) <= result.keys()
    assert result["claims"] == 12
    assert result["undecided"] == 0
    for share in ("auto_decided_share", "legit_auto_rejected_share", "legit_auto_approved_share"):
        assert 0 <= result[share] <= 1
    assert set(result["ocr_field_accuracy"]) == {"order_number", "card_key", "amount", "error_text"}
    assert all(0 <= value <= 1 for value in result["ocr_field_accuracy"].values())
    fraud = sum(row["claims"] for row in result["scenarios"].values() if row["label"] == "fraud")
    assert 0 <= result["fraud_auto_approved"] <= fraud
    assert 0 < result["p50_s"] <= result["p99_s"] <= result["max_s"]
    assert result["cpu_s_per_claim"] > 0
    # Every scenario appears even in a set this small, and each claim was decided once.
    rows = result["scenarios"].values()
    assert all(row["claims"] >= 1 for row in rows)
    assert sum(row["claims"] for row in rows) == 12
    assert sum(row[a] for row in rows for a in ("approve", "reject", "request_evidence", "manual_review")) == 12
    # Each claim was prechecked as its buyer would, with the kinds it then uploaded.
    assert 0 <= result["precheck_mismatch"] <= 12
    assert 0 < result["precheck_conditional_share"] <= 1
    assert len(result["precheck_mismatches"]) == min(result["precheck_mismatch"], 20)
    json.dumps(result)  # the CLI prints it as one JSON line
    assert lines[-1].startswith("cleaned up")
