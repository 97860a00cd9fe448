"""Loop 4: a long outage does not flood the Pi's broker, and the backlog crosses once.

The shipped topology at a 1:60 time scale (``HUB_SYNC_RESEND_AFTER=0.5`` stands for the default
30 s): 300 check-ins during a "10-minute" internet outage. The hub hands each event to its
local broker once; the broker queues them for the bridge (at most 330 messages stored); when
the link returns at most 1.2 times the events cross to the upstream broker, and the region's
receipts confirm every one.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.topology import Timing, Topology, wait_for

SCALE = 60  # production seconds per test second
OUTAGE = 600 / SCALE
EVENTS = 300


def test_three_hundred_events_in_a_long_outage_cross_once(make_topology: Callable[..., Topology]) -> None:
    topology = make_topology(
        timing=Timing(hub_env={"HUB_SYNC_RESEND_AFTER": str(30 / SCALE), "HUB_SYNC_RESEND_MAX": "60"}),
        handsets=0,
    )
    site = topology.hub_site
    events_topic = topology.topics.hub(site.hub_id, "events")
    crossing = topology.watch_upstream([events_topic])
    residents = site.residents()
    before = site.hub.query("SELECT count(*) FROM outbox")[0][0]
    time.sleep(2 * topology.timing.sys_interval)
    baseline = site.local_stored_messages()  # retained: $SYS statistics, the hub's status, ...

    topology.internet_down()
    site.wait_bridge(False)
    started = time.monotonic()
    for n in range(EVENTS):  # spread over the outage, as residents come in
        response = residents.post(
            "/api/v1/checkins", json={"address": f"Kerkstraat {n % 90 + 1}", "status": "ok"}
        )
        assert response.status_code == 201
        time.sleep(max(0.0, started + (n + 1) * OUTAGE * 0.8 / EVENTS - time.monotonic()))
    time.sleep(max(0.0, started + OUTAGE - time.monotonic()))
    wait_for(lambda: site.hub.sync_status()["unsent"] == 0, 10, "every event handed to the local broker")
    time.sleep(2 * topology.timing.sys_interval)
    stored = site.local_stored_messages() - baseline
    assert EVENTS <= stored <= 330, f"the local broker holds {stored} messages for {EVENTS} events"
    assert crossing.collect(0.5) == [], "nothing crossed while the link was cut"

    topology.internet_up()
    wait_for(lambda: site.hub.sync_status()["unconfirmed"] == 0, 60, "every event confirmed by the region")
    total = site.hub.query("SELECT count(*) FROM outbox")[0][0]
    assert total - before == EVENTS
    assert topology.region.stored_seqs(site.hub_id) == list(range(1, total + 1))
    crossed = len(crossing.collect(2.0))
    assert crossed <= 1.2 * EVENTS, f"{crossed} messages crossed the bridge for {EVENTS} events"
    crossing.close()
