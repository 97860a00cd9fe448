"""Prometheus metrics: the hub's state read at scrape time, and request latency per route.

Each app owns its registry (``new_registry``), so several apps in one process (tests) never share
or clash over a series. Gauges are not kept up to date by the code that changes the state: the
``HubCollector`` reads the state when Prometheus asks. Requests are timed by the app's guard
(:class:`hub.web.guard.Guard`, one plain ASGI middleware), labelled by the route's path template
(``/api/v1/admin/tasks/{task_id}``), never by the raw path: ids and unknown paths cannot grow the
set of series.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from hub.runtime import Hub
from hub.services import overview
from hub.web.security import Scope

SUBMISSION_TYPES = ("checkin", "need", "offer", "household", "signal")
# A method outside this set is counted as "other": a client cannot invent label values.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "other"
# Pages answer in milliseconds on a Pi; a durable write waits for a group commit.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HubCollector(Collector):
    """The hub's counters and gauges, read from its state each time ``/metrics`` is scraped."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def collect(self) -> Iterator[Metric]:
        hub = self.hub
        gauges = overview.gauges(hub.store)
        backlog = gauges.outbox
        open_alerts = gauges.open_alerts
        unhandled = gauges.unhandled_messages
        unaccepted = gauges.nobody_accepted
        queue = gauges.mesh_queue

        submissions = CounterMetricFamily(
            "hub_submissions", "Resident submissions stored, by type.", labels=["type"]
        )
        counts: dict[str, int] = hub.ctx.metrics.get("submissions", {})
        for kind in SUBMISSION_TYPES:
            submissions.add_metric([kind], counts.get(kind, 0))
        yield submissions

        yield _gauge(
            "hub_outbox_unsent", "Outbox events not yet acknowledged by the broker.", backlog["unsent"]
        )
        yield _gauge(
            "hub_outbox_unconfirmed",
            "Outbox events not yet confirmed by the upstream consumer.",
            backlog["unconfirmed"],
        )
        store = hub.store
        yield CounterMetricFamily("hub_db_commits", "Group commits made by the writer.", value=store.commits)
        yield CounterMetricFamily(
            "hub_db_storage_failures",
            "Writes refused by the storage (disk full, I/O error).",
            value=store.storage_failures,
        )
        yield _gauge("hub_alerts_open", "SOS alerts no coordinator has acknowledged yet.", open_alerts)
        yield _gauge(
            "hub_messages_unhandled",
            "Handset messages (free text, unknown nodes) not marked as handled.",
            unhandled,
        )
        yield _gauge(
            "hub_tasks_nobody_accepted",
            "Tasks that came back to the coordinator: nobody accepted them.",
            unaccepted,
        )
        yield _gauge(
            "hub_clock_verified",
            "1 when a trusted source confirmed the clock since the hub started.",
            1 if hub.ctx.clock.state().verified else 0,
        )
        mesh = GaugeMetricFamily(
            "hub_mesh_queue",
            "Radio messages by state: queued to send, sent and waiting for an ack, failed.",
            labels=["state"],
        )
        for state in ("queued", "unacked", "failed"):
            mesh.add_metric([state], queue.get(state, 0))
        yield mesh
        links = GaugeMetricFamily(
            "hub_link_up", "1 when the link (radio, broker) is connected.", labels=["link"]
        )
        for name, link in hub.links.items():
            links.add_metric([name], 1 if link.status().get("connected") else 0)
        yield links


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


class AppMetrics:
    """An app's own registry: the hub's state, and the requests this app answered."""

    def __init__(self, hub: Hub) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(HubCollector(hub))
        self.requests = Counter(
            "hub_http_requests",
            "HTTP requests answered, by method and status class.",
            ["method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "hub_http_request_duration_seconds",
            "Time to answer a request, by route template, method and status class.",
            ["route", "method", "status"],
            registry=self.registry,
            buckets=LATENCY_BUCKETS,
        )
        # The labelled children, looked up once: ``labels()`` takes a lock and builds a tuple.
        self._children: dict[tuple[str, str, str], tuple[Counter, Histogram]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        if method not in METHODS:
            method = UNMATCHED
        key = (route, method, f"{status // 100}xx")
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(key[1], key[2]), self.latency.labels(*key))
            self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


def route_template(scope: Scope) -> str:
    """The path template of the route that answered (the router marks it), else ``other``."""
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    return template if isinstance(template, str) else UNMATCHED
