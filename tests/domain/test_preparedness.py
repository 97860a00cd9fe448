"""The self-check's figures and the activities' rules, as pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from hub.domain.preparedness import (
    NO_ADDRESS,
    NOT_IN_REGISTER,
    Answer,
    csv_cells,
    csv_columns,
    is_past,
    parse_local,
    read_activity,
    self_check_figures,
    water_litres,
)
from hub.domain.readiness import UNSECTIONED, Section
from hub.errors import ValidationError

REGISTER = ["kerkstraat 1", "kerkstraat 2", "kerkstraat 3", "kerkstraat 4", "molenweg 1"]
SECTIONS = [Section("Kerk laag", "kerkstraat", 1, 2), Section("Kerk hoog", "kerkstraat", 3, None)]


def test_figures_per_section_latest_answer_per_address_and_the_rows_apart() -> None:
    answers = [
        Answer("kerkstraat 1", frozenset({"water", "food"})),
        Answer("kerkstraat 1", frozenset({"water"})),  # again: this one counts
        Answer("kerkstraat 2", frozenset({"water", "check_on"})),
        Answer("stationsweg 9", frozenset({"cash"})),
        Answer(None, frozenset({"torch"})),
        Answer(None, frozenset()),
    ]
    rows = {r.section: r for r in self_check_figures(SECTIONS, REGISTER, answers)}
    assert list(rows) == ["Kerk laag", "Kerk hoog", UNSECTIONED, NOT_IN_REGISTER, NO_ADDRESS]
    low = rows["Kerk laag"]
    assert (low.addresses, low.households, low.share_answering) == (2, 2, 1.0)
    assert (low.share("water"), low.share("food"), low.share("check_on")) == (1.0, 0.0, 0.5)
    high = rows["Kerk hoog"]
    assert (high.addresses, high.households, high.share_answering, high.share("water")) == (2, 0, 0.0, None)
    assert (rows[UNSECTIONED].addresses, rows[UNSECTIONED].households) == (1, 0)
    assert (rows[NOT_IN_REGISTER].households, rows[NOT_IN_REGISTER].share("cash")) == (1, 1.0)
    assert (rows[NO_ADDRESS].households, rows[NO_ADDRESS].share("torch")) == (2, 0.5)
    assert csv_cells(low)[:3] == (2, 1.0, 1.0) and len(csv_cells(low)) == len(csv_columns())
    assert csv_cells(high)[:3] == (0, 0.0, "")


def test_no_answers_no_rows_apart() -> None:
    rows = self_check_figures(SECTIONS, ["kerkstraat 1"], [])
    assert [r.section for r in rows] == ["Kerk laag", "Kerk hoog"]


def test_water_for_three_days() -> None:
    assert (water_litres(None), water_litres(1), water_litres(4)) == (9, 9, 36)


def test_an_activity_as_a_coordinator_types_it() -> None:
    read = read_activity("drill", " Oefening ", "2026-12-12 19:30", "Buurthuis", "")
    assert (read.kind, read.title, read.place) == ("drill", "Oefening", "Buurthuis")
    assert read.starts_at == parse_local("2026-12-12T19:30")
    assert read.starts_at.astimezone().strftime("%H:%M") == "19:30"
    for args, field in (
        (("feest", "x", "2026-12-12T19:30", "y", ""), "kind"),
        (("activity", "", "2026-12-12T19:30", "y", ""), "title"),
        (("activity", "x", "12-12-2026 19:30", "y", ""), "when"),
        (("activity", "x", "1999-12-12T19:30", "y", ""), "when"),
        (("activity", "x", "2026-12-12T19:30", "", ""), "place"),
        (("activity", "x", "2026-12-12T19:30", "y", "z" * 1001), "text"),
    ):
        with pytest.raises(ValidationError) as caught:
            read_activity(*args)
        assert caught.value.field == field


def test_an_activity_stays_until_its_day_has_passed() -> None:
    now = datetime.now().astimezone().replace(hour=20, minute=0)
    assert not is_past(now.replace(hour=9), now)  # this morning: still today
    assert is_past(now - timedelta(days=1), now)
    assert not is_past(now + timedelta(days=1), now)
