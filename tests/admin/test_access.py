"""Revoking access: tokens (revoked, expired), disabled users, new passwords, the access page."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import update
from sqlmodel import col, select

from hub.config import Settings
from hub.models import AdminSession, ApiToken, AuditEntry, User
from hub.models.base import utcnow
from hub.services import access, accounts
from tests.admin.conftest import PASSWORD, Admin, Session, login, make_token, make_user, run
from tests.conftest import LiveServer

REPO = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "een heel nieuw wachtwoord"


def _cli(settings: Settings, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HUB_DATA_DIR": str(settings.data_dir),
        "HUB_SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
        "PYTHONPATH": str(REPO),
    }
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _logged_in(http: httpx.Client) -> bool:
    return http.get("/admin", follow_redirects=False).status_code == 200


def _actions(live: LiveServer) -> list[str]:
    with live.hub.db.read() as session:
        return [e.action for e in session.exec(select(AuditEntry).order_by(col(AuditEntry.pk))).all()]


def test_the_cli_lists_and_revokes_tokens_and_ends_sessions(settings: Settings) -> None:
    assert _cli(settings, "user", "add", "marie", "--password-stdin", stdin=PASSWORD + "\n").returncode == 0
    created = _cli(settings, "token", "create", "gemeente", "--expires-days", "30")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert _cli(settings, "token", "create", "oud", "--expires-days", "0").returncode == 1

    with LiveServer(settings) as live, live.client() as browser:
        bearer = {"Authorization": f"Bearer {token}"}
        assert browser.get("/api/v1/admin/tasks", headers=bearer).status_code == 200
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the last use is written beside the request
            with live.hub.db.read() as session:
                if session.exec(select(ApiToken)).one().last_used_at is not None:
                    break
            time.sleep(0.05)
        listed = _cli(settings, "token", "list")
        assert listed.returncode == 0, listed.stderr
        header, row = listed.stdout.strip().splitlines()
        assert header.split() == ["NAME", "CREATED", "LAST", "USED", "EXPIRES", "STATE"]
        assert row.startswith("gemeente") and row.endswith("active")
        assert "never" not in row  # used once, expires in 30 days
        assert (utcnow() + timedelta(days=30)).strftime("%Y-%m-%d") in row
        assert token not in listed.stdout and accounts.token_hash(token) not in listed.stdout

        revoked = _cli(settings, "token", "revoke", "gemeente")
        assert revoked.returncode == 0, revoked.stderr
        assert browser.get("/api/v1/admin/tasks", headers=bearer).status_code == 401
        assert _cli(settings, "token", "revoke", "gemeente").returncode == 1  # none left
        assert _cli(settings, "token", "list").stdout.strip().endswith("revoked")

        assert login(browser, "marie").headers["location"] == "/admin"
        assert _logged_in(browser)
        passwd = _cli(settings, "user", "passwd", "marie", "--password-stdin", stdin=NEW_PASSWORD + "\n")
        assert passwd.returncode == 0, passwd.stderr
        assert "1 session(s) ended" in passwd.stdout
        assert not _logged_in(browser)
        assert login(browser, "marie").headers["location"] == "/admin/login?failed=wrong"
        assert login(browser, "marie", NEW_PASSWORD).headers["location"] == "/admin"

        disabled = _cli(settings, "user", "disable", "marie")
        assert disabled.returncode == 0, disabled.stderr
        assert not _logged_in(browser)
        assert login(browser, "marie", NEW_PASSWORD).headers["location"] == "/admin/login?failed=wrong"
        assert "disabled" in _cli(settings, "user", "list").stdout
        assert _cli(settings, "user", "disable", "nobody").returncode == 1
        assert _cli(settings, "user", "enable", "marie").returncode == 0
        assert login(browser, "marie", NEW_PASSWORD).headers["location"] == "/admin"
        actions = _actions(live)
    for action in ("token.create", "token.revoke", "user.passwd", "user.disable", "user.enable"):
        assert action in actions


def test_an_expired_token_is_refused(live: LiveServer) -> None:
    token = live.hub.db.writer.run_sync(
        lambda s: accounts.create_token(s, "kort", actor="test", expires_days=1)
    )
    with live.client(headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/api/v1/admin/tasks").status_code == 200
        run(
            live.hub,
            lambda s: s.exec(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1))),
        )
        assert http.get("/api/v1/admin/tasks").status_code == 401


def test_a_disabled_users_live_session_is_refused(live: LiveServer) -> None:
    make_user(live.hub, "piet")
    with live.client() as http:
        login(http, "piet")
        assert _logged_in(http)
        run(live.hub, lambda s: access.disable_user(s, "piet", actor="test"))
        assert not _logged_in(http)
        with live.hub.db.read() as session:
            assert session.exec(select(AdminSession)).all() == []
            user_id = session.exec(select(User).where(User.name == "piet")).one().id
        # A login whose password was checked just before the account was disabled: its
        # session lets nobody in either.
        late = live.hub.db.writer.run_sync(lambda s: accounts.start_session(s, user_id, client="127.0.0.1"))
        http.cookies.set("bb_admin", late.token)
        assert not _logged_in(http)
        assert http.get("/api/v1/admin/tasks").status_code == 401


def _revoke_form(admin: Admin, url: str, csrf: str | None = None) -> httpx.Response:
    return admin.http.post(url, data={"csrf": admin.csrf if csrf is None else csrf})


def test_the_access_page_revokes_sessions_and_tokens(live: LiveServer, admin: Admin) -> None:
    token = make_token(live.hub, "gemeente")
    make_user(live.hub, "piet")
    with live.client() as other, live.client(headers={"Authorization": f"Bearer {token}"}) as script:
        login(other, "piet")
        page = admin.http.get("/admin/access")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "piet" in page.text and "gemeente" in page.text
        assert token not in page.text and accounts.token_hash(token) not in page.text
        with live.hub.db.read() as session:
            rows = {r.user: r for r in access.list_sessions(session)}
            token_id = session.exec(select(ApiToken)).one().id
        assert rows["piet"].token_hash not in page.text
        piet = f"/admin/access/sessions/{rows['piet'].id}/revoke"

        assert _revoke_form(admin, piet, csrf="wrong").status_code == 403
        assert _logged_in(other)
        done = _revoke_form(admin, piet)
        assert done.status_code == 303
        assert done.headers["location"] == "/admin/access?ok=session_revoked"
        assert not _logged_in(other)
        assert _logged_in(admin.http)

        assert script.get("/api/v1/admin/tasks").status_code == 200
        tokens = f"/admin/access/tokens/{token_id}/revoke"
        assert _revoke_form(admin, tokens, csrf="").status_code == 403
        assert script.get("/api/v1/admin/tasks").status_code == 200
        assert _revoke_form(admin, tokens).headers["location"] == "/admin/access?ok=token_revoked"
        assert script.get("/api/v1/admin/tasks").status_code == 401
        gone = _revoke_form(admin, piet)
        assert gone.headers["location"] == "/admin/access?error=not_found"

    with live.hub.db.read() as session:
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.action).in_(["session.revoke", "token.revoke"]))
        )
        audited = [(e.actor, e.action, e.detail.get("user") or e.detail.get("name")) for e in entries]
    assert audited == [("coord", "session.revoke", "piet"), ("coord", "token.revoke", "gemeente")]


def test_viewers_do_not_see_the_access_page(live: LiveServer, admin: Admin) -> None:
    make_user(live.hub, "kijker", role="viewer")
    assert 'href="/admin/access"' in admin.http.get("/admin").text
    with live.client() as http:
        login(http, "kijker")
        assert 'href="/admin/access"' not in http.get("/admin").text
        assert http.get("/admin/access").status_code == 403
        with live.hub.db.read() as session:
            coord = next(r for r in access.list_sessions(session) if r.user == "coord")
        csrf = Admin(http).csrf
        refused = http.post(f"/admin/access/sessions/{coord.id}/revoke", data={"csrf": csrf})
        assert refused.status_code == 403
    assert _logged_in(admin.http)


__all__ = ["Session"]
