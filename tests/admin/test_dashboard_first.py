"""The dashboard opens with what needs a person now (issue #16): open SOS, life-threatening needs,
tasks nobody accepted, calls for help nobody handled; then the mode and the figures; then the
door-knock list. Every figure is a link to the list behind it."""

from __future__ import annotations

import re

from tests.admin.conftest import Admin
from tests.admin.sample import fill
from tests.conftest import LiveServer

FIGURE = re.compile(r'<a class="figure[^"]*" href="([^"]+)"><span class="num">([^<]+)</span>\s*([^<]+)</a>')


def test_what_needs_a_person_comes_first_then_the_figures_then_the_door_knock_list(
    admin: Admin, live: LiveServer
) -> None:
    fill(live.hub)
    html = admin.http.get("/admin?lang=en").text
    order = [
        'id="now"',
        'id="alerts"',
        'id="life"',
        'id="life-signals"',
        'id="unaccepted"',
        'id="help"',
        'class="modebar',
        'class="figures"',
        'id="doorknock"',
        'id="needs"',
        'id="tasks"',
    ]
    places = [html.index(marker) for marker in order]
    assert places == sorted(places), dict(zip(order, places, strict=True))
    now = html[html.index('id="now"') : html.index('class="modebar')]
    assert "brand in de schuur" in now[now.index('id="alerts"') : now.index('id="life"')]
    life = now[now.index('id="life"') : now.index('id="life-signals"')]
    assert "gaslucht bij de speeltuin" in now[now.index('id="life-signals"') : now.index('id="unaccepted"')]
    assert "Molenweg 9" in life and "Medical device on power" in life
    assert "Kerkstraat 3" not in life  # urgent, not life-threatening: further down, with the needs
    assert "Molenweg 4" in now[now.index('id="unaccepted"') : now.index('id="help"')]
    assert "Dorpsstraat 21" in now[now.index('id="help"') :]


def test_every_figure_links_to_the_list_behind_it(admin: Admin, live: LiveServer) -> None:
    fill(live.hub)
    html = admin.http.get("/admin?lang=en").text
    figures = html[html.index('class="figures"') :]
    figures = figures[: figures.index("</section>")]
    found = {label.strip(): (href, num) for href, num, label in FIGURE.findall(figures)}
    # not one figure without its link
    assert len(found) == len(re.findall(r'class="figure[ "]', figures)) == 6, figures
    assert set(found) == {
        "addresses checked in",
        "asked for help",
        "calls for help to handle",
        "special-attention households reached",
        "still to visit",
        "open needs",
    }
    for href, _num in found.values():
        path = href.split("#")[0] or "/admin"
        assert admin.http.get(path).status_code == 200, href
    # "1 asked for help" -> those check-ins, and no others
    href, num = found["asked for help"]
    assert num == "1" and href.startswith("/admin/checkins?status=help")
    listed = admin.http.get(href.split("#")[0] + "&lang=en").text
    listed = listed[listed.index('id="all"') :]
    assert "Dorpsstraat 21" in listed
    assert "OK</span>" not in listed
    assert found["calls for help to handle"][0] == "/admin/checkins#worklist"
    assert found["open needs"][0] == "/admin/needs"
    assert found["still to visit"][0] == "#doorknock"
    assert 'id="doorknock"' in html
