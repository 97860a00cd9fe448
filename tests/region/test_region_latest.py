"""The overview's per-hub latest status: kept by a trigger in the storing transaction, the
highest seq wins whatever order events arrive in, and a database filled before the region's
pages existed is caught up when they start."""

from __future__ import annotations

from datetime import timedelta

from hub.region.store import RegionStore
from hub.region.views import overview, prepare
from tests.region.conftest import HubFeed, status_data


def test_latest_status_wins_in_any_order_and_old_databases_catch_up(postgres_url: str) -> None:
    store = RegionStore(postgres_url)
    store.create()
    early = HubFeed(store, "hub-old")
    early.send("hub.status", status_data("Voor de regio", 52.0, 5.0))  # before the pages existed
    early.send("hub.mode_changed", {"mode": "crisis", "previous": "normal"})
    prepare(store.engine)
    prepare(store.engine)  # a second server starting: the same, nothing twice
    (row,) = overview(store.engine, timedelta(minutes=30))
    assert (row.name, row.mode) == ("Voor de regio", "crisis")
    late = HubFeed(store, "hub-late")
    late.seq = 5
    late.send("hub.status", status_data("Nieuwste", 52.0, 5.0))  # seq 6
    late.seq = 2
    late.send("hub.status", status_data("Ouder", 52.0, 5.0, mode="drill"))  # seq 3 arrives after
    rows = {r.hub: r for r in overview(store.engine, timedelta(minutes=30))}
    assert (rows["hub-late"].name, rows["hub-late"].mode) == ("Nieuwste", "normal")
    assert rows["hub-late"].highest == 2 and rows["hub-late"].confirmed == 0  # seqs 1, 2, 4 and 5 missing
    assert rows["hub-late"].behind == 2  # stored above the mark, waiting for the gap
    store.dispose()
