"""``hub serve`` wires the region link: on with a region key, and "MQTT down" is the real MQTT
link's state (a real Mosquitto, killed and started again)."""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import pytest

from hub.config import load_settings
from hub.serve import build_hub
from tests.sync.conftest import MosquittoBroker

from .hubmesh import wait_until

pytestmark = pytest.mark.timeout(90)


def region_status(hub: Any) -> dict[str, Any]:
    status: dict[str, Any] = hub.links["mesh"].status()["region"]
    return status


def test_region_link_follows_the_mqtt_link(tmp_path: Path) -> None:
    key = tmp_path / "region-key"
    key.write_text(base64.b64encode(os.urandom(32)).decode())
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    settings = load_settings(
        data_dir=tmp_path / "data",
        radio="sim",
        mqtt_url=broker.url,
        region_key_file=key,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    hub = build_hub(settings)
    try:
        hub.start()
        wait_until(lambda: hub.links["sync"].status()["connected"], 20, "MQTT connected")
        wait_until(lambda: hub.links["mesh"].status()["connected"], 20, "radio connected")
        wait_until(lambda: region_status(hub)["radio_channel"] is None, 5, "radio channels read")
        assert region_status(hub)["mqtt_down_s"] == 0
        broker.kill()
        wait_until(lambda: region_status(hub)["mqtt_down_s"] > 0, 30, "MQTT seen down")
        broker.start()
        wait_until(lambda: region_status(hub)["mqtt_down_s"] == 0, 60, "MQTT seen up again")
    finally:
        hub.stop()
        broker.stop()


def test_without_a_region_key_the_region_link_is_off(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data", radio="sim", secret_key="test-secret-key-0123456789-abcdefghijklmnop"
    )
    hub = build_hub(settings)
    try:
        assert hub.links["mesh"].status()["region"] is None
    finally:
        hub.stop()
