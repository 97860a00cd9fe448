"""Three hubs and a station on one simulated region channel: every hub's summary reaches the
station within two periods, each in its own slot, and an announcement to all reaches every
portal (the hubs' side of issue #14's proof)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from hub.config import load_settings
from hub.domain.region_radio import ALL_HUBS, Kind, Summary, hub_tag, split_announcement
from hub.mesh.region_link import RegionConfig
from hub.mesh.sim import RegionAir, Simulator
from hub.models import Announcement

from .hubmesh import MeshHub, wait_until
from .test_region_link import Station

pytestmark = pytest.mark.timeout(120)

KEY = os.urandom(32)
PERIOD = 9.0
SLOT = 3  # seconds: room for a late tick on a busy machine


@pytest.fixture
def hubs(tmp_path: Path) -> Iterator[tuple[list[MeshHub], Station]]:
    air = RegionAir(seed=3, hop_delay=0.05, loss=0.1)
    station_radio = Simulator(handsets=0, preset="MEDIUM_FAST", seed=300)
    air.attach(station_radio)
    meshes: list[MeshHub] = []
    radios = [station_radio]
    for number in range(3):
        radio = Simulator(handsets=1, preset="MEDIUM_FAST", seed=301 + number)
        air.attach(radio)
        radios.append(radio)
        settings = load_settings(
            data_dir=tmp_path / f"hub{number}",
            id=f"wijk-{number}",
            rate_limit=0,
            secret_key="test-secret-key-0123456789-abcdefghijklmnop",
        )
        config = RegionConfig(
            key=KEY,
            hub_id=settings.id,
            after_seconds=0.0,
            period_seconds=PERIOD,
            slot_seconds=SLOT,
            slot=number,
        )
        port = radio.start_tcp("127.0.0.1", 0)
        meshes.append(
            MeshHub(
                settings, radio, f"tcp://127.0.0.1:{port}", volunteers=1, region=config, mqtt_up=lambda: False
            )
        )
    station = Station(station_radio, KEY)
    for mesh in meshes:
        mesh.start()
    try:
        yield meshes, station
    finally:
        for mesh in meshes:
            mesh.stop()
        station.close()
        for radio in radios:
            radio.stop()


def test_every_hub_summarises_in_its_own_slot_and_hears_the_region(
    hubs: tuple[list[MeshHub], Station],
) -> None:
    meshes, station = hubs
    started = time.time()
    tags = {hub_tag(m.hub.settings.id): n for n, m in enumerate(meshes)}

    def senders() -> set[bytes]:
        return {h.sender for h, _ in station.of_kind(Summary)}

    wait_until(lambda: senders() == set(tags), 2 * PERIOD + 3, "a summary from every hub")
    assert time.time() - started <= 2 * PERIOD + 3
    for header, _ in station.of_kind(Summary):
        slot = int(header.sent % PERIOD) // SLOT  # the second into the period it was sent
        assert slot == tags[header.sender]

    for part in split_announcement("Noodwater bij het gemeentehuis", target=ALL_HUBS, message_id=1):
        for _ in range(3):  # at 10 % loss the station repeats until it has every hub's ACK
            station.send(Kind.ANNOUNCE, part)
    for mesh in meshes:
        wait_until(
            lambda mesh=mesh: mesh.read(lambda s: s.exec(select(Announcement.body)).all()),
            10,
            f"announcement at {mesh.hub.settings.id}",
        )
        bodies = mesh.read(lambda s: s.exec(select(Announcement.body)).all())
        assert bodies == ["Noodwater bij het gemeentehuis"]
