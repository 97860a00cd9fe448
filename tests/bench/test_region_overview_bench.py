"""The region's overview page with 500 hubs and 5 million events, against the same page with
500 hubs and 5,000 events, in the same run (``make bench``, or
``pytest -m bench tests/bench/test_region_overview_bench.py -s``).

The events are generated straight into PostgreSQL with ``generate_series`` (10,000 per hub: a
``hub.status`` every 100th, a need every 50th, an SOS alert every 997th, check-ins otherwise), in
two databases on one server (the tests' own cluster or ``HUB_TEST_POSTGRES_URL``'s). The page is
fetched over real HTTP (uvicorn, logged in); the time is the best of ``REPEAT`` after a warm-up.
Printed, and written to ``artifacts/bench/region_overview.json``. The ratio must stay small: the
overview reads per hub one row of ``region_hub_latest`` and two index-only probes, never its events.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from hub.region import accounts, views
from hub.region.web import open_region
from tests.postgres import PostgresServer
from tests.region.conftest import PASSWORD, RegionServer

pytestmark = pytest.mark.bench

HUBS = 500
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "bench"
REPEAT = 7

STATUS = (
    '{"name":"Hub %s","lat":%s,"lon":%s,"mode":"crisis","mode_since":null,"clock_trusted":true,'
    '"links":{"mesh":true,"sync":true},"outbox":{"unsent":0,"unconfirmed":3},"open_alerts":1,'
    '"addresses_known":2000,"figures":{"households_ok":%s,"households_help":3,'
    '"open_needs_by_urgency":{"life":1,"urgent":2},"special_attention_not_reached":2}}'
)


def generate(url: str, per_hub: int) -> float:
    """``HUBS`` × ``per_hub`` events and the hubs' marks; returns the seconds it took."""
    engine = sa.create_engine(url)
    begin = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO upstream_events (id, hub, seq, type, at, data, received_at)"
                " SELECT lpad(to_hex(h::bigint * 100000000 + s), 26, '0'),"
                "  'hub-' || lpad(h::text, 3, '0'), s,"
                "  CASE WHEN s % 100 = 0 THEN 'hub.status' WHEN s % 997 = 0 THEN 'alert.raised'"
                "       WHEN s % 50 = 0 THEN 'need.created' ELSE 'checkin.created' END,"
                "  '2026-12-03T10:00:00Z',"
                "  CASE WHEN s % 100 = 0"
                "       THEN format(:status, h, 50.8 + (h % 25) * 0.1, 3.4 + (h / 25) * 0.15, s)"
                '       ELSE \'{"id":"x","street":"kerkstraat","status":"ok","urgency":"life"}\' END,'
                "  now() - (:per_hub - s) * interval '1 second'"
                " FROM generate_series(0, :hubs - 1) AS h, generate_series(1, :per_hub) AS s"
            ),
            {"status": STATUS.replace("%s", "%s"), "per_hub": per_hub, "hubs": HUBS},
        )
        conn.execute(
            sa.text(
                "INSERT INTO upstream_hubs (hub, confirmed, events, last_seen)"
                " SELECT 'hub-' || lpad(h::text, 3, '0'), :per_hub, :per_hub,"
                "  now() - CASE WHEN h % 50 = 0 THEN interval '2 hours' ELSE interval '1 minute' END"
                " FROM generate_series(0, :hubs - 1) AS h"
            ),
            {"per_hub": per_hub, "hubs": HUBS},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE upstream_events"))
        conn.execute(sa.text("VACUUM ANALYZE upstream_hubs"))
        conn.execute(sa.text("VACUUM ANALYZE region_hub_latest"))  # autovacuum's work in a running region
    engine.dispose()
    return time.perf_counter() - begin


def page_times(server: RegionServer) -> list[float]:
    with server.login("olga") as client:
        for _ in range(2):
            assert client.get("/").status_code == 200
        times = []
        for _ in range(REPEAT):
            begin = time.perf_counter()
            answer = client.get("/")
            times.append(time.perf_counter() - begin)
            assert answer.status_code == 200
        assert answer.text.count('<tr class="') == HUBS
    return times


@pytest.fixture
def two_databases(postgres_server: PostgresServer) -> Iterator[tuple[str, str]]:
    urls = (postgres_server.create_database(), postgres_server.create_database())
    yield urls
    for url in urls:
        postgres_server.drop_database(url)


def test_overview_page_time_does_not_grow_with_the_events(two_databases: tuple[str, str]) -> None:
    figures: dict[str, dict[str, float]] = {}
    for label, url, per_hub in (("baseline", two_databases[0], 10), ("5 million", two_databases[1], 10_000)):
        region = open_region(url, stale_minutes=30, topic_root="buurtbaken/v1")
        accounts.add_user(region.engine, "olga", PASSWORD, "officer")
        generated = generate(url, per_hub)
        query: list[float] = []
        for _ in range(REPEAT):
            begin = time.perf_counter()
            rows = views.overview(region.engine, region.stale_after)
            query.append(time.perf_counter() - begin)
        assert len(rows) == HUBS and sum(r.stale for r in rows) == HUBS // 50
        with RegionServer(region) as server:
            page = page_times(server)
        figures[label] = {
            "events": HUBS * per_hub,
            "generated_s": round(generated, 1),
            "query_best_ms": round(min(query) * 1000, 1),
            "page_best_ms": round(min(page) * 1000, 1),
            "page_median_ms": round(statistics.median(page) * 1000, 1),
        }
        region.store.dispose()
    ratio = figures["5 million"]["page_best_ms"] / figures["baseline"]["page_best_ms"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "region_overview.json").write_text(
        json.dumps({**figures, "ratio": round(ratio, 2)}, indent=2)
    )
    print(f"\nregion overview page, {HUBS} hubs:")
    for label, f in figures.items():
        print(
            f"  {label:10s} {f['events']:>9,} events: page {f['page_best_ms']:.0f} ms best, "
            f"{f['page_median_ms']:.0f} ms median; query {f['query_best_ms']:.0f} ms; "
            f"generated in {f['generated_s']} s"
        )
    print(f"  ratio 5 million / baseline: {ratio:.2f}")
    # A bound against a regression to reading the events (a GROUP BY over 5 million is hundreds of
    # times the baseline), not a target: on the shared machine at load 18-27 the ratio went from 0.75
    # to 3.7 between runs of the same code.
    assert ratio < 10, figures
