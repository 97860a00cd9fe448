"""Search (``?q=``) and paging on every admin list, over real HTTP (issue #16).

Each list finds an address however it is spelled ("Kerkstraat 5a", "kerkstraat 5 A",
"KERKSTRAAT 5-A"), finds a name, says so when nothing is found (in Dutch and in English) and keeps
its filter; needs, tasks, volunteers and households page beyond 300 rows, every row seen once.
"""

from __future__ import annotations

import html
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import Session

from hub.domain.addresses import walking_key
from hub.domain.radio_events import TextReceived
from hub.domain.task_states import UNFINISHED
from hub.migrate import alembic_config, upgrade
from hub.runtime import Hub
from hub.schemas import CheckInCreate, Consent, HouseholdCreate, NeedCreate, OfferCreate
from hub.services import admin_lists, coordination, mesh_inbound, residents, tasks, volunteers
from hub.services.admin_lists import _TASK_ORDER, LIST_LIMIT
from tests.admin.conftest import Admin
from tests.admin.test_growth import plans
from tests.conftest import LiveServer

SPELLINGS = ("Kerkstraat 5a", "kerkstraat 5 A", "KERKSTRAAT 5-A")


def _packet(node: str, text: str) -> TextReceived:
    return TextReceived(int(node[1:], 16), node, time.monotonic_ns() % 2**31, text, 0, True, False, None)


def fill(hub: Hub) -> dict[str, str]:
    """Something at Kerkstraat 5a and at Kerkstraat 7 on every list; the ids by what they are."""

    def job(s: Session) -> dict[str, str]:
        ctx = hub.ctx
        vera = volunteers.register(s, ctx, "Vera Vijf", "!00000a5a", actor="coord")
        volunteers.set_home(s, vera.id, "Kerkstraat 5 a", actor="coord")
        zeger = volunteers.register(s, ctx, "Zeger Zeven", "!00000a07", actor="coord")
        volunteers.set_home(s, zeger.id, "Kerkstraat 7", actor="coord")
        for address, status in (("kerkstraat 5A", "ok"), ("Kerkstraat 5-a", "help"), ("Kerkstraat 7", "ok")):
            residents.create_checkin(s, ctx, CheckInCreate(address=address, status=status))
        residents.create_need(
            s,
            ctx,
            NeedCreate(address="Kerkstraat 5 A", category="water", urgency="urgent", description="jerrycans"),
        )
        residents.create_need(
            s,
            ctx,
            NeedCreate(address="Kerkstraat 7", category="food", urgency="normal", description="broodjes"),
        )
        residents.create_offer(
            s,
            ctx,
            OfferCreate(category="tools", description="ladder", address="Kerkstraat 5-A", contact="Jansen"),
        )
        residents.create_offer(
            s,
            ctx,
            OfferCreate(category="tools", description="zaag", address="Kerkstraat 7", contact="Pietersen"),
        )
        tasks.create_task(s, ctx, kind="check", address="kerkstraat 5a", volunteer_id=vera.id, actor="coord")
        tasks.create_task(s, ctx, kind="check", address="Kerkstraat 7", volunteer_id=zeger.id, actor="coord")
        five = coordination.register_household(
            s,
            ctx,
            HouseholdCreate(
                address="Kerkstraat 5A",
                special_attention=["mobility"],
                consent=Consent(given_by="dochter Els"),
                contact="Els",
                buddy_volunteer_id=vera.id,
            ),
            actor="coord",
        )
        coordination.register_household(
            s,
            ctx,
            HouseholdCreate(
                address="Kerkstraat 7",
                special_attention=["no_phone"],
                consent=Consent(given_by="buurman"),
                buddy_volunteer_id=zeger.id,
            ),
            actor="Bram",
        )
        return {"vera": vera.id, "zeger": zeger.id, "five": five.id}

    ids = hub.db.writer.run_sync(job)
    for node, text in (("!00000a5a", "water op bij de school"), ("!00000a07", "brug is dicht")):
        hub.db.writer.run_sync(
            lambda s, node=node, text=text: mesh_inbound.handle_text(
                s, hub.ctx, _packet(node, text), allow_unknown=False
            )
        )
    # a check-in from Zeger's handset: the check-ins list names him
    hub.db.writer.run_sync(
        lambda s: mesh_inbound.handle_text(
            s, hub.ctx, _packet("!00000a07", "CHECKIN Molenweg 3 OK"), allow_unknown=False
        )
    )
    return ids


