"""Fixtures for end-to-end scenarios: the shipped topology (see ``tests/topology.py``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.topology import DEFAULT_HUB_ID, Timing, Topology


@pytest.fixture
def make_topology(tmp_path: Path) -> Iterator[Callable[..., Topology]]:
    """Build and start a topology: ``make_topology(sites={"hub-a": [], "hub-b": ["hub-a"]})``.

    ``sites`` maps each hub id to its federation peers; ``timing`` sets the time scale;
    ``handsets`` the simulated handsets per site (0: no radio); ``hub_env`` extra ``HUB_*``
    settings for every hub. Everything is stopped after the test.
    """
    built: list[Topology] = []

    def make(
        sites: Mapping[str, Iterable[str]] | None = None,
        *,
        timing: Timing | None = None,
        handsets: int = 3,
        hub_env: Mapping[str, str] | None = None,
        start: bool = True,
    ) -> Topology:
        topology = Topology(tmp_path / f"topology-{len(built)}", timing)
        built.append(topology)
        for hub_id, peers in (sites or {DEFAULT_HUB_ID: []}).items():
            topology.add_site(hub_id, peers=peers, handsets=handsets, hub_env=hub_env)
        if start:
            topology.start()
        return topology

    yield make
    for topology in built:
        topology.stop()


@pytest.fixture
def topology(make_topology: Callable[..., Topology]) -> Topology:
    """One hub (``kerkbuurt-1``, three simulated handsets) in the shipped topology, started."""
    return make_topology()
