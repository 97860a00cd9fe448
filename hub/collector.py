"""Python's cyclic garbage collector around the start of ``hub serve``.

Loading the hub creates some 190,000 objects that live as long as the process (modules,
classes, routes, table mappings) and almost no garbage. The collector, left on, walks the
growing heap again and again while they are made: about a ninth of the CPU ``hub serve`` spends
before its first answer, most of a second on a Pi-class core. So the start runs with the
collector paused (:func:`paused_while_loading`); once the hub is built, :func:`loaded` moves
what exists into the permanent generation (``gc.freeze``: never examined again, and never freed
either, which is what these objects need) and turns the collector back on for what the running
hub makes. The few hundred cyclic objects the start leaves behind stay with them: a fixed,
small amount, much cheaper than the full collection that would free them.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_while_loading() -> Iterator[None]:
    """No collection inside; on the way out the collector is on again, loaded or not."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def loaded() -> None:
    """The start's objects set aside for good; the collector on for what comes after."""
    gc.freeze()
    gc.enable()
