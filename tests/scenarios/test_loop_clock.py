"""Loop 9: the hub says when its clock cannot be trusted, in the topology we ship.

After a start without network time every admin page says "clock not verified since start",
and /metrics and /api/v1/status say so too. A coordinator who enters a time three hours off
leaves it unverified (shown, audited); one who confirms the time shown verifies it. After
the next power cut it is unverified again until a handset's packet arrives with the radio's
time; after the one after that, until the system reports network time.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.scenarios.loops import Coordinator, metric
from tests.topology import Site, Topology, wait_for

NOT_VERIFIED = re.compile(r"Klok niet geverifieerd sinds de start|Clock not verified since start")
SHOWN = re.compile(r'name="shown" value="(\d+)"')


def verified(site: Site) -> bool:
    return bool(site.residents().get("/api/v1/status").json()["clock"]["verified"])


def test_the_admin_says_when_the_clock_is_not_verified(
    make_topology: Callable[..., Topology], tmp_path: Path
) -> None:
    synced_flag = tmp_path / "timesync-synchronized"  # what systemd-timesyncd touches once synced
    topology = make_topology(hub_env={"HUB_CLOCK_SYNC_CHECK": str(synced_flag)})
    site = topology.hub_site
    radio = site.radio
    assert radio is not None
    marije = Coordinator(site, "marije")
    for url in ("/admin", "/admin/tasks", "/admin/sync"):
        assert NOT_VERIFIED.search(marije.page(url))
    assert verified(site) is False
    assert metric(site.residents().get("/metrics").text, "hub_clock_verified") == 0

    # Bad input changes nothing: an old page, a time that is no time, no CSRF token.
    page = marije.page("/admin")
    shown = int(SHOWN.findall(page)[0])
    assert marije.post("/admin/clock", {"shown": str(int(time.time()) - 7200)}).status_code == 422
    assert marije.post("/admin/clock", {"shown": "gisteren"}).status_code == 422
    assert (
        marije.post(
            "/admin/clock", {"shown": str(shown), "verdict": "correct", "actual": "25:99"}
        ).status_code
        == 422
    )
    assert marije.post("/admin/clock", {"shown": str(shown)}, csrf=False).status_code == 403
    assert verified(site) is False

    # The coordinator's watch says three hours later: the clock stays unverified, and says by how much.
    right = datetime.fromtimestamp(shown + 3 * 3600).strftime("%H:%M")
    answer = marije.post("/admin/clock", {"shown": str(shown), "verdict": "correct", "actual": right})
    assert answer.status_code == 303
    page = marije.page("/admin")
    assert NOT_VERIFIED.search(page) and "+3 h" in page
    assert verified(site) is False

    # The time shown is right: confirmed, audited, the notice is gone from every page.
    shown = int(SHOWN.findall(page)[0])
    assert marije.post("/admin/clock", {"shown": str(shown), "verdict": "right"}).status_code == 303
    assert verified(site) is True
    for url in ("/admin", "/admin/tasks"):
        assert not NOT_VERIFIED.search(marije.page(url))
    assert marije.page("/admin/audit").count("clock.confirm") == 2

    # A power cut: unverified again, until a handset's packet brings the radio's time.
    site.hub.power_cut()
    site.hub.start()
    assert verified(site) is False
    volunteer = site.admin().post(
        "/api/v1/admin/volunteers", json={"name": "Anna", "node_id": radio.handsets[0].node_id}
    )
    assert volunteer.status_code == 201
    radio.send_text(radio.handsets[0].node_id, "STATUS")
    wait_for(lambda: verified(site), 30, "the radio's time to verify the clock")
    assert not NOT_VERIFIED.search(marije.page("/admin"))

    # Another power cut: unverified until the system reports network time.
    site.hub.power_cut()
    site.hub.start()
    assert verified(site) is False
    synced_flag.touch()
    wait_for(lambda: verified(site), 45, "network time to verify the clock", every=1)
    assert metric(site.residents().get("/metrics").text, "hub_clock_verified") == 1
