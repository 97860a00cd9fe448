"""The resident portal through real HTTP: pages, forms, errors, double submits, garbage."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, func, select

from hub.config import load_settings
from hub.db import make_engine
from hub.models import CheckIn, Household, Need, Offer
from hub.schemas import AnnouncementCreate, CheckInCreate, NeedCreate
from hub.services import announcements, residents
from hub.services.state import put_state
from tests.conftest import LiveServer

FORMS: dict[str, tuple[str, type[SQLModel], dict[str, Any]]] = {
    "checkin": (
        "/checkin",
        CheckIn,
        {"address": "Kerkstraat 5", "status": "help", "people": "3", "note": "geen water"},
    ),
    "need": (
        "/need",
        Need,
        {
            "address": "Dorpsstraat 21",
            "category": "water",
            "urgency": "urgent",
            "description": "2 kinderen, geen auto",
        },
    ),
    "offer": (
        "/offer",
        Offer,
        {"category": "car", "description": "Ik heb een auto en zaterdag tijd", "contact": "06 12345678"},
    ),
    "household": (
        "/register",
        Household,
        {
            "registered_by": "neighbour",
            "address": "Molenweg 2",
            "special_attention": ["pregnant", "hearing_sight"],
            "people": "1",
            "agree": "yes",
            "given_by": "Jan de Vries",
            "share_upstream": "yes",
        },
    ),
}


def token_of(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, "the form has no token"
    return match[1]


def fresh_token(client: httpx.Client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return token_of(response.text)


def count(live: LiveServer, model: type[SQLModel]) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def write(live: LiveServer, job: Any) -> Any:
    return live.hub.db.writer.run_sync(job)


@pytest.mark.parametrize("kind", list(FORMS))
def test_form_saves_and_confirms_what_was_saved(client: httpx.Client, live: LiveServer, kind: str) -> None:
    path, model, data = FORMS[kind]
    token = fresh_token(client, path)
    response = client.post(path, data={**data, "token": token})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/bedankt/{kind}/")
    assert f"t={token}" in location
    page = client.get(location)
    assert page.status_code == 200
    assert "Dank u wel. Het is opgeslagen." in page.text
    assert page.headers["cache-control"] == "no-store"
    shown = {"checkin": "geen water", "need": "2 kinderen, geen auto", "offer": "06 12345678"}
    assert shown.get(kind, "Jan de Vries") in page.text
    assert count(live, model) == 1
    metrics = client.get("/metrics").text
    assert f'hub_submissions_total{{type="{kind}"}} 1' in metrics


def test_household_keeps_consent_and_flags(client: httpx.Client, live: LiveServer) -> None:
    path, _model, data = FORMS["household"]
    client.post(path, data={**data, "token": fresh_token(client, path)})
    with live.hub.db.read() as session:
        household = session.exec(select(Household)).one()
    assert household.special_attention == ["hearing_sight", "pregnant"]
    assert household.consent_given_by == "Jan de Vries"
    assert household.consent_share_upstream is True
    assert household.registered_by == "neighbour"
    without_share = {k: v for k, v in data.items() if k != "share_upstream"}
    client.post(path, data={**without_share, "address": "Molenweg 4", "token": fresh_token(client, path)})
    with live.hub.db.read() as session:
        second = session.exec(select(Household).where(Household.address == "Molenweg 4")).one()
    assert second.consent_share_upstream is False


def test_consent_is_required(client: httpx.Client, live: LiveServer) -> None:
    path, _model, data = FORMS["household"]
    without = {k: v for k, v in data.items() if k not in ("agree", "given_by")}
    response = client.post(path + "?lang=en", data={**without, "token": fresh_token(client, path)})
    assert response.status_code == 422
    assert 'id="e-agree"' in response.text
    assert 'id="e-given_by"' in response.text
    assert "Tick the box to give permission." in response.text
    assert count(live, Household) == 0


def test_field_errors_keep_values_and_name_the_field(client: httpx.Client, live: LiveServer) -> None:
    token = fresh_token(client, "/need")
    sent = {"address": "", "category": "water", "urgency": "urgent", "description": "x" * 501, "token": token}
    response = client.post("/need", data=sent)
    assert response.status_code == 422
    html = response.text
    assert 'class="error-summary"' in html
    assert 'href="#f-address"' in html
    assert re.search(
        r'id="f-address"[^>]*aria-describedby="h-address e-address"[^>]*aria-invalid="true"', html
    )
    assert "Vul uw straat en huisnummer in" in html
    assert "Dit is te lang. Gebruik hoogstens 500 tekens." in html
    assert re.search(r'value="water"[^>]*checked', html)
    assert re.search(r'value="urgent"[^>]*checked', html)
    assert "x" * 501 in html  # kept, to shorten
    assert token_of(html) == token
    assert count(live, Need) == 0
    english = client.post(
        "/checkin?lang=en", data={"token": token, "address": "Kerkstraat 5", "people": "many"}
    )
    assert english.status_code == 422
    assert "Choose: we are OK, or we need help." in english.text
    assert "Fill in a number from 1 to 50, or leave it empty." in english.text
    assert 'value="Kerkstraat 5"' in english.text
    assert 'value="many"' in english.text
    assert '<html lang="en"' in english.text


def test_double_submit_makes_one_row_and_one_confirmation(client: httpx.Client, live: LiveServer) -> None:
    for kind, (path, model, data) in FORMS.items():
        token = fresh_token(client, path)
        first = client.post(path, data={**data, "token": token})
        second = client.post(path, data={**data, "token": token})
        assert first.status_code == second.status_code == 303, kind
        assert first.headers["location"] == second.headers["location"]
        assert count(live, model) == 1, kind


def test_a_token_used_for_another_form_saves_nothing_twice(client: httpx.Client, live: LiveServer) -> None:
    token = fresh_token(client, "/checkin")
    assert client.post("/checkin", data={**FORMS["checkin"][2], "token": token}).status_code == 303
    response = client.post("/need", data={**FORMS["need"][2], "token": token})
    assert response.status_code == 409
    assert token_of(response.text) != token
    assert count(live, Need) == 0


def test_confirmation_shows_nothing_without_its_token(client: httpx.Client, live: LiveServer) -> None:
    path, _model, data = FORMS["need"]
    location = client.post(path, data={**data, "token": fresh_token(client, path)}).headers["location"]
    record_path, token = location.split("?t=")[0], location.split("t=")[1].split("&")[0]
    other = fresh_token(client, path)
    for url in (
        record_path,
        f"{record_path}?t={other}",
        f"{record_path}?t=short",
        record_path.replace("/need/", "/offer/") + f"?t={token}",
        f"/bedankt/nothing/x?t={token}",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Dorpsstraat" not in response.text


def test_life_threatening_need_says_call_112_and_is_saved(client: httpx.Client, live: LiveServer) -> None:
    form = client.get("/need").text
    assert "Levensgevaar? Bel eerst 112. Stuur daarna dit formulier" in form
    data = {
        "address": "Dorpsstraat 21",
        "category": "medical_device",
        "urgency": "life",
        "description": "zuurstof",
    }
    response = client.post("/need", data={**data, "token": token_of(form)}, follow_redirects=True)
    assert response.status_code == 200
    assert "Bel nu 112." in response.text
    assert 'role="alert"' in response.text
    with live.hub.db.read() as session:
        assert session.exec(select(Need)).one().urgency == "life"
    normal = client.post(
        "/need",
        data={**data, "urgency": "normal", "token": fresh_token(client, "/need")},
        follow_redirects=True,
    )
    assert "Bel nu 112." not in normal.text


def test_oversized_form_is_refused(client: httpx.Client, live: LiveServer) -> None:
    token = fresh_token(client, "/checkin")
    big = {"token": token, "address": "Kerkstraat 5", "status": "ok", "note": "x" * 20_000}
    assert client.post("/checkin", data=big).status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the streamed body is counted
        yield f"token={token}&address=Kerkstraat+5&status=ok&note=".encode()
        for _ in range(40):
            yield b"y" * 1000

    streamed = client.post(
        "/checkin", content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert streamed.status_code == 413
    assert count(live, CheckIn) == 0


GARBAGE: list[tuple[str, bytes, str]] = [
    ("empty", b"", "application/x-www-form-urlencoded"),
    ("no fields", b"token=&", "application/x-www-form-urlencoded"),
    (
        "wrong types",
        b"people=abc&status=7&category[]=x&urgency=9&special_attention=",
        "application/x-www-form-urlencoded",
    ),
    (
        "unknown category",
        b"category=unicorn&urgency=soon&status=maybe&registered_by=king",
        "application/x-www-form-urlencoded",
    ),
    (
        "huge strings",
        b"address=" + b"a" * 9000 + b"&description=" + b"b" * 6000,
        "application/x-www-form-urlencoded",
    ),
    (
        "non-utf8",
        b"address=\xff\xfe\xfd&description=\xc3\x28&status=\x80",
        "application/x-www-form-urlencoded",
    ),
    ("percent non-utf8", b"address=%FF%FE&status=ok&note=%C3%28%00", "application/x-www-form-urlencoded"),
    ("json", b'{"address": "Kerkstraat 5", "status": "ok"}', "application/json"),
    (
        "broken multipart",
        b'--xx\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff',
        "multipart/form-data; boundary=xx",
    ),
    ("no boundary", b"address=x", "multipart/form-data"),
    (
        "a file",
        b'--b\r\nContent-Disposition: form-data; name="address"; filename="a.txt"\r\n\r\nhello\r\n--b--\r\n',
        "multipart/form-data; boundary=b",
    ),
    ("many fields", b"&".join(b"f%d=1" % i for i in range(500)), "application/x-www-form-urlencoded"),
    ("binary", bytes(range(256)) * 4, "application/octet-stream"),
]


@pytest.mark.parametrize(("name", "body", "content_type"), GARBAGE, ids=[g[0] for g in GARBAGE])
def test_garbage_never_gives_a_500(
    client: httpx.Client, live: LiveServer, name: str, body: bytes, content_type: str
) -> None:
    token = fresh_token(client, "/checkin")
    for path, _model, _data in FORMS.values():
        for payload in (body, body + f"&token={token}".encode()):
            response = client.post(path, content=payload, headers={"content-type": content_type})
            assert 400 <= response.status_code < 500, (name, path, response.status_code)
            assert "<html" in response.text or response.status_code == 413
    for model in (CheckIn, Need, Offer, Household):
        assert count(live, model) == 0


def test_unreadable_values_become_field_errors_not_rows(client: httpx.Client, live: LiveServer) -> None:
    token = fresh_token(client, "/checkin")
    body = f"token={token}&address=%FF%FE&status=ok".encode()
    response = client.post(
        "/checkin", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 422  # two replacement characters are not an address
    assert 'id="e-address"' in response.text


def test_rate_limit_gives_a_plain_429_page(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "rl", rate_limit=2, secret_key="test-secret-key-0123456789-abcdefghijklmnop"
    )
    with LiveServer(settings) as live, live.client() as client:
        path, _model, data = FORMS["checkin"]
        statuses = [
            client.post(path, data={**data, "token": fresh_token(client, path)}).status_code for _ in range(3)
        ]
        assert statuses == [303, 303, 429]
        response = client.post(path + "?lang=en", data={**data, "token": fresh_token(client, path)})
        assert response.status_code == 429
        assert response.headers["retry-after"] == "60"
        assert "Your last form was not saved." in response.text
        assert count(live, CheckIn) == 2


def test_database_unavailable_gives_503_with_values_kept(client: httpx.Client, live: LiveServer) -> None:
    path, _model, data = FORMS["need"]
    token = fresh_token(client, path)
    live.hub.db.writer.stop()
    response = client.post(path, data={**data, "token": token})
    assert response.status_code == 503
    assert "Niet opgeslagen." in response.text
    assert 'value="Dorpsstraat 21"' in response.text
    assert token_of(response.text) == token
    live.hub.db.writer.start()
    assert client.post(path, data={**data, "token": token}).status_code == 303  # the same token, once
    assert count(live, Need) == 1


def test_unreadable_database_gives_a_503_page(client: httpx.Client, live: LiveServer, tmp_path: Path) -> None:
    working: Engine = live.hub.db.read_engine
    live.hub.db.read_engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/hub.sqlite3", writer=False)
    try:
        response = client.get("/?lang=en")
    finally:
        live.hub.db.read_engine = working
    assert response.status_code == 503
    assert "The hub cannot save or show this right now." in response.text
    assert client.get("/").status_code == 200


def test_home_shows_mode_news_in_my_language_and_counts_only(client: httpx.Client, live: LiveServer) -> None:
    def seed(session: Session) -> None:
        put_state(session, "mode", {"mode": "crisis"})
        announcements.create_announcement(
            session,
            live.hub.ctx,
            AnnouncementCreate(title="Kook water", body="Drie minuten koken.", priority="info"),
            actor="test",
        )
        announcements.create_announcement(
            session,
            live.hub.ctx,
            AnnouncementCreate(
                title="Stroomstoring",
                body="Opladen in het buurthuis.",
                priority="urgent",
                translations={"en": {"title": "Power cut", "body": "Charge phones at the centre."}},
            ),
            actor="test",
        )
        for address in ("Kerkstraat 5", "kerkstraat  5", "Molenweg 2"):
            residents.create_checkin(session, live.hub.ctx, CheckInCreate(address=address, status="ok"))
        for category in ("water", "water", "food"):
            residents.create_need(
                session,
                live.hub.ctx,
                NeedCreate(address="Geheimstraat 9", category=category, description="Geheime tekst"),
            )

    write(live, seed)
    dutch = client.get("/").text
    assert "Crisis." in dutch
    assert dutch.index("Stroomstoring") < dutch.index("Kook water")  # urgent first
    assert "2 huishoudens lieten weten hoe het gaat." in dutch
    assert re.search(r"Water</span><span class=\"count\">2<", dutch)
    assert re.search(r"Eten</span><span class=\"count\">1<", dutch)
    for private in ("Geheimstraat", "Geheime tekst", "Kerkstraat", "Molenweg"):
        assert private not in dutch
    english = client.get("/?lang=en").text
    assert "Power cut" in english
    assert "Stroomstoring" not in english
    assert "Kook water" in english
    assert "This message is only in Dutch." in english  # said once, for the untranslated one
    assert english.count("This message is only in Dutch.") == 1
    assert '<h3 lang="nl" dir="ltr">Kook water' in english
    assert "2 households have said how they are." in english
    arabic = client.get("/?lang=ar").text
    assert '<html lang="ar" dir="rtl">' in arabic
    assert '<h3 lang="nl" dir="ltr">' in arabic  # Dutch text, marked and set left-to-right
    assert arabic.count("هذه الرسالة متوفرة بالهولندية فقط.") == 2  # both are Dutch-only here


def test_every_page_has_the_language_switch_and_landmarks(client: httpx.Client) -> None:
    for path in ("/", "/checkin", "/need", "/offer", "/register", "/announcements", "/privacy", "/selfcheck",
                 "/volunteer"):  # fmt: skip
        html = client.get(path).text
        for code in ("en", "ar", "tr", "pl", "uk"):  # the others, behind "Andere talen"
            assert f'href="{path}?lang={code}"' in html, path
        assert '<details class="langs">' in html and "Andere talen" in html
        assert '<html lang="nl" dir="ltr">' in html
        for landmark in ('class="skip" href="#main"', "<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in html, (path, landmark)
        assert "<script" not in html
        assert 'href="/privacy"' in html


def test_language_choice_is_remembered(client: httpx.Client) -> None:
    response = client.get("/?lang=en")
    assert '<html lang="en"' in response.text
    assert response.cookies.get("lang") == "en"
    assert '<html lang="en"' in client.get("/offer").text
    assert '<html lang="nl"' in client.get("/offer?lang=nl").text
    assert (
        '<html lang="en"'
        in httpx.get(client.base_url.join("/"), headers={"accept-language": "en-GB,en;q=0.9"}).text
    )


def test_confirmation_language_switch_keeps_the_token(client: httpx.Client) -> None:
    path, _model, data = FORMS["offer"]
    location = client.post(path, data={**data, "token": fresh_token(client, path)}).headers["location"]
    token = location.split("t=")[1].split("&")[0]
    html = client.get(location).text
    switch = re.search(r'href="([^"]*lang=en[^"]*)"', html)
    assert switch
    assert f"t={token}" in switch[1]
    english = client.get(switch[1].replace("&amp;", "&"))
    assert "Thank you. It is saved." in english.text


def test_privacy_page_says_what_who_how_long_and_how_to_delete(client: httpx.Client) -> None:
    html = client.get("/privacy?lang=en").text
    for words in ("about health", "coordinators", "12 months", "delete", "Autoriteit Persoonsgegevens"):
        assert words in html
    assert "only numbers and street names" in html  # the default share level: aggregate


def test_forms_are_not_cached(client: httpx.Client) -> None:
    for path, _model, _data in FORMS.values():
        response = client.get(path)
        assert response.headers["cache-control"] == "no-store"
        assert token_of(response.text) != token_of(client.get(path).text)


@pytest.mark.parametrize(
    ("kind", "lang", "honest"),
    [
        (
            "checkin",
            "nl",
            "Het staat op de lijst van de coördinatoren. Nog geen coördinator heeft het gezien.",
        ),
        ("need", "nl", "Het staat op de lijst van de coördinatoren. Nog geen coördinator heeft het gezien."),
        ("checkin", "en", "It is on the coordinators' list. No coordinator has seen it yet."),
        ("need", "en", "It is on the coordinators' list. No coordinator has seen it yet."),
    ],
)
def test_the_confirmation_promises_only_what_happened(
    client: httpx.Client, kind: str, lang: str, honest: str
) -> None:
    """Saved, on the list; nobody has seen it yet: no "the coordinators know", no "someone will come"."""
    path, _model, data = FORMS[kind]
    token = fresh_token(client, path)
    location = client.post(path, data={**data, "token": token}).headers["location"]
    page = html.unescape(client.get(f"{location}&lang={lang}").text)
    assert honest in page
    for promise in ("weten nu", "Iemand komt langs", "now know", "Someone will come"):
        assert promise not in page
