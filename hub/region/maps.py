"""Where things go on the region's SVG pictures: the hubs' map and a hub's events over time.

Only the geometry is worked out here; the templates draw it, in the reader's language.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hub.region.views import HubRow

WIDTH = 800
MARGIN = 70


@dataclass(frozen=True)
class Point:
    row: HubRow
    x: int
    y: int


@dataclass(frozen=True)
class MapLayout:
    width: int
    height: int
    points: list[Point]
    unplaced: list[HubRow]  # hubs that sent no position
    labels: bool  # names beside the markers (few hubs)


def hub_map(rows: Sequence[HubRow]) -> MapLayout:
    """A flat projection of the hubs' positions (degrees east shrunk by the cosine of the
    latitude) into the picture's width, north up."""
    placed = [r for r in rows if r.lat is not None and r.lon is not None]
    unplaced = [r for r in rows if r.lat is None or r.lon is None]
    if not placed:
        return MapLayout(WIDTH, 2 * MARGIN, [], unplaced, False)
    lat0 = sum(r.lat for r in placed if r.lat is not None) / len(placed)
    shrink = math.cos(math.radians(lat0))
    xs = [(r.lon or 0.0) * shrink for r in placed]
    ys = [r.lat or 0.0 for r in placed]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 0.02)
    scale = (WIDTH - 2 * MARGIN) / span
    height = max(round((max(ys) - min(ys)) * scale) + 2 * MARGIN, 200)
    left = min(xs) - (span - (max(xs) - min(xs))) / 2
    top = max(ys) + ((height - 2 * MARGIN) / scale - (max(ys) - min(ys))) / 2
    points = [
        Point(r, round(MARGIN + (x - left) * scale), round(MARGIN + (top - y) * scale))
        for r, x, y in zip(placed, xs, ys, strict=True)
    ]
    return MapLayout(WIDTH, height, points, unplaced, len(placed) <= 40)


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    hour: datetime
    count: int


@dataclass(frozen=True)
class PlotLayout:
    width: int
    height: int
    bars: list[Bar]
    top: int  # the count at the top of the scale
    baseline: int
    ticks: list[Bar]  # every sixth hour, for its label
    total: int


def plot(hours: Sequence[tuple[datetime, int]], width: int = WIDTH, height: int = 220) -> PlotLayout:
    """Bars of events per hour; the scale's top is a round number at or above the highest."""
    left, bottom, top_margin = 50, 30, 12
    inner = height - bottom - top_margin
    highest = max((count for _, count in hours), default=0)
    top = _round_up(highest)
    step = (width - left - 10) / max(len(hours), 1)
    bars = []
    for n, (hour, count) in enumerate(hours):
        h = round(inner * count / top) if top else 0
        if count and h == 0:
            h = 1
        bars.append(
            Bar(round(left + n * step), top_margin + inner - h, max(round(step) - 2, 1), h, hour, count)
        )
    ticks = [bar for n, bar in enumerate(bars) if n % 6 == 0]
    return PlotLayout(width, height, bars, top, top_margin + inner, ticks, sum(c for _, c in hours))


def _round_up(value: int) -> int:
    if value <= 0:
        return 0
    magnitude: int = 10 ** int(math.log10(value))
    for factor in (1, 2, 5, 10):
        if value <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude
