"""Durable check-ins per second vs a bare endpoint of the same stack, measured in one run.

Server pinned to CPU 0, wrk (64 connections) to CPU 1. Figures go to artifacts/bench/http.json
and docs/reference/measurements.md (copied by hand, dated); nothing here asserts a speed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
BODY = '{"address": "Kerkstraat 5", "status": "ok", "people": 2}'
LUA = f"""
wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def run_wrk(url: str, script: Path, seconds: int) -> dict[str, float]:
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


@pytest.mark.bench
def test_durable_checkins_against_bare_endpoint(tmp_path: Path) -> None:
    assert shutil.which("wrk"), "install wrk (apt-get install wrk); make bench does"
    port = free_port()
    server = subprocess.Popen(
        ["taskset", "-c", "0", sys.executable, "-m", "tests.bench.bench_server", str(tmp_path), str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        time.sleep(1)
        idle_rss = rss_kb(server.pid)
        script = tmp_path / "post.lua"
        script.write_text(LUA)
        run_wrk(base + "/bench/bare", script, 3)  # warm-up
        bare = run_wrk(base + "/bench/bare", script, 10)
        durable = run_wrk(base + "/api/v1/checkins", script, 10)
        peak_rss = rss_kb(server.pid, "VmHWM")
        rows = httpx.get(base + "/metrics").text
    finally:
        server.terminate()
        server.wait(timeout=30)
    commits = int(re.search(r"hub_db_commits_total (\d+)", rows).group(1))  # type: ignore[union-attr]
    result = {
        "bare": bare,
        "durable": durable,
        "ratio": durable["rps"] / bare["rps"],
        "idle_rss_mb": idle_rss / 1024,
        "peak_rss_mb": peak_rss / 1024,
        "group_commits": commits,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "http.json").write_text(json.dumps(result, indent=2))
    print("\nHTTP benchmark:", json.dumps(result, indent=2))
    assert durable["errors"] == 0
    assert bare["errors"] == 0
