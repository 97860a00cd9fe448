"""The map as SVG, without I/O: dots by status in colour and shape, street labels, size."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hub.domain.address_map import CRISIS, NORMAL, STYLES, DotStatus, MapDot, count_by_status, render_map
from hub.domain.address_register import parse_register

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"
SVG = "{http://www.w3.org/2000/svg}"


def sample_dots(statuses: tuple[DotStatus, ...] = CRISIS) -> list[MapDot]:
    register = parse_register(SAMPLE.read_bytes()).addresses
    return [
        MapDot(
            a.label,
            a.street,
            a.number,
            a.lat,
            a.lon,
            statuses[n % len(statuses)],
            link=f"/admin/addresses/{n}",
        )
        for n, a in enumerate(register)
    ]


def test_within_a_mode_the_shape_alone_tells_the_statuses_apart() -> None:
    assert len({STYLES[s].shape for s in CRISIS}) == len(CRISIS)
    assert len({STYLES[s].shape for s in NORMAL}) == len(NORMAL)
    assert len({STYLES[s].symbol for s in STYLES}) == len(STYLES)


def test_the_sample_map_has_every_dot_linked_and_every_street_labelled() -> None:
    dots = sample_dots()
    svg = render_map(dots, title="Buurtdorp")
    root = ET.fromstring(svg)  # well-formed
    groups = [g for g in root.findall(f"{SVG}g") if g.get("role") == "group"]
    assert [g.get("aria-label") for g in groups] == [
        "OK: 58",
        "help: 58",
        "not heard from: 58",
        "special attention, not reached: 57",
        "task under way: 57",
    ]
    links = [a for g in groups for a in g.findall(f"{SVG}a")]
    assert len(links) == len(dots) == 288
    assert links[0].get("href") == "/admin/addresses/0" and links[0].get("aria-label") == "Kerkstraat 1"
    streets = sorted(t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "street")
    assert streets == ["Beukenlaan", "Dorpsstraat", "Kerkstraat", "Molenweg", "Schoolplein", "Vissersdijk"]
    counts = count_by_status(svg)
    assert sum(counts.values()) == 288
    assert [counts[s] for s in CRISIS] == [58, 58, 58, 57, 57]
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing external


def test_the_legend_shows_the_modes_statuses_in_the_callers_words() -> None:
    svg = render_map(
        sample_dots(NORMAL), title="Buurtdorp", statuses=NORMAL, labels={DotStatus.UNKNOWN: "onbekend"}
    )
    assert "onbekend" in svg and "not heard from" not in svg


def test_two_thousand_addresses_stay_under_200_kb() -> None:
    """Links relative to the map's page (``/admin/map`` → ``addresses/17``), as the admin draws it."""
    dots = [
        MapDot(
            f"Lange Kerkstraat {n}A",
            f"Straat {n // 100}",
            n,
            52.08 + (n // 100) * 0.0004,
            5.11 + (n % 100) * 0.0002,
            CRISIS[n % 5],
            link=f"addresses/{n + 1}",
        )
        for n in range(2000)
    ]
    svg = render_map(dots, title="2000")
    assert len(svg.encode()) <= 200 * 1024, len(svg.encode())
    assert sum(count_by_status(svg).values()) == 2000


def test_an_empty_register_draws_an_empty_map_with_its_legend() -> None:
    svg = render_map([], title="leeg")
    ET.fromstring(svg)
    assert sum(count_by_status(svg).values()) == 0 and "not heard from" in svg
