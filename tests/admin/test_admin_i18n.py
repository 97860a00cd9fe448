"""The admin in Dutch (and English), announcements in many languages, flyers and posters per language."""

from __future__ import annotations

import re

import httpx
import pytest

from hub import i18n
from tests.admin.conftest import Admin
from tests.conftest import LiveServer


def test_admin_pages_are_dutch_by_default_and_offer_only_dutch_and_english(admin: Admin) -> None:
    for path in ("/admin", "/admin/needs", "/admin/tasks", "/admin/households", "/admin/announcements"):
        html = admin.http.get(path).text
        assert '<html lang="nl" dir="ltr">' in html, path
        assert "Overzicht" in html  # the menu, in Dutch
        assert "Overview" not in html
    assert "Normale stand" in admin.http.get("/admin").text
    english = admin.http.get("/admin?lang=en").text
    assert '<html lang="en" dir="ltr">' in english
    assert "Normal mode" in english
    # A portal language the admin has no words for: the coordinator gets Dutch, not half-English.
    admin.http.cookies.set("lang", "ar")  # chosen on the portal, on the same tablet
    arabic = admin.http.get("/admin?lang=ar").text
    assert '<html lang="nl" dir="ltr">' in arabic
    assert 'hreflang="ar"' not in arabic


def test_an_announcement_carries_the_languages_filled_in(admin: Admin, live: LiveServer) -> None:
    form = admin.http.get("/admin/announcements").text
    for code in ("en", "ar", "tr", "pl", "uk"):
        assert f'name="title_{code}"' in form
        assert f'name="body_{code}"' in form
    assert 'name="title_ar" maxlength="120" lang="ar" dir="rtl"' in form
    assert 'name="title_nl"' not in form  # Dutch is the main text
    sent = admin.post_form(
        "/admin/announcements",
        {
            "title": "Water koken",
            "body": "Kook water 3 minuten.",
            "priority": "warning",
            "title_tr": "Suyu kaynatın",
            "body_tr": "Suyu 3 dakika kaynatın.",
            "title_pl": "Tylko tytuł",  # no text: half a translation is left out
            "title_ar": "اغلِ الماء",
            "body_ar": "اغلِ الماء 3 دقائق.",
        },
    )
    assert sent.status_code == 303
    assert "error" not in sent.headers["location"]
    item = admin.http.get("/api/v1/admin/announcements").json()["items"][0]
    assert item["translations"] == {
        "tr": {"title": "Suyu kaynatın", "body": "Suyu 3 dakika kaynatın."},
        "ar": {"title": "اغلِ الماء", "body": "اغلِ الماء 3 دقائق."},
    }
    with live.client() as resident:
        turkish = resident.get("/announcements?lang=tr").text
        assert "Suyu 3 dakika kaynatın." in turkish
        assert "Kook water" not in turkish
        assert "Bu mesaj yalnızca Hollandaca." not in turkish
        polish = resident.get("/announcements?lang=pl").text
        assert "Kook water 3 minuten." in polish
        assert "Tylko tytuł" not in polish
        assert "Ta wiadomość jest tylko po niderlandzku." in polish
        arabic = resident.get("/announcements?lang=ar").text
        assert "اغلِ الماء 3 دقائق." in arabic
    listing = admin.http.get("/admin/announcements").text
    assert re.search(r'<span class="badge" title="Vertaald">tr</span>', listing)


def test_the_api_takes_translations(bearer: httpx.Client, live: LiveServer) -> None:
    body = {
        "title": "Stroom",
        "body": "Laden in het buurthuis.",
        "translations": {"uk": {"title": "Світло", "body": "Заряджайте в центрі."}},
    }
    assert bearer.post("/api/v1/admin/announcements", json=body).status_code == 201
    with live.client() as resident:
        assert "Заряджайте в центрі." in resident.get("/?lang=uk").text


@pytest.mark.parametrize("kind", ["flyer", "poster"])
def test_flyer_and_poster_in_every_language(admin: Admin, kind: str) -> None:
    words = {"nl": "Bel 112", "en": "Call 112", "ar": "112", "tr": "112", "pl": "112", "uk": "112"}
    for code in i18n.LANGUAGES:
        response = admin.http.get(f"/admin/print/{kind}?lang={code}")
        assert response.status_code == 200, code
        html = response.text
        rtl = "rtl" if code == "ar" else "ltr"
        assert f'<html lang="{code}" dir="{rtl}">' in html, code
        assert words[code] in html.replace("Bel nu 112", "Bel 112"), code
        assert html.count('src="data:image/svg+xml') == 2, code  # Wi-Fi and portal QR, made on the hub
        assert 'href="/static/print.css"' in html
        assert "set-cookie" not in response.headers  # a printed language is not the coordinator's
        for other in i18n.LANGUAGES:  # switch the paper's language in one tap
            assert f'href="?lang={other}"' in html
    flyer_ar = admin.http.get(f"/admin/print/{kind}?lang=ar").text
    assert "خطر على الحياة؟ اتصل بالرقم 112." in flyer_ar
    assert admin.http.get(f"/admin/print/{kind}?lang=xx").text.startswith('<!doctype html>\n<html lang="nl"')


def test_the_export_page_lists_paper_per_language(admin: Admin) -> None:
    html = admin.http.get("/admin/export").text
    for code in i18n.LANGUAGES:
        assert f'href="/admin/print/flyer?lang={code}"' in html
        assert f'href="/admin/print/poster?lang={code}"' in html
