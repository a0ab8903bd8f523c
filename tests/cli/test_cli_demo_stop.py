"""`tuika demo` stopped with Ctrl-C or SIGTERM exits 0, so `make demo` does not report an error for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_demo_stopped_by_a_signal_shuts_down_and_exits_0(tmp_path: Path, stop: signal.Signals) -> None:
    env = {**os.environ, "TUIKA_DATA_DIR": str(tmp_path), "TUIKA_OCR_ENGINE": "off", "PYTHONUNBUFFERED": "1"}
    demo = subprocess.Popen(
        [sys.executable, "-m", "tuika.cli", "demo", "--port", str(_free_port())],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert demo.stderr is not None
        log = []
        deadline = time.monotonic() + 120
        while not any("Uvicorn running" in line for line in log):
            line = demo.stderr.readline()
            assert line, "the demo ended before serving:\n" + "".join(log)
            assert time.monotonic() < deadline, "the demo did not start serving"
            log.append(line)
        # To the process group, as a terminal sends Ctrl-C and `make` passes SIGTERM on.
        os.killpg(demo.pid, stop)
        rest = demo.communicate(timeout=60)[1]
    finally:
        demo.kill()
        demo.wait()

    assert demo.returncode == 0, "".join(log) + rest
    assert "Traceback" not in rest
    assert "Application shutdown complete" in rest
    assert rest.strip().endswith("演示已停止 / demo stopped")
