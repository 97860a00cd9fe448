"""No raw values on the admin pages (issue #16): every admin page, rendered in Dutch and English
with something of everything in the hub, shows words, never a vocabulary code (``medical_device``,
``urgent``, ``normal`` as a mode, ``info``, ``local``) or a Python literal (``True``, ``None``,
``{'``) in its visible text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import get_args

import httpx
import pytest
from sqlmodel import select

from hub.config import load_settings
from hub.domain import vocab
from hub.mesh.link import MeshLink
from hub.models import Address, Household, Need
from hub.runtime import Hub
from hub.services import drills
from tests.admin.conftest import CSRF_INPUT, login, make_user
from tests.admin.sample import PARTNER_LOGIN, PARTNER_PASSWORD, fill
from tests.conftest import LiveServer
from tests.mesh.hubmesh import wait_until

PAGES = [
    "/admin",
    "/admin/checkins",
    "/admin/checkins?status=help",
    "/admin/needs",
    "/admin/offers",
    "/admin/tasks",
    "/admin/volunteers",
    "/admin/households",
    "/admin/announcements",
    "/admin/messages",
    "/admin/mesh",
    "/admin/sync",
    "/admin/audit",
    "/admin/drill",
    "/admin/readiness",
    "/admin/map",
    "/admin/map?paper=a4",
    "/admin/addresses",
    "/admin/addresses/outside",
    "/admin/export",
    "/admin/signals",
    "/admin/signals?error=signal_step",
    "/admin/access",
    "/admin/partners",
    "/admin/print/doorknock",
    "/admin/print/tasks",
    # searched, filtered, and a search that finds nothing
    "/admin/needs?status=closed",
    "/admin/tasks?status=done",
    "/admin/checkins?status=help&q=dorpsstraat",
    "/admin/households?q=Molenweg",
    "/admin/volunteers?q=zeno",
    "/admin/offers?q=nergens",
]
PYTHON = re.compile(r"\b(True|False|None)\b|\{'|\['|\bdatetime\.|\bUUID\(")
# A code with an underscore is never a word in either language.
COMPOUND = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
# The vocabulary's codes that are English words and no Dutch ones: raw on a Dutch page.
NOT_DUTCH = (
    {*vocab.NEED_CATEGORIES, *vocab.OFFER_CATEGORIES, *vocab.URGENCIES, *vocab.ANNOUNCEMENT_PRIORITIES}
    | {*vocab.TASK_KINDS, *vocab.TASK_STATUSES, *vocab.MODES, *vocab.NEED_STATUSES, *vocab.OFFER_STATUSES}
    | {
        *get_args(vocab.ShareLevel),
        *vocab.ROLES,
        "local",
        "portal",
        "queued",
        "acked",
        "connected",
        "stopped",
    }
    | {"command", "held", "free", "unknown", "sos", "unacked"}
) - {"water", "transport", "generator", "crisis", "help", "open", "ok", "other"}
# (The sample data's own words, typed by residents, use none of these as a word.)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The text a person sees (no tags, attributes, scripts or styles), with the words apart from
    what is shown verbatim: a ``<code>`` (an event type, a node id) and a message as it went over
    the air (``class="msg"``: the hub's bilingual handset texts, a handset's own words)."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.verbatim: list[str] = []
        self.open: list[tuple[str, bool, bool]] = []  # tag, hidden, verbatim

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        classes = (dict(attrs).get("class") or "").split()
        self.open.append((tag, tag in ("script", "style"), tag == "code" or "msg" in classes))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if any(hidden for _tag, hidden, _v in self.open):
            return
        verbatim = any(v for _tag, _hidden, v in self.open)
        (self.verbatim if verbatim else self.words).append(data)


def visible(html: str) -> tuple[str, str]:
    """The page's words and its code, each as one line."""
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.words).split()), " ".join(" ".join(parser.verbatim).split())


def raw_values(text: str, lang: str, code: str = "") -> list[str]:
    """Python literals anywhere; vocabulary codes in the words (a ``<code>`` may hold one)."""
    found = [m.group(0) for m in PYTHON.finditer(f"{text} {code}")] + COMPOUND.findall(text)
    if lang == "nl":
        found += [w for w in re.findall(r"\b[a-z]+\b", text) if w in NOT_DUTCH]
    return sorted(set(found))