def rows_of(page: str) -> str:
    """The page's main content (not the header), with entities read."""
    return html.unescape(page.split("<main", 1)[1])


# list -> (what only the Kerkstraat 5a record shows, what only the Kerkstraat 7 record shows)
BY_ADDRESS = {
    "/admin/checkins?status=ok": (">kerkstraat 5A<", ">Kerkstraat 7<"),
    "/admin/needs": ("jerrycans", "broodjes"),
    "/admin/offers": ("ladder", "zaag"),
    "/admin/tasks": (">kerkstraat 5a<", ">Kerkstraat 7<"),
    "/admin/volunteers": ("Vera Vijf", "Zeger Zeven"),
    "/admin/households": ("dochter Els", "buurman"),
}


@pytest.mark.parametrize("path", list(BY_ADDRESS))
def test_each_list_finds_an_address_however_it_is_spelled(admin: Admin, live: LiveServer, path: str) -> None:
    fill(live.hub)
    five, seven = BY_ADDRESS[path]
    everything = rows_of(admin.http.get(path).text)
    assert five in everything and seven in everything
    joiner = "&" if "?" in path else "?"
    for spelling in SPELLINGS:
        response = admin.http.get(f"{path}{joiner}q={spelling}")
        assert response.status_code == 200
        found = rows_of(response.text)
        assert five in found, (path, spelling)
        assert seven not in found, (path, spelling)
        assert f'value="{spelling}"' in found  # the search stays in its field


# list -> (a name or word, what only its record shows, what it must not show)
BY_NAME = {
    "/admin/checkins": ("zeger", ">Molenweg 3<", ">kerkstraat 5A<"),
    "/admin/needs": ("JERRYCANS", "jerrycans", "broodjes"),
    "/admin/offers": ("jansen", "ladder", "zaag"),
    "/admin/tasks": ("Vera", ">kerkstraat 5a<", ">Kerkstraat 7<"),
    "/admin/volunteers": ("zeven", "Zeger Zeven", "Vera Vijf"),
    "/admin/households": ("vera vijf", "dochter Els", "buurman"),  # the buddy's name
    "/admin/messages": ("Zeger", "brug is dicht", "water op bij de school"),
    "/admin/audit": ("bram", "household.register", "volunteer.register"),
}


@pytest.mark.parametrize("path", list(BY_NAME))
def test_each_list_finds_a_name(admin: Admin, live: LiveServer, path: str) -> None:
    fill(live.hub)
    name, shown, hidden = BY_NAME[path]
    found = rows_of(admin.http.get(path, params={"q": name}).text)
    assert shown in found, (path, name)
    assert hidden not in found, (path, name)


def test_messages_and_audit_find_an_address_as_typed(admin: Admin, live: LiveServer) -> None:
    fill(live.hub)
    audit = rows_of(admin.http.get("/admin/audit", params={"q": "KERKSTRAAT 5a"}).text)
    assert "Kerkstraat 5A" in audit and "Kerkstraat 7" not in audit  # the household's registration
    messages = rows_of(admin.http.get("/admin/messages", params={"q": "de SCHOOL"}).text)
    assert "water op bij de school" in messages and "brug is dicht" not in messages


LISTS = [
    "/admin/checkins",
    "/admin/needs",
    "/admin/offers",
    "/admin/tasks",
    "/admin/volunteers",
    "/admin/households",
    "/admin/messages",
    "/admin/audit",
]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_search_that_finds_nothing_says_so(admin: Admin, live: LiveServer, lang: str) -> None:
    fill(live.hub)
    said = {"nl": "Niets gevonden voor “Nergensweg 99”.", "en": "Nothing found for “Nergensweg 99”."}
    for path in LISTS:
        response = admin.http.get(path, params={"q": "Nergensweg 99", "lang": lang})
        assert response.status_code == 200, path
        assert said[lang] in html.unescape(response.text), (path, lang)
        assert 'role="search"' in response.text and 'method="get"' in response.text


