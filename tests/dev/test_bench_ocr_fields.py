"""The real-world screenshot benchmark on six screenshots: it reads them and its figures are well formed.

The figures themselves are never asserted: they belong in docs/performance.md, not in a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tuika_dev.bench.ocrfields import run
from tuika_dev.bench.ocrscore import FIELDS

pytestmark = pytest.mark.ocr


def test_six_screenshots_are_read_and_scored_per_field_and_layout(tmp_path: Path) -> None:
    lines: list[str] = []
    layouts = ("alipay_bill", "game_redeem", "shop_order_after")

    result = run(
        1, 7, "paddle-tiny", layouts=layouts, faces=("droid-fallback+dejavu",), echo=lines.append, dump=tmp_path
    )

    assert result["screenshots"] == 6
    assert result["engine"] == "faster-paddle tiny"
    assert set(result["fields"]) == set(FIELDS)
    for halves in result["fields"].values():
        assert set(halves) == {"clean", "degraded"}
        for half in halves.values():
            assert all(0 <= half[k] <= 1 for k in ("found", "matched", "right"))
            assert half["right"] <= half["matched"] <= half["found"]
    # Each of the three screens shows its fields in both halves alike.
    assert result["fields"]["card_key"]["clean"]["shown"] == result["fields"]["card_key"]["degraded"]["shown"] == 2
    assert set(result["layouts_right"]) == set(layouts)
    assert all(0 <= share <= 1 for shares in result["layouts_right"].values() for share in shares.values())
    times = result["s_per_screenshot"]
    assert 0 < times["p50"] <= times["p99"]
    assert result["cpu_s_per_screenshot"] > 0
    assert isinstance(result["target"]["met"], bool)
    json.dumps(result)  # the CLI prints it as one JSON line
    assert any(line.startswith("all fields right:") for line in lines)
    reads = (tmp_path / "reads.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(reads) == 6
    assert len(list(tmp_path.glob("*.png"))) == len(list(tmp_path.glob("*.jpg"))) == 3
    assert {json.loads(r)["layout"] for r in reads} == set(layouts)


def test_the_two_pass_engine_says_how_many_it_read_again() -> None:
    result = run(1, 7, "paddle-tiny-first", layouts=("game_redeem",), faces=("wqy-microhei",), echo=lambda _: None)

    assert result["engine"] == "faster-paddle tiny first, then faster-paddle small"
    assert result["screenshots"] == 2
    assert 0 <= result["read_again_share"] <= 1
