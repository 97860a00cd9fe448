"""Signals from the portal through real HTTP: a neighbour's concern in every portal language,
sent twice and stored once, the 112 guidance for danger to life, bad input refused and nothing
stored; what leaves the hub is only the open signals counted per street."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlmodel import col, func, select

from hub import i18n
from hub.models import OutboxEvent, Signal
from tests.conftest import LiveServer
from tests.test_portal import fresh_token

SIGNAL = {
    "category": "not_seen",
    "life": "no",
    "address": "Molenweg 12",
    "description": "Mijn buurvrouw op nummer 12 heb ik sinds maandag niet gezien",
    "contact": "06 12345678",
}


def signals(live: LiveServer) -> list[Signal]:
    with live.hub.db.read() as session:
        return list(session.exec(select(Signal).order_by(col(Signal.pk))).all())


def outbox(live: LiveServer) -> list[tuple[str, dict[str, object]]]:
    with live.hub.db.read() as session:
        rows = session.exec(select(OutboxEvent).order_by(col(OutboxEvent.seq))).all()
        return [(row.type, dict(row.data)) for row in rows]


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_a_signal_from_the_portal_in_every_language(
    client: httpx.Client, live: LiveServer, lang: str
) -> None:
    form = client.get(f"/signal?lang={lang}")
    assert form.status_code == 200
    assert f'<html lang="{lang}"' in form.text
    home = client.get(f"/?lang={lang}")
    assert 'href="/signal"' in home.text  # one of the home page's big buttons
    token = fresh_token(client, f"/signal?lang={lang}")
    response = client.post(f"/signal?lang={lang}", data={**SIGNAL, "token": token})
    assert response.status_code == 303, response.text[:2000]
    location = response.headers["location"]
    assert location.startswith("/bedankt/signal/")
    again = client.post(f"/signal?lang={lang}", data={**SIGNAL, "token": token})  # pressed twice
    assert again.status_code == 303 and again.headers["location"] == location
    thanks = client.get(location)
    assert thanks.status_code == 200
    assert f'<html lang="{lang}"' in thanks.text
    assert SIGNAL["description"] in thanks.text
    assert "06 12345678" in thanks.text
    with i18n.using(lang):
        assert i18n.gettext("Someone I have not seen for a while") in thanks.text
    (stored,) = signals(live)
    assert (stored.category, stored.life, stored.address, stored.status) == (
        "not_seen",
        False,
        "Molenweg 12",
        "new",
    )
    assert stored.source == "portal" and stored.street_key == "molenweg"
    assert 'hub_submissions_total{type="signal"} 2' in client.get("/metrics").text  # a replay counts again


def test_danger_to_life_shows_112_and_an_address_is_optional(client: httpx.Client, live: LiveServer) -> None:
    form = client.get("/signal?lang=nl")
    assert "112" in form.text
    data = {"category": "street_danger", "life": "yes", "description": "Gaslucht bij de speeltuin"}
    response = client.post("/signal", data={**data, "token": fresh_token(client, "/signal")})
    assert response.status_code == 303
    thanks = client.get(response.headers["location"])
    assert 'href="tel:112"' in thanks.text and 'role="alert"' in thanks.text
    (stored,) = signals(live)
    assert stored.life is True and stored.address is None and stored.street_key == ""


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": ""}, "category"),
        ({"category": "lava"}, "category"),
        ({"description": "   "}, "description"),
        ({"description": "x" * 501}, "description"),
        ({"life": "maybe"}, "life"),
        ({"address": "ab"}, "address"),
        ({"contact": "y" * 81}, "contact"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_stored(
    client: httpx.Client, live: LiveServer, change: dict[str, str], field: str
) -> None:
    before = outbox(live)
    response = client.post(
        "/signal?lang=en", data={**SIGNAL, **change, "token": fresh_token(client, "/signal")}
    )
    assert response.status_code == 422
    assert f'href="#f-{field}"' in response.text  # the error summary links to the field
    assert re.search(rf'id="e-{field}"', response.text)
    assert signals(live) == []
    assert outbox(live) == before


def test_a_broken_token_stores_nothing(client: httpx.Client, live: LiveServer) -> None:
    response = client.post("/signal", data={**SIGNAL, "token": "short"})
    assert response.status_code == 400
    assert signals(live) == []


def test_only_counts_per_street_leave_the_hub(client: httpx.Client, live: LiveServer) -> None:
    for address, category in (
        ("Molenweg 12", "not_seen"),
        ("Molenweg 3", "building"),
        ("Kerkstraat 5", "care"),
    ):
        data = {**SIGNAL, "address": address, "category": category}
        assert (
            client.post("/signal", data={**data, "token": fresh_token(client, "/signal")}).status_code == 303
        )
    sent = [(kind, data) for kind, data in outbox(live) if kind.startswith("signal")]
    assert [kind for kind, _ in sent] == ["signal.street_counts"] * 3
    assert sent[-2][1] == {
        "street": "molenweg",
        "open": 2,
        "by_category": {"building": 1, "not_seen": 1},
        "drill": False,
    }
    assert sent[-1][1] == {"street": "kerkstraat", "open": 1, "by_category": {"care": 1}, "drill": False}
    everything = repr(outbox(live))
    for private in ("12", "Kerkstraat 5", "06 12345678", "buurvrouw", *(s.id for s in signals(live))):
        assert private not in everything
    with live.hub.db.read() as session:
        assert session.exec(select(func.count()).select_from(Signal)).one() == 3
