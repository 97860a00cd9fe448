"""The garbage collector is paused while ``hub serve`` loads and on again once it is built."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from hub import collector


@pytest.fixture(autouse=True)
def _collector_as_before() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


def test_no_collection_while_loading_and_on_again_after() -> None:
    with collector.paused_while_loading():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_failed_start_leaves_the_collector_on() -> None:
    with pytest.raises(RuntimeError), collector.paused_while_loading():
        raise RuntimeError("invalid setting")
    assert gc.isenabled()


def test_loaded_sets_the_start_aside_and_collects_what_comes_after() -> None:
    with collector.paused_while_loading():
        built = [[] for _ in range(1000)]
        collector.loaded()
        assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)
    cycle: list[object] = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1  # what the running hub makes is still collected
