"""``hub serve --radio sim``: the in-process simulator, the demo volunteers, /api/v1/status."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from hub.config import load_settings
from hub.domain.airtime import preset_by_name
from hub.mesh.link import MeshLink
from hub.mesh.sender import ack_timeout_for
from hub.models import Volunteer
from hub.serve import build_hub

from ..conftest import LiveServer
from .hubmesh import wait_until

pytestmark = pytest.mark.timeout(90)


def test_status_shows_the_mesh_through_http(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        radio="sim",
        rate_limit=0,
        secret_key="test-secret-key-0123456789-abcdefghijklmnop",
    )
    hub = build_hub(settings, demo=True)
    link = hub.links["mesh"]
    assert isinstance(link, MeshLink)
    assert link.simulator is not None
    with LiveServer(settings, hub) as live, live.client() as http:

        def mesh() -> dict[str, object] | None:
            body = http.get("/api/v1/status").json()["mesh"]
            return body if body["connected"] and body["nodes_heard"] >= 5 else None

        status = wait_until(mesh, 20, "mesh connected")
        assert status["state"] == "connected"
        assert status["radio"] == "sim"
        assert status["node_id"] == link.simulator.node_id
        assert status["firmware"]
        assert status["airtime"] == {"used_s": 0.0, "budget_s": 180.0, "preset": "MEDIUM_FAST"}
        assert status["queue"] == {"queued": 0, "unacked": 0, "failed": 0}
        # the demo registered the simulated handsets as volunteers, so they may send commands
        with hub.db.read() as session:
            nodes = set(session.exec(select(Volunteer.node_id)).all())
        handsets = {h.node_id for h in link.simulator.handsets}
        assert handsets <= nodes
        first = link.simulator.handsets[0].node_id
        link.simulator.send_text(first, "STATUS")
        reply = link.simulator.wait_for_text(first, lambda t: t.text.startswith("Status"), timeout=10)
        assert "taken open" in reply.text
        assert wait_until(lambda: http.get("/api/v1/status").json()["mesh"]["last_rx"], 5, "last_rx")
    assert link.status()["state"] == "off"


def test_status_without_radio_is_off(client: object) -> None:
    import httpx

    assert isinstance(client, httpx.Client)
    assert client.get("/api/v1/status").json()["mesh"] == {"state": "off"}


def test_ack_timeout_scales_with_the_preset() -> None:
    assert ack_timeout_for("LONG_FAST") == pytest.approx(60.0)
    assert ack_timeout_for("MEDIUM_FAST") == pytest.approx(60.0 * 519 / 1747, rel=0.05)
    assert ack_timeout_for("SHORT_FAST") == 10.0  # floor
    assert preset_by_name("long_moderate").name == "LONG_MODERATE"
    assert ack_timeout_for("LONG_MODERATE") > 60.0
