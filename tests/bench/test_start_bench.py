"""Start → first ``/healthz`` 200 of ``hub serve``, unlimited and under a CPU quota.

``hub serve`` with no radio on a database already at the newest migration, its own source
compiled to bytecode (as the Ansible role leaves it), from the start of the process to the
first 200 on ``/healthz``; the CPU the process used until then. The baselines, measured in the
same run and alternating with the hub: the bare FastAPI app of the HTTP benchmark
(``tests.bench.bare_app``, same route, no hub) and ``python -c pass``. Each is started ``RUNS``
times unlimited and ``RUNS`` times with 25 % of one core (``cpu_quota``). Figures go to
artifacts/bench/start.json and the README; nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest

from tests.bench.cpu_quota import QuotaUnavailable, cpu_quota, cpu_seconds_of
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "bench"
RUNS = 5
QUOTA_PERCENT = 25


def start_to_healthz(command: Sequence[str], port: int, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from the start of ``command`` to the first 200 on ``/healthz``, and its CPU seconds."""
    begin = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=1) as http:
            while True:
                try:
                    if http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert process.poll() is None, "the server stopped"
                assert time.perf_counter() - begin < 120, "no /healthz 200 in 120 s"
                time.sleep(0.01)
        wall = time.perf_counter() - begin
        return wall, cpu_seconds_of(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def python_pass(prefix: Sequence[str]) -> tuple[float, float]:
    begin = time.perf_counter()
    done = subprocess.run(
        [*prefix, sys.executable, "-c", "import os; print(sum(os.times()[:2]))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - begin, float(done.stdout)


def measure(prefix: Sequence[str], data_dir: Path) -> dict[str, dict[str, float]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), HUB_RADIO="none", PYTHONPATH=str(ROOT))
    names = ("hub serve", "bare FastAPI app", "python -c pass")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for _ in range(RUNS):
        port = free_port()
        runs["hub serve"].append(
            start_to_healthz(
                [*prefix, sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)],
                port,
                env,
            )
        )
        port = free_port()
        runs["bare FastAPI app"].append(
            start_to_healthz([*prefix, sys.executable, "-m", "tests.bench.bare_app", str(port)], port, env)
        )
        runs["python -c pass"].append(python_pass(prefix))
    return {
        name: {
            "wall_median_s": statistics.median(w for w, _ in values),
            "wall_min_s": min(w for w, _ in values),
            "wall_max_s": max(w for w, _ in values),
            "cpu_median_s": statistics.median(c for _, c in values),
        }
        for name, values in runs.items()
    }


@pytest.mark.bench
def test_start_to_first_healthz(tmp_path: Path) -> None:
    subprocess.run(  # bytecode for the hub's own modules, as deployed (PYTHONDONTWRITEBYTECODE aside)
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "hub")],
        env={k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    subprocess.run(
        [sys.executable, "-m", "hub", "db", "upgrade"], env={**env, "HUB_DATA_DIR": str(tmp_path)}, check=True
    )
    result: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "unlimited": measure((), tmp_path)}
    try:
        with cpu_quota(QUOTA_PERCENT) as quota:
            result["quota"] = quota.how
            result[f"{QUOTA_PERCENT}% of one core"] = measure(quota.prefix, tmp_path)
    except QuotaUnavailable as exc:
        result["quota"] = f"not measured: {exc}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "start.json").write_text(json.dumps(result, indent=2))
    print(f"\nStart → first /healthz 200 (median of {RUNS}; quota: {result['quota']}):")
    print("| | wall | wall min–max | CPU | × bare app (wall) |\n|---|---:|---:|---:|---:|")
    for limit in ("unlimited", f"{QUOTA_PERCENT}% of one core"):
        rows = result.get(limit)
        if not isinstance(rows, dict):
            continue
        bare = rows["bare FastAPI app"]["wall_median_s"]
        for name, row in rows.items():
            print(
                f"| {name}, {limit} | {row['wall_median_s']:.2f} s |"
                f" {row['wall_min_s']:.2f}–{row['wall_max_s']:.2f} s | {row['cpu_median_s']:.2f} s |"
                f" {row['wall_median_s'] / bare:.2f} |"
            )