def test_a_search_is_text_not_markup_and_too_long_is_refused(admin: Admin, live: LiveServer) -> None:
    fill(live.hub)
    page = admin.http.get("/admin/needs", params={"q": '<b>"x"%_'}).text
    assert "<b>" not in page.split("<main", 1)[1] and "&lt;b&gt;" in page
    assert "jerrycans" not in page  # % and _ are letters here, not wildcards
    assert admin.http.get("/admin/needs", params={"q": "x" * 201}).status_code == 422
    for path, bad in (("/admin/needs", "open"), ("/admin/tasks", "failed"), ("/admin/checkins", "maybe")):
        assert admin.http.get(path, params={"status": bad}).status_code == 422, path


def test_the_search_keeps_the_filter_and_the_filter_keeps_the_search(admin: Admin, live: LiveServer) -> None:
    ids = fill(live.hub)
    help_only = admin.http.get("/admin/checkins", params={"status": "help", "q": "kerkstraat 5 a"}).text
    listed = help_only.split('id="all"', 1)[1]
    assert ">Kerkstraat 5-a<" in listed and ">kerkstraat 5A<" not in listed  # the help one, not the ok one
    assert '<input type="hidden" name="status" value="help">' in help_only  # the form keeps the filter
    assert 'href="/admin/checkins?q=kerkstraat+5+a#all"' in help_only  # the filter links keep the search
    assert 'href="/admin/checkins?status=help"' in help_only  # "show all" keeps the filter
    ok_only = admin.http.get("/admin/checkins", params={"status": "ok", "q": "kerkstraat 5 a"}).text
    listed = ok_only.split('id="all"', 1)[1]
    assert ">kerkstraat 5A<" in listed and ">Kerkstraat 5-a<" not in listed
    # closed needs and done tasks: their own filter, with the search
    with live.hub.db.read() as session:
        need = next(n for n in admin_lists._needs(session).open_needs if n.description == "jerrycans")
        task = next(t for t in admin_lists._tasks(session).active if t.address == "kerkstraat 5a")
    assert admin.post_form(f"/admin/needs/{need.id}/status", {"status": "resolved"}).status_code == 303
    assert admin.post_form(f"/admin/tasks/{task.id}/done").status_code == 303
    closed = rows_of(admin.http.get("/admin/needs", params={"status": "closed", "q": "Kerkstraat 5a"}).text)
    assert "jerrycans" in closed and "broodjes" not in closed
    assert "jerrycans" not in rows_of(
        admin.http.get("/admin/needs", params={"status": "closed", "q": "7"}).text
    )
    done = rows_of(admin.http.get("/admin/tasks", params={"status": "done", "q": "vera"}).text)
    assert ">kerkstraat 5a<" in done and "Zeger" not in done.split("<h2", 2)[1]
    unfinished = rows_of(admin.http.get("/admin/tasks", params={"q": "vera"}).text)
    assert "Nothing found" in unfinished or "Niets gevonden" in unfinished
    assert ids["five"]


# --- paging beyond 300 rows ---

MANY = LIST_LIMIT + 12
NEXT = re.compile(r'<a href="\?([^"]*)" rel="next">')


def follow(admin: Admin, path: str, query: str, shown: Callable[[str], list[str]]) -> list[list[str]]:
    """Every page of a list, by its "older" / "next" link to the end: each page's rows."""
    pages: list[list[str]] = []
    url = f"{path}?{query}" if query else path
    while True:
        response = admin.http.get(url)
        assert response.status_code == 200, url
        pages.append(shown(response.text))
        link = NEXT.search(response.text)
        if link is None:
            return pages
        url = f"{path}?{html.unescape(link[1])}"
        assert "before=" in url
        if query:
            assert query in url  # the search goes along
        assert len(pages) < 10, "the pages never end"


def cells(*labels: str) -> Callable[[str], list[str]]:
    """The text of a column's cells, by its label in either language."""
    pattern = re.compile(rf'data-label="(?:{"|".join(labels)})">([^<]+)<')
    return lambda page: pattern.findall(page.split("<main", 1)[1])


def task_addresses(page: str) -> list[str]:
    unfinished = page.split("<main", 1)[1].split('<table class="tasks">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<span class="addr">([^<]+)</span>', unfinished)


def seen_once(pages: list[list[str]], expected: set[str]) -> list[str]:
    flat = [row for page in pages for row in page]
    assert len(flat) == len(set(flat)), "a row was shown twice"
    assert set(flat) == expected
    assert all(len(page) <= LIST_LIMIT for page in pages)
    return flat


