"""The region's send form, end to end: the hubs' receipts change each hub's row on the page.

Real parts throughout: ``hub region serve``'s app under uvicorn on PostgreSQL, one Mosquitto,
``hub upstream`` in its own process, two ``hub serve`` processes (hub-a with the simulated radio
over the real meshtastic TCP API, hub-b without a radio). An officer sends an urgent announcement
to all hubs through the form; the page lists both hubs, each ``waiting`` or ``sent``; then, as
the hubs' receipts come back over MQTT, ``arrived at the hub``; after a resident opens a hub's
portal, ``shown on its portal`` there only; hub-a, whose handsets heard it, ``sent on its mesh``.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.mesh.sim import Simulator
from hub.region.deliveries import STATES
from hub.region.web import Region
from tests.region.conftest import RegionServer, csrf_of
from tests.sync.conftest import MosquittoBroker, wait_for
from tests.topology_processes import HubProcess

ROW = re.compile(r'<tr class="dl-row" data-hub="([^"]+)">(.*?)</tr>', re.S)
CELL = re.compile(r"<td[^>]*>(.*?)</td>", re.S)
BADGE = re.compile(r'<span class="badge dl-\w+">([^<]+)</span>')


def table(page: str, message_id: str) -> dict[str, tuple[str, list[bool]]]:
    """One message's rows on the send page: {hub: (state shown, [sent, arrived, shown, meshed] ticked)}."""
    section = page.split(f'id="message-{message_id}"')[1].split("</section>")[0]
    found = {}
    for hub, row in ROW.findall(section):
        badge, *steps = CELL.findall(row)
        match = BADGE.search(badge)
        assert match, row
        ticked = dict(zip(STATES, (step.startswith("✓") for step in steps), strict=True))
        found[hub] = (match.group(1), [ticked[state] for state in ("sent", "arrived", "shown", "meshed")])
    return found


@pytest.fixture
def radio() -> Iterator[Simulator]:
    simulator = Simulator(handsets=2, preset="MEDIUM_FAST", seed=5)
    yield simulator
    simulator.stop()


def test_the_send_form_shows_each_hubs_receipts(
    tmp_path: Path, region: Region, region_server: RegionServer, postgres_url: str, radio: Simulator
) -> None:
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    log = (tmp_path / "consumer.log").open("wb")
    consumer = subprocess.Popen(
        [sys.executable, "-m", "hub", "upstream", "--mqtt", broker.url, "--db", postgres_url,
         "--client-id", "region-1", "--keepalive", "5", "--overview-every", "0"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    radio_port = radio.start_tcp("127.0.0.1", 0)
    hubs = {
        name: HubProcess(
            tmp_path / name,
            {
                "HUB_ID": name,
                "HUB_MQTT_URL": broker.url,
                "HUB_RADIO": f"tcp://127.0.0.1:{radio_port}" if name == "hub-a" else "none",
                "HUB_SECRET_KEY": "test-secret-key-0123456789-abcdefghijklmnop",
            },
        )
        for name in ("hub-a", "hub-b")
    }
    try:
        for hub in hubs.values():
            hub.root.mkdir(parents=True, exist_ok=True)
            hub.start()
            answer = httpx.post(
                hub.url + "/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok", "people": 1}
            )
            assert answer.status_code == 201, answer.text
        wait_for(lambda: set(region.store.marks()) == set(hubs), 60, "the region to know both hubs", 0.2)

        with region_server.login("olga") as officer:
            form = {
                "csrf": csrf_of(officer.get("/send").text),
                "kind": "announcement",
                "title": "Waterleiding",
                "body": "Kook het water af.",
                "priority": "urgent",
                "to": "all",
            }
            sent = officer.post("/send", data=form)
            assert sent.status_code == 303
            message_id = sent.headers["location"].split("sent=")[1]
            first = table(officer.get(f"/send?sent={message_id}&lang=en").text, message_id)
            assert set(first) == set(hubs)
            assert {state for state, _ in first.values()} <= {"waiting for a broker", "sent"}
            page = officer.get(f"/send?sent={message_id}&lang=en").text
            section = page.split(f'id="message-{message_id}"')[1]
            lora_cell = r'<td data-label="(?:sent over LoRa|acknowledged over LoRa)">([^<]*)</td>'
            lora_cells = re.findall(lora_cell, section)
            assert lora_cells and set(lora_cells) == {"not asked"}  # not sent over LoRa: not a dash

            def rows() -> dict[str, tuple[str, list[bool]]]:
                return table(officer.get("/send?lang=en").text, message_id)

            wait_for(
                lambda: all(steps[:2] == [True, True] for _, steps in rows().values()),
                60,
                "both hubs' rows: sent and arrived",
                0.5,
            )
            assert rows()["hub-b"] == ("arrived at the hub", [True, True, False, False])
            # A resident opens hub-b's portal: its row says shown; hub-a's does not.
            assert "Waterleiding" in httpx.get(hubs["hub-b"].url + "/announcements").text
            wait_for(lambda: rows()["hub-b"][0] == "shown on its portal", 60, "hub-b's portal receipt", 0.5)
            assert not rows()["hub-a"][1][2]
            # hub-a put it on its mesh (urgent); its handsets heard it, and its row says so.
            wait_for(lambda: rows()["hub-a"][0] == "sent on its mesh", 90, "hub-a's mesh receipt", 0.5)
            assert all(
                any("Waterleiding" in t.text for t in radio.received(h.node_id)) for h in radio.handsets
            )
            assert rows()["hub-b"][1][3] is False  # no radio at hub-b
            nl = officer.get("/send?lang=nl").text
            assert "verstuurd op zijn mesh" in nl and "getoond op zijn portal" in nl
    finally:
        for hub in hubs.values():
            hub.stop()
        consumer.terminate()
        consumer.wait(timeout=30)
        log.close()
        broker.stop()
