"""``hub region serve`` over real HTTP on a real PostgreSQL: login, roles, CSRF, audit, the
overview and one hub's page, share levels, messages to hubs, bad input."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub.domain.sharing import shape_event
from hub.region import accounts, delivery_view
from hub.region.store import hubs_table, outbox_table
from hub.region.web import Region
from tests.region.conftest import PASSWORD, HubFeed, RegionServer, csrf_of, status_data


def outbox(region: Region) -> list[tuple[str, bytes]]:
    with region.engine.connect() as conn:
        return [(t, bytes(p)) for t, p in conn.execute(select(outbox_table.c.topic, outbox_table.c.payload))]


ROW = re.compile(r'<tr class="dl-row" data-hub="([^"]+)">.*?<span class="badge dl-\w+">([^<]+)</span>', re.S)


def rows(page: str, message_id: str) -> dict[str, str]:
    """The send page's per-hub states of one message: {hub id: state as shown}."""
    section = page.split(f'id="message-{message_id}"')[1].split("</section>")[0]
    return dict(ROW.findall(section))


def test_pages_need_a_login(region_server: RegionServer) -> None:
    with region_server.client() as client:
        for path in ("/", "/send", "/audit", "/hubs/hub-a"):
            answer = client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login")
        assert client.get("/login").status_code == 200
        assert client.get("/healthz").text == "ok"


def test_wrong_password_is_refused_and_audited(region_server: RegionServer, region: Region) -> None:
    with region_server.client() as client:
        answer = client.post("/login", data={"name": "olga", "password": "not-her-password"})
        assert answer.status_code == 401
        assert "Naam of wachtwoord klopt niet" in answer.text or "Name or password is wrong" in answer.text
        assert client.get("/", follow_redirects=False).status_code == 303
        empty = client.post("/login", data={"name": "", "password": ""})
        assert empty.status_code == 422
    actions = [(line.actor, line.action) for line in accounts.audit_lines(region.engine)]
    assert ("olga", "login.failed") in actions


def test_overview_shows_every_hub_and_the_stale_one_stands_out(
    region_server: RegionServer, region: Region
) -> None:
    a = HubFeed(region.store, "hub-a")
    a.send(
        "hub.status",
        status_data(
            "Wijk Noord",
            52.09,
            5.12,
            mode="crisis",
            households_ok=40,
            households_help=3,
            open_needs_by_urgency={"life": 2, "urgent": 1},
            special_attention_not_reached=4,
        )
        | {"open_alerts": 1, "addresses_known": 100},
    )
    a.send("alert.raised", {"id": "al-2", "kind": "sos"})
    b = HubFeed(region.store, "hub-b")
    b.send(
        "hub.status",
        status_data("Wijk Zuid", 52.05, 5.10)
        | {"clock_trusted": False, "links": {"mesh": False, "sync": True}, "outbox": {"unsent": 7}},
    )
    b.send("hub.mode_changed", {"mode": "drill", "previous": "normal"})
    with region.engine.begin() as conn:  # hub-b was last heard two hours ago
        conn.execute(
            update(hubs_table)
            .where(hubs_table.c.hub == "hub-b")
            .values(last_seen=datetime.now(UTC) - timedelta(hours=2))
        )
    with region_server.login("victor") as client:
        page = client.get("/?lang=en").text
    assert "Wijk Noord" in page and "Wijk Zuid" in page
    assert page.index("Wijk Zuid") < page.index("Wijk Noord", page.index("<table"))  # stale first
    assert "not heard from for 2.0 h" in page  # in words, not by colour only
    assert 'class="stale' in page
    assert "40 / <strong>3</strong> / 57" in page  # OK / help / not heard from
    assert 'data-label="Life-threatening needs" class="num"><strong>⚠ 2</strong>' in page
    assert 'data-label="SOS" class="num"><strong>⚠ 2</strong>' in page  # one in the status, one since
    assert 'data-label="Special attention not reached" class="num">4<' in page
    assert ">drill<" in page  # the mode change after hub-b's last status
    assert page.count("⚠ not trusted") == 1 and page.count(">trusted<") == 1  # clocks
    assert page.count("⚠ not connected") == 1 and "unsent: 7" in page  # hub-b's radio and backlog
    assert "2 of 2" in page  # each hub confirmed to its highest seq
    assert page.count('<a href="/hubs/hub-') >= 4  # on the map and in the table
    assert (
        '/ <span class="small">not sent</span></td>' in page and "&lt;span" not in page
    )  # hub-b: no register


