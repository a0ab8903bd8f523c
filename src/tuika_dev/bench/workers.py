"""Worker processes a benchmark runs beside itself: started together, let go at once, stopped as ``tuika worker`` is.

Each process is a ``python -m`` module of the benchmark's that builds the system, prints
``ready`` and waits for a ``go`` line, so all of them start on the backlog at the same moment.
They are stopped with SIGTERM, which lets each finish what it is doing, as a deploy stops a
worker; one that does not end within a minute is killed. Each writes its log to the
benchmark's scratch folder, whose tail is quoted when a process fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Self


class WorkerProcesses:
    """``count`` processes, each run by ``command(index)``, with ``env`` over this process's environment."""

    def __init__(self, data: Path, env: Mapping[str, str], count: int, command: Callable[[int], list[str]]) -> None:
        self.data = data
        self.env = env
        self.count = count
        self.command = command
        self.procs: list[subprocess.Popen[str]] = []
        self.logs: list[IO[str]] = []

    def __enter__(self) -> Self:
        env = {**os.environ, **self.env}
        for index in range(self.count):
            self.logs.append((self.data / f"worker{index}.log").open("w", encoding="utf-8"))
            self.procs.append(
                subprocess.Popen(
                    self.command(index),
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=self.logs[-1],
                    env=env,
                    text=True,
                )
            )
        for index, proc in enumerate(self.procs):
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError(f"worker process {index} did not start: {self.log(index)}")
        return self

    def go(self) -> float:
        """Let every process take tasks; return when."""
        started = time.time()
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        return started

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for index, proc in enumerate(self.procs):
            try:
                # What a process is doing ends first: a relay's handler, a sender's pass.
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            for stream in (proc.stdin, proc.stdout, self.logs[index]):
                if stream is not None:
                    stream.close()

    def log(self, index: int) -> str:
        """Return the tail of one process's log."""
        return (self.data / f"worker{index}.log").read_text("utf-8")[-2000:]
