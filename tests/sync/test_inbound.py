"""What comes from upstream and from peers: validated, applied once, or parked."""

from __future__ import annotations

import json
from pathlib import Path

from sqlmodel import Session, col, func, select

from hub.models import (
    Announcement,
    DeadLetter,
    InboxMessage,
    MeshOutbound,
    Need,
    Offer,
    OutboxEvent,
    new_id,
)
from hub.runtime import Hub
from hub.schemas import Consent, HouseholdCreate, NeedCreate, OfferCreate
from hub.services.outbox import append_event
from hub.services.residents import create_need, create_offer, register_household
from hub.sync.upstream import events_table
from tests.sync.conftest import (
    MosquittoBroker,
    Peer,
    backlog,
    consumer_for,
    hub_settings,
    sync_hub,
    wait_for,
)

ROOT = "buurtbaken/v1"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol4;</identifier></alert>"""


def cap_alert(identifier: str, severity: str = "Severe", urgency: str = "Immediate") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier>
  <sender>veiligheidsregio@example.nl</sender>
  <sent>2026-11-28T20:00:00+01:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <language>en-GB</language><category>Met</category><event>Storm</event>
    <urgency>{urgency}</urgency><severity>{severity}</severity><certainty>Likely</certainty>
    <headline>Severe storm tonight</headline><description>Gusts up to 120 km/h.</description>
  </info>
  <info>
    <language>nl-NL</language><category>Met</category><event>Storm</event>
    <urgency>{urgency}</urgency><severity>{severity}</severity><certainty>Likely</certainty>
    <headline>Zware storm vannacht</headline><description>Windstoten tot 120 km/u.</description>
    <instruction>Blijf binnen.</instruction>
  </info>
</alert>""".encode()


def count(hub: Hub, model: type[object]) -> int:
    with hub.db.read() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())  # type: ignore[call-overload]


def test_bad_messages_are_parked_and_good_ones_applied_once(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url, federation_peers="hub-p"))
    hub.start()
    try:
        wait_for(lambda: hub.links["sync"].status()["connected"], 15, "connected")
        upstream = Peer(broker, "coordinators")
        inbox, announcements = f"{ROOT}/hubs/hub-a/inbox", f"{ROOT}/broadcast/announcements"
        weird_event = {
            "id": new_id(),
            "hub": "hub-p",
            "seq": 1,
            "type": "weird.thing",
            "at": "2026-11-28T20:00:00Z",
            "data": {},
        }
        bad = [
            (inbox, b"{not json"),
            (inbox, json.dumps({"id": "m1"}).encode()),  # no body
            (announcements, json.dumps({"id": "a", "title": "t", "body": "x" * 70_000}).encode()),
            (announcements, json.dumps({"type": "alert", "id": "a", "title": "t", "body": "b"}).encode()),
            (f"{ROOT}/hubs/hub-p/events", json.dumps(weird_event).encode()),
            (announcements, BOMB),
            (
                announcements,
                b"<alert xmlns='urn:oasis:names:tc:emergency:cap:1.2'><identifier>x</identifier>",
            ),
        ]
        for topic, payload in bad:
            upstream.publish(topic, payload)
        wait_for(lambda: count(hub, DeadLetter) == len(bad), 15, "every bad message parked")
        assert count(hub, Announcement) == 0
        assert count(hub, InboxMessage) == 0
        assert count(hub, Need) == 0
        with hub.db.read() as session:
            reasons = [
                letter.reason for letter in session.exec(select(DeadLetter).order_by(col(DeadLetter.pk)))
            ]
        assert "not JSON" in reasons[0]
        assert "body" in reasons[1]
        assert "over the limit" in reasons[2]
        assert "unknown event type" in reasons[4]
        assert "refused XML" in reasons[5]
        assert hub.links["sync"].status()["connected"]

        upstream.publish(announcements, cap_alert("storm-1"))
        upstream.publish(announcements, cap_alert("storm-1"))  # the same alert again
        upstream.publish(announcements, cap_alert("rain-2", severity="Minor", urgency="Future"))
        upstream.publish(
            inbox, json.dumps({"id": "m2", "sender": "gemeente", "body": "Bel ons om 9 uur."}).encode()
        )
        upstream.publish(
            inbox, json.dumps({"id": "m2", "sender": "gemeente", "body": "Bel ons om 9 uur."}).encode()
        )
        wait_for(lambda: count(hub, Announcement) == 2 and count(hub, InboxMessage) == 1, 15, "applied")
        with hub.db.read() as session:
            storm = session.exec(
                select(Announcement).where(
                    Announcement.external_id == "cap:veiligheidsregio@example.nl:storm-1"
                )
            ).one()
            mesh = session.exec(select(MeshOutbound)).all()
            exported = session.exec(
                select(OutboxEvent).where(OutboxEvent.type == "announcement.created")
            ).all()
        assert storm.source == "upstream"
        assert storm.priority == "urgent"
        assert storm.title == "Zware storm vannacht"
        assert storm.translations["en"]["title"] == "Severe storm tonight"
        assert len(mesh) == 1, "only the severe alert goes on the mesh"
        assert mesh[0].text.startswith("!! Zware storm vannacht: Windstoten")  # urgent
        assert len(mesh[0].text.encode()) <= 200
        assert exported == [], "upstream announcements are not sent back upstream"
        assert count(hub, DeadLetter) == len(bad)
        upstream.close()
    finally:
        hub.stop()


