"""What the hub knows of its power: read from the kernel's power-supply class (a directory of the
same shape stands in for /sys/class/power_supply, the hardware's side)."""

from __future__ import annotations

from pathlib import Path

from hub.power import PowerState, read_power


def supply(root: Path, name: str, **files: str) -> None:
    (root / name).mkdir(parents=True)
    for file, text in files.items():
        (root / name / file).write_text(text + "\n")


def test_a_ups_hat_on_battery(tmp_path: Path) -> None:
    supply(tmp_path, "ups-battery", type="Battery", capacity="64", status="Discharging")
    supply(tmp_path, "ups-mains", type="Mains", online="0")
    assert read_power(tmp_path) == PowerState(battery_percent=64, on_mains=False)


def test_mains_back_and_the_lowest_of_two_batteries(tmp_path: Path) -> None:
    supply(tmp_path, "BAT0", type="Battery", capacity="90")
    supply(tmp_path, "BAT1", type="Battery", capacity="41")
    supply(tmp_path, "usb", type="USB", online="0")
    supply(tmp_path, "ac", type="Mains", online="1")
    assert read_power(tmp_path) == PowerState(battery_percent=41, on_mains=True)


def test_nothing_reported_is_unknown_never_on_mains(tmp_path: Path) -> None:
    assert read_power(tmp_path / "missing") == PowerState(None, None)
    assert read_power(tmp_path) == PowerState(None, None)
    supply(tmp_path, "odd", type="Battery", capacity="lots")
    supply(tmp_path, "half", type="Mains")  # no online file
    supply(tmp_path, "broken")  # no type
    (tmp_path / "stray").write_text("not a directory")
    assert read_power(tmp_path) == PowerState(None, None)
