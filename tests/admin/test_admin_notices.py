"""Notices and errors after a form travel as ids from a fixed list; no text from a link reaches a page."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest

from hub import i18n
from hub.web.admin import notices
from tests.admin.conftest import Admin

PAYLOAD = '<meta http-equiv="refresh" content="0;url=http://127.0.0.9/">'
PAGES = ["/admin", "/admin/tasks", "/admin/households", "/admin/announcements", "/admin/audit"]


@pytest.mark.parametrize("url", PAGES)
def test_text_in_the_address_is_not_shown(admin: Admin, url: str) -> None:
    for key in ("error", "ok", "field"):
        page = admin.http.get(
            url, params={key: PAYLOAD, "error": "invalid"} if key == "field" else {key: PAYLOAD}
        )
        assert page.status_code == 200
        assert PAYLOAD not in page.text
        assert html.escape(PAYLOAD) not in page.text
        assert 'http-equiv="refresh"' not in page.text
    unknown = admin.http.get(url, params={"error": "no_such_id", "ok": "no_such_id"}).text
    assert 'class="error"' not in unknown
    assert 'class="notice"' not in unknown
    assert "no_such_id</p>" not in unknown


def _translated(code: str, message: str) -> str:
    return html.escape(i18n.translations_for(code).gettext(message), quote=False)


@pytest.mark.parametrize("code", ["nl", "en"])
def test_every_known_id_shows_its_translated_text(admin: Admin, code: str) -> None:
    headers = {"Accept-Language": code}
    for message_id, message in notices.NOTICES.items():
        page = admin.http.get("/admin", params={"ok": message_id}, headers=headers).text
        assert f"✓ {_translated(code, message)}</p>" in page, (code, message_id)
    for message_id, message in notices.ERRORS.items():
        page = admin.http.get("/admin", params={"error": message_id}, headers=headers).text
        assert f"⚠ {_translated(code, message)}</p>" in page, (code, message_id)
    for field, label in notices.FIELDS.items():
        page = admin.http.get("/admin", params={"error": "invalid", "field": field}, headers=headers).text
        assert _translated(code, label) in page.split('role="alert"')[1].split("</p>")[0], (code, field)
    dutch = admin.http.get("/admin", params={"error": "confirm"}, headers={"Accept-Language": "nl"}).text
    assert "zet een vinkje om te bevestigen" in dutch


def test_a_refused_form_comes_back_with_ids_only(admin: Admin) -> None:
    refused = admin.post_form(
        "/admin/households",
        {"address": "K" * 500, "consent_given_by": "mevr. J", "special_attention": "alone_75plus"},
    )
    assert refused.status_code == 303
    query = parse_qs(urlsplit(refused.headers["location"]).query)
    assert query == {"error": ["invalid"], "field": ["address"]}
    page = admin.http.get(refused.headers["location"], headers={"Accept-Language": "en"}).text
    assert "check what you filled in (field: Address)" in page
    clash = admin.post_form("/admin/tasks/no-such-task/accept")
    assert parse_qs(urlsplit(clash.headers["location"]).query) == {"error": ["not_found"]}