@pytest.mark.parametrize("query", ["", "q=laan"])
def test_needs_page_by_urgency_to_the_end(admin: Admin, live: LiveServer, query: str) -> None:
    urgencies = ("life", "urgent", "normal")

    def job(s: Session) -> None:
        for n in range(MANY):
            data = NeedCreate(
                address=f"Laan {n}", category="water", urgency=urgencies[n % 3], description=f"nood {n}"
            )
            residents.create_need(s, live.hub.ctx, data)
        residents.create_need(
            s, live.hub.ctx, NeedCreate(address="Dorpsweg 1", category="food", description="x")
        )

    live.hub.db.writer.run_sync(job)
    expected = {f"Laan {n}" for n in range(MANY)} | (set() if query else {"Dorpsweg 1"})
    pages = follow(admin, "/admin/needs", query, cells("Address", "Adres"))
    assert len(pages) == 2
    flat = seen_once(pages, expected)
    ranks = [urgencies.index(urgencies[int(a.split()[1]) % 3]) if a.startswith("Laan") else 2 for a in flat]
    assert ranks == sorted(ranks)  # life-threatening first, across the pages


@pytest.mark.parametrize("query", ["", "q=laan"])
def test_tasks_page_to_the_end(admin: Admin, live: LiveServer, query: str) -> None:
    def job(s: Session) -> None:
        for n in range(MANY):
            tasks.create_task(s, live.hub.ctx, kind="check", address=f"Laan {n}", actor="coord")
        tasks.create_task(s, live.hub.ctx, kind="check", address="Dorpsweg 1", actor="coord")

    live.hub.db.writer.run_sync(job)
    expected = {f"Laan {n}" for n in range(MANY)} | (set() if query else {"Dorpsweg 1"})
    pages = follow(admin, "/admin/tasks", query, task_addresses)
    assert len(pages) == 2
    flat = seen_once(pages, expected)
    assert flat[:2] == ["Laan 0", "Laan 1"]  # the oldest first


@pytest.mark.parametrize("query", ["", "q=vrijwilliger"])
def test_volunteers_page_by_name_to_the_end(admin: Admin, live: LiveServer, query: str) -> None:
    def job(s: Session) -> None:
        for n in range(MANY):
            volunteers.register(s, live.hub.ctx, f"Vrijwilliger {n:03d}", actor="coord")
        volunteers.register(s, live.hub.ctx, "Anna", actor="coord")

    live.hub.db.writer.run_sync(job)
    expected = {f"Vrijwilliger {n:03d}" for n in range(MANY)} | (set() if query else {"Anna"})
    pages = follow(admin, "/admin/volunteers", query, cells("Name", "Naam"))
    assert len(pages) == 2
    flat = seen_once(pages, expected)
    assert flat == sorted(flat)  # by name, across the pages


@pytest.mark.parametrize("query", ["", "q=laan"])
def test_households_page_in_walking_order_to_the_end(admin: Admin, live: LiveServer, query: str) -> None:
    def job(s: Session) -> None:
        for n in range(1, MANY + 1):
            data = HouseholdCreate(
                address=f"Laan {n}", special_attention=["mobility"], consent=Consent(given_by="bewoner")
            )
            coordination.register_household(s, live.hub.ctx, data, actor="coord")
        data = HouseholdCreate(
            address="Dorpsweg 1", special_attention=["mobility"], consent=Consent(given_by="x")
        )
        coordination.register_household(s, live.hub.ctx, data, actor="coord")

    live.hub.db.writer.run_sync(job)
    expected = {f"Laan {n}" for n in range(1, MANY + 1)} | (set() if query else {"Dorpsweg 1"})
    pages = follow(admin, "/admin/households", query, cells("Address", "Adres"))
    assert len(pages) == 2
    flat = seen_once(pages, expected)
    laan = [int(a.split()[1]) for a in flat if a.startswith("Laan")]
    odd = [n for n in laan if n % 2]
    assert laan == odd + [n for n in laan if not n % 2]  # odd side first, then even
    assert odd == sorted(odd) and laan[len(odd) :] == sorted(laan[len(odd) :])
    if not query:
        assert flat[0] == "Dorpsweg 1"  # street by street


def test_the_task_list_has_a_place_for_every_unfinished_status() -> None:
    assert set(_TASK_ORDER) == UNFINISHED


