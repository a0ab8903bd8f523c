"""A live server and Debian's chromium, driven by Playwright; screenshots land in the test's output."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Playwright, sync_playwright

from tuika.app import create_app
from tuika.bootstrap import System, build
from tuika.http.auth import sign_in_token
from tuika.settings import Settings
from tuika_dev.sandbox.supplier import SandboxSupplier

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make install` (it installs Debian's chromium)")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )
    yield launched
    launched.close()


def _serve(app: object) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live(system: System) -> Iterator[str]:
    """Serve the app on a free port for the length of the test; return its base URL."""
    yield from _serve(create_app(system))


@dataclass
class Stack:
    """The system as `make demo` runs it: a live server, its embedded queue worker, the supplier sandbox."""

    url: str
    system: System
    supplier: SandboxSupplier

    def link(self, role: str, subject: str) -> str:
        token = sign_in_token(self.system.settings.secret_key, role, subject, datetime.now(UTC))
        return f"{self.url}/sso?token={token}"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Run the embedded default on SQLite: the queue, its worker inside the server, a sandbox supplier."""
    secret = "walk-secret"
    with SandboxSupplier("tuika", secret) as supplier:
        settings = Settings(
            demo=True,
            data_dir=tmp_path / "data",
            database_url=f"sqlite:///{tmp_path / 'walk.db'}",
            ocr_engine="off",
            supplier_url=supplier.base_url,
            supplier_secret=secret,
        )
        system = build(settings, migrate=True)
        try:
            for url in _serve(create_app(system, embedded_worker=True)):
                yield Stack(url, system, supplier)
        finally:
            system.engine.dispose()


@pytest.fixture
def api(system: System) -> Iterator[TestClient]:
    with TestClient(create_app(system)) as client:
        yield client


@pytest.fixture
def sso(system: System, live: str) -> object:
    def link(buyer: str) -> str:
        token = sign_in_token(system.settings.secret_key, "buyer", buyer, datetime.now(UTC))
        return f"{live}/sso?token={token}"

    return link


SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "pages"


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    """Return where this test saves its page screenshots: test-output/pages/<test>/, for a person to look at."""
    folder = SHOTS / request.node.name.replace("[", "-").replace("]", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder
