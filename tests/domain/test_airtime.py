"""Time on air and the hourly airtime budget."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.domain.airtime import (
    EU_868_PRESETS,
    AirtimeBudget,
    Priority,
    ack_airtime,
    default_budget_seconds,
    preset_by_name,
    text_packet_airtime,
    time_on_air,
)


@pytest.mark.parametrize(
    ("preset", "payload", "ms"),
    [
        ("LONG_FAST", 50, 641),
        ("LONG_FAST", 200, 1747),
        ("MEDIUM_FAST", 50, 181),
        ("MEDIUM_FAST", 200, 519),
    ],
)
def test_reference_values(preset: str, payload: int, ms: float) -> None:
    assert time_on_air(preset, payload) * 1000 == pytest.approx(ms, abs=1.0)


def test_ack_airtime_matches_reference() -> None:
    assert ack_airtime("LONG_FAST") * 1000 == pytest.approx(477, abs=10)
    assert ack_airtime("MEDIUM_FAST") * 1000 == pytest.approx(130, abs=5)


def test_presets_of_eu868() -> None:
    assert set(EU_868_PRESETS) == {
        "SHORT_FAST",
        "SHORT_SLOW",
        "MEDIUM_FAST",
        "MEDIUM_SLOW",
        "LONG_FAST",
        "LONG_MODERATE",
        "LONG_SLOW",
    }
    sf = preset_by_name("long_slow")
    assert (sf.spreading_factor, sf.bandwidth_hz, sf.low_data_rate_optimisation) == (
        12,
        125_000,
        True,
    )
    with pytest.raises(KeyError):
        preset_by_name("VERY_LONG_SLOW")


def test_slower_presets_take_longer() -> None:
    order = [
        "SHORT_FAST",
        "SHORT_SLOW",
        "MEDIUM_FAST",
        "MEDIUM_SLOW",
        "LONG_FAST",
        "LONG_MODERATE",
        "LONG_SLOW",
    ]
    times = [time_on_air(p, 100) for p in order]
    assert times == sorted(times)
    assert len(set(times)) == len(times)


def test_text_airtime_counts_utf8_bytes() -> None:
    assert text_packet_airtime("LONG_FAST", "é" * 60) > text_packet_airtime("LONG_FAST", "e" * 60)
    assert text_packet_airtime("LONG_FAST", "x" * 27) == time_on_air("LONG_FAST", 16 + 27 + 7)


@given(st.sampled_from(sorted(EU_868_PRESETS)), st.integers(0, 254), st.integers(0, 254))
def test_airtime_is_monotonic_in_payload(preset: str, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert time_on_air(preset, lo) <= time_on_air(preset, hi)


def test_default_budget_is_half_the_eu_duty_cycle() -> None:
    assert default_budget_seconds() == pytest.approx(180.0)
    assert AirtimeBudget().budget_seconds == pytest.approx(180.0)


def test_budget_holds_by_priority_and_rolls_over() -> None:
    budget = AirtimeBudget(budget_seconds=100.0)
    budget.charge(70.0, now=0.0)
    assert budget.can_send(Priority.SUMMARY, 10.0, now=1.0)
    assert not budget.can_send(Priority.SUMMARY, 11.0, now=1.0)
    assert budget.can_send(Priority.TASK, 30.0, now=1.0)
    assert not budget.can_send(Priority.ANNOUNCEMENT, 31.0, now=1.0)
    budget.charge(40.0, now=2.0)
    assert budget.used(now=2.0) == pytest.approx(110.0)
    for held in (
        Priority.TASK,
        Priority.REPLY,
        Priority.ANNOUNCEMENT,
        Priority.SUMMARY,
    ):
        assert not budget.can_send(held, 0.5, now=3.0)
    assert budget.can_send(Priority.SOS, 5.0, now=3.0)
    assert budget.can_send(Priority.LIFE, 5.0, now=3.0)
    # after the first charge leaves the window, 40 s are used
    assert budget.used(now=3600.0) == pytest.approx(40.0)
    assert budget.can_send(Priority.TASK, 60.0, now=3600.0)
    assert budget.seconds_until_room(1.0, now=3600.0) == 0.0
    assert math.isinf(budget.seconds_until_room(101.0, now=3600.0))


def test_seconds_until_room() -> None:
    budget = AirtimeBudget(budget_seconds=100.0)
    budget.charge(70.0, now=0.0)
    budget.charge(20.0, now=100.0)
    assert budget.seconds_until_room(10.0, now=3000.0) == 0.0
    assert budget.seconds_until_room(30.0, now=3000.0) == pytest.approx(600.0)
    assert budget.seconds_until_room(90.0, now=3000.0) == pytest.approx(700.0)


def test_charge_rejects_negative_airtime() -> None:
    with pytest.raises(ValueError):
        AirtimeBudget().charge(-1.0, now=0.0)
