"""Durable check-ins per second against two baselines, measured in one run.

- **outside**: a bare FastAPI app in its own process (``tests.bench.bare_app``) validating the
  same body with the same schema, plain uvicorn, no hub: everything the hub adds shows.
- **in-hub**: ``/bench/bare`` inside the hub's app (same middleware, routing and server settings),
  no disk: what the durable write itself adds.

Each server runs alone, pinned to CPU 0, wrk (64 connections) on CPU 1. The outside baseline is
measured before and after the hub and averaged, so a machine that gets busier or quieter during
the run shifts both sides. Besides requests/s and p99, the server's CPU time per request is
measured (``/proc``): on a shared machine it is the steadier figure. Figures go to
artifacts/bench/http.json and docs/reference/measurements.md (copied by hand, dated); nothing
here asserts a speed.
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

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "bench"
BODY = '{"address": "Kerkstraat 5", "status": "ok", "people": 2}'
LUA = f"""
wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""
SECONDS = 10
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def run_wrk(url: str, script: Path, seconds: int, pid: int | None = None) -> dict[str, float]:
    cpu_before = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": rps,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
        "cpu_ms_per_request": 1000 * cpu / requests if pid and requests else 0.0,
    }


class Server:
    """A server process pinned to CPU 0, up once ``/healthz`` answers."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            ["taskset", "-c", "0", sys.executable, "-m", *args, str(self.port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(self.base + "/healthz", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        time.sleep(1)

    def load(self, path: str, script: Path, seconds: int = SECONDS) -> dict[str, float]:
        return run_wrk(self.base + path, script, seconds, self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def outside_baseline(script: Path) -> dict[str, float]:
    bare = Server("tests.bench.bare_app")
    try:
        bare.load("/api/v1/checkins", script, 3)  # warm-up
        return bare.load("/api/v1/checkins", script)
    finally:
        bare.stop()


def mean(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    return {key: (a[key] + b[key]) / 2 for key in a}


@pytest.mark.bench
def test_durable_checkins_against_bare_endpoints(tmp_path: Path) -> None:
    assert shutil.which("wrk"), "install wrk (apt-get install wrk); make bench does"
    script = tmp_path / "post.lua"
    script.write_text(LUA)
    outside_before = outside_baseline(script)
    hub = Server("tests.bench.bench_server", str(tmp_path))
    try:
        idle_rss = rss_kb(hub.process.pid)
        hub.load("/bench/bare", script, 3)  # warm-up
        in_hub = hub.load("/bench/bare", script)
        durable = hub.load("/api/v1/checkins", script)
        peak_rss = rss_kb(hub.process.pid, "VmHWM")
        rows = httpx.get(hub.base + "/metrics").text
    finally:
        hub.stop()
    outside_after = outside_baseline(script)
    outside = mean(outside_before, outside_after)
    commits = int(re.search(r"hub_db_commits_total (\d+)", rows).group(1))  # type: ignore[union-attr]
    result = {
        "date": time.strftime("%Y-%m-%d"),
        "outside_bare_app": outside,
        "outside_bare_app_before_and_after": [outside_before, outside_after],
        "in_hub_bare_route": in_hub,
        "durable": durable,
        "ratio_vs_outside": durable["rps"] / outside["rps"],
        "ratio_vs_in_hub": durable["rps"] / in_hub["rps"],
        "cpu_per_request_vs_outside": durable["cpu_ms_per_request"] / outside["cpu_ms_per_request"],
        "cpu_per_request_vs_in_hub": durable["cpu_ms_per_request"] / in_hub["cpu_ms_per_request"],
        "idle_rss_mb": idle_rss / 1024,
        "peak_rss_mb": peak_rss / 1024,
        "group_commits": commits,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "http.json").write_text(json.dumps(result, indent=2))
    print("\nHTTP benchmark (64 connections):")
    print("| endpoint | requests/s | p50 ms | p99 ms | CPU ms/request |\n|---|---:|---:|---:|---:|")
    for name, row in (
        ("bare FastAPI app outside the hub", outside),
        ("bare route inside the hub", in_hub),
        ("durable check-in", durable),
    ):
        print(
            f"| {name} | {row['rps']:,.0f} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} |"
            f" {row['cpu_ms_per_request']:.3f} |"
        )
    print(
        f"durable / outside: {result['ratio_vs_outside']:.2f} × the requests/s"
        f" ({result['cpu_per_request_vs_outside']:.2f} × the CPU per request);"
        f" durable / in-hub: {result['ratio_vs_in_hub']:.2f} × the requests/s"
        f" ({result['cpu_per_request_vs_in_hub']:.2f} × the CPU per request)"
    )
    for row in (outside_before, outside_after, in_hub, durable):
        assert row["errors"] == 0