def test_a_page_of_each_list_is_an_index_search(admin: Admin, live: LiveServer) -> None:
    """The lists' order and filter are indexed (migration 0011_admin_search): no sort of a table."""
    fill(live.hub)

    def reads(session: Session) -> None:
        admin_lists._checkins(session, None, "help")
        admin_lists._needs(session, 10**6)
        admin_lists._needs(session, None, "closed")
        admin_lists._tasks(session, before=10**6)
        admin_lists._tasks(session, status="done")
        admin_lists._volunteers(session)
        admin_lists._households(session)

    found = plans(live.hub, reads)
    sorted_tables = [
        f"{detail}: {statement}"
        for statement, details in found
        for detail in details
        if "TEMP B-TREE" in detail and "LIMIT" in statement  # a list's page, not a figure
    ]
    listed = [(s, d) for s, d in found if "LIMIT" in s]
    used = " ".join(d for _s, ds in listed for d in ds)
    for index in (
        "ix_checkins_status",
        "ix_needs_status_urgency",
        "ix_tasks_status_flagged",
        "ix_volunteers_name",
        "ix_households_walk",
    ):
        assert index in used, (index, listed)
    assert sorted_tables == []


def test_a_need_offers_as_duplicates_those_at_its_address_and_of_its_category(hub: Hub) -> None:
    """A few candidates per need, not every open need (300 needs made a page of 90,000 options)."""

    def job(s: Session) -> None:
        for address, category in (
            ("Kerkstraat 5a", "water"),
            ("kerkstraat 5 A", "food"),
            ("Molenweg 1", "food"),
        ):
            residents.create_need(
                s, hub.ctx, NeedCreate(address=address, category=category, description=address)
            )
        for n in range(40):
            residents.create_need(
                s, hub.ctx, NeedCreate(address=f"Laan {n}", category="medicine", description=f"Laan {n}")
            )

    hub.db.writer.run_sync(job)
    with hub.db.read() as session:
        found = admin_lists._needs(session)
    by_text = {n.description: n.id for n in found.open_needs}
    offered = {n.description: [o.description for o in found.duplicates[n.id]] for n in found.open_needs}
    assert offered["Kerkstraat 5a"] == ["kerkstraat 5 A"]
    assert offered["kerkstraat 5 A"] == ["Kerkstraat 5a", "Molenweg 1"]
    assert offered["Molenweg 1"] == ["kerkstraat 5 A"]
    assert len(found.duplicates[by_text["Laan 0"]]) == admin_lists.DUPLICATES_SHOWN


def test_the_migration_keys_the_tasks_offers_and_households_already_stored(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    url = f"sqlite:///{path}"
    command.upgrade(alembic_config(url), "0010_address_states")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO tasks (id, number, kind, address, note_on_air, status, attempts, flagged,"
            " nobody_accepted, automatic, drill, created_at)"
            " VALUES ('t1', 1, 'check', 'Kerkstraat 5-A', 0, 'open', 0, 0, 0, 0, 0, '2026-01-01 00:00:00')"
        )
        db.execute(
            "INSERT INTO offers (id, category, description, address, status, drill, created_at) VALUES"
            " ('o1', 'tools', 'ladder', 'kerkstraat 5 a', 'available', 0, '2026-01-01 00:00:00'),"
            " ('o2', 'tools', 'zaag', NULL, 'available', 0, '2026-01-01 00:00:00')"
        )
        db.execute(
            "INSERT INTO households (id, address, address_key, street_key, special_attention, registered_by,"
            " consent_given_by, consent_share_upstream, consent_at, drill, created_at)"
            " VALUES ('h1', 'Kerkstraat 12', 'kerkstraat 12', 'kerkstraat', '[]', 'self', 'x', 0,"
            " '2026-01-01 00:00:00', 0, '2026-01-01 00:00:00')"
        )
    upgrade(url)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT address_key FROM tasks").fetchall() == [("kerkstraat 5a",)]
        assert db.execute("SELECT address_key FROM offers ORDER BY id").fetchall() == [
            ("kerkstraat 5a",),
            (None,),
        ]
        assert db.execute("SELECT walk_key FROM households").fetchall() == [(walking_key("Kerkstraat 12"),)]
    command.downgrade(alembic_config(url), "0010_address_states")
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(households)")}
        indexes = {n for (n,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "walk_key" not in columns and "ix_households_walk" not in indexes
    upgrade(url)
