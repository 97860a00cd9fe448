"""Per-hub delivery states of region messages, with real parts.

Three ``hub serve`` processes (one with the simulated radio over the real meshtastic TCP API),
one Mosquitto, ``hub upstream`` on PostgreSQL. ``hub region send`` sends an announcement to two
of the hubs and then one to all; the hubs' receipts (``announcement.arrived``, ``.shown``,
``.meshed``) come back as events and the region shows, per hub: sent, arrived, shown on the
portal (after a real GET of the portal page), sent on the mesh (the handsets heard it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from hub.errors import NotFound, ValidationError
from hub.mesh.sim import Simulator
from hub.models import new_id
from hub.region import deliveries, delivery_view
from hub.region.deliveries import HubDelivery, per_hub
from hub.region.store import RegionStore, deliveries_table, messages_table, outbox_table
from hub.sync.envelope import Envelope
from tests.sync.conftest import MosquittoBroker, wait_for
from tests.topology_processes import HubProcess

ROOT = "buurtbaken/v1"
REPO = Path(__file__).resolve().parents[2]


def region_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "hub", "region", *args], env=env, capture_output=True, text=True, timeout=60
    )


def send(db: str, *args: str) -> str:
    result = region_cli("send", "--db", db, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[1]  # "message <id> (…) kept for …"


@pytest.fixture
def radio() -> Iterator[Simulator]:
    simulator = Simulator(handsets=2, preset="MEDIUM_FAST", seed=3)
    yield simulator
    simulator.stop()


def test_region_sees_sent_arrived_shown_and_meshed_per_hub(
    tmp_path: Path, postgres_url: str, radio: Simulator
) -> None:
    broker = MosquittoBroker(tmp_path / "broker")
    broker.start()
    store = RegionStore(postgres_url)
    store.create()
    consumer_log = (tmp_path / "consumer.log").open("wb")
    consumer = subprocess.Popen(
        [sys.executable, "-m", "hub", "upstream", "--mqtt", broker.url, "--db", postgres_url,
         "--client-id", "region-1", "--keepalive", "5", "--overview-every", "0"],
        stdout=consumer_log, stderr=subprocess.STDOUT,
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
        for name in ("hub-a", "hub-b", "hub-c")
    }
    try:
        for hub in hubs.values():
            hub.root.mkdir(parents=True, exist_ok=True)
            hub.start()
            response = httpx.post(
                hub.url + "/api/v1/checkins", json={"address": "Kerkstraat 1", "status": "ok", "people": 1}
            )
            assert response.status_code == 201, response.text
        wait_for(lambda: set(store.marks()) == set(hubs), 60, "the region to know the three hubs", 0.2)

        # To two hubs, on the mesh too.
        two = send(
            postgres_url, "--to", "hub-a,hub-b", "--title", "Waterleiding", "--body", "Kook water.", "--mesh"
        )

        def reached(message: str, state: str) -> set[str]:
            return {d.hub for d in delivery_view.states(store, message) if d.reached(state)}

        wait_for(
            lambda: reached(two, "arrived") == {"hub-a", "hub-b"}, 60, "both hubs to report arrival", 0.2
        )
        wait_for(lambda: reached(two, "meshed") == {"hub-a"}, 90, "hub-a's mesh receipt", 0.2)
        assert all(any("Waterleiding" in t.text for t in radio.received(h.node_id)) for h in radio.handsets)
        states = {d.hub: d for d in delivery_view.states(store, two)}
        assert set(states) == {"hub-a", "hub-b"}, "hub-c was not sent it and never heard of it"
        assert all(d.targeted and d.sent_at is not None for d in states.values())
        assert states["hub-b"].meshed_at is None  # no radio there
        assert reached(two, "shown") == set()
        assert "Waterleiding" not in httpx.get(hubs["hub-c"].url + "/announcements").text

        # A resident opens hub-a's portal: shown there, once however often it is opened.
        for _ in range(3):
            assert "Waterleiding" in httpx.get(hubs["hub-a"].url + "/announcements").text
        wait_for(lambda: reached(two, "shown") == {"hub-a"}, 60, "hub-a's portal receipt", 0.2)
        assert delivery_view.states(store, two)[0].state == "meshed"  # the furthest state
        assert delivery_view.states(store, two)[1].state == "arrived"
        assert hubs["hub-a"].query("SELECT count(*) FROM outbox WHERE type = 'announcement.shown'") == [(1,)]

        # To every hub: one broadcast publish, the three known hubs as targets.
        everyone = send(postgres_url, "--all", "--title", "Stroom terug", "--body", "De stroom is terug.")
        wait_for(lambda: reached(everyone, "arrived") == set(hubs), 60, "all three to report arrival", 0.2)
        for hub in hubs.values():  # the home page shows it too
            assert "Stroom terug" in httpx.get(hub.url + "/").text
        wait_for(lambda: reached(everyone, "shown") == set(hubs), 60, "every portal's receipt", 0.2)
        assert reached(everyone, "meshed") == set()

        latest = delivery_view.recent(store, limit=5)
        assert [m.id for m in latest] == [everyone, two]
        assert latest[0].everyone and latest[0].count("sent") == 3 and latest[0].count("shown") == 3
        # hub-b's home page showed the first message too, beside the second.
        assert (latest[1].count("arrived"), latest[1].count("shown"), latest[1].count("meshed")) == (2, 2, 1)
        only_c = delivery_view.recent(postgres_url, limit=5, hub="hub-c")
        assert [m.id for m in only_c] == [everyone]
        assert [d.hub for d in only_c[0].hubs] == ["hub-c"]

        printed = region_cli("deliveries", "--db", postgres_url)
        assert printed.returncode == 0, printed.stderr
        assert (
            "Waterleiding" in printed.stdout and "shown 2" in printed.stdout and "meshed 1" in printed.stdout
        )
        one = region_cli("deliveries", "--db", postgres_url, "--message", two)
        assert one.stdout.count("\n  hub-") == 2
    finally:
        for hub in hubs.values():
            hub.stop()
        consumer.terminate()
        consumer.wait(timeout=30)
        consumer_log.close()
        store.dispose()
        broker.stop()


def receipt(hub: str, seq: int, event_type: str, key: str, at: datetime) -> Envelope:
    return Envelope(
        id=new_id(), hub=hub, seq=seq, type=event_type, at=at, data={"external_id": key, "at": at.isoformat()}
    )


def test_a_duplicate_receipt_changes_nothing(postgres_url: str) -> None:
    store = RegionStore(postgres_url)
    store.create()
    try:
        outgoing = deliveries.announcement("m-1", title="Storm", body="Blijf binnen.")
        message = store.send(outgoing, ROOT, ["hub-a"])
        first = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
        arrived = receipt("hub-a", 1, "announcement.arrived", outgoing.key, first)
        assert store.store([arrived]).fresh == 1
        assert store.store([arrived]).duplicates == 1  # the same event again: once by its id
        # The same receipt as a new event (the hub applied it twice?), later: the first one holds.
        again = receipt("hub-a", 2, "announcement.arrived", outgoing.key, first + timedelta(minutes=5))
        shown = receipt("hub-a", 3, "announcement.shown", outgoing.key, first + timedelta(minutes=1))
        other = receipt("hub-a", 4, "announcement.shown", "json:elsewhere:x", first)  # not the region's
        store.store([again, shown, other, shown])
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(deliveries_table).order_by(deliveries_table.c.state)).all()
        assert [(r.hub, r.state, r.at.astimezone(UTC)) for r in rows] == [
            ("hub-a", "arrived", first),
            ("hub-a", "shown", first + timedelta(minutes=1)),
        ]
        assert store.marks() == {"hub-a": 4}  # the receipts are events like any other
        (delivery,) = delivery_view.states(store, message)
        assert delivery.state == "shown" and delivery.sent_at is None  # no broker acknowledged it yet
        store.mark_sent("broker-a", [r for (r,) in _outbox_ids(store)])
        assert delivery_view.states(store, message)[0].sent_at is not None
    finally:
        store.dispose()


def _outbox_ids(store: RegionStore) -> list[tuple[str]]:
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(outbox_table.c.id)).all()]


def test_bad_sends_are_refused_and_keep_nothing(tmp_path: Path, postgres_url: str) -> None:
    cap = tmp_path / "test.xml"
    cap.write_text(
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>t-1</identifier>'
        "<sender>vr@example.nl</sender><sent>2026-12-03T12:00:00+01:00</sent><status>Test</status>"
        "<msgType>Alert</msgType><scope>Public</scope><info><language>nl-NL</language>"
        "<category>Met</category><event>Storm</event><urgency>Immediate</urgency>"
        "<severity>Extreme</severity><certainty>Observed</certainty><headline>Storm</headline>"
        "</info></alert>"
    )
    cases = [
        (["--to", "Hub A"], "not hub ids"),
        (["--to", ","], "not hub ids"),
        (["--all"], "needs --title and --body"),
        (["--all", "--title", "x" * 121, "--body", "b"], "title"),
        (["--all", "--cap", str(tmp_path / "missing.xml")], "cannot read"),
        (["--all", "--cap", str(cap)], "shows nothing on a hub"),
        (["--all", "--cap", str(cap), "--title", "t"], "leave out --title"),
    ]
    for args, problem in cases:
        result = region_cli("send", "--db", postgres_url, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert problem in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
    both = region_cli("send", "--db", postgres_url, "--to", "hub-a", "--all", "--title", "t", "--body", "b")
    assert both.returncode == 2 and "not allowed with" in both.stderr
    store = RegionStore(postgres_url)
    store.create()
    try:
        with store.engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).select_from(messages_table)).scalar() == 0
            assert conn.execute(sa.select(sa.func.count()).select_from(outbox_table)).scalar() == 0
        with pytest.raises(NotFound):
            delivery_view.states(store, "no-such-message")
        outgoing = deliveries.announcement("m-2", title="Storm", body="Blijf binnen.")
        store.send(outgoing, ROOT, None)
        with pytest.raises(ValidationError, match="sent before"):
            store.send(outgoing, ROOT, None)
        with pytest.raises(ValidationError, match="no hub"):
            store.send(deliveries.announcement("m-3", title="a", body="b"), ROOT, [])
    finally:
        store.dispose()
    missing = region_cli("deliveries", "--db", postgres_url, "--message", "nope")
    assert missing.returncode == 1 and "no message 'nope'" in missing.stderr
    for last in ("0", "-3", "5000"):
        refused = region_cli("deliveries", "--db", postgres_url, "--last", last)
        assert refused.returncode == 1 and "--last is a number" in refused.stderr


def test_per_hub_folds_out_of_order_receipts() -> None:
    t0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    folded = per_hub(
        {"hub-a": "o1", "hub-b": "o1", "hub-c": "o2"},
        {"o1": t0},
        [
            ("hub-a", "shown", t0 + timedelta(seconds=9)),  # before its arrival reached the region
            ("hub-a", "arrived", t0 + timedelta(seconds=5)),
            ("hub-a", "arrived", t0 + timedelta(seconds=7)),  # a later copy: the first time holds
            ("hub-d", "arrived", t0 + timedelta(seconds=3)),  # joined after a message to all
            ("hub-b", "bogus", t0),
        ],
    )
    assert folded == [
        HubDelivery("hub-a", True, t0, t0 + timedelta(seconds=5), t0 + timedelta(seconds=9)),
        HubDelivery("hub-b", True, t0),
        HubDelivery("hub-c", True),
        HubDelivery("hub-d", False, None, t0 + timedelta(seconds=3)),
    ]
    assert [d.state for d in folded] == ["shown", "sent", "waiting", "arrived"]
    assert folded[3].reached("arrived") and not folded[3].reached("sent")
    with pytest.raises(ValueError):
        folded[0].reached("read")
    # A message to all: a hub the region did not know when sending was sent it all the same.
    later = t0 + timedelta(seconds=4)
    assert per_hub({}, {"b1": t0}, [("hub-z", "arrived", later)], "b1") == [
        HubDelivery("hub-z", False, t0, later)
    ]


def test_announcement_payload_is_what_hubs_accept() -> None:
    outgoing = deliveries.announcement(
        "m-9", title="Oefening", body="Dit is een oefening.", priority="urgent", mesh=True, drill=True
    )
    data = json.loads(outgoing.payload)
    assert data["drill"] is True and data["send_mesh"] is True
    assert outgoing.key == "json:region:m-9" and outgoing.mesh and outgoing.drill
    with pytest.raises(ValidationError):
        deliveries.announcement("m-10", title="", body="b", priority="info")
