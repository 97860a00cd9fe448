"""The preparedness self-check through the real portal: every language, counted per section only
with an address, kept as "not in the register" otherwise, printable, idempotent, private; and
its figures on /admin/readiness and in the CSV."""

from __future__ import annotations

import csv
import io
import re

import httpx
import pytest
from sqlmodel import func, select

from hub import i18n
from hub.domain.preparedness import ANSWERS, KIT_ITEMS
from hub.models import SelfCheck
from hub.services import board, readiness
from tests.admin.conftest import Admin
from tests.board.conftest import token
from tests.conftest import LiveServer
from tests.test_portal_weight import LIMIT, weight


def rows(live: LiveServer) -> int:
    with live.hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(SelfCheck)).one())


def send(client: httpx.Client, data: dict[str, object], lang: str = "nl") -> httpx.Response:
    form = {**data, "token": token(client, f"/selfcheck?lang={lang}")}
    return client.post(f"/selfcheck?lang={lang}", data=form)


def words(lang: str, message: str) -> str:
    with i18n.using(lang):
        return i18n.gettext(message)


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_the_self_check_in_every_language(client: httpx.Client, registered: LiveServer, lang: str) -> None:
    title = words(lang, "Self-check: can you manage for 72 hours?")
    if lang != "en":
        assert title != "Self-check: can you manage for 72 hours?", lang  # translated
    page = client.get(f"/selfcheck?lang={lang}")
    assert page.status_code == 200
    assert f'<html lang="{lang}"' in page.text and title in page.text
    for item in KIT_ITEMS:
        assert f'name="items" value="{item}"' in page.text
    assert 'list="l-address"' in page.text  # the register's addresses as suggestions
    assert weight(client, page)[0] < LIMIT

    sent = send(client, {"items": ["water", "torch"], "check_on": "yes", "people": "2",
                         "address": "schoolplein 3"}, lang)  # fmt: skip
    assert sent.status_code == 303
    thanks = client.get(sent.headers["location"])
    assert thanks.status_code == 200 and f'<html lang="{lang}"' in thanks.text
    assert words(lang, "Print my list") in thanks.text
    assert words(lang, "For 3 days: %(litres)d litres") % {"litres": 18} not in thanks.text  # water is ready
    assert words(lang, "A first aid kit") in thanks.text  # still to get
    with registered.hub.db.read() as session:
        stored = session.exec(select(SelfCheck)).one()
    assert (stored.address, stored.address_key, stored.items, stored.people) == (
        "schoolplein 3", "schoolplein 3", ["torch", "water"], 2
    )  # fmt: skip
    assert (stored.check_on, stored.checked_by) == (True, False)


def test_counted_per_section_only_with_an_address(client: httpx.Client, registered: LiveServer) -> None:
    hub = registered.hub
    readiness.define_section(hub.store, "Schoolplein", "Schoolplein", actor="test")
    assert send(client, {"items": ["water", "food"], "address": "Schoolplein 3"}).status_code == 303
    assert send(client, {"items": ["water"], "address": "schoolplein  3"}).status_code == 303  # again: latest
    assert (
        send(client, {"items": list(KIT_ITEMS), "check_on": "yes", "address": "Schoolplein 5"}).status_code
        == 303
    )
    assert send(client, {"items": ["cash"]}).status_code == 303  # no address
    assert send(client, {"items": ["food"], "address": "Stationsweg 1"}).status_code == 303  # not in it
    assert rows(registered) == 5

    figures = {f.section: f for f in board.self_check_figures(hub)}
    school = figures["Schoolplein"]
    assert (school.addresses, school.households, school.share_answering) == (12, 2, 0.167)
    assert (school.share("water"), school.share("food"), school.share("cash")) == (1.0, 0.5, 0.5)
    assert (school.share("check_on"), school.share("checked_by")) == (0.5, 0.0)
    unsectioned = figures["(no section)"]
    assert unsectioned.households == 0 and unsectioned.addresses == 288 - 12
    assert figures["(not in the register)"].households == 1
    assert figures["(not in the register)"].share("food") == 1.0
    assert figures["(no address)"].households == 1 and figures["(no address)"].share("cash") == 1.0


