"""Where the CPU went during a measurement, read from Linux's ``/proc``.

Throughput on a shared 2-core machine moves with whatever else runs on it; CPU time per
claim does not, so the benchmark reports both, and how busy the machine was besides.
"""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields start after the last ')'.
    return raw[raw.rindex(")") + 2 :].split()


def process_cpu_s(pid: int) -> float:
    """Return the user and system CPU seconds a process has used so far (0 if it is gone)."""
    fields = _stat_fields(pid)
    if fields is None:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def session_pids(sid: int) -> list[int]:
    """Return the processes of a session: a server started with ``start_new_session`` and its workers."""
    found = []
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields is not None and int(fields[3]) == sid:
                found.append(int(entry.name))
    return found


def machine_busy_s() -> tuple[float, float]:
    """Return (busy, all) CPU seconds of the whole machine since boot, summed over cores."""
    with (_PROC / "stat").open() as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle, iowait
    return (sum(values[:8]) - idle) / _TICKS, sum(values[:8]) / _TICKS


def own_cpu_s() -> float:
    """Return this process's user and system CPU seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU seconds used during one measurement, by whom."""

    wall_s: float
    server_s: float
    postgres_s: float
    client_s: float
    machine_s: float
    cores: int
    connections_opened: int = 0
    # Each server process's share of the server's CPU, largest first: uneven shares mean the
    # kernel handed most keep-alive connections to one worker.
    server_split: tuple[float, ...] = ()

    @property
    def other_s(self) -> float:
        """Return the CPU seconds used by everything else on the machine."""
        return max(0.0, self.machine_s - self.server_s - self.postgres_s - self.client_s)

    def per_claim_ms(self, claims: int) -> dict[str, float]:
        """Return the CPU milliseconds each claim cost the server, PostgreSQL and the client."""
        n = max(claims, 1)
        return {
            "server_cpu_ms_per_claim": round(self.server_s * 1000 / n, 2),
            "postgres_cpu_ms_per_claim": round(self.postgres_s * 1000 / n, 2),
            "client_cpu_ms_per_claim": round(self.client_s * 1000 / n, 2),
        }

    def other_load(self) -> float:
        """Return the share of the machine's cores that other programs used, 0 to 1."""
        return round(self.other_s / max(self.wall_s * self.cores, 1e-9), 3)


class CpuMeter:
    """Snapshots CPU counters of the server's processes, its PostgreSQL backends and this process."""

    def __init__(
        self,
        server_sid: int | None,
        postgres_pids: Callable[[], Iterable[int]],
        postgres_sessions: Callable[[], int] | None = None,
    ) -> None:
        self.server_sid = server_sid
        self.postgres_pids = postgres_pids
        self.postgres_sessions = postgres_sessions
        self._start: dict[str, float] = {}
        self._sessions_start = 0
        self._server_start: dict[int, float] = {}
        self._pids_start: dict[int, float] = {}

    def _server_by_pid(self) -> dict[int, float]:
        return {} if self.server_sid is None else {p: process_cpu_s(p) for p in session_pids(self.server_sid)}

    def start(self) -> None:
        """Take the first snapshot."""
        self._pids_start = {pid: process_cpu_s(pid) for pid in self.postgres_pids()}
        self._sessions_start = self.postgres_sessions() if self.postgres_sessions else 0
        self._server_start = self._server_by_pid()
        self._start = {
            "wall": time.perf_counter(),
            "client": own_cpu_s(),
            "machine": machine_busy_s()[0],
        }

    def stop(self) -> CpuUse:
        """Take the second snapshot; return the difference."""
        machine, client, by_pid = machine_busy_s()[0], own_cpu_s(), self._server_by_pid()
        used = [cpu - self._server_start.get(pid, 0.0) for pid, cpu in by_pid.items()]
        server = sum(used)
        wall = time.perf_counter()
        # A backend opened during the run counts from zero; one closed during it is lost, so
        # the figure is only right when the pools keep their connections (see connections_opened).
        postgres = sum(process_cpu_s(pid) - self._pids_start.get(pid, 0.0) for pid in self.postgres_pids())
        sessions = self.postgres_sessions() - self._sessions_start if self.postgres_sessions else 0
        return CpuUse(
            wall_s=wall - self._start["wall"],
            server_s=server,
            postgres_s=max(postgres, 0.0),
            client_s=client - self._start["client"],
            machine_s=machine - self._start["machine"],
            cores=os.cpu_count() or 1,
            connections_opened=sessions,
            server_split=_shares(used),
        )


def _shares(used: list[float]) -> tuple[float, ...]:
    """Return each part's share of the total, largest first, leaving out parts under 1%."""
    total = sum(used)
    if total <= 0:
        return ()
    return tuple(sorted((round(u / total, 2) for u in used if u > 0.01 * total), reverse=True))