def test_hub_page_shows_only_what_the_hub_shared(region_server: RegionServer, region: Region) -> None:
    need = {
        "id": "n1",
        "address": "Kerkstraat 12",
        "category": "water",
        "urgency": "life",
        "description": "Mevrouw Jansen, 2e etage",
        "status": "open",
        "source": "portal",
        "drill": False,
    }
    offer = {
        "id": "o1",
        "category": "car",
        "description": "Blauwe Volvo",
        "address": "Dorpsweg 3",
        "contact": "06-12345678",
        "drill": False,
    }
    aggregate = HubFeed(region.store, "hub-agg")
    aggregate.send("need.created", shape_event("need", need, "aggregate"))
    aggregate.send("offer.created", shape_event("offer", offer, "aggregate"))
    aggregate.send("need.created", shape_event("need", {**need, "id": "n2"}, "aggregate"))
    aggregate.send("need.status", {"id": "n2", "status": "resolved", "duplicate_of": None})
    aggregate.send("need.created", shape_event("need", {**need, "id": "n3"}, "aggregate"))
    aggregate.send("need.deleted", {"id": "n3"})
    sharing = HubFeed(region.store, "hub-needs")
    sharing.send("need.created", shape_event("need", need, "needs"))
    with region_server.login("victor") as client:
        shown = client.get("/hubs/hub-agg?lang=en").text
        full = client.get("/hubs/hub-needs?lang=en").text
        missing = client.get("/hubs/no-such-hub?lang=en")
    assert "kerkstraat" in shown and "Water" in shown and "A car for transport" in shown
    assert "6 events in these 48 hours." in shown  # the plot: one bar, this hour
    assert shown.split('id="plot-heading"')[1].split("</svg>")[0].count("<rect") == 1
    for private in ("Kerkstraat 12", "Jansen", "Volvo", "06-12345678", "Dorpsweg 3"):
        assert private not in shown
    assert shown.count("LIFE-THREATENING") == 1  # n2 resolved, n3 deleted
    assert "Kerkstraat 12" in full and "Mevrouw Jansen" in full  # this hub shares needs whole
    assert missing.status_code == 404
    assert "heard nothing from a hub with this id" in missing.text


def test_officer_sends_viewer_only_looks(region_server: RegionServer, region: Region) -> None:
    HubFeed(region.store, "hub-a").send("hub.status", status_data("Wijk Noord", 52.09, 5.12))
    HubFeed(region.store, "hub-b").send("hub.status", status_data("Wijk Zuid", 52.05, 5.10))
    with region_server.login("victor") as viewer:
        page = viewer.get("/send?lang=en").text
        assert 'action="/send"' not in page
        refused = viewer.post(
            "/send",
            data={"csrf": csrf_of(page), "kind": "announcement", "title": "T", "body": "B", "to": "all"},
        )
        assert refused.status_code == 403
    assert outbox(region) == []
    with region_server.login("olga") as officer:
        page = officer.get("/send?lang=en").text
        token = csrf_of(page)
        form = {
            "csrf": token,
            "kind": "announcement",
            "title": "Water",
            "body": "Kook water af.",
            "to": "all",
        }
        assert officer.post("/send", data={**form, "csrf": "wrong"}).status_code == 403
        assert officer.post("/send", data={k: v for k, v in form.items() if k != "csrf"}).status_code == 403
        assert outbox(region) == []
        sent = officer.post("/send", data={**form, "priority": "urgent"})
        assert sent.status_code == 303
        cap = officer.post(
            "/send",
            data={
                **form,
                "kind": "cap",
                "title": "Oefening",
                "drill": "1",
                "to": "some",
                "hub": ["hub-b"],
            },
        )
        assert cap.status_code == 303
        listing = officer.get(cap.headers["location"] + "&lang=en").text
        water, drill = (m.id for m in delivery_view.recent(region.store, 2)[::-1])
        assert cap.headers["location"] == f"/send?sent={drill}"
        assert rows(listing, water) == {"hub-a": "waiting for a broker", "hub-b": "waiting for a broker"}
        assert rows(listing, drill) == {"hub-b": "waiting for a broker"}
        assert "by olga" in listing and "all hubs" in listing
        audit = officer.get("/audit?lang=en").text
        assert "message sent to hubs" in audit and "Oefening" in audit
    topics = sorted(topic for topic, _ in outbox(region))
    assert topics == ["buurtbaken/v1/broadcast/announcements", "buurtbaken/v1/hubs/hub-b/announcements"]
    broadcast = json.loads(next(p for t, p in outbox(region) if t.endswith("broadcast/announcements")))
    assert broadcast["title"] == "Water" and broadcast["priority"] == "urgent" and broadcast["send_mesh"]
    assert broadcast["sender"] == "olga"
    alert = next(p for t, p in outbox(region) if t.endswith("hub-b/announcements"))
    assert b"<status>Exercise</status>" in alert and b"Oefening" in alert
    # Sent, per hub, once a broker acknowledged it.
    with region.engine.connect() as conn:
        (broadcast_row,) = conn.execute(
            select(outbox_table.c.id).where(outbox_table.c.topic.like("%/broadcast/%"))
        ).scalars()
    region.store.mark_sent("broker-a:1883", [broadcast_row])
    with region_server.login("victor") as viewer:
        assert rows(viewer.get("/send?lang=en").text, water) == {"hub-a": "sent", "hub-b": "sent"}
        assert viewer.get("/audit").status_code == 403


