"""The hub's side of the region channel (issue #14): a hub's MeshLink on one simulated radio, a
peer radio on the same region air acting as the regional station (the real meshtastic library
on both; the station decodes with ``hub.domain.region_radio``)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import meshtastic.tcp_interface
import pytest
from sqlmodel import select
from ulid import ULID

from hub.config import Settings
from hub.domain.airtime import Priority
from hub.domain.region_radio import (
    ALL_HUBS,
    Ack,
    Body,
    Header,
    Kind,
    Summary,
    Urgent,
    UrgentWhat,
    announcement_id,
    decode,
    encode,
    hub_tag,
    split_announcement,
)
from hub.mesh.region_link import RegionConfig
from hub.mesh.sender import RegionFrame
from hub.mesh.sim import RegionAir, Simulator
from hub.mesh.sim.pb import PortNum
from hub.models import Announcement
from hub.region import deliveries as region_deliveries
from hub.schemas import NeedCreate
from hub.services.residents import create_need
from hub.sync.apply import InboundApplier
from hub.sync.client import Received
from hub.sync.federation import PeerFollower
from tests.admin.conftest import CSRF_INPUT, login, make_user
from tests.conftest import LiveServer

from .conftest import Events
from .hubmesh import MeshHub, wait_until

pytestmark = pytest.mark.timeout(120)

KEY = os.urandom(32)
STATION = hub_tag("regio-station")


class Mqtt:
    """The hub's MQTT link as the region link sees it: up or down."""

    def __init__(self) -> None:
        self.up = False

    def __call__(self) -> bool:
        return self.up


class Station:
    """The regional station: a radio on the region air, the library connected, frames decoded."""

    def __init__(self, sim: Simulator, key: bytes = KEY) -> None:
        self.sim = sim
        self.key = key
        self.events = Events()
        self.events.listen("meshtastic.receive.data.PRIVATE_APP", "data")
        self.iface: Any = meshtastic.tcp_interface.TCPInterface(
            hostname="127.0.0.1", portNumber=sim.start_tcp("127.0.0.1", 0), timeout=10
        )
        self.events.iface = self.iface
        self.seq = 0
        self._lock = threading.Lock()

    def frames(self) -> list[tuple[Header, Body]]:
        out = []
        for packet in self.events.all("data"):
            assert packet["channel"] == 1
            out.append(decode(self.key, packet["decoded"]["payload"]))
        return out

    def of_kind(self, kind: type[Any]) -> list[tuple[Header, Any]]:
        return [(h, b) for h, b in self.frames() if isinstance(b, kind)]

    def wait_for(self, kind: type[Any], count: int = 1, timeout: float = 20.0) -> list[tuple[Header, Any]]:
        return wait_until(
            lambda: self.of_kind(kind) if len(self.of_kind(kind)) >= count else None,
            timeout,
            f"{count} {kind.__name__} frame(s) at the station",
        )

    def send(self, kind: Kind, body: Body, *, key: bytes | None = None, seq: int | None = None) -> bytes:
        with self._lock:
            self.seq += 1
            number = self.seq if seq is None else seq
        frame = encode(key or self.key, Header(kind, STATION, number, int(time.time())), body)
        self.send_raw(frame)
        return frame

    def send_raw(self, payload: bytes) -> None:
        self.iface.sendData(payload, portNum=PortNum.Value("PRIVATE_APP"), channelIndex=1)

    def close(self) -> None:
        self.iface.close()
        self.events.close()


@pytest.fixture
def region(settings: Settings) -> Iterator[tuple[MeshHub, Station, RegionAir, Mqtt]]:
    air = RegionAir(seed=14, hop_delay=0.05)
    hub_radio = Simulator(handsets=2, preset="MEDIUM_FAST", seed=141)
    station_radio = Simulator(handsets=0, preset="MEDIUM_FAST", seed=142)
    air.attach(hub_radio)
    air.attach(station_radio)
    mqtt = Mqtt()
    config = RegionConfig(
        key=KEY,
        hub_id=settings.id,
        after_seconds=1.0,
        period_seconds=2.0,
        slot_seconds=1,
        slot=0,
        retry_seconds=1.5,
        power_supply_dir=settings.data_dir / "power",  # empty: no supply reports
    )
    port = hub_radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, hub_radio, f"tcp://127.0.0.1:{port}", region=config, mqtt_up=mqtt)
    station = Station(station_radio)
    mesh.start()
    try:
        yield mesh, station, air, mqtt
    finally:
        mesh.stop()
        station.close()
        hub_radio.stop()
        station_radio.stop()


