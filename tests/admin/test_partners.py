"""Partner organisations through the real app: what a partner sees, consent per partner (given and
withdrawn mid-session), a partner confirming a household reached and the figure following, the
partner API with a partner's token, CSRF and the audit log.

Everything is set up the way a coordinator and residents do it: the admin forms, the portal's
register form; only the reads that check the database afterwards go past HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import col, select

from hub.models import AuditEntry, CheckIn, Household, Partner, PartnerConsent, Signal, Task
from hub.schemas import SignalCreate
from hub.services import signals
from hub.services.figures import current_figures
from tests.admin.conftest import CSRF_INPUT, PASSWORD, Admin, login
from tests.conftest import LiveServer


@dataclass
class World:
    """Two partners with an account and a token each; three households, consenting differently."""

    admin: Admin
    home_care: str  # partner ids
    pharmacy: str
    token_home_care: str
    token_pharmacy: str
    households: dict[str, str]  # address -> household id


def _partner_id(live: LiveServer, name: str) -> str:
    return live.hub.store.read(lambda s: s.exec(select(Partner.id).where(Partner.name == name)).one())


def _token_from(page: httpx.Response) -> str:
    match = re.search(r'<code class="token">(bb_[^<]+)</code>', page.text)
    assert match, page.text[:2000]
    return match[1]


def register_on_portal(
    http: httpx.Client, address: str, shares: list[str], contact: list[str]
) -> httpx.Response:
    form = http.get("/register?lang=en")
    token = re.search(r'name="token" value="([^"]+)"', form.text)
    assert token
    data: dict[str, str | list[str]] = {
        "token": token[1],
        "registered_by": "self",
        "address": address,
        "special_attention": ["alone_75plus", "mobility"],
        "people": "1",
        "contact": "06-12345678",
        "agree": "yes",
        "given_by": "Mevrouw Jansen",
        "share_partner": shares,
        "share_contact": contact,
    }
    return http.post("/register?lang=en", data=data)


@pytest.fixture
def world(live: LiveServer, admin: Admin) -> World:
    for name, kind in (("Thuiszorg West", "home_care"), ("Apotheek Plein", "pharmacy")):
        assert admin.post_form("/admin/partners", {"name": name, "kind": kind}).status_code == 303
    home_care, pharmacy = _partner_id(live, "Thuiszorg West"), _partner_id(live, "Apotheek Plein")
    for partner, person in ((home_care, "anna.thuiszorg"), (pharmacy, "piet.apotheek")):
        answer = admin.post_form(
            f"/admin/partners/{partner}/accounts", {"name": person, "password": PASSWORD}
        )
        assert answer.status_code == 303 and "ok=account_added" in answer.headers["location"]
    tokens = [
        _token_from(admin.post_form(f"/admin/partners/{p}/tokens", {"name": f"app-{p[-4:]}"}))
        for p in (home_care, pharmacy)
    ]
    with live.client() as resident:
        # with the home-care team, the phone number too
        assert register_on_portal(resident, "Kerkstraat 1", [home_care], [home_care]).status_code == 303
        # with the home-care team, without the phone number; and with the pharmacy
        assert register_on_portal(resident, "Kerkstraat 2", [home_care, pharmacy], []).status_code == 303
    # registered by a coordinator, shared with the pharmacy only; a note partners never see
    answer = admin.post_form(
        "/admin/households",
        {
            "address": "Kerkstraat 3",
            "special_attention": "medical_device",
            "contact": "010-7654321",
            "note": "zuurstof, sleutel bij buren",
            "consent_given_by": "dochter",
            "share_partner": pharmacy,
        },
    )
    assert answer.status_code == 303 and "ok=saved" in answer.headers["location"], answer.headers
    # and one that shares with nobody
    assert (
        admin.post_form(
            "/admin/households",
            {"address": "Kerkstraat 4", "special_attention": "pregnant", "consent_given_by": "zelf"},
        ).status_code
        == 303
    )
    rows = live.hub.store.read(lambda s: s.exec(select(Household.address, Household.id)).all())
    return World(admin, home_care, pharmacy, tokens[0], tokens[1], dict(rows))


@contextmanager
def partner_session(live: LiveServer, name: str) -> Iterator[httpx.Client]:
    with live.client() as http:
        answer = login(http, name)
        assert answer.status_code == 303
        assert answer.headers["location"] == "/admin/partner"  # its own page, not the dashboard
        yield http


def partner_csrf(http: httpx.Client) -> str:
    match = CSRF_INPUT.search(http.get("/admin/partner").text)
    assert match
    return match[1]


def test_a_partner_sees_exactly_the_consented_households(live: LiveServer, world: World) -> None:
    with partner_session(live, "anna.thuiszorg") as http:
        page = http.get("/admin/partner")
        assert page.status_code == 200
        assert "Kerkstraat 1" in page.text and "Kerkstraat 2" in page.text
        assert "Kerkstraat 3" not in page.text and "Kerkstraat 4" not in page.text
        # the phone number only where the household ticked it for this partner
        assert page.text.count("06-12345678") == 1
        # never the note, the code, who gave consent, another partner's households
        assert "zuurstof" not in page.text and "Jansen" not in page.text and "010-7654321" not in page.text
        codes = live.hub.store.read(lambda s: s.exec(select(Household.code)).all())
        assert all(code and code not in page.text for code in codes)
        # no coordinators' menu on its page
        assert 'href="/admin/households"' not in page.text and 'href="/admin/tasks"' not in page.text
    with partner_session(live, "piet.apotheek") as http:
        page = http.get("/admin/partner")
        assert "Kerkstraat 2" in page.text and "Kerkstraat 3" in page.text
        assert "Kerkstraat 1" not in page.text and "Kerkstraat 4" not in page.text
        assert (
            "06-12345678" not in page.text and "010-7654321" not in page.text and "zuurstof" not in page.text
        )

    # the partner API with the partner's token: the same households, minimised
    with live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as api:
        seen = api.get("/api/v1/partner")
        assert seen.status_code == 200, seen.text
        body = seen.json()
        assert body["partner"] == "Thuiszorg West"
        by_address = {h["address"]: h for h in body["households"]}
        assert set(by_address) == {"Kerkstraat 1", "Kerkstraat 2"}
        assert by_address["Kerkstraat 1"]["contact"] == "06-12345678"
        assert by_address["Kerkstraat 2"]["contact"] is None
        assert set(by_address["Kerkstraat 1"]) == {
            "id",
            "address",
            "special_attention",
            "people",
            "contact",
            "contact_shared",
            "reached",
        }
        # another partner's household is not there, whatever the partner tries
        other = world.households["Kerkstraat 3"]
        refused = api.post(f"/api/v1/partner/households/{other}/reached", json={"status": "ok"})
        assert refused.status_code == 404

    # every view is in the audit log, with what it showed
    views = live.hub.store.read(
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "partner.view")).all()
    )
    anna = [v for v in views if v.actor == "anna.thuiszorg"]
    assert anna and set(anna[-1].detail["households"]) == {
        world.households["Kerkstraat 1"],
        world.households["Kerkstraat 2"],
    }
    assert any(v.actor.startswith("token:") and v.detail["via"] == "token" for v in views)


def test_consent_withdrawn_mid_session(live: LiveServer, world: World) -> None:
    household = world.households["Kerkstraat 2"]
    with partner_session(live, "anna.thuiszorg") as http:
        csrf = partner_csrf(http)
        assert "Kerkstraat 2" in http.get("/admin/partner").text
        # the household asks a coordinator to withdraw it for the home-care team (the pharmacy stays)
        answer = world.admin.post_form(
            f"/admin/households/{household}/partners",
            {"share_partner": world.pharmacy, "given_by": "Mevrouw Jansen"},
        )
        assert answer.status_code == 303 and "ok=consent_saved" in answer.headers["location"]
        # the partner's very next request no longer shows it, and cannot act on it
        page = http.get("/admin/partner")
        assert "Kerkstraat 2" not in page.text and "Kerkstraat 1" in page.text
        late = http.post(
            f"/admin/partner/households/{household}/reached", data={"csrf": csrf, "status": "ok"}
        )
        assert late.status_code == 303 and "error=not_found" in late.headers["location"]
    with live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as api:
        assert {h["address"] for h in api.get("/api/v1/partner").json()["households"]} == {"Kerkstraat 1"}
        assert api.post(f"/api/v1/partner/households/{household}/reached", json={}).status_code == 404
    with live.client(headers={"Authorization": f"Bearer {world.token_pharmacy}"}) as api:
        assert "Kerkstraat 2" in {h["address"] for h in api.get("/api/v1/partner").json()["households"]}
    withdrawn = live.hub.store.read(
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "consent.partner.withdraw")).all()
    )
    assert [(w.target, w.detail["partner_id"]) for w in withdrawn] == [(household, world.home_care)]
    no_check_in = live.hub.store.read(
        lambda s: s.exec(select(CheckIn).where(CheckIn.household_id == household)).all()
    )
    assert no_check_in == []
    # a household deleted on request takes its consents with it
    gone = world.households["Kerkstraat 1"]
    answer = world.admin.post_form(f"/admin/households/{gone}/delete", {"confirm": "yes"})
    assert answer.status_code == 303 and "ok=deleted" in answer.headers["location"]
    left = live.hub.store.read(lambda s: s.exec(select(PartnerConsent.household_id)).all())
    assert gone not in left and world.households["Kerkstraat 2"] in left
    with live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as api:
        assert api.get("/api/v1/partner").json()["households"] == []


def test_a_partner_confirms_a_household_reached_and_the_figure_follows(
    live: LiveServer, world: World
) -> None:
    crisis = world.admin.post_form("/admin/mode", {"mode": "crisis", "confirmed": "yes"})
    assert crisis.status_code == 303
    before = live.hub.store.read(current_figures)
    assert before.special_attention_reached == 0 and before.special_attention_registered == 4
    household = world.households["Kerkstraat 1"]
    with partner_session(live, "anna.thuiszorg") as http:
        csrf = partner_csrf(http)
        # without the session's CSRF token nothing happens
        forged = http.post(f"/admin/partner/households/{household}/reached", data={"status": "ok"})
        assert forged.status_code == 403
        assert live.hub.store.read(current_figures).special_attention_reached == 0
        answer = http.post(
            f"/admin/partner/households/{household}/reached",
            data={"csrf": csrf, "status": "ok", "note": "thuiszorg geweest, alles goed"},
        )
        assert answer.status_code == 303 and "ok=reached_saved" in answer.headers["location"]
        page = http.get("/admin/partner")
        row = page.text.split("Kerkstraat 1")[1].split("</tr>")[0]
        assert "✓" in row
    after = live.hub.store.read(current_figures)
    assert after.special_attention_reached == 1 and after.households_ok == 1
    dashboard = world.admin.http.get("/admin").text
    assert re.search(r'<span class="num">1 / 4</span>', dashboard), "the dashboard's reached figure"
    checkin = live.hub.store.read(
        lambda s: s.exec(select(CheckIn).where(CheckIn.household_id == household)).one()
    )
    assert (
        checkin.verified and checkin.source == "partner" and checkin.verified_by == "partner:Thuiszorg West"
    )
    audit = live.hub.store.read(
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "partner.reached")).one()
    )
    assert audit.actor == "anna.thuiszorg" and audit.target == household
    # the partner API too (with its token, no CSRF needed; with its session the header is)
    with live.client(headers={"Authorization": f"Bearer {world.token_pharmacy}"}) as api:
        answer = api.post(
            f"/api/v1/partner/households/{world.households['Kerkstraat 3']}/reached", json={"status": "help"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["reached"] is True
        assert (
            api.post(
                f"/api/v1/partner/households/{world.households['Kerkstraat 3']}/reached",
                json={"status": "maybe"},
            ).status_code
            == 422
        )
    with partner_session(live, "piet.apotheek") as http:
        no_header = http.post(
            f"/api/v1/partner/households/{world.households['Kerkstraat 2']}/reached", json={}
        )
        assert no_header.status_code == 403
    final = live.hub.store.read(current_figures)
    assert final.special_attention_reached == 2 and final.households_help == 1


def test_a_partner_takes_and_finishes_a_task_routed_to_it(live: LiveServer, world: World) -> None:
    admin = world.admin
    assert admin.post_form("/admin/tasks", {"kind": "check", "address": "Kerkstraat 9"}).status_code == 303
    assert admin.post_form("/admin/tasks", {"kind": "delivery", "address": "Kerkstraat 8"}).status_code == 303
    ids = live.hub.store.read(lambda s: s.exec(select(Task.address, Task.id)).all())
    routed, other = dict(ids)["Kerkstraat 9"], dict(ids)["Kerkstraat 8"]
    answer = admin.post_form(f"/admin/tasks/{routed}/partner", {"partner_id": world.home_care})
    assert answer.status_code == 303 and "ok=task_routed" in answer.headers["location"]
    assert "Thuiszorg West" in admin.http.get("/admin/tasks").text
    with partner_session(live, "anna.thuiszorg") as http:
        page = http.get("/admin/partner").text
        assert "Kerkstraat 9" in page and "Kerkstraat 8" not in page
        csrf = partner_csrf(http)
        assert (
            http.post(f"/admin/partner/tasks/{other}/take", data={"csrf": csrf})
            .headers["location"]
            .endswith("error=not_found")
        )
        assert (
            "ok=task_taken"
            in http.post(f"/admin/partner/tasks/{routed}/take", data={"csrf": csrf}).headers["location"]
        )
        done = http.post(f"/admin/partner/tasks/{routed}/done", data={"csrf": csrf, "note": "geweest"})
        assert "ok=task_done" in done.headers["location"]
    with live.client(headers={"Authorization": f"Bearer {world.token_pharmacy}"}) as api:
        assert api.post(f"/api/v1/partner/tasks/{routed}/accept").status_code == 404
    statuses = dict(live.hub.store.read(lambda s: s.exec(select(Task.id, Task.status)).all()))
    assert statuses == {routed: "done", other: "open"}
    actions = live.hub.store.read(
        lambda s: s.exec(
            select(AuditEntry.action).where(
                AuditEntry.actor == "anna.thuiszorg", col(AuditEntry.action).like("task.%")
            )
        ).all()
    )
    assert actions == ["task.accepted", "task.done"]


def test_partner_forms_refuse_bad_input_and_change_nothing(live: LiveServer, world: World) -> None:
    admin = world.admin
    # a duplicate name, an unknown kind, a short password, a contact without its consent
    assert (
        "error=conflict" in admin.post_form("/admin/partners", {"name": "Thuiszorg West"}).headers["location"]
    )
    assert (
        "error=invalid"
        in admin.post_form("/admin/partners", {"name": "X", "kind": "bank"}).headers["location"]
    )
    short = admin.post_form(
        f"/admin/partners/{world.home_care}/accounts", {"name": "kort", "password": "abc"}
    )
    assert "error=invalid" in short.headers["location"]
    household = world.households["Kerkstraat 4"]
    bad = admin.post_form(
        f"/admin/households/{household}/partners", {"share_contact": world.pharmacy, "given_by": "x"}
    )
    assert "error=contact_without_consent" in bad.headers["location"]
    unknown = admin.post_form(
        f"/admin/households/{household}/partners", {"share_partner": "01NOPARTNER", "given_by": "x"}
    )
    assert "error=invalid" in unknown.headers["location"]
    assert (
        admin.post_form("/admin/tasks/01NOTASK/partner", {"partner_id": world.home_care})
        .headers["location"]
        .endswith("error=not_found")
    )
    count = live.hub.store.read(lambda s: len(s.exec(select(Partner)).all()))
    assert count == 2
    # the portal names the contact box's mistake in words
    with live.client() as resident:
        answer = register_on_portal(resident, "Kerkstraat 5", [], [world.pharmacy])
        assert answer.status_code == 422
        assert "Tick both, or neither" in answer.text
    assert "Kerkstraat 5" not in live.hub.store.read(lambda s: s.exec(select(Household.address)).all())


def test_a_partner_sees_the_concerns_routed_to_it_and_no_others(live: LiveServer, world: World) -> None:
    def report(description: str, contact: str) -> str:
        data = SignalCreate(
            category="not_seen", description=description, address="Molenweg 12", contact=contact
        )
        return live.hub.store.write(lambda s: signals.create_signal(s, live.hub.ctx, data).id)  # type: ignore[no-any-return]

    ours = report("buurvrouw twee dagen niet gezien", "06-11112222")
    theirs = report("meneer haalt zijn medicijnen niet op", "06-33334444")
    nobodys = report("rolluiken al dagen dicht", "06-55556666")
    # routed by a coordinator "calling a partner", the name typed as it comes
    for signal_id, partner in ((ours, "thuiszorg  west"), (theirs, "Apotheek Plein")):
        answer = world.admin.post_form(
            f"/admin/signals/{signal_id}/act", {"action": "partner", "routed_to": partner}
        )
        assert answer.status_code == 303 and "error" not in answer.headers["location"], answer.headers

    with partner_session(live, "anna.thuiszorg") as http:
        page = http.get("/admin/partner?lang=en").text
        assert "Concerns routed to you" in page
        assert "buurvrouw twee dagen niet gezien" in page
        assert "medicijnen" not in page and "rolluiken" not in page
        assert "06-11112222" not in page  # never who reported it or how to reach them
    with live.client(headers={"Authorization": f"Bearer {world.token_home_care}"}) as api:
        body = api.get("/api/v1/partner").json()
        assert [s["id"] for s in body["signals"]] == [ours]
        assert "contact" not in body["signals"][0]
    with live.client(headers={"Authorization": f"Bearer {world.token_pharmacy}"}) as api:
        assert [s["id"] for s in api.get("/api/v1/partner").json()["signals"]] == [theirs]

    views = live.hub.store.read(
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "partner.view")).all()
    )
    anna = [v for v in views if v.actor == "anna.thuiszorg"]
    assert anna[-1].detail["signals"] == [ours]
    assert all(nobodys not in v.detail.get("signals", []) for v in views)


def test_a_partner_reports_a_concern_of_its_own(live: LiveServer, world: World) -> None:
    def stored() -> list[tuple[str, str | None, str | None, str]]:
        return live.hub.store.read(
            lambda s: [
                (x.source, x.reported_by, x.routed_to, x.description) for x in s.exec(select(Signal)).all()
            ]
        )

    with partner_session(live, "anna.thuiszorg") as http:
        token = partner_csrf(http)
        for bad in (
            {"category": "gossip", "description": "x"},  # no such kind
            {"category": "care", "description": ""},  # nothing said
        ):
            answer = http.post("/admin/partner/signals", data={"csrf": token, **bad})
            assert answer.status_code == 303 and "error=" in answer.headers["location"], answer.headers
        assert stored() == []
        assert (
            http.post("/admin/partner/signals", data={"category": "care", "description": "x"}).status_code
            == 403
        )
        answer = http.post(
            "/admin/partner/signals",
            data={
                "csrf": token,
                "category": "care",
                "life": "no",
                "address": "Kerkstraat 2",
                "description": "mevrouw valt vaak, trapleuning los",
            },
        )
        assert answer.headers["location"] == "/admin/partner?ok=signal_saved"
        assert "mevrouw valt vaak" in http.get("/admin/partner").text  # on its own page
    assert stored() == [("partner", "Thuiszorg West", "Thuiszorg West", "mevrouw valt vaak, trapleuning los")]
    # on the coordinators' worklist, from the partner organisation
    worklist = world.admin.http.get("/admin/signals?lang=en").text
    assert "mevrouw valt vaak" in worklist and "partner organisation" in worklist
    # and in the audit log as the partner's own act
    entries = live.hub.store.read(
        lambda s: s.exec(select(AuditEntry).where(AuditEntry.action == "partner.signal")).all()
    )
    assert [e.actor for e in entries] == ["anna.thuiszorg"]
    # the other partner does not see it
    with partner_session(live, "piet.apotheek") as http:
        assert "mevrouw valt vaak" not in http.get("/admin/partner").text