def test_the_check_finds_raw_values() -> None:
    assert raw_values("Stand nu: normal · medical_device · {'a': True} · None", "nl") == [
        "None",
        "True",
        "medical_device",
        "normal",
        "{'",
    ]
    assert raw_values("Normaal · medisch apparaat · water", "nl") == []
    assert raw_values("urgent · Normal mode", "en") == []
    assert raw_values("Gebeurtenis", "nl", code="task.nobody_accepted") == []
    assert raw_values("Radio", "nl", code="{'state': None}") == ["None", "{'"]
    assert visible("<p>Stand: <b>normaal</b> <code>mode.set</code><script>x_y</script></p>") == (
        "Stand: normaal",
        "mode.set",
    )


@pytest.fixture(scope="module")
def sampled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, httpx.Client]]:
    """A hub with the simulated radio (its status on /admin/mesh) and the sample data; a
    coordinator logged in over HTTP."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("raw") / "data",
        radio="sim",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    hub = Hub.from_settings(settings)
    link = MeshLink.from_hub(hub)
    hub.add_link(link)
    with LiveServer(settings, hub) as live, live.client() as http:
        wait_until(lambda: link.status()["connected"], 20, "the radio")
        fill(live.hub)
        make_user(live.hub, "coord")
        assert login(http, "coord").status_code == 303
        yield live, http


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_no_admin_page_shows_a_code_or_a_python_value(
    sampled: tuple[LiveServer, httpx.Client], lang: str
) -> None:
    live, http = sampled
    with live.hub.db.read() as session:  # one household's edit form and one need's task form too
        household = session.exec(select(Household)).first()
        need = session.exec(select(Need)).first()
        address = session.exec(select(Address).where(Address.address_key == household.address_key)).first()
    assert household is not None and need is not None
    pages = [*PAGES, f"/admin/households?edit={household.id}", f"/admin/tasks?need={need.id}"]
    if address is not None:
        pages.append(f"/admin/addresses/{address.pk}")
    found: dict[str, list[str]] = {}

    def check(path: str, response: httpx.Response | None = None) -> None:
        joiner = "&" if "?" in path else "?"
        response = response or http.get(f"{path}{joiner}lang={lang}")
        assert response.status_code == 200, path
        words, code = visible(response.text)
        if raw := raw_values(words, lang, code):  # each with the words around it
            found[path] = [*raw, *(words[max(0, words.find(w) - 60) : words.find(w) + 30] for w in raw)]

    for path in pages:
        check(path)
    # the page that asks "switch to crisis mode?" (the answer to the dashboard's crisis button)
    csrf = CSRF_INPUT.search(http.get("/admin").text)
    assert csrf is not None
    asked = http.post(f"/admin/mode?lang={lang}", data={"mode": "crisis", "csrf": csrf[1]})
    assert 'name="confirmed" value="yes"' in asked.text, asked.text[:300]
    check("/admin/mode (confirm_crisis.html)", asked)
    # back to normal mode for a moment ("Stand nu: normal" was the example)
    live.hub.db.writer.run_sync(lambda s: drills.set_mode(s, live.hub.ctx, "normal", actor="test"))
    try:
        for path in ("/admin", "/admin/drill", "/admin/audit"):
            check(f"{path}?mode=normal")
    finally:
        live.hub.db.writer.run_sync(lambda s: drills.set_mode(s, live.hub.ctx, "crisis", actor="test"))
    # a partner's own page, as the partner sees it
    with live.client() as partner:
        assert login(partner, PARTNER_LOGIN, PARTNER_PASSWORD).status_code == 303
        answer = partner.get(f"/admin/partner?lang={lang}")
        assert answer.status_code == 200
        words, code = visible(answer.text)
        if raw := raw_values(words, lang, code):
            found["/admin/partner"] = raw
    assert found == {}, "\n".join(f"{path}: {', '.join(raw)}" for path, raw in found.items())
