"""Helpers for the safety-loop scenarios: a coordinator's browser without a browser."""

from __future__ import annotations

import re

import httpx

from tests.topology import Site

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


class Coordinator:
    """A coordinator logged in to the admin pages over real HTTP (session cookie + CSRF token)."""

    def __init__(self, site: Site, name: str) -> None:
        site.hub.cli("user", "add", name, "--role", "coordinator", "--password-stdin", stdin=PASSWORD + "\n")
        self.name = name
        self.http = httpx.Client(base_url=site.hub.url, timeout=30)
        form = self.http.get("/admin/login")
        token = CSRF_INPUT.search(form.text)
        assert token, form.text
        login = self.http.post("/admin/login", data={"name": name, "password": PASSWORD, "csrf": token[1]})
        assert login.status_code == 303, login.text
        self.csrf = self.csrf_on(self.http.get("/admin").text)

    @staticmethod
    def csrf_on(page: str) -> str:
        match = CSRF_INPUT.search(page)
        assert match, page[:500]
        return match[1]

    def page(self, url: str) -> str:
        response = self.http.get(url)
        assert response.status_code == 200, response.text[:500]
        return response.text

    def post(self, url: str, data: dict[str, str] | None = None, *, csrf: bool = True) -> httpx.Response:
        return self.http.post(url, data={**({"csrf": self.csrf} if csrf else {}), **(data or {})})


def metric(text: str, name: str) -> float:
    """The value of an unlabelled Prometheus metric in ``/metrics`` text."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")
