"""/metrics: valid Prometheus text from the app's own registry; every metric the hub had is still
there; request latency is labelled by route template, so ids and unknown paths add no series."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from hub.app import create_app
from hub.config import Settings
from hub.jobs import Scheduler
from hub.runtime import Hub
from tests.admin.conftest import make_token
from tests.conftest import LiveServer

METRICS_DOC = Path(__file__).resolve().parent.parent / "docs" / "reference" / "http.md"
LATENCY = "hub_http_request_duration_seconds"
# The metrics /metrics served before it moved to prometheus_client (counters without ``_total``:
# the parser names a counter's family that way).
OLD_FAMILIES = {
    "hub_http_requests": "counter",
    "hub_submissions": "counter",
    "hub_outbox_unsent": "gauge",
    "hub_outbox_unconfirmed": "gauge",
    "hub_db_commits": "counter",
    "hub_db_storage_failures": "counter",
    "hub_alerts_open": "gauge",
    "hub_messages_unhandled": "gauge",
    "hub_tasks_nobody_accepted": "gauge",
    "hub_clock_verified": "gauge",
    "hub_link_up": "gauge",
}


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    hub = Hub.from_settings(settings)
    hub.add_link(Scheduler(hub))
    with LiveServer(settings, hub) as live:
        yield live


def _scrape(http: httpx.Client) -> dict[str, list[Sample]]:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def _types(http: httpx.Client) -> dict[str, str]:
    return {f.name: f.type for f in text_string_to_metric_families(http.get("/metrics").text)}


def _latency_counts(samples: dict[str, list[Sample]]) -> dict[tuple[str, str, str], float]:
    return {
        (s.labels["route"], s.labels["method"], s.labels["status"]): s.value
        for s in samples[LATENCY]
        if s.name == LATENCY + "_count"
    }


def test_every_old_metric_is_served_with_its_type(server: LiveServer) -> None:
    with server.client() as http:
        assert http.get("/").status_code == 200
        assert http.get("/healthz").status_code == 200  # its probe is one commit
        assert {name: kind for name, kind in _types(http).items() if name in OLD_FAMILIES} == OLD_FAMILIES
        samples = _scrape(http)
    values = {(s.name, tuple(sorted(s.labels.items()))): s.value for f in samples.values() for s in f}
    assert values[("hub_http_requests_total", (("method", "GET"), ("status", "2xx")))] >= 1
    for kind in ("checkin", "need", "offer", "household"):
        assert values[("hub_submissions_total", (("type", kind),))] == 0
    assert values[("hub_link_up", (("link", "scheduler"),))] == 1
    assert values[("hub_clock_verified", ())] in (0, 1)
    assert values[("hub_db_commits_total", ())] >= 1
    for state in ("queued", "unacked", "failed"):
        assert values[("hub_mesh_queue", (("state", state),))] == 0


def test_two_task_ids_make_one_series_for_the_route_template(server: LiveServer) -> None:
    token = make_token(server.hub)
    with server.client(headers={"Authorization": f"Bearer {token}"}) as http:
        assert http.get("/api/v1/admin/tasks/01HZZZZZZZZZZZZZZZZZZZZZZA").status_code == 404
        assert http.get("/api/v1/admin/tasks/01HZZZZZZZZZZZZZZZZZZZZZZB").status_code == 404
        counts = _latency_counts(_scrape(http))
    task_series = {key: n for key, n in counts.items() if key[0].startswith("/api/v1/admin/tasks/")}
    assert task_series == {("/api/v1/admin/tasks/{task_id}", "GET", "4xx"): 2}
    assert not any("01HZ" in route for route, _, _ in counts)


def test_unknown_paths_and_methods_add_no_label_values(server: LiveServer) -> None:
    with server.client() as http:
        assert http.get("/no-such-page").status_code == 404
        before = _latency_counts(_scrape(http))
        for n in range(5):
            assert http.get(f"/no-such-page-{n}").status_code == 404
            assert http.request(f"BREW{n}", "/").status_code in (400, 405)
        after = _latency_counts(_scrape(http))
    routes = {route for route, _, _ in after}
    assert not any("no-such" in route for route in routes)
    assert after[("other", "GET", "4xx")] == before[("other", "GET", "4xx")] + 5
    assert {method for _, method, _ in after} <= {"GET", "HEAD", "POST", "other"}
    # only the /metrics scrape itself and the odd methods' route ("/") may be new
    assert set(after) - set(before) <= {("/metrics", "GET", "2xx"), ("/", "other", "4xx")}


def test_each_app_has_its_own_registry(settings: Settings, hub: Hub) -> None:
    first = create_app(settings, hub)
    second = create_app(settings, hub)  # the default registry would refuse the same names twice
    assert first.state.metrics.registry is not second.state.metrics.registry
    assert REGISTRY.get_sample_value("hub_http_requests_total", {"method": "GET", "status": "2xx"}) is None


def test_the_docs_list_every_metric(server: LiveServer) -> None:
    with server.client() as http:
        served = _types(http)
    readme = METRICS_DOC.read_text()
    listed = set(re.findall(r"`(hub_[a-z_]+)[{`]", readme))
    names = {name + "_total" if kind == "counter" else name for name, kind in served.items()}
    assert {n for n in names if n.startswith("hub_")} <= listed, names - listed
