"""Run a process under a CPU quota (a rough stand-in for a Raspberry Pi 4 core).

The quota is a share of one core (25 % = 25 ms of CPU per 100 ms). Ways tried, first that works:

1. ``systemd-run --scope -p CPUQuota=25%`` when systemd runs this machine;
2. a cgroup v2 directory with ``cpu.max`` under ``/sys/fs/cgroup`` (as root);
3. a cgroup v1 directory with ``cpu.cfs_quota_us`` under ``/sys/fs/cgroup/cpu`` (as root).

Each wraps the command so that it starts inside the quota (imports included). When none works
(not root, no cgroup file system) ``QuotaUnavailable`` says why; the benches then measure
without a quota and say so. Pinning to one core with ``taskset`` is no stand-in: it gives a
whole core.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

PERIOD_US = 100_000
CGROUP_ROOT = Path("/sys/fs/cgroup")


class QuotaUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Quota:
    """A command prefix that starts a process inside the quota, and how it is made."""

    prefix: tuple[str, ...]
    how: str


def _systemd_runs() -> bool:
    if not shutil.which("systemd-run") or not Path("/run/systemd/system").is_dir():
        return False
    state = subprocess.run(["systemctl", "is-system-running"], capture_output=True, text=True).stdout
    return state.strip() in ("running", "degraded")


def _join_then_exec(procs: Path) -> tuple[str, ...]:
    # The shell moves itself into the group, then becomes the command: nothing runs outside.
    return ("sh", "-c", f'echo $$ > {procs} && exec "$@"', "sh")


@contextmanager
def cpu_quota(percent: int) -> Iterator[Quota]:
    """A way to run commands with ``percent`` % of one core; the cgroup is removed afterwards."""
    quota_us = PERIOD_US * percent // 100
    if _systemd_runs():
        yield Quota(
            ("systemd-run", "--quiet", "--scope", "-p", f"CPUQuota={percent}%", "--"),
            f"systemd-run --scope -p CPUQuota={percent}%",
        )
        return
    name = f"buurtbaken-bench-{uuid.uuid4().hex[:8]}"
    v2 = CGROUP_ROOT / "cgroup.controllers"
    if v2.exists() and "cpu" in v2.read_text().split() and os.access(CGROUP_ROOT, os.W_OK):
        group = CGROUP_ROOT / name
        how = f"cgroup v2 cpu.max {quota_us} {PERIOD_US}"
        setup = [("cpu.max", f"{quota_us} {PERIOD_US}")]
    elif (CGROUP_ROOT / "cpu" / "cpu.cfs_quota_us").exists() and os.access(CGROUP_ROOT / "cpu", os.W_OK):
        group = CGROUP_ROOT / "cpu" / name
        how = f"cgroup v1 cpu.cfs_quota_us={quota_us} cpu.cfs_period_us={PERIOD_US}"
        setup = [("cpu.cfs_period_us", str(PERIOD_US)), ("cpu.cfs_quota_us", str(quota_us))]
    else:
        raise QuotaUnavailable("no systemd, and no writable cgroup cpu controller (run as root)")
    group.mkdir()
    try:
        for file, value in setup:
            (group / file).write_text(value)
        yield Quota(_join_then_exec(group / "cgroup.procs"), how)
    finally:
        _remove(group)


def _remove(group: Path) -> None:
    """Move what is left in the group (nothing, normally) to the parent, then remove it."""
    parent = group.parent / "cgroup.procs"
    for pid in (group / "cgroup.procs").read_text().split():
        with suppress(OSError):
            parent.write_text(pid)
    group.rmdir()


def cpu_seconds_of(pid: int) -> float:
    """User + system CPU of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
