"""Loop 2 of issue 10, end to end in the shipped topology: a drill never looks real.

Hub in drill mode (``hub serve`` with the simulated radio, the real meshtastic library, the local
Mosquitto rendered from ``deploy/`` bridged to the region's broker): a drill task reaches the
handset starting ``OEFENING``, so does a drill ``SPOED`` broadcast; a CAP alert with status
``Exercise`` published upstream is shown on the portal as an exercise (checked in Dutch and
English) and goes on the mesh with the marker in every part; a real (``Actual``) alert arriving
during the drill is shown and broadcast as real.
"""

from __future__ import annotations

import re

from tests.topology import Topology, wait_for

EXERCISE_DESCRIPTION = (
    "Dit is een oefening van de veiligheidsregio. Stel dat er een grote brand is bij het "
    "industrieterrein: houd ramen en deuren gesloten, zet de ventilatie uit en volg de berichten "
    "van de gemeente. Help buren die slecht ter been zijn. Bel 112 alleen bij echt gevaar."
)


def cap(identifier: str, status: str, headline_nl: str, headline_en: str, description: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>veiligheidsregio-utrecht</sender>
  <sent>2026-12-03T10:00:00+01:00</sent><status>{status}</status><msgType>Alert</msgType>
  <scope>Public</scope>
  <info><language>nl-NL</language><category>Fire</category><event>Brand</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>{headline_nl}</headline><description>{description}</description></info>
  <info><language>en-GB</language><category>Fire</category><event>Fire</event>
    <urgency>Immediate</urgency><severity>Severe</severity><certainty>Observed</certainty>
    <headline>{headline_en}</headline><description>Keep windows and doors closed.</description></info>
</alert>""".encode()


def article(html: str, title: str) -> str:
    """The news item on a portal page whose title is ``title`` ('' when there is none)."""
    for match in re.finditer(r"<article class=\"news[^\"]*\">.*?</article>", html, re.S):
        if title in match.group(0):
            return match.group(0)
    return ""


def test_a_drill_never_looks_real_and_a_real_alert_during_it_does(topology: Topology) -> None:
    site = topology.hub_site
    radio = site.radio
    assert radio is not None
    anna, bram, _ = radio.handsets
    admin = site.admin()
    residents = site.residents()

    def texts(node_id: str) -> list[str]:
        return [text.text for text in radio.received(node_id)]

    anna_id = admin.post("/api/v1/admin/volunteers", json={"name": "Anna", "node_id": anna.node_id}).json()[
        "id"
    ]
    assert admin.put("/api/v1/admin/mode", json={"mode": "drill"}).status_code in (200, 204)

    # A drill task: the handset's packet starts with OEFENING.
    task = admin.post(
        "/api/v1/admin/tasks",
        json={
            "kind": "door_knock",
            "address": "Kerkstraat 5",
            "note": "mevr. J (84)",
            "volunteer_id": anna_id,
        },
    ).json()
    prefix = f"OEFENING T{task['number']} KLOP Kerkstraat 5"
    wait_for(
        lambda: any(t.startswith(prefix) for t in texts(anna.node_id)), 60, "the drill task on the handset"
    )

    # A drill life-threatening need: the SPOED broadcast starts with OEFENING.
    need = residents.post(
        "/api/v1/needs",
        json={
            "address": "Dorpsstraat 21",
            "category": "medical_device",
            "urgency": "life",
            "description": "zuurstof",
        },
    )
    assert need.status_code == 201
    wait_for(lambda: any(t.startswith("OEFENING SPOED") for t in texts(bram.node_id)), 60, "the drill SPOED")
    assert not any(t.startswith("SPOED") for t in texts(bram.node_id))

    # The region's exercise: an exercise on the portal in every language, marked on the mesh.
    topology.publish_upstream(
        topology.topics.announcements,
        cap("VRU-OEF-1", "Exercise", "Oefening grote brand", "Exercise big fire", EXERCISE_DESCRIPTION),
    )
    wait_for(
        lambda: "Oefening grote brand" in residents.get("/announcements?lang=nl").text, 60, "the exercise"
    )
    dutch = article(residents.get("/announcements?lang=nl").text, "Oefening grote brand")
    assert 'class="news urgent exercise"' in dutch
    assert "<strong>OEFENING</strong> Dit bericht hoort bij een oefening. Het is geen echt nieuws." in dutch
    english = article(residents.get("/announcements?lang=en").text, "Exercise big fire")
    assert "<strong>EXERCISE</strong> This message is part of an exercise. It is not real news." in english
    for code in ("ar", "tr", "pl", "uk"):  # every portal language marks it, in its own words
        marked = article(residents.get(f"/?lang={code}").text, "Oefening grote brand")
        assert 'class="exercise-mark"' in marked and "<strong>EXERCISE</strong>" not in marked, code

    def exercise_parts() -> list[str]:
        return [t for t in texts(anna.node_id) if re.match(r"OEFENING \d/\d ", t)]

    wait_for(lambda: len(exercise_parts()) >= 2, 60, "the exercise on the mesh, in numbered parts")
    wait_for(
        lambda: len(exercise_parts()) == int(exercise_parts()[0].split()[1].split("/")[1]), 30, "all parts"
    )
    assert "Oefening grote brand" in " ".join(exercise_parts())
    assert not any("Oefening grote brand" in t and not t.startswith("OEFENING ") for t in texts(anna.node_id))

    # A real alert arriving during the drill is real: no marker on the portal or the mesh.
    topology.publish_upstream(
        topology.topics.announcements,
        cap(
            "VRU-2026-12-03-7", "Actual", "Kook leidingwater", "Boil tap water", "Het leidingwater is besmet."
        ),
    )
    wait_for(lambda: "Kook leidingwater" in residents.get("/announcements").text, 60, "the real alert")
    real = article(residents.get("/announcements?lang=nl").text, "Kook leidingwater")
    assert real and "exercise" not in real and "OEFENING" not in real
    wait_for(
        lambda: any(t.startswith("!! Kook leidingwater") for t in texts(anna.node_id)),
        60,
        "real alert on mesh",
    )
    shown = {a["title"]: a["drill"] for a in residents.get("/api/v1/announcements").json()}
    assert shown == {"Oefening grote brand": True, "Kook leidingwater": False}

    # A coordinator's announcement during the drill is a drill one: marked on portal and mesh.
    announced = admin.post(
        "/api/v1/admin/announcements",
        json={
            "title": "Verzamelen buurthuis",
            "body": "Om 11 uur.",
            "priority": "warning",
            "send_mesh": True,
        },
    )
    assert announced.status_code == 201 and announced.json()["drill"] is True
    wait_for(
        lambda: "OEFENING ! Verzamelen buurthuis: Om 11 uur." in texts(anna.node_id), 60, "drill announcement"
    )
    assert 'class="exercise-mark"' in article(residents.get("/").text, "Verzamelen buurthuis")

    for handset in radio.handsets:  # every packet within one LoRa payload
        assert all(len(t.encode()) <= 200 for t in texts(handset.node_id))
