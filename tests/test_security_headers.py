"""Every answer carries the security headers, errors included; admin answers are never stored;
a 429 says when to come back; HEAD works for every GET page."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hub.config import Settings, load_settings
from hub.web.security import SECURITY_HEADERS
from tests.admin.conftest import login, make_user
from tests.conftest import LiveServer

BOOM = "/test-only/boom"


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    live = LiveServer(settings)

    def boom() -> None:
        raise RuntimeError("an error nobody handled")

    live.app.add_api_route(BOOM, boom, methods=["GET"])  # a route only this test has
    with live:
        make_user(live.hub, "coord")
        yield live


def _answers(http: httpx.Client, limit: int) -> dict[str, httpx.Response]:
    return {
        "portal": http.get("/"),
        "404": http.get("/no-such-page"),
        "405": http.delete("/"),
        "422": http.post("/api/v1/checkins", json={"status": "maybe"}),
        "413": http.post("/api/v1/checkins", content=b"x" * (limit + 1)),
        "500": http.get(BOOM),
        "static": http.get("/static/portal.css"),
        "static 404": http.get("/static/nothing.css"),
        "admin 401": http.get("/api/v1/admin/tasks"),
        "admin 303": http.get("/admin"),
        "admin login": http.get("/admin/login"),
        "healthz": http.get("/healthz"),
    }


def _assert_secure(name: str, response: httpx.Response) -> None:
    for header, value in SECURITY_HEADERS:
        assert response.headers.get(header.decode()) == value.decode(), (name, header)


def test_every_answer_carries_the_security_headers(server: LiveServer, settings: Settings) -> None:
    with server.client() as http:
        answers = _answers(http, settings.max_body_bytes)
    expected = {
        "portal": 200,
        "404": 404,
        "405": 405,
        "422": 422,
        "413": 413,
        "500": 500,
        "static": 200,
        "static 404": 404,
        "admin 401": 401,
        "admin 303": 303,
        "admin login": 200,
        "healthz": 200,
    }
    assert {name: r.status_code for name, r in answers.items()} == expected
    for name, response in answers.items():
        _assert_secure(name, response)
    assert "Traceback" not in answers["500"].text
    with server.client() as http:
        metrics = http.get("/metrics").text
    assert 'hub_http_requests_total{method="GET",status="5xx"} 1' in metrics


def test_admin_answers_are_never_stored(server: LiveServer) -> None:
    with server.client() as http:
        answers = [
            http.get("/api/v1/admin/tasks"),
            http.get("/api/v1/admin/tasks", headers={"Authorization": "Bearer wrong"}),
            http.get("/admin"),
            http.get("/admin/login"),
            http.get("/admin/no-such-page"),
            http.post("/admin/logout"),
        ]
        assert login(http, "coord").status_code == 303
        csrf = {"X-CSRF-Token": "wrong"}
        answers += [
            http.get("/admin"),
            http.get("/admin/tasks"),
            http.get("/api/v1/admin/tasks"),
            http.get("/api/v1/admin/tasks/no-such-task"),
            http.get("/api/v1/admin/tasks", params={"limit": "0"}),
            http.post("/api/v1/admin/volunteers", json={"name": "A"}, headers=csrf),
            http.get("/admin/export/json"),
        ]
    for response in answers:
        assert response.headers.get("cache-control") == "no-store", (
            response.request.url,
            response.status_code,
        )
        _assert_secure(str(response.request.url), response)
    assert {r.status_code for r in answers} >= {200, 303, 401, 403, 404, 422}


def test_every_429_says_when_to_come_back(tmp_path: object) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",  # type: ignore[operator]
        rate_limit=1,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    body = {"address": "Kerkstraat 5", "status": "ok"}
    with LiveServer(settings) as live, live.client() as http:
        first = http.post("/api/v1/checkins", json=body)
        api = http.post("/api/v1/checkins", json=body)
        form = http.post("/checkin", data={"address": "Kerkstraat 5", "status": "ok"})
    assert first.status_code == 201
    for response in (api, form):
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        _assert_secure("429", response)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/checkin",
        "/need",
        "/announcements",
        "/privacy",
        "/api/v1/status",
        "/admin/login",
        "/static/portal.css",
    ],
)
def test_head_answers_like_get_without_a_body(server: LiveServer, url: str) -> None:
    with server.client() as http:
        get = http.get(url)
        head = http.head(url)
    assert get.status_code == head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    _assert_secure(url, head)


def test_head_of_a_page_behind_the_login_redirects(server: LiveServer) -> None:
    with server.client() as http:
        head = http.head("/admin")
    assert head.status_code == 303
    assert head.headers["location"] == "/admin/login"
    assert head.headers["cache-control"] == "no-store"
