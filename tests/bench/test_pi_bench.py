"""A Pi-class core holds a crisis: the hub under a CPU quota of 25 % of one core, 100k check-ins.

The data set of the growth benchmark (100,000 check-ins over 72 h at 5,000 addresses, crisis
mode) is seeded, then ``hub serve`` (no radio) starts inside the quota (``cpu_quota``) and is
timed from start to the first ``/healthz`` 200. Then an open-loop crisis load runs for
``SECONDS``: arrivals on a fixed schedule, each answered or not, never waiting for the previous:

- 1.7 check-ins/s through the forms: ``GET /checkin``, ``POST /checkin`` with the form's token,
  the ``303`` followed to the thank-you page (three requests, each timed);
- 3 home-page views/s (``GET /``), 1 announcements view/s (``GET /announcements``);
- a coordinator's dashboard (``GET /admin``, logged in) every 30 s.

Printed: p50/p99 per kind and over all requests, failures, and the hub's CPU over the load as a
share of its budget (CPU seconds / (quota × seconds)). The load generator runs outside the quota.
Figures go to artifacts/bench/pi.json and the README; nothing here asserts a speed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
import pytest

from hub.config import load_settings
from hub.runtime import Hub
from tests.admin.conftest import login, make_user
from tests.bench.cpu_quota import QuotaUnavailable, cpu_quota, cpu_seconds_of
from tests.bench.test_growth_bench import seed
from tests.bench.test_start_bench import start_to_healthz
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "bench"
CHECKINS = 100_000
QUOTA_PERCENT = 25
SECONDS = 120
SECRET = "bench-secret-key-0123456789-abcdefghijklmnop"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
RATES = {
    "check-in (form, post, thanks)": 1.7,
    "home /": 3.0,
    "announcements": 1.0,
    "dashboard /admin": 1 / 30,
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] if ordered else float("nan")


async def crisis_load(
    base: str, cookies: httpx.Cookies, seconds: float
) -> tuple[dict[str, list[float]], int]:
    """Run the schedule for ``seconds``; latencies in ms per kind of request, and failures."""
    latencies: dict[str, list[float]] = defaultdict(list)
    failures = 0
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)

    async with (
        httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http,
        httpx.AsyncClient(base_url=base, timeout=60, cookies=cookies) as coordinator,
    ):

        async def timed(
            kind: str, client: httpx.AsyncClient, method: str, path: str, **kw: object
        ) -> httpx.Response:
            nonlocal failures
            begin = time.perf_counter()
            response = await client.request(method, path, **kw)  # type: ignore[arg-type]
            latencies[kind].append((time.perf_counter() - begin) * 1000)
            if response.status_code >= 400:
                failures += 1
            return response

        async def check_in(n: int) -> None:
            form = await timed("GET /checkin", http, "GET", "/checkin")
            token = TOKEN.search(form.text)
            if token is None:
                return
            data = {
                "address": f"Straat{n % 100} {n % 50 + 1}",
                "status": "ok",
                "people": "2",
                "token": token[1],
            }
            sent = await timed("POST /checkin", http, "POST", "/checkin", data=data)
            if sent.status_code == 303:
                await timed("GET /bedankt", http, "GET", sent.headers["location"])

        def job(kind: str, n: int) -> object:
            if kind.startswith("check-in"):
                return check_in(n)
            if kind == "home /":
                return timed("GET /", http, "GET", "/")
            if kind == "announcements":
                return timed("GET /announcements", http, "GET", "/announcements")
            return timed("GET /admin", coordinator, "GET", "/admin")

        start = time.perf_counter()
        arrivals = sorted(
            (n / rate, kind, n) for kind, rate in RATES.items() for n in range(int(seconds * rate) + 1)
        )
        tasks = []
        for at, kind, n in arrivals:
            if at >= seconds:
                continue
            delay = start + at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(job(kind, n)))  # type: ignore[arg-type]
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, BaseException):
                failures += 1
    return dict(latencies), failures


@pytest.mark.bench
def test_a_pi_class_core_holds_a_crisis_with_100k_check_ins(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = load_settings(data_dir=data_dir, secret_key=SECRET)
    hub = Hub.from_settings(settings)
    hub.start()
    seed(hub, CHECKINS)
    make_user(hub, "coord")
    hub.stop()

    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(
        HUB_DATA_DIR=str(data_dir),
        HUB_RADIO="none",
        HUB_SECRET_KEY=SECRET,
        HUB_RATE_LIMIT="0",
        HUB_MAX_CONNECTIONS_PER_CLIENT="0",
        PYTHONPATH=str(ROOT),
    )
    port = free_port()
    command = [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(port)]
    result: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "check_ins": CHECKINS, "seconds": SECONDS}
    try:
        quota_context = cpu_quota(QUOTA_PERCENT)
        quota = quota_context.__enter__()
        result["quota"] = quota.how
        prefix: tuple[str, ...] = quota.prefix
        share = QUOTA_PERCENT / 100
    except QuotaUnavailable as exc:
        quota_context = None
        result["quota"] = f"none ({exc}): measured unlimited"
        prefix, share = (), 1.0
    try:
        wall, cpu = start_to_healthz([*prefix, *command], port, env)  # a first start, then the real one
        result["start_to_healthz_s"] = wall
        result["start_cpu_s"] = cpu
        server = subprocess.Popen([*prefix, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the hub did not start"
                time.sleep(0.05)
            with httpx.Client(base_url=base, timeout=60) as http:
                assert login(http, "coord").status_code in (200, 303)
                cookies = http.cookies
            cpu_before, begin = cpu_seconds_of(server.pid), time.perf_counter()
            latencies, failures = asyncio.run(crisis_load(base, cookies, SECONDS))
            elapsed = time.perf_counter() - begin
            cpu_used = cpu_seconds_of(server.pid) - cpu_before
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still answering a backlog of requests
                server.kill()
                server.wait(timeout=30)
    finally:
        if quota_context is not None:
            quota_context.__exit__(None, None, None)

    everything = [ms for values in latencies.values() for ms in values]
    result.update(
        {
            "failures": failures,
            "requests": len(everything),
            "budget_used": cpu_used / (share * elapsed),
            "p50_ms": percentile(everything, 0.5),
            "p99_ms": percentile(everything, 0.99),
            "by_request": {
                kind: {
                    "count": len(values),
                    "p50_ms": statistics.median(values),
                    "p99_ms": percentile(values, 0.99),
                    "max_ms": max(values),
                }
                for kind, values in sorted(latencies.items())
            },
        }
    )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "pi.json").write_text(json.dumps(result, indent=2))
    print(
        f"\nPi-class run ({result['quota']}), {CHECKINS:,} check-ins, {SECONDS} s of crisis load:"
        f"\n  start -> /healthz 200: {result['start_to_healthz_s']:.2f} s ({result['start_cpu_s']:.2f} s CPU)"
        f"\n  CPU used: {result['budget_used']:.0%} of the budget; failures: {failures}"
        f"\n  all {len(everything)} requests: p50 {result['p50_ms']:.0f} ms, p99 {result['p99_ms']:.0f} ms"
    )
    print("| request | count | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|")
    for kind, row in result["by_request"].items():  # type: ignore[attr-defined]
        print(
            f"| {kind} | {row['count']} | {row['p50_ms']:.0f} | {row['p99_ms']:.0f} | {row['max_ms']:.0f} |"
        )
