"""Admin fixtures: accounts made through the services, logged-in HTTP clients over real HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import Session

from hub.runtime import Hub
from hub.services import accounts
from tests.conftest import LiveServer

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


def make_user(hub: Hub, name: str, role: str = "coordinator") -> None:
    hub.db.writer.run_sync(lambda s: accounts.create_user(s, name, PASSWORD, role=role, actor="test"))


def make_token(hub: Hub, name: str = "script") -> str:
    return hub.db.writer.run_sync(lambda s: accounts.create_token(s, name, actor="test"))


def login(http: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    form = http.get("/admin/login")
    token = CSRF_INPUT.search(form.text)
    assert token, form.text
    return http.post("/admin/login", data={"name": name, "password": password, "csrf": token[1]})


def csrf_of(http: httpx.Client) -> str:
    page = http.get("/admin")
    match = CSRF_INPUT.search(page.text)
    assert match, page.text[:500]
    return match[1]


class Admin:
    """A logged-in coordinator's browser-less session: cookie plus the session's CSRF token."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.csrf = csrf_of(http)

    def post_form(self, url: str, data: dict[str, object] | None = None) -> httpx.Response:
        return self.http.post(url, data={"csrf": self.csrf, **(data or {})})

    def api(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf}
        return self.http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def admin(live: LiveServer) -> Iterator[Admin]:
    make_user(live.hub, "coord")
    with live.client() as http:
        response = login(http, "coord")
        assert response.status_code == 303
        yield Admin(http)


@pytest.fixture
def bearer(live: LiveServer) -> Iterator[httpx.Client]:
    token = make_token(live.hub)
    with live.client(headers={"Authorization": f"Bearer {token}"}) as http:
        yield http


def run(hub: Hub, job: object) -> object:
    return hub.db.writer.run_sync(job)  # type: ignore[arg-type]


__all__ = ["PASSWORD", "Admin", "Session", "login", "make_token", "make_user", "run"]
