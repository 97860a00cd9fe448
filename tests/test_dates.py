"""Times people read: a month by name in every language, a drill's times in minutes and seconds."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub import i18n
from hub.web.admin.common import duration

MOMENT = datetime(2026, 3, 12, 16, 10)  # 12 March: 03-12 to a Dutch reader, 3 December to an American


@pytest.mark.parametrize(
    ("code", "shown"),
    [("nl", "12 mrt 16:10"), ("en", "12 Mar 16:10"), ("pl", "12 mar 16:10"), ("tr", "12 Mar 16:10")],
)
def test_a_date_names_its_month_in_the_readers_language(code: str, shown: str) -> None:
    with i18n.using(code):
        assert i18n.day_and_time(MOMENT) == shown
        assert i18n.day_and_time(MOMENT, year=True) == shown.replace(" 16:10", " 2026 16:10")
    assert i18n.current_code() == "nl"  # the language ends with its block


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [(None, "–"), (0.25, "15 s"), (3.47, "3 min 28 s"), (12.0, "12 min 0 s"), (75.5, "1 h 15 min")],
)
def test_a_drill_time_reads_as_minutes_and_seconds(minutes: float | None, shown: str) -> None:
    assert duration(minutes) == shown
