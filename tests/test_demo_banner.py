"""``hub serve --demo`` as a user starts it: the banner names every address the hub is reached
on (compared with ``ip addr``) and the coordinator login, which works and stays the same for
a data directory."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hub.network import ipv4_addresses, ipv6_addresses, reachable_hosts, url
from tests.admin.conftest import login
from tests.conftest import free_port


def ip_addr(family: str, *scope: str) -> set[str]:
    """The addresses ``ip`` (iproute2) lists."""
    out = subprocess.run(
        ["ip", "-o", family, "addr", "show", *scope], capture_output=True, text=True, check=True
    ).stdout
    return {line.split()[3].split("/")[0] for line in out.splitlines()}


def test_the_addresses_are_those_ip_addr_lists() -> None:
    assert set(ipv4_addresses()) == ip_addr("-4")
    assert set(ipv6_addresses()) == ip_addr("-6", "scope", "global")
    outside = ip_addr("-4") - {"127.0.0.1"}
    assert outside, "this test needs a machine with a network interface"
    hosts = reachable_hosts("0.0.0.0")
    assert set(hosts) == outside | {"127.0.0.1"}
    assert hosts[-1] == "127.0.0.1"
    assert set(reachable_hosts("::")) == outside | {"127.0.0.1"} | ip_addr("-6", "scope", "global")
    assert reachable_hosts("10.42.0.1") == ["10.42.0.1"]
    assert url("fd00::2", 8080, "/admin") == "http://[fd00::2]:8080/admin"


def start_demo(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """``hub serve --demo`` in its own process; its banner, once it is up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update(HUB_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    banner: list[str] = []
    for line in process.stdout:
        banner.append(line.rstrip("\n"))
        if "stop with Ctrl-C" in line:
            break
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                return process, banner
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError(f"the demo did not come up: {banner}")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)


def test_the_banner_shows_every_address_and_a_login_that_stays(tmp_path: Path) -> None:
    port = free_port()
    process, banner = start_demo(tmp_path / "data", port)
    try:
        text = "\n".join(banner)
        for host in ip_addr("-4") | {"127.0.0.1"}:
            assert f"http://{host}:{port}/" in text, (host, text)
            assert f"http://{host}:{port}/admin" in text, (host, text)
        found = re.search(r"demo login: demo / (\S+)", text)
        assert found, text
        password = found[1]
        assert (tmp_path / "data" / "demo-password").read_text().strip() == password
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert login(http, "demo", password).headers["location"] == "/admin"
            assert http.get("/admin").status_code == 200
    finally:
        stop(process)
    process, again = start_demo(tmp_path / "data", port)
    stop(process)
    assert f"demo login: demo / {password}" in "\n".join(again)