def open_need(mesh: MeshHub, category: str, urgency: str, description: str = "") -> str:
    data = NeedCreate(
        address="Kerkstraat 5", category=category, urgency=urgency, description=description or "hulp"
    )
    return mesh.run(lambda s: create_need(s, mesh.hub.ctx, data).id)


def test_summary_reaches_the_station_once_mqtt_is_down_long_enough(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, mqtt = region
    mqtt.up = True
    open_need(mesh, "water", "normal")
    open_need(mesh, "food", "normal")
    time.sleep(3.0)
    assert station.of_kind(Summary) == []  # MQTT up: nothing on the region channel
    mqtt.up = False
    down = time.monotonic()
    ((header, summary),) = station.wait_for(Summary, timeout=10)
    assert time.monotonic() - down >= 1.0  # not before the threshold
    assert header.sender == hub_tag(mesh.hub.settings.id)
    assert summary.mode == "normal"
    assert summary.needs_by_urgency["normal"] == 2
    assert summary.needs_by_category == {("food", "normal"): 1, ("water", "normal"): 1}
    assert (summary.battery_percent, summary.on_mains) == (None, None)  # no supply reports: unknown
    power = mesh.link.region.config.power_supply_dir  # as the kernel fills it for a UPS HAT
    for name, files in {
        "bat": {"type": "Battery", "capacity": "57"},
        "ac": {"type": "Mains", "online": "0"},
    }.items():
        (power / name).mkdir(parents=True)
        for file, text in files.items():
            (power / name / file).write_text(text)
    *_, (_, later) = station.wait_for(Summary, count=2, timeout=6)  # once per period
    assert (later.battery_percent, later.on_mains) == (57, False)
    assert mesh.link.status()["region"]["summaries_on"] is True


def test_an_sos_goes_at_once_and_again_until_the_region_acks(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _mqtt = region
    mesh.step(0, "SOS brand in de keuken")
    (raised,) = mesh.events("alert.raised")
    ((_, urgent),) = station.wait_for(Urgent, timeout=10)
    assert urgent.what is UrgentWhat.SOS
    assert urgent.event_id == bytes.fromhex(_ulid_hex(raised.id))
    assert "brand in de keuken" in urgent.text
    station.wait_for(Urgent, count=2, timeout=10)  # no ACK yet: again
    station.send(Kind.ACK, Ack(Kind.URGENT, urgent.event_id))
    wait_until(lambda: mesh.link.status()["region"]["urgent_waiting"] == 0, 10, "urgent acknowledged")
    settled = len(station.of_kind(Urgent))
    time.sleep(3.5)
    assert len(station.of_kind(Urgent)) <= settled + 1  # at most one already on its way


def test_life_need_and_supplies_go_urgent_a_normal_need_does_not(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    open_need(mesh, "medicine", "life", "insuline op")
    open_need(mesh, "water", "urgent", "geen drinkwater")
    open_need(mesh, "information", "normal")
    frames = station.wait_for(Urgent, count=2, timeout=10)
    kinds = {(u.what, u.category) for _, u in frames}
    assert kinds == {(UrgentWhat.LIFE_NEED, "medicine"), (UrgentWhat.SUPPLIES, "water")}
    # HUB_SYNC_SHARE=aggregate: a need's description does not leave the hub, over LoRa neither
    assert mesh.hub.settings.sync_share == "aggregate"
    assert {u.text for _, u in frames} == {""}


def test_urgent_frame_arrives_at_ten_percent_loss(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, air, _ = region
    air.loss = 0.1
    started = time.monotonic()
    open_need(mesh, "medical_device", "life", "zuurstof valt uit")
    station.wait_for(Urgent, timeout=60)
    assert time.monotonic() - started < 60


def test_mqtt_back_stops_the_retries(region: tuple[MeshHub, Station, RegionAir, Mqtt]) -> None:
    mesh, station, air, mqtt = region
    air.cut(station.sim)  # the station hears nothing: no ACK will come
    open_need(mesh, "medicine", "life")
    wait_until(lambda: mesh.link.status()["region"]["urgent_sent"] >= 2, 10, "two tries")
    mqtt.up = True
    wait_until(lambda: mesh.link.status()["region"]["urgent_waiting"] == 0, 5, "retries stopped")
    sent = mesh.link.status()["region"]["urgent_sent"]
    time.sleep(2.5)
    assert mesh.link.status()["region"]["urgent_sent"] == sent


def test_an_announcement_shows_on_the_portal_once_and_each_part_is_acked(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    text = "Drinkwater bij de sporthal vanaf 14 uur. " * 6
    parts = split_announcement(text, target=ALL_HUBS, message_id=77, room=120)
    assert len(parts) >= 2
    for part in parts:
        station.send(Kind.ANNOUNCE, part)
    for part in parts:  # the parts again: a repeat shows nothing twice
        station.send(Kind.ANNOUNCE, part)
    acks = station.wait_for(Ack, count=len(parts), timeout=15)
    assert {(a.kind, a.ref[:4], a.part) for _, a in acks} == {
        (Kind.ANNOUNCE, (77).to_bytes(4, "big"), p.part) for p in parts
    }
    shown = wait_until(lambda: _announcements(mesh), 10, "announcement stored")
    time.sleep(1.0)
    shown = _announcements(mesh)
    assert len(shown) == 1
    assert shown[0].body == " ".join(text.split())
    assert shown[0].source == "region_lora"
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        assert "Drinkwater bij de sporthal" in http.get("/").text
        make_user(mesh.hub, "coord")
        assert login(http, "coord").status_code == 303
        page = http.get("/admin/mesh")  # the coordinators see the region channel's facts, in Dutch
        assert page.status_code == 200
        assert "Regiokanaal (LoRa)" in page.text and "berichten ontvangen: 1" in page.text


def test_an_announcement_for_another_hub_is_not_shown(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    (part,) = split_announcement("Alleen voor Oost", target=hub_tag("oost-1"), message_id=5)
    station.send(Kind.ANNOUNCE, part)
    (mine,) = split_announcement("Voor deze hub", target=hub_tag(mesh.hub.settings.id), message_id=6)
    station.send(Kind.ANNOUNCE, mine)
    wait_until(lambda: _announcements(mesh), 10, "own announcement stored")
    assert [a.body for a in _announcements(mesh)] == ["Voor deze hub"]


def test_garbage_forged_and_replayed_frames_change_nothing(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    open_need(mesh, "medicine", "life")
    ((_, urgent),) = station.wait_for(Urgent, timeout=10)
    (part,) = split_announcement("Vals bericht", target=ALL_HUBS, message_id=9)
    station.send_raw(b"")
    station.send_raw(os.urandom(40))
    station.send_raw(b"\x13" + os.urandom(80))
    station.send(Kind.ANNOUNCE, part, key=os.urandom(32))  # a stranger's key
    station.send(Kind.ACK, Ack(Kind.URGENT, urgent.event_id), key=os.urandom(32))
    real = station.send(Kind.ANNOUNCE, split_announcement("Echt", target=ALL_HUBS, message_id=10)[0])
    wait_until(lambda: len(_announcements(mesh)) == 1, 10, "the real one stored")
    station.send_raw(real)  # the same frame again, recorded and replayed
    wait_until(lambda: mesh.link.status()["region"]["refused"] >= 5, 10, "refusals counted")
    time.sleep(0.5)
    status = mesh.link.status()
    assert status["connected"]
    assert [a.body for a in _announcements(mesh)] == ["Echt"]
    assert status["region"]["urgent_waiting"] > 0  # the forged ACK acknowledged nothing


def test_sos_never_waits_and_summaries_are_shed_over_the_budget(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    sender = mesh.link._sender
    sender.budget.charge(sender.budget.budget_seconds, time.monotonic(), Priority.TASK, "x")
    sender.queue_frame(RegionFrame("summary", Priority.SUMMARY, b"\x00" * 40, 1))
    sender.wake()
    wait_until(lambda: mesh.link.tx.region_shed >= 1, 5, "summary shed")
    mesh.step(0, "SOS")
    ((_, urgent),) = station.wait_for(Urgent, timeout=10)
    assert urgent.what is UrgentWhat.SOS


def _announcements(mesh: MeshHub) -> list[Announcement]:
    return list(mesh.read(lambda s: s.exec(select(Announcement)).all()))


def _ulid_hex(ulid: str) -> str:
    return ULID.from_str(ulid).bytes.hex()


def test_a_radio_without_the_region_channel_sends_nothing(settings: Settings) -> None:
    air = RegionAir(seed=15, hop_delay=0.01)
    hub_radio = Simulator(handsets=1, preset="MEDIUM_FAST", seed=151)
    station_radio = Simulator(handsets=0, preset="MEDIUM_FAST", seed=152)
    air.attach(hub_radio, provision=False)  # channel 1 stays disabled on the hub's radio
    air.attach(station_radio)
    config = RegionConfig(key=KEY, hub_id=settings.id, after_seconds=0, period_seconds=2, slot_seconds=1)
    port = hub_radio.start_tcp("127.0.0.1", 0)
    mesh = MeshHub(settings, hub_radio, f"tcp://127.0.0.1:{port}", region=config, mqtt_up=lambda: False)
    try:
        mesh.start()
        open_need(mesh, "medicine", "life")
        time.sleep(3.0)
        status = mesh.link.status()["region"]
        assert status["radio_channel"] is None
        assert (status["urgent_sent"], status["summaries"], mesh.link.tx.region_frames) == (0, 0, 0)
        assert air.sent() == []
    finally:
        mesh.stop()
        hub_radio.stop()
        station_radio.stop()


# -- one announcement, two copies (LoRa and MQTT) -----------------------------------------------
def _mqtt_copy(mesh: MeshHub, message: str, *, mesh_too: bool) -> None:
    """The region's MQTT copy, applied by the hub's own inbound applier as the sync link does."""
    outgoing = region_deliveries.announcement(
        message, title="Drinkwater", body="Sporthal vanaf 14 uur, neem flessen mee.", mesh=mesh_too
    )
    applier = InboundApplier(mesh.hub.store, PeerFollower([], 1.0, 1.0), ["nl", "en"])
    applier.announcement(Received("R/broadcast/announcements", outgoing.payload, 1, 1))


def _lora_copy(mesh: MeshHub, station: Station, message: str) -> int:
    """The region's LoRa copy as ``hub region station`` sends it: its id from the MQTT key."""
    lora_id = announcement_id(f"json:region:{message}")
    text = "Drinkwater: Sporthal vanaf 14 uur, neem flessen mee."
    for part in split_announcement(text, target=ALL_HUBS, message_id=lora_id):
        station.send(Kind.ANNOUNCE, part)
    station.wait_for(Ack, timeout=10)
    return lora_id


def _receipts(mesh: MeshHub) -> dict[str, list[str]]:
    return {
        kind: [e.data["external_id"] for e in mesh.events(f"announcement.{kind}")]
        for kind in ("arrived", "shown", "meshed")
    }


def test_lora_copy_first_then_mqtt_copy_shows_once_and_gives_every_receipt(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    lora_id = _lora_copy(mesh, station, "m-1")
    (row,) = wait_until(lambda: _announcements(mesh), 10, "LoRa copy on the portal")
    assert row.source == "region_lora" and row.region_lora_id == lora_id
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        assert "Sporthal vanaf 14 uur" in http.get("/").text  # shown while only the LoRa copy is in
        assert _receipts(mesh) == {"arrived": [], "shown": [], "meshed": []}  # no key to report by yet
        _mqtt_copy(mesh, "m-1", mesh_too=True)
        _mqtt_copy(mesh, "m-1", mesh_too=True)  # a redelivery changes nothing
        (row,) = _announcements(mesh)
        assert (row.source, row.external_id, row.title) == ("upstream", "json:region:m-1", "Drinkwater")
        page = http.get("/").text
        assert page.count("Sporthal vanaf 14 uur") == 1
        key = "json:region:m-1"
        wait_until(lambda: _receipts(mesh)["meshed"], 15, "the announcement on the mesh channel")
    assert _receipts(mesh) == {"arrived": [key], "shown": [key], "meshed": [key]}
    queued = [o for o in mesh.outbound() if o.announcement_id == row.id]
    assert queued and len(queued) == len({o.text for o in queued})  # one broadcast, not two


def test_mqtt_copy_first_then_lora_copy_changes_nothing_but_is_acked(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    _mqtt_copy(mesh, "m-2", mesh_too=False)
    (row,) = _announcements(mesh)
    assert row.region_lora_id == announcement_id("json:region:m-2")
    _lora_copy(mesh, station, "m-2")  # acknowledged all the same: the station stops sending it
    time.sleep(1.0)
    assert [(a.id, a.source, a.title) for a in _announcements(mesh)] == [(row.id, "upstream", "Drinkwater")]
    assert mesh.link.status()["region"]["announcements"] == 0
    assert _receipts(mesh)["arrived"] == ["json:region:m-2"]
    _lora_copy(mesh, station, "m-3")  # another message's LoRa copy is another announcement
    wait_until(lambda: len(_announcements(mesh)) == 2, 10, "the other announcement")
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        page = http.get("/").text
        # m-2 once (its body); m-3, a LoRa copy only, splits its "title: body" text as the MQTT copy has it
        assert page.count("Sporthal vanaf 14 uur") == 2 and "Drinkwater: Sporthal" not in page
    assert _receipts(mesh)["shown"] == ["json:region:m-2"]  # m-3 has no MQTT copy (yet)


def test_a_supply_request_from_the_admin_goes_urgent_with_its_households_until_acked(
    region: tuple[MeshHub, Station, RegionAir, Mqtt],
) -> None:
    mesh, station, _, _ = region
    make_user(mesh.hub, "coord")
    with LiveServer(mesh.hub.settings, mesh.hub) as live, live.client() as http:
        assert login(http, "coord").status_code == 303
        csrf = CSRF_INPUT.search(http.get("/admin/supplies").text)
        assert csrf
        form = {"csrf": csrf[1], "category": "water", "households": "40", "note": "tankwagen bij de school"}
        assert http.post("/admin/supplies", data=form).status_code == 303
        (event,) = mesh.events("supply.requested")
        frames = station.wait_for(Urgent, count=2, timeout=15)  # sent, and again: no ACK yet
        assert {(b.what, b.category, b.households, b.text, b.event_id) for _, b in frames} == {
            (UrgentWhat.SUPPLY_REQUEST, "water", 40, "tankwagen bij de school", ULID.from_str(event.id).bytes)
        }
        station.send(Kind.ACK, Ack(Kind.URGENT, ULID.from_str(event.id).bytes))
        wait_until(lambda: mesh.link.status()["region"]["urgent_acked"] == 1, 10, "the ACK taken")
        sent = len(station.of_kind(Urgent))
        time.sleep(2.5)  # past the retry interval: acknowledged, so no more
        assert len(station.of_kind(Urgent)) == sent
        assert mesh.link.status()["region"]["urgent_waiting"] == 0

        # A request closed before the region acknowledged it goes no more.
        form = {"csrf": csrf[1], "category": "medicine", "households": "3"}
        assert http.post("/admin/supplies", data=form).status_code == 303
        station.wait_for(Urgent, count=sent + 1, timeout=10)
        (_, second) = mesh.events("supply.requested")
        close = http.post(f"/admin/supplies/{second.data['id']}/close", data={"csrf": csrf[1]})
        assert close.status_code == 303 and "ok=supply_closed" in close.headers["location"]
        wait_until(lambda: mesh.link.status()["region"]["urgent_waiting"] == 0, 5, "the closed one dropped")
        sent = len(station.of_kind(Urgent))
        time.sleep(2.5)
        assert len(station.of_kind(Urgent)) == sent