def test_bad_input_gets_a_clear_error_and_sends_nothing(region_server: RegionServer, region: Region) -> None:
    HubFeed(region.store, "hub-a").send("hub.status", status_data("Wijk Noord", 52.09, 5.12))
    with region_server.login("olga") as officer:
        token = csrf_of(officer.get("/send").text)
        cases = [
            (
                {"kind": "announcement", "title": "", "body": "B", "to": "all"},
                "a title of 1 to 120 characters",
            ),
            ({"kind": "announcement", "title": "T" * 121, "body": "B", "to": "all"}, "a title of 1 to 120"),
            ({"kind": "announcement", "title": "T", "body": "", "to": "all"}, "a text of 1 to 2,000"),
            ({"kind": "telegram", "title": "T", "body": "B", "to": "all"}, "choose an announcement or a CAP"),
            ({"kind": "announcement", "title": "T", "body": "B", "to": "some"}, "choose at least one hub"),
            (
                {"kind": "announcement", "title": "T", "body": "B", "to": "some", "hub": "hub-zz"},
                "unknown to the region",
            ),
            (
                {"kind": "announcement", "title": "T", "body": "B", "to": "mars"},
                "choose all hubs or a selection",
            ),
            (
                {"kind": "announcement", "title": "T", "body": "B", "to": "all", "priority": "panic"},
                "choose a priority from the list",
            ),
        ]
        for form, message in cases:
            answer = officer.post("/send?lang=en", data={"csrf": token, **form})
            assert answer.status_code == 422, form
            assert message in answer.text, (form, answer.text[:300])
            assert "Nothing was sent." in answer.text
        huge = officer.post("/send", data={"csrf": token, "title": "T", "body": "x" * 100_000, "to": "all"})
        assert huge.status_code == 413
    assert outbox(region) == []


def test_logout_ends_the_session(region_server: RegionServer, region: Region) -> None:
    with region_server.login("olga") as client:
        token = csrf_of(client.get("/").text)
        assert client.post("/logout", data={"csrf": token}).status_code == 303
        assert client.get("/").status_code == 303
    actions = [line.action for line in accounts.audit_lines(region.engine)]
    assert {"login", "logout"} <= set(actions)
    assert PASSWORD not in json.dumps([line.detail for line in accounts.audit_lines(region.engine)])


def test_http_reference_lists_every_region_route(region: Region) -> None:
    from pathlib import Path

    from starlette.routing import Mount, Route

    from hub.region.web import make_app

    text = (Path(__file__).resolve().parents[2] / "docs" / "reference" / "http.md").read_text()
    section = text.split("## The region's pages")[1].split("\n## ")[0]
    guarded = make_app(region)
    app = guarded.app.app.app.app  # SecurityHeaders → HeadAsGet → BodyLimit → UnexpectedErrors → app
    served = set()
    for route in app.routes:
        if isinstance(route, Route):
            served |= {f"{method} {route.path}" for method in route.methods or () if method != "HEAD"}
        elif isinstance(route, Mount):
            served.add(f"GET {route.path}/…")
    documented = {" ".join(found.split()) for found in re.findall(r"`((?:GET|POST)\s+/[^`]*)`", section)}
    assert served == documented


def session_cookie(server: RegionServer, headers: dict[str, str] | None = None) -> str:
    """The Set-Cookie header of a login through ``server``."""
    with server.client() as client:
        answer = client.post("/login", data={"name": "olga", "password": PASSWORD}, headers=headers or {})
    assert answer.status_code == 303, answer.text
    (cookie,) = [
        v for k, v in answer.headers.multi_items() if k == "set-cookie" and v.startswith("bb_region=")
    ]
    return cookie


def test_the_session_cookie_is_secure_over_https_as_a_trusted_proxy_says(region: Region) -> None:
    https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    with RegionServer(region) as plain:  # no proxy trusted: the header is anyone's word
        assert "secure" not in session_cookie(plain, https).lower()
        assert "httponly" in session_cookie(plain).lower()
    with RegionServer(replace(region, trusted_proxies=("127.0.0.1",))) as proxied:
        assert "; secure" in session_cookie(proxied, https).lower()
        assert "secure" not in session_cookie(proxied, {"X-Forwarded-Proto": "http"}).lower()
        assert "secure" not in session_cookie(proxied).lower()
    with RegionServer(replace(region, trusted_proxies=("10.0.0.0/8",))) as elsewhere:
        assert "secure" not in session_cookie(elsewhere, https).lower()  # 127.0.0.1 is not the proxy
    with RegionServer(replace(region, secure_cookies=True)) as forced:
        assert "; secure" in session_cookie(forced).lower()


def test_trusted_proxies_must_be_addresses() -> None:
    from hub.errors import ConfigError
    from hub.region.web import proxies

    assert proxies(" 127.0.0.1, 10.0.0.0/8 ,::1") == ("127.0.0.1", "10.0.0.0/8", "::1")
    assert proxies("") == ()
    with pytest.raises(ConfigError, match="not an IP address or network"):
        proxies("proxy.example")
