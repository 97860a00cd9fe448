"""The neighbourhood map, drawn on the hub as SVG from the register's positions.

No tiles, no internet, no JavaScript: each address a dot, each street labelled. A dot's status
is shown by its colour *and* its shape (colour-blind coordinators, black-and-white printers), and
the legend says which is which. Each dot links to its address's page when the caller gives a link.

Size matters (2,000 addresses in at most 200 KB): a dot is a ``<use>`` of one of a few symbols,
at whole-number positions in a 1000-wide view box; the dots are grouped by status, the group
named with the status and its count, so that a dot's text alternative is only its address.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from html import escape


class DotStatus(StrEnum):
    # in a crisis or a drill
    OK = "ok"
    HELP = "help"
    SILENT = "silent"  # not heard from
    SPECIAL_UNREACHED = "special"  # a special-attention household not yet reached
    TASK = "task"  # a task under way there
    # in normal times: how ready an address is
    SPECIAL_NO_BUDDY = "nobuddy"
    SPECIAL_BUDDY = "buddy"
    REGISTERED = "known"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class DotStyle:
    symbol: str  # the <symbol> id: one letter
    shape: str
    colour: str  # Okabe-Ito, tellable apart with the common colour-vision deficiencies
    label: str  # in the legend and in each dot's text alternative


# Okabe & Ito's palette; the shape tells the status without the colour.
STYLES: Mapping[DotStatus, DotStyle] = {
    DotStatus.OK: DotStyle("o", "circle", "#009E73", "OK"),
    DotStatus.HELP: DotStyle("h", "triangle", "#D55E00", "help"),
    DotStatus.SILENT: DotStyle("s", "ring", "#555555", "not heard from"),
    DotStatus.SPECIAL_UNREACHED: DotStyle("v", "diamond", "#CC79A7", "special attention, not reached"),
    DotStatus.TASK: DotStyle("t", "square", "#0072B2", "task under way"),
    DotStatus.SPECIAL_NO_BUDDY: DotStyle("n", "diamond", "#D55E00", "special attention, no buddy"),
    DotStatus.SPECIAL_BUDDY: DotStyle("b", "square", "#009E73", "special attention, with buddy"),
    DotStatus.REGISTERED: DotStyle("k", "circle", "#0072B2", "registered"),
    DotStatus.UNKNOWN: DotStyle("u", "ring", "#555555", "nothing registered"),
}
CRISIS = (DotStatus.OK, DotStatus.HELP, DotStatus.SILENT, DotStatus.SPECIAL_UNREACHED, DotStatus.TASK)
NORMAL = (DotStatus.SPECIAL_NO_BUDDY, DotStatus.SPECIAL_BUDDY, DotStatus.REGISTERED, DotStatus.UNKNOWN)

WIDTH = 1000
MARGIN = 40
LEGEND_ROW = 22
_R = 5  # a dot's radius in view-box units

_SHAPES = {
    "circle": f'<circle r="{_R}"/>',
    "ring": f'<circle r="{_R - 1}" fill="#fff" stroke-width="2"/>',
    "triangle": f'<path d="M0-{_R + 1}L{_R + 1} {_R}H-{_R + 1}Z"/>',
    "diamond": f'<path d="M0-{_R + 1}L{_R + 1} 0L0 {_R + 1}L-{_R + 1} 0Z"/>',
    "square": f'<rect x="-{_R}" y="-{_R}" width="{2 * _R}" height="{2 * _R}"/>',
}


@dataclass(frozen=True)
class MapDot:
    label: str  # "Kerkstraat 5A"
    street: str
    number: int
    lat: float
    lon: float
    status: DotStatus
    link: str | None = None


def _project(dots: Sequence[MapDot]) -> tuple[Callable[[float, float], tuple[int, int]], int]:
    """A flat projection (metres east and north of the centre) scaled into the view box."""
    lat0 = sum(d.lat for d in dots) / len(dots)
    shrink = math.cos(math.radians(lat0))
    xs = [d.lon * shrink for d in dots]
    ys = [d.lat for d in dots]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-6)
    scale = (WIDTH - 2 * MARGIN) / span
    height = round((max(ys) - min(ys)) * scale) + 2 * MARGIN
    left, top = min(xs), max(ys)

    def at(lat: float, lon: float) -> tuple[int, int]:
        return round(MARGIN + (lon * shrink - left) * scale), round(MARGIN + (top - lat) * scale)

    return at, height


def _street_labels(dots: Sequence[MapDot], at: Callable[[float, float], tuple[int, int]]) -> list[str]:
    by_street: dict[str, list[MapDot]] = {}
    for dot in dots:
        by_street.setdefault(dot.street, []).append(dot)
    labels = []
    for street, houses in sorted(by_street.items()):
        points = [at(d.lat, d.lon) for d in houses]
        cx = round(sum(x for x, _ in points) / len(points))
        cy = round(sum(y for _, y in points) / len(points))
        first = at(min(houses, key=lambda d: d.number).lat, min(houses, key=lambda d: d.number).lon)
        last = at(max(houses, key=lambda d: d.number).lat, max(houses, key=lambda d: d.number).lon)
        angle = math.degrees(math.atan2(last[1] - first[1], last[0] - first[0])) if first != last else 0.0
        if angle > 90:
            angle -= 180
        elif angle < -90:
            angle += 180
        labels.append(
            f'<text x="{cx}" y="{cy}" transform="rotate({angle:.0f} {cx} {cy})" class="street">'
            f"{escape(street)}</text>"
        )
    return labels


def render_map(
    dots: Sequence[MapDot],
    *,
    title: str,
    statuses: Sequence[DotStatus] = CRISIS,
    labels: Mapping[DotStatus, str] | None = None,
    link_base: str = "",
) -> str:
    """The SVG document of the map (``labels``: the legend's words, translated by the caller;
    ``link_base``: put before each dot's relative link, for a page at another depth)."""
    words = {status: (labels or {}).get(status, STYLES[status].label) for status in STYLES}
    shown = list(statuses)
    legend_height = LEGEND_ROW * (len(shown) + 1)
    if dots:
        at, height = _project(dots)
    else:
        height = 2 * MARGIN
    total = height + legend_height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {total}" class="map" '
        f'aria-labelledby="map-title"><title id="map-title">{escape(title)}</title>',
        "<defs>",
    ]
    for status in STYLES:
        style = STYLES[status]
        parts.append(
            f'<symbol id="{style.symbol}" overflow="visible" fill="{style.colour}" stroke="{style.colour}">'
            f"{_SHAPES[style.shape]}</symbol>"
        )
    parts.append("</defs>")
    if dots:
        # One group per status, named with it and its count: a dot needs only its address.
        for status in STYLES:
            group = [dot for dot in dots if dot.status is status]
            if not group:
                continue
            parts.append(f'<g role="group" aria-label="{escape(words[status])}: {len(group)}">')
            for dot in group:
                x, y = at(dot.lat, dot.lon)
                use = f'<use href="#{STYLES[status].symbol}" x="{x}" y="{y}"/>'
                if dot.link:
                    parts.append(
                        f'<a href="{escape(link_base + dot.link)}" aria-label="{escape(dot.label)}">{use}</a>'
                    )
                else:
                    parts.append(f'<g role="img" aria-label="{escape(dot.label)}">{use}</g>')
            parts.append("</g>")
        # The streets' names over the dots, on a white halo, letting clicks through to the dots.
        # Presentation attributes, not a <style>: the admin's Content-Security-Policy allows no
        # inline style sheet, and a printed or saved SVG keeps them.
        parts.append(
            '<g font-family="sans-serif" font-size="13" font-weight="600" fill="#222" '
            'text-anchor="middle" stroke="#fff" stroke-width="4" stroke-linejoin="round" '
            'paint-order="stroke" pointer-events="none">'
        )
        parts.extend(_street_labels(dots, at))
        parts.append("</g>")
    y = height + LEGEND_ROW // 2
    parts.append('<g class="legend" font-family="sans-serif" font-size="14" fill="#222">')
    for status in shown:
        y += LEGEND_ROW
        parts.append(
            f'<use class="key" href="#{STYLES[status].symbol}" x="{MARGIN}" y="{y - 5}"/>'
            f'<text x="{MARGIN + 16}" y="{y}">{escape(words[status])}</text>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def count_by_status(svg: str) -> dict[DotStatus, int]:
    """How many dots of each status an SVG of :func:`render_map` draws (the legend's keys not)."""
    return {status: svg.count(f'<use href="#{style.symbol}"') for status, style in STYLES.items()}
