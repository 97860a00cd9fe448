"""A volunteer's concern from a handset (``ZORG``/``CONCERN``), over the simulated radio and the
hub's real meshtastic link: stored once as a signal for the coordinators, answered by the quiet
rules (a success is the radio's ACK; an address outside the register a short hint without ACK;
a malformed command a refusal the handset must acknowledge)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from hub.config import Settings
from hub.domain.addresses import address_key, street_of
from hub.mesh.sim import Simulator
from hub.models import Address, MeshMessage, Signal

from .hubmesh import MeshHub

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def mesh(settings: Settings) -> Iterator[MeshHub]:
    radio = Simulator(handsets=3, preset="MEDIUM_FAST", seed=18)
    try:
        port = radio.start_tcp("127.0.0.1", 0)
        hub = MeshHub(settings, radio, f"tcp://127.0.0.1:{port}")
        try:
            yield hub.start()
        finally:
            hub.stop()
    finally:
        radio.stop()


def stored(mesh: MeshHub) -> list[Signal]:
    return list(mesh.read(lambda s: s.exec(select(Signal).order_by(col(Signal.pk))).all()))


def test_a_concern_from_a_handset_is_a_signal_and_a_quiet_success(mesh: MeshHub) -> None:
    step = mesh.step(0, "ZORG Molenweg 12 buurvrouw al twee dagen niet gezien")
    assert mesh.delivered(0, step.packet_id)  # the radio's ACK: the handset shows it delivered
    assert step.queued == []  # a success: no text on the air (no address register: nothing to hint)
    (signal,) = stored(mesh)
    assert (signal.address, signal.description, signal.source, signal.status) == (
        "Molenweg 12",
        "buurvrouw al twee dagen niet gezien",
        "mesh",
        "new",
    )
    assert signal.reported_by == mesh.sim.handsets[0].long_name
    assert signal.category == "other" and signal.life is False
    # the English word and a street ended by a colon
    mesh.step(1, "concern Dorpsstraat: gas smell near the school")
    assert [s.address for s in stored(mesh)] == ["Molenweg 12", "Dorpsstraat"]
    message = mesh.read(
        lambda s: s.exec(select(MeshMessage).where(MeshMessage.packet_id == step.packet_id)).one()
    )
    assert message.kind == "command" and message.handled
    assert len(mesh.events("signal.street_counts")) == 2
    assert all(
        "address" not in e.data and "description" not in e.data for e in mesh.events("signal.street_counts")
    )


@pytest.mark.parametrize(
    ("text", "reply"),
    [
        ("ZORG", "ZORG: adres ontbreekt. Stuur ? voor hulp."),
        ("ZORG Molenweg 12", "ZORG: tekst ontbreekt. Stuur ? voor hulp."),
        (
            "ZORG Molenweg gaslucht",
            "ZORG: adres ontbreekt (straat huisnummer, of straat: tekst). Stuur ? voor hulp.",
        ),
    ],
)
def test_a_malformed_concern_is_refused_and_nothing_stored(mesh: MeshHub, text: str, reply: str) -> None:
    step = mesh.step(0, text)
    assert step.texts == [reply]
    assert [r.want_ack for r in step.queued] == [True]  # a refusal must arrive
    got = mesh.sim.wait_for_text(mesh.handset(0), lambda t: t.text == reply, timeout=10)
    assert got.want_ack
    assert stored(mesh) == []


def test_an_address_outside_the_register_gets_a_short_hint(mesh: MeshHub) -> None:
    def register(session: Session) -> None:
        for number in (12, 14):  # the register's nearest to 13: 14
            session.add(
                Address(
                    street="Molenweg",
                    number=number,
                    letter="",
                    addition="",
                    postcode="1234AB",
                    place="Dorp",
                    address_key=address_key(f"Molenweg {number}"),
                    street_key=street_of("Molenweg"),
                    lat=52.0,
                    lon=5.0,
                )
            )

    mesh.run(register)
    step = mesh.step(0, "ZORG Molenweg 13 rook uit het raam")
    assert step.texts == [
        "Zorgmelding Molenweg 13 ontvangen door de hub. Niet in adreslijst: bedoel je Molenweg 14?"
    ]
    assert [r.want_ack for r in step.queued] == [False]  # information: losing it costs nothing
    assert [s.address for s in stored(mesh)] == ["Molenweg 13"]  # stored all the same
