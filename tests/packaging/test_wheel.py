"""The wheel is the product: tuika with its policies, pages and scripts, and none of the dev tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ROOT / "src" / "tuika"
DEV_ONLY = {"tuika_dev", "sandbox", "bench", "demo", "demo_claims"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zipfile.ZipFile]:
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH; run the tests with uv run pytest")
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (path,) = out.glob("tuika-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def test_the_wheel_holds_no_demo_sandbox_or_benchmark(wheel: zipfile.ZipFile) -> None:
    shipped = [name for name in wheel.namelist() if DEV_ONLY & set(PurePosixPath(name).with_suffix("").parts)]
    assert shipped == []
    assert {PurePosixPath(name).parts[0] for name in wheel.namelist()} == {"tuika", "tuika-0.1.0.dist-info"}


def test_the_wheel_holds_every_file_of_the_product(wheel: zipfile.ZipFile) -> None:
    product = {
        path.relative_to(PRODUCT.parent).as_posix()
        for path in PRODUCT.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert {name for name in wheel.namelist() if name.startswith("tuika/")} == product
    assert {"tuika/cli.py", "tuika/settings.py", "tuika/policies/default.toml"} <= product
    assert any("/templates/" in name and name.endswith(".html") for name in product)
    assert any("/static/" in name and name.endswith(".css") for name in product)


def test_the_wheel_installs_the_tuika_command(wheel: zipfile.ZipFile) -> None:
    entry_points = wheel.read("tuika-0.1.0.dist-info/entry_points.txt").decode()
    assert entry_points.split() == ["[console_scripts]", "tuika", "=", "tuika.cli:app"]
