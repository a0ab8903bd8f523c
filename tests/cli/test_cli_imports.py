"""`tuika token` and `tuika link` answer at once: the command line loads the app only in the commands that serve it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# Each of these takes seconds to import, and none is needed to sign a token or a link.
HEAVY = ("tuika.app", "tuika.bootstrap", "tuika.adapters", "tuika.services", "fastapi", "sqlalchemy", "uvicorn")

# Run in a fresh interpreter, so that no other test's imports count: import what PRELOAD names,
# then tuika.cli, run the command given, and print which of the heavy modules are loaded.
PROBE = """
import importlib, json, sys
preload, heavy, argv = json.loads(sys.argv[1])
for name in preload:
    importlib.import_module(name)
import tuika.cli
if argv:
    tuika.cli.app(argv, standalone_mode=False)
print(json.dumps(sorted(h for h in heavy if h in sys.modules)))
"""


def _heavy_loaded(argv: list[str], preload: tuple[str, ...] = ()) -> list[str]:
    ran = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([preload, HEAVY, argv])],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "TUIKA_DEMO": "1"},
    )
    loaded: list[str] = json.loads(ran.stdout.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "argv", [[], ["token", "agent", "agent_wang"], ["link", "buyer", "buyer_alice"]], ids=["import", "token", "link"]
)
def test_the_command_line_and_its_token_commands_load_no_app_database_or_server(argv: list[str]) -> None:
    assert _heavy_loaded(argv) == []


def test_the_probe_sees_the_app_when_it_is_loaded() -> None:
    # The probe itself can see them: what the app's wiring loads is reported.
    assert _heavy_loaded(["token", "agent", "agent_wang"], preload=("tuika.bootstrap",)) == [
        "sqlalchemy",
        "tuika.adapters",
        "tuika.bootstrap",
        "tuika.services",
    ]
