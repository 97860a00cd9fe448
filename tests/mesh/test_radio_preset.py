"""The radio's real modem preset, read from its LoRa config at connect, sets the airtime budget.

A LONG_FAST radio budgeted as MEDIUM_FAST would use 3.4-3.7 x the airtime the hub thinks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.config import load_settings
from hub.domain.airtime import ROUTING_ACK_PHY_BYTES, Priority, ack_airtime, text_packet_airtime, time_on_air
from hub.mesh.sim import Simulator
from tests.admin.conftest import login, make_user
from tests.conftest import LiveServer

from .hubmesh import MeshHub, wait_until

pytestmark = pytest.mark.timeout(90)

WARNING_NL = "De radio gebruikt modemprofiel LONG_FAST, maar HUB_LORA_PRESET is MEDIUM_FAST."
WARNING_EN = "The radio uses modem preset LONG_FAST, but HUB_LORA_PRESET is MEDIUM_FAST."


@pytest.fixture
def long_fast() -> Iterator[Simulator]:
    simulator = Simulator(handsets=2, preset="LONG_FAST", seed=21)
    try:
        yield simulator
    finally:
        simulator.stop()


def _mesh(tmp_path: Path, sim: Simulator) -> MeshHub:
    settings = load_settings(
        data_dir=tmp_path / "data",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        lora_preset="MEDIUM_FAST",
    )
    port = sim.start_tcp("127.0.0.1", 0)
    return MeshHub(settings, sim, f"tcp://127.0.0.1:{port}", preset=settings.lora_preset)


def test_a_long_fast_radio_is_budgeted_as_long_fast_and_the_admin_is_warned(
    tmp_path: Path, long_fast: Simulator
) -> None:
    mesh = _mesh(tmp_path, long_fast)
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        wait_until(lambda: mesh.link.status()["connected"], 15, "link connected")
        status = mesh.link.status()
        assert status["airtime"]["preset"] == "LONG_FAST"
        assert (status["preset_configured"], status["preset_radio"]) == ("MEDIUM_FAST", "LONG_FAST")
        assert status["preset_mismatch"] is True

        mesh.create_task(41, volunteer=0, address="Kerkstraat 5", note="mevr. J (84, alleen)")
        mesh.wait_task(41, "sent")
        (row,) = [r for r in mesh.outbound() if r.priority == Priority.TASK]
        # the dispatch and the handset's ACK it asks for, at the radio's real preset
        caused = text_packet_airtime("LONG_FAST", row.text) + ack_airtime("LONG_FAST")
        assert row.airtime == pytest.approx(caused)
        assert row.airtime > 3 * (text_packet_airtime("MEDIUM_FAST", row.text) + ack_airtime("MEDIUM_FAST"))
        assert mesh.link.status()["airtime"]["used_s"] == pytest.approx(row.airtime, abs=0.01)

        make_user(mesh.hub, "coord")
        assert login(http, "coord").status_code == 303
        page = http.get("/admin/mesh")
        assert page.status_code == 200
        assert WARNING_NL in page.text
        assert "Het zendtijdbudget rekent met het profiel van de radio" in page.text
        english = http.get("/admin/mesh", params={"lang": "en"})
        assert WARNING_EN in english.text
        assert "The airtime budget counts with the radio's preset" in english.text


def test_a_radio_with_its_own_modulation_is_budgeted_with_it(tmp_path: Path, long_fast: Simulator) -> None:
    long_fast.set_lora(use_preset=False, bandwidth=125, spread_factor=12, coding_rate=8)
    mesh = _mesh(tmp_path, long_fast).start()
    try:
        status = mesh.link.status()
        assert (status["airtime"]["preset"], status["preset_radio"]) == ("CUSTOM", "CUSTOM")
        assert status["preset_mismatch"] is True
        mesh.create_task(42, volunteer=0)
        mesh.wait_task(42, "sent")
        (row,) = [r for r in mesh.outbound() if r.priority == Priority.TASK]
        ack = time_on_air("LONG_SLOW", ROUTING_ACK_PHY_BYTES)
        assert row.airtime == pytest.approx(time_on_air("LONG_SLOW", 16 + len(row.text.encode()) + 7) + ack)
    finally:
        mesh.stop()


def test_a_preset_the_hub_cannot_compute_keeps_the_setting_and_says_so(
    tmp_path: Path, long_fast: Simulator
) -> None:
    long_fast.set_lora(preset="SHORT_TURBO")
    mesh = _mesh(tmp_path, long_fast)
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        wait_until(lambda: mesh.link.status()["connected"], 15, "link connected")
        status = mesh.link.status()
        assert (status["airtime"]["preset"], status["preset_radio"]) == ("MEDIUM_FAST", "SHORT_TURBO")
        assert status["preset_mismatch"] is True
        make_user(mesh.hub, "coord")
        assert login(http, "coord").status_code == 303
        page = http.get("/admin/mesh", params={"lang": "en"}).text
        assert "The hub cannot compute the airtime of the radio's preset" in page


def test_a_matching_radio_raises_no_warning(tmp_path: Path) -> None:
    with Simulator(handsets=1, preset="MEDIUM_FAST", seed=3) as sim:
        mesh = _mesh(tmp_path, sim)
        with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
            wait_until(lambda: mesh.link.status()["connected"], 15, "link connected")
            status = mesh.link.status()
            assert (status["airtime"]["preset"], status["preset_mismatch"]) == ("MEDIUM_FAST", False)
            make_user(mesh.hub, "coord")
            assert login(http, "coord").status_code == 303
            assert "HUB_LORA_PRESET is" not in http.get("/admin/mesh", params={"lang": "en"}).text
