"""Scenario 2 of SCENARIOS.md, walked with real parts: power, phones and internet down.

A ``hub serve`` process with a radio (the simulated one, over the real meshtastic TCP API)
and an upstream broker that is unreachable; residents check in, the coordinator switches to
crisis mode and announces; a life-threatening need jumps the queue; volunteers work by LoRa;
the Pi is unplugged (SIGKILL) with a task waiting for the radio; internet returns and two
days of events drain upstream in order, once, confirmed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hub.mesh.sim import Simulator
from tests.conftest import free_port
from tests.sync.conftest import MosquittoBroker, consumer_for, wait_for

HUB_ID = "kerkbuurt-1"


class HubProcess:
    """``hub serve`` as systemd would run it; killable like a power cut."""

    def __init__(self, root: Path, radio: str, mqtt_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.env.update(
            HUB_DATA_DIR=str(root / "data"),
            HUB_ID=HUB_ID,
            HUB_NAME="Buurthuis De Linde",
            HUB_RADIO=radio,
            HUB_MQTT_URL=mqtt_url,
            HUB_RATE_LIMIT="0",
        )
        self.log = (root / "hub.log").open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hub", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._healthy, 30, "the hub to serve")

    def _healthy(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def power_cut(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "hub", *args],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture
def radio() -> Iterator[Simulator]:
    simulator = Simulator(handsets=3, preset="MEDIUM_FAST", seed=7)
    yield simulator
    simulator.stop()


def received(sim: Simulator, node_id: str, starting: str) -> bool:
    return any(text.text.startswith(starting) for text in sim.received(node_id))


def test_three_days_without_power_phones_or_internet(tmp_path: Path, radio: Simulator) -> None:
    radio_port = radio.start_tcp("127.0.0.1", 0)
    broker = MosquittoBroker(tmp_path / "broker")  # the region's broker: unreachable until Monday
    hub = HubProcess(tmp_path, f"tcp://127.0.0.1:{radio_port}", broker.url)
    anna, bram, chantal = radio.handsets
    try:
        hub.start()
        token = hub.cli("token", "create", "scenario").strip().splitlines()[-1]
        admin = httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        residents = httpx.Client(base_url=hub.url, timeout=30)

        # Preparedness (normal mode): volunteers with handsets, a household with a buddy.
        ids = {}
        for name, handset in (("Anna", anna), ("Bram", bram), ("Chantal", chantal)):
            response = admin.post("/api/v1/admin/volunteers", json={"name": name, "node_id": handset.node_id})
            assert response.status_code == 201, response.text
            ids[name] = response.json()["id"]
        household = admin.post(
            "/api/v1/admin/households",
            json={
                "address": "Dorpsstraat 21",
                "special_attention": ["medical_device"],
                "consent": {"given_by": "dochter", "share_upstream": False},
                "buddy_volunteer_id": ids["Anna"],
            },
        )
        assert household.status_code == 201, household.text

        # 1-2. Saturday 06:10: the coordinator switches to crisis mode and announces.
        assert admin.put("/api/v1/admin/mode", json={"mode": "crisis"}).status_code in (200, 204)
        announcement = admin.post(
            "/api/v1/admin/announcements",
            json={
                "title": "Stroomstoring",
                "body": "Water en telefoon opladen in het buurthuis, 9-21 uur. Medische apparatuur? "
                "Kom langs of vraag een buurman.",
                "priority": "urgent",
                "send_mesh": True,
            },
        )
        assert announcement.status_code == 201, announcement.text
        wait_for(lambda: all(received(radio, h.node_id, "") for h in radio.handsets), 30, "the announcement")
        assert "Stroomstoring" in residents.get("/announcements").text

        # 3. Residents check in at the centre; one reports a life-threatening need.
        acknowledged = []
        for n in range(1, 31):
            response = residents.post(
                "/api/v1/checkins", json={"address": f"Kerkstraat {n}", "status": "ok", "people": 2}
            )
            assert response.status_code == 201
            acknowledged.append(response.json()["id"])
        need = residents.post(
            "/api/v1/needs",
            json={
                "address": "Dorpsstraat 21",
                "category": "medical_device",
                "urgency": "life",
                "description": "zuurstofapparaat, accu bijna leeg",
            },
        )
        assert need.status_code == 201
        assert need.json()["call_112"] is True
        wait_for(lambda: received(radio, bram.node_id, "SPOED"), 30, "the life-threatening need on the mesh")
        needs = admin.get("/api/v1/admin/needs").json()["items"]
        assert needs[0]["urgency"] == "life"

        # 4. A volunteer takes a door-knock task over LoRa and finishes it.
        task = admin.post(
            "/api/v1/admin/tasks",
            json={"kind": "door_knock", "address": "Dorpsstraat 21", "volunteer_id": ids["Anna"]},
        ).json()
        number = task["number"]
        wait_for(lambda: received(radio, anna.node_id, f"T{number} "), 30, "the task on Anna's handset")
        radio.send_text(anna.node_id, "JA")
        wait_for(
            lambda: admin.get(f"/api/v1/admin/tasks/{task['id']}").json()["status"] == "accepted", 30, "JA"
        )
        radio.send_text(anna.node_id, f"KLAAR {number} apparaat op accu buurman")
        wait_for(
            lambda: admin.get(f"/api/v1/admin/tasks/{task['id']}").json()["status"] == "done", 30, "KLAAR"
        )

        # 5. 14:00: the radio's cable is knocked out and the Pi unplugged, with a task waiting.
        radio.drop_client()
        radio.refuse_connections(6)
        waiting = admin.post(
            "/api/v1/admin/tasks",
            json={"kind": "delivery", "address": "Molenweg 4", "volunteer_id": ids["Bram"]},
        ).json()
        hub.power_cut()
        hub.start()  # plugged back in: systemd starts it again
        wait_for(
            lambda: received(radio, bram.node_id, f"T{waiting['number']} "),
            60,
            "the queued task after restart",
        )
        for record_id in acknowledged:  # nothing acknowledged was lost
            assert record_id in {
                c["id"] for c in admin.get("/api/v1/admin/checkins?limit=1000").json()["items"]
            }

        # 6. Monday 11:00: internet returns; the backlog drains, in order, once, confirmed.
        broker.start()
        consumer = consumer_for(broker, tmp_path, [HUB_ID])
        consumer.start()
        try:

            def confirmed() -> bool:
                sync = residents.get("/api/v1/status").json()["sync"]
                return bool(sync["state"] == "connected" and sync["unconfirmed"] == 0)

            wait_for(confirmed, 90, "every event confirmed upstream")
            database = sqlite3.connect(tmp_path / "data" / "hub.sqlite3")
            try:
                events = database.execute("SELECT seq, id, type, data FROM outbox ORDER BY seq").fetchall()
            finally:
                database.close()
            assert [seq for seq, *_ in events] == list(range(1, len(events) + 1))
            assert consumer.stored_seqs(HUB_ID) == [seq for seq, *_ in events]
            types = [event_type for _, _, event_type, _ in events]
            assert types.count("checkin.created") == 30
            assert {"need.created", "task.accepted", "task.done", "household.registered"} <= set(types)
            # The household did not consent: its condition did not leave the hub.
            registered = next(json.loads(data) for _, _, t, data in events if t == "household.registered")
            assert "special_attention" not in registered

            # Official announcements from the municipality reach the portal.
            from tests.sync.conftest import Peer

            municipality = Peer(broker, "gemeente")
            municipality.publish(
                "buurtbaken/v1/broadcast/announcements",
                json.dumps(
                    {"id": "gemeente-2026-11-30-1", "title": "Stroom terug", "body": "Het net is hersteld.",
                     "priority": "info"}
                ).encode(),
            )  # fmt: skip
            municipality.close()
            wait_for(
                lambda: "Stroom terug" in residents.get("/announcements").text, 30, "the municipality's news"
            )
        finally:
            consumer.stop()

        # 7. Afterwards: the records for the municipality.
        exported = json.loads(hub.cli("export", "--format", "json"))
        assert len(exported["records"]["checkins"]) == 30
    finally:
        hub.stop()
        broker.stop()
