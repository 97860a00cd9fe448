"""Unknown addresses: residents get the portal (404, their language, the way to the forms),
programs keep JSON. The hub's DNS answers every name, so any host name can land here."""

from __future__ import annotations

import httpx
import pytest

LOST = [
    ("/", "www.nu.nl"),  # a known page on a foreign name is simply the portal
    ("/nieuws/2026/12/stroomstoring", "www.nu.nl"),
    ("/wp-login.php", "buurtbaken.local"),
    ("/admin/nonexistent", "10.42.0.1"),
    ("/static/missing.css", "10.42.0.1"),
    ("/bedankt/checkin", "example.org"),
    ("/%E2%9C%93?x=1", "example.org"),
]


@pytest.mark.parametrize(("path", "host"), LOST[1:])
def test_an_unknown_page_on_any_host_is_the_portal_in_dutch(
    client: httpx.Client, path: str, host: str
) -> None:
    response = client.get(path, headers={"Host": host})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    text = response.text
    assert '<html lang="nl"' in text
    assert "Pagina niet gevonden" in text
    for form in ('href="/checkin"', 'href="/need"', 'href="/offer"', 'href="/"'):
        assert form in text, form
    assert "Not Found" not in text and '"detail"' not in text


def test_a_known_page_on_a_foreign_host_is_served(client: httpx.Client) -> None:
    path, host = LOST[0]
    assert client.get(path, headers={"Host": host}).status_code == 200


@pytest.mark.parametrize(
    ("accept_language", "lang", "words"),
    [
        ("en-GB,en;q=0.9", "en", "Page not found"),
        ("ar", "ar", 'dir="rtl"'),
        ("pl-PL", "pl", "Inne języki"),
    ],
)
def test_the_not_found_page_speaks_the_visitors_language(
    client: httpx.Client, accept_language: str, lang: str, words: str
) -> None:
    response = client.get("/old/link", headers={"Accept-Language": accept_language, "Host": "example.org"})
    assert response.status_code == 404
    assert f'<html lang="{lang}"' in response.text
    assert words in response.text


def test_a_post_to_an_unknown_page_is_the_portal_too(client: httpx.Client) -> None:
    response = client.post("/contact-form", data={"name": "x"})
    assert response.status_code == 404
    assert "Pagina niet gevonden" in response.text


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing", "/api/v2/checkins", "/api/v1/admin/nothing", "/admin/api/nothing", "/api"],
)
def test_api_paths_keep_json_errors(client: httpx.Client, path: str) -> None:
    response = client.get(path, headers={"Host": "example.org"})
    assert response.status_code in (401, 404), response.text
    assert response.headers["content-type"] == "application/json"
    assert "detail" in response.json()


def test_other_http_errors_are_untouched(client: httpx.Client) -> None:
    wrong_method = client.get("/api/v1/checkins")
    assert wrong_method.status_code == 405
    assert wrong_method.json() == {"detail": "Method Not Allowed"}
    admin = client.get("/admin")
    assert admin.status_code == 303
    assert admin.headers["location"] == "/admin/login"
