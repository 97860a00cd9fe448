"""Drill results over time on ``/admin/drill``: two small SVG plots and the table beside them.

Per ended drill (oldest first): the minutes until every special-attention household was reached
and the share of them reached, from each drill's stored report. The plots are drawn by
``hub.domain.drill_plot``; the words are the admin's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hub import i18n
from hub.domain.drill_plot import Bar, bar_plot
from hub.services.record_views import DrillView
from hub.web.admin.common import as_utc, duration, when


@dataclass(frozen=True)
class DrillResult:
    """One drill's row of the table under the plots."""

    started: str
    minutes_text: str
    share_text: str


@dataclass(frozen=True)
class DrillPlots:
    minutes_svg: str
    share_svg: str
    rows: tuple[DrillResult, ...]


def drill_plots(past: Sequence[DrillView]) -> DrillPlots | None:
    """The plots of the ended drills (``None`` without any), in the current language
    (``hub.i18n.using``)."""
    ordered = sorted(past, key=lambda d: as_utc(d.started_at))
    if not ordered:
        return None
    _ = i18n.gettext
    minutes: list[Bar] = []
    shares: list[Bar] = []
    rows: list[DrillResult] = []
    for drill in ordered:
        report = drill.report
        label = as_utc(drill.started_at).astimezone().strftime("%d-%m")
        to_all = report.get("minutes_to_last_special_attention")
        share = report.get("special_attention_share")
        minutes_text = duration(to_all) if to_all is not None else _("not all reached")
        share_text = f"{round(share * 100)}%" if share is not None else _("none registered")
        minutes.append(Bar(label, float(to_all) if to_all is not None else None, minutes_text))
        shares.append(Bar(label, float(share) * 100 if share is not None else None, share_text))
        rows.append(
            DrillResult(
                when(drill.started_at, True),
                minutes_text,
                share_text,
            )
        )

    def described(bars: list[Bar]) -> str:
        return "; ".join(f"{bar.label}: {bar.text}" for bar in bars)

    return DrillPlots(
        minutes_svg=bar_plot(
            minutes,
            ident="plot-minutes",
            title=_("Minutes until every special-attention household was reached, per drill"),
            desc=described(minutes),
            unit=" min",
        ),
        share_svg=bar_plot(
            shares,
            ident="plot-share",
            title=_("Share of the special-attention households reached, per drill"),
            desc=described(shares),
            top=100.0,
            unit="%",
        ),
        rows=tuple(rows),
    )
