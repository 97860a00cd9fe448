"""Handsets that answer by themselves, as volunteers do (``hub serve --demo``).

A handset that receives a task (``T12 KLOP Kerkstraat 5. JA 12 / KLAAR 12 / NIET 12``) answers
after a while: most take it (``JA 12``) and report it done later (``KLAAR 12``); some decline
(``NIET 12 geen tijd``), and some take it but find nobody home (``NIET 12 niemand thuis``). A
task withdrawn before the answer (``T12 gaat naar een ander``) gets no more answers.

What a volunteer does with a task is decided by :func:`plan` from the seed, the handset and the
task number alone, so a run is reproducible whatever the timing of the threads.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.mesh.sim.handsets import ReceivedText, node_id

if TYPE_CHECKING:
    from hub.mesh.sim.simulator import Simulator

TASK = re.compile(r"JA (\d+) / KLAAR \1 / NIET \1")
WITHDRAWN = re.compile(r"\bT(\d+) gaat naar een ander\b")


@dataclass(frozen=True)
class Behaviour:
    """How the simulated volunteers answer; delays in seconds, drawn evenly from each range."""

    seed: int = 0
    accept_after: tuple[float, float] = (10.0, 45.0)
    finish_after: tuple[float, float] = (60.0, 240.0)
    decline_rate: float = 0.15  # answer NIET instead of JA
    nobody_home_rate: float = 0.1  # took it, then NIET: nobody opened the door


@dataclass(frozen=True)
class Answer:
    """A text a handset sends ``after`` seconds from receiving the task."""

    after: float
    text: str


def plan(behaviour: Behaviour, handset_num: int, number: int) -> list[Answer]:
    """What the volunteer with this handset answers to task ``number``, and when."""
    rng = random.Random(f"{behaviour.seed}:{handset_num}:{number}")
    accept = round(rng.uniform(*behaviour.accept_after), 1)
    if rng.random() < behaviour.decline_rate:
        return [Answer(accept, f"NIET {number} geen tijd")]
    finish = round(accept + rng.uniform(*behaviour.finish_after), 1)
    if rng.random() < behaviour.nobody_home_rate:
        return [Answer(accept, f"JA {number}"), Answer(finish, f"NIET {number} niemand thuis")]
    return [Answer(accept, f"JA {number}"), Answer(finish, f"KLAAR {number}")]


class AutoVolunteers:
    """Listens to what the handsets receive and answers tasks by :func:`plan`."""

    def __init__(self, simulator: Simulator, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self._simulator = simulator
        self._lock = threading.Lock()
        self._planned: set[tuple[int, int]] = set()  # (handset, task): a resent task is answered once
        self._withdrawn: set[tuple[int, int]] = set()
        self.sent: list[tuple[str, str]] = []  # (handset node id, text), in the order sent

    def heard(self, handset_num: int, text: ReceivedText) -> None:
        """A handset received ``text`` (called on the simulator's thread: only schedules)."""
        if text.broadcast:
            return
        if found := WITHDRAWN.search(text.text):
            with self._lock:
                self._withdrawn.add((handset_num, int(found[1])))
            return
        if not (found := TASK.search(text.text)):
            return
        number = int(found[1])
        with self._lock:
            if (handset_num, number) in self._planned:
                return
            self._planned.add((handset_num, number))
        for answer in plan(self.behaviour, handset_num, number):
            self._simulator.later(answer.after, self._answerer(handset_num, number, answer.text))

    def _answerer(self, handset_num: int, number: int, text: str) -> Callable[[], None]:
        def answer() -> None:
            with self._lock:
                if (handset_num, number) in self._withdrawn:
                    return
                self.sent.append((node_id(handset_num), text))
            self._simulator.send_text(handset_num, text, want_ack=True)

        return answer
