"""``hub region user add`` and ``hub region serve`` as commands, on a real PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from tests.conftest import free_port


def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "region", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_user_add_then_serve_then_log_in(postgres_url: str) -> None:
    made = run(
        "user",
        "add",
        "olga",
        "--role",
        "officer",
        "--password-stdin",
        "--db",
        postgres_url,
        stdin="a-long-password-1\n",
    )
    assert made.returncode == 0, made.stderr
    assert "olga (officer)" in made.stdout
    again = run("user", "add", "olga", "--password-stdin", "--db", postgres_url, stdin="a-long-password-1\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    short = run("user", "add", "kim", "--password-stdin", "--db", postgres_url, stdin="short\n")
    assert short.returncode == 1 and "at least 10 characters" in short.stderr
    sqlite = run("serve", "--db", "sqlite:///region.sqlite3")
    assert sqlite.returncode == 2 and "PostgreSQL" in sqlite.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "region", "serve", "--db", postgres_url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).text == "ok":
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and server.poll() is None, "hub region serve did not start"
            time.sleep(0.2)
        with httpx.Client(base_url=url) as client:
            answer = client.post("/login", data={"name": "olga", "password": "a-long-password-1"})
            assert answer.status_code == 303
            assert "Alle hubs" in client.get("/").text  # Dutch by default
    finally:
        server.terminate()
        server.wait(timeout=20)