def test_only_consenting_households_details_reach_upstream(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    consumer = consumer_for(broker, tmp_path, ["hub-a"])
    consumer.start()
    hub = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))  # default share level
    hub.start()
    try:

        def register(session: Session) -> None:
            register_household(
                session,
                hub.ctx,
                HouseholdCreate(
                    address="Dorpsstraat 12",
                    special_attention=["medical_device"],
                    consent=Consent(given_by="mevr. A", share_upstream=True),
                    contact="06-11111111",
                ),
            )
            register_household(
                session,
                hub.ctx,
                HouseholdCreate(
                    address="Dorpsstraat 14",
                    special_attention=["alone_75plus", "mobility"],
                    consent=Consent(given_by="dhr. B", share_upstream=False),
                    contact="06-22222222",
                    note="sleutel bij de buren",
                ),
            )

        hub.db.writer.run_sync(register)
        wait_for(lambda: backlog(hub)["unconfirmed"] == 0, 30, "both confirmed")
        assert consumer.engine is not None
        with consumer.engine.connect() as conn:
            stored = [
                json.loads(data)
                for data in conn.execute(
                    events_table.select().with_only_columns(events_table.c.data).order_by(events_table.c.seq)
                ).scalars()
            ]
        consenting, other = stored
        assert consenting["address"] == "Dorpsstraat 12"
        assert consenting["special_attention"] == ["medical_device"]
        assert "contact" not in consenting  # the default level keeps contacts home
        everything = json.dumps(stored)
        for secret in ("Dorpsstraat 14", "alone_75plus", "mobility", "06-22222222", "sleutel", "dhr. B"):
            assert secret not in everything
        assert other["street"].lower() == "dorpsstraat"
        assert other["special_attention_count"] == 2
    finally:
        hub.stop()
        consumer.stop()


def test_federated_hub_mirrors_a_peers_open_needs(tmp_path: Path, broker: MosquittoBroker) -> None:
    broker.start()
    hub_b = sync_hub(hub_settings(tmp_path, "hub-b", broker.url, federation_peers="hub-a"))
    hub_a = sync_hub(hub_settings(tmp_path, "hub-a", broker.url))
    hub_b.start()
    hub_a.start()
    try:
        wait_for(lambda: hub_b.links["sync"].status()["connected"], 15, "hub B connected")

        def report(session: Session) -> tuple[str, str]:
            need = create_need(
                session,
                hub_a.ctx,
                NeedCreate(
                    address="Molenweg 3", category="water", urgency="urgent", description="geen water"
                ),
            )
            offer = create_offer(
                session, hub_a.ctx, OfferCreate(category="generator", description="aggregaat")
            )
            return need.id, offer.id

        need_id, offer_id = hub_a.db.writer.run_sync(report)

        def mirrored() -> Need | None:
            with hub_b.db.read() as session:
                return session.exec(select(Need).where(Need.id == need_id)).first()

        wait_for(mirrored, 15, "the need mirrored on hub B")
        need = mirrored()
        assert need is not None
        assert need.origin_hub == "hub-a"
        assert need.status == "open"
        assert need.category == "water"
        assert need.urgency == "urgent"

        def offer_mirrored() -> Offer | None:
            with hub_b.db.read() as session:
                return session.exec(select(Offer).where(Offer.id == offer_id)).first()

        wait_for(offer_mirrored, 15, "the offer mirrored on hub B")  # it comes right after the need
        with hub_b.db.read() as session:
            offer = session.exec(select(Offer).where(Offer.id == offer_id)).one()
            assert offer.origin_hub == "hub-a"
            assert session.exec(select(OutboxEvent)).all() == [], "mirrors are never re-exported"

        def resolve(session: Session) -> None:
            append_event(session, hub_a.ctx, "need.status", {"id": need_id, "status": "resolved"})

        hub_a.db.writer.run_sync(resolve)
        wait_for(lambda: (n := mirrored()) is not None and n.status == "resolved", 15, "the status mirrored")
    finally:
        hub_a.stop()
        hub_b.stop()
