"""Drill results over time, drawn on the hub as small SVG bar plots (no JavaScript, no library).

One bar per drill, oldest on the left: how long it took until every special-attention household
was reached, and which share of them was reached. Each bar carries its value as text above it, so
the plot needs no colour and no axis reading; a drill in which not everybody was reached has an
outlined, dashed bar to the top with its words ("not all reached"). The SVG is an image with a
``<title>`` and a ``<desc>`` that says every value; the page shows a table with the same figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 480
HEIGHT = 240
LEFT = 44  # room for the scale's labels
BOTTOM = 36  # room for the drills' labels
TOP = 28  # room for the value above the highest bar
RIGHT = 8
MAX_BARS = 12  # the last twelve drills; older ones are in the table


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar: the drill's date
    value: float | None  # None: nothing to draw (not all reached, no household registered)
    text: str  # above the bar and in the description: "34 min", "80%", "not all reached"


def _nice_top(highest: float) -> float:
    """A round top for the scale at or above ``highest`` (1, 2, 5 × a power of ten)."""
    if highest <= 0:
        return 1.0
    step = 1.0
    while step * 10 <= highest:
        step *= 10
    while step > highest * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= highest:
            return step * factor
    return step * 10  # pragma: no cover - the loop above always returns


def _number(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def bar_plot(
    bars: Sequence[Bar],
    *,
    ident: str,
    title: str,
    desc: str,
    top: float | None = None,
    unit: str = "",
) -> str:
    """An SVG bar plot of ``bars`` (the last :data:`MAX_BARS`). ``top``: the scale's top (the
    highest value rounded up when not given); ``ident``: makes the title's and desc's ids unique."""
    shown = list(bars)[-MAX_BARS:]
    values = [bar.value for bar in shown if bar.value is not None]
    scale_top = top if top is not None else _nice_top(max(values, default=0.0))
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    base = TOP + inner_h
    ids = f"{ident}-title {ident}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ids}" class="plot" id="{escape(ident)}">',
        f'<title id="{ident}-title">{escape(title)}</title><desc id="{ident}-desc">{escape(desc)}</desc>',
        '<g font-family="sans-serif" font-size="12" fill="#222">',
        # The scale: the baseline, the top line and their values.
        f'<path d="M{LEFT} {base}H{WIDTH - RIGHT}" stroke="#222" stroke-width="1"/>',
        f'<path d="M{LEFT} {TOP}H{WIDTH - RIGHT}" stroke="#999" stroke-dasharray="3 3"/>',
        f'<text x="{LEFT - 4}" y="{base + 4}" text-anchor="end">0</text>',
        f'<text x="{LEFT - 4}" y="{TOP + 4}" text-anchor="end">{_number(scale_top)}{escape(unit)}</text>',
    ]
    if shown:
        slot = inner_w / len(shown)
        width = min(slot * 0.6, 48)
        for n, bar in enumerate(shown):
            cx = LEFT + slot * (n + 0.5)
            x = cx - width / 2
            if bar.value is None:
                parts.append(
                    f'<rect x="{x:.1f}" y="{TOP}" width="{width:.1f}" height="{inner_h}" fill="none" '
                    'stroke="#555" stroke-width="1.5" stroke-dasharray="4 3"/>'
                )
                label_y = TOP + inner_h / 2
                parts.append(
                    f'<text x="{cx:.1f}" y="{label_y:.0f}" text-anchor="middle" '
                    f'transform="rotate(-90 {cx:.1f} {label_y:.0f})">{escape(bar.text)}</text>'
                )
            else:
                height = inner_h * min(max(bar.value, 0.0), scale_top) / scale_top
                y = base - height
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}" '
                    'fill="#0072B2"/>'
                )
                parts.append(
                    f'<text x="{cx:.1f}" y="{y - 4:.1f}" text-anchor="middle">{escape(bar.text)}</text>'
                )
            parts.append(
                f'<text x="{cx:.1f}" y="{base + 16}" text-anchor="middle">{escape(bar.label)}</text>'
            )
    parts.append("</g></svg>")
    return "".join(parts)


def count_bars(svg: str) -> tuple[int, int]:
    """How many drawn bars and how many outlined ("nothing to draw") bars a plot has."""
    return svg.count('fill="#0072B2"/>'), svg.count('fill="none" stroke="#555"')
