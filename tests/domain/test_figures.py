"""The derived figures and what the public may see: pure, no I/O."""

from __future__ import annotations

import pytest

from hub.domain.figures import Figures


def test_derived_figures() -> None:
    figures = Figures(
        since=None,
        drill=False,
        households_ok=4,
        households_help=2,
        open_needs_by_urgency={"normal": 2, "urgent": 1, "life": 1},
        open_needs_by_category={"water": 3, "food": 1},
        special_attention_registered=5,
        special_attention_reached=3,
    )
    assert figures.households_checked_in == 6
    assert (figures.open_needs, figures.urgent_needs) == (4, 2)
    assert figures.special_attention_not_reached == 2
    with pytest.raises(TypeError):
        figures.open_needs_by_urgency["normal"] = 9  # type: ignore[index]


def test_the_public_subset_holds_no_special_attention_or_volunteer_figures() -> None:
    figures = Figures(
        since=None, drill=True, special_attention_registered=2, volunteers_available=3, tasks_open=1
    )
    public = figures.public()
    assert not {key for key in public if key.startswith(("special", "volunteer", "tasks"))}
    assert public["drill"] is True
    assert set(public) < set(figures.summary())
    assert figures.summary()["special_attention_not_reached"] == 2
