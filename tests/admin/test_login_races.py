"""The account lock holds under simultaneous logins: no more than five passwords are checked.

Each login comes from its own loopback address, so that the per-client throttle does not hide
the account's own limit.
"""

from __future__ import annotations

import sqlite3
import threading

import httpx

from hub.config import Settings
from hub.services import accounts
from tests.admin.conftest import PASSWORD, login, make_user
from tests.conftest import LiveServer

ATTEMPTS = 40


def from_address(live: LiveServer, host: str) -> httpx.Client:
    transport = httpx.HTTPTransport(local_address=host)
    return httpx.Client(base_url=live.url, timeout=20, transport=transport)


def login_all_at_once(live: LiveServer, passwords: list[str]) -> list[str]:
    """Log in with each password from its own address at the same moment; the answers' locations."""
    answers = [""] * len(passwords)
    clients = [from_address(live, f"127.0.1.{n + 1}") for n in range(len(passwords))]
    forms = [client.get("/admin/login") for client in clients]  # the login cookie and its token
    assert all(form.status_code == 200 for form in forms)
    start = threading.Barrier(len(passwords))

    def attempt(n: int) -> None:
        start.wait(10)
        answers[n] = login(clients[n], "coord", passwords[n]).headers.get("location", "")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(len(passwords))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for client in clients:
        client.close()
    assert not any(thread.is_alive() for thread in threads)
    return answers


def audited(settings: Settings) -> list[str]:
    connection = sqlite3.connect(settings.data_dir / "hub.sqlite3")
    try:
        rows = connection.execute(
            "SELECT action FROM audit_log WHERE actor = 'coord' AND action LIKE 'login%' ORDER BY pk"
        )
        return [row[0] for row in rows]
    finally:
        connection.close()


def test_simultaneous_wrong_logins_check_five_passwords(live: LiveServer, settings: Settings) -> None:
    make_user(live.hub, "coord")
    answers = login_all_at_once(live, ["guess-guess"] * ATTEMPTS)
    assert audited(settings) == ["login.failed"] * accounts.MAX_FAILURES
    assert all("failed=wrong" in answer or "failed=locked" in answer for answer in answers), answers
    assert sum("failed=locked" in answer for answer in answers) == ATTEMPTS - accounts.MAX_FAILURES + 1
    with from_address(live, "127.0.2.1") as late:
        assert "failed=locked" in login(late, "coord").headers["location"]


def test_the_right_password_after_five_wrong_ones_does_not_log_in(
    live: LiveServer, settings: Settings
) -> None:
    """Whatever order the server takes them in, a login succeeds only within the first five
    checks (a success starts the count again)."""
    make_user(live.hub, "coord")
    passwords = ["guess-guess"] * ATTEMPTS
    passwords[5] = passwords[8] = PASSWORD
    answers = login_all_at_once(live, passwords)
    actions = audited(settings)
    checked_before_login = 0
    for action in actions:
        if action == "login":
            assert checked_before_login < accounts.MAX_FAILURES, actions
            checked_before_login = 0
        else:
            checked_before_login += 1
    assert checked_before_login <= accounts.MAX_FAILURES, actions
    successes = [answer for answer in answers if answer == "/admin"]
    assert len(successes) == actions.count("login")