def test_the_readiness_page_and_csv_show_the_figures(
    client: httpx.Client, registered: LiveServer, coordinator: Admin
) -> None:
    readiness.define_section(registered.hub.store, "Schoolplein", "Schoolplein", actor="test")
    send(client, {"items": ["water", "radio"], "checked_by": "yes", "address": "Schoolplein 1"})
    send(client, {"items": ["water"], "address": "Schoolplein 2"})
    send(client, {"items": ["water"]})
    for lang, answered in (("nl", "Huishoudens"), ("en", "Households answered")):
        page = coordinator.http.get(f"/admin/readiness?lang={lang}")
        assert page.status_code == 200
        table = page.text.split('id="self-checks"')[1].split("</table>")[0]
        assert answered in table
        school = re.search(r"<tr>\s*<th scope=\"row\">Schoolplein</th>(.*?)</tr>", table, re.S)
        assert school, table[:800]
        cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', school[1])
        assert cells[0] == "2 (17%)"  # 2 of its 12 addresses
        assert cells[1:4] == ["100%", "0%", "0%"]  # water, food, torch
        assert cells[4] == "50%"  # battery radio
        assert cells[-1] == "50%"  # knows who checks on them
    exported = coordinator.http.get("/admin/readiness.csv")
    assert exported.status_code == 200
    table = list(csv.DictReader(io.StringIO(exported.text)))
    school_row = next(r for r in table if r["section"] == "Schoolplein")
    assert school_row["selfcheck_households"] == "2" and school_row["selfcheck_share"] == "0.167"
    assert school_row["selfcheck_water"] == "1.0" and school_row["selfcheck_radio"] == "0.5"
    assert [f"selfcheck_{a}" for a in ANSWERS] == [c for c in table[0] if c.startswith("selfcheck_")][2:]
    rest = next(r for r in table if r["section"] == "(no section)")
    assert rest["selfcheck_households"] == "0" and rest["selfcheck_water"] == ""


def test_a_double_submit_stores_one_and_the_list_is_only_for_its_sender(
    client: httpx.Client, registered: LiveServer
) -> None:
    form = {"items": ["water", "cash"], "people": "3", "token": token(client, "/selfcheck")}
    first = client.post("/selfcheck?lang=en", data=form)
    again = client.post("/selfcheck?lang=en", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    assert rows(registered) == 1
    record_id = first.headers["location"].split("/")[3].split("?")[0]
    key = form["token"]

    printed = client.get(f"/selfcheck/print?id={record_id}&t={key}&lang=en")
    assert printed.status_code == 200
    assert 'href="/static/print.css"' in printed.text and "<script" not in printed.text
    assert printed.text.count("☑") == 2 and printed.text.count("☐") == len(KIT_ITEMS) - 2
    assert "For 3 days: 27 litres" in printed.text  # 3 people × 3 litres × 3 days
    assert "still to get" in printed.text
    blank = client.get("/selfcheck/print?lang=en")
    assert blank.status_code == 200 and blank.text.count("☐") == len(KIT_ITEMS)
    assert "For 3 days: 9 litres" in blank.text and "(for 1 person)" in blank.text
    # nobody else: without the token, with another form's token, with a made-up one
    other = token(client, "/selfcheck")
    for url in (
        f"/bedankt/selfcheck/{record_id}",
        f"/bedankt/selfcheck/{record_id}?t={other}",
        f"/selfcheck/print?id={record_id}",
        f"/selfcheck/print?id={record_id}&t={other}",
        f"/selfcheck/print?id=nope&t={key}",
    ):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Geld" not in answer.text and "☑" not in answer.text


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"items": ["water"], "people": "veel"}, "people"),
        ({"items": ["water"], "people": "0"}, "people"),
        ({"items": ["goud"]}, "items"),
        ({"items": ["water"], "address": "ab"}, "address"),
        ({"items": ["water"], "address": "x" * 200}, "address"),
    ],
)
def test_bad_input_is_a_clear_error_and_stores_nothing(
    client: httpx.Client, registered: LiveServer, data: dict[str, object], field: str
) -> None:
    answer = send(client, data, "en")
    assert answer.status_code == 422
    assert 'class="error-summary"' in answer.text and f'href="#f-{field}"' in answer.text
    assert 'aria-invalid="true"' in answer.text or field == "items"
    assert rows(registered) == 0
    if field == "people":
        assert "Fill in a number from 1 to 50, or leave it empty." in answer.text
    if field == "address" and len(str(data["address"])) < 10:
        assert "Fill in your street and house number, or leave it empty." in answer.text


def test_the_form_out_of_date_saves_nothing(client: httpx.Client, registered: LiveServer) -> None:
    answer = client.post("/selfcheck?lang=en", data={"items": ["water"], "token": "short"})
    assert answer.status_code == 400 and "This form is out of date" in answer.text
    assert rows(registered) == 0
