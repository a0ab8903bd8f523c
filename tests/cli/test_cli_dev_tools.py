"""Without tuika_dev (an installed wheel), the demo, seed and bench commands say so and exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tuika.cli import _dev_tools, app

ZH = "需要开发工具 tuika_dev"
EN = "needs tuika_dev (demo data, sandboxes, benchmarks)"

# What a Python without tuika_dev does: every import of it fails, whatever was imported before.
WITHOUT_DEV_TOOLS = """
import sys
sys.modules.update({name: None for name in [*sys.modules, "tuika_dev"] if name.partition(".")[0] == "tuika_dev"})
from tuika.cli import main
sys.argv = ["tuika", *sys.argv[1:]]
main()
"""


def test_demo_without_the_dev_tools_says_so_in_chinese_then_english() -> None:
    ran = subprocess.run(
        [sys.executable, "-c", WITHOUT_DEV_TOOLS, "demo"], capture_output=True, text=True, check=False, timeout=60
    )
    assert ran.returncode == 2
    assert "Traceback" not in ran.stderr
    zh, en = ran.stderr.strip().splitlines()
    assert zh.startswith(f"tuika demo {ZH}")
    assert en.startswith(f"tuika demo {EN}")
    assert ran.stdout == ""


@pytest.mark.parametrize(
    "command",
    [
        ["seed"],
        ["bench", "submit"],
        ["bench", "review"],
        ["bench", "payouts"],
        ["bench", "ocr-fields"],
        ["bench", "notify"],
    ],
    ids=" ".join,
)
def test_every_dev_command_without_the_dev_tools_exits_2(monkeypatch: pytest.MonkeyPatch, command: list[str]) -> None:
    for name in [*sys.modules, "tuika_dev"]:
        if name.partition(".")[0] == "tuika_dev":
            monkeypatch.setitem(sys.modules, name, None)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2
    assert f"tuika {' '.join(command)} {ZH}" in result.output
    assert f"tuika {' '.join(command)} {EN}" in result.output


def test_another_missing_module_is_not_taken_for_the_dev_tools() -> None:
    with pytest.raises(ModuleNotFoundError, match="psycopg"), _dev_tools("demo"):
        raise ModuleNotFoundError("No module named 'psycopg'", name="psycopg")
