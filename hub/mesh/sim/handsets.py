"""Virtual volunteer handsets behind the simulated radio."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass

NAMES = (
    "Anouk",
    "Bram",
    "Claire",
    "Daan",
    "Esra",
    "Fleur",
    "Gijs",
    "Hanna",
    "Ilias",
    "Joost",
    "Kim",
    "Lotte",
    "Mohamed",
    "Noor",
    "Oscar",
    "Priya",
    "Quinten",
    "Roos",
    "Sem",
    "Tess",
    "Umut",
    "Vera",
    "Wout",
    "Yara",
    "Zoë",
)


def node_id(node_num: int) -> str:
    """``!xxxxxxxx`` form of a node number."""
    return f"!{node_num:08x}"


def node_num(node_id_or_num: str | int) -> int:
    """Node number from ``!xxxxxxxx``, ``0x...`` or an int."""
    if isinstance(node_id_or_num, int):
        return node_id_or_num
    text = node_id_or_num.strip().lower()
    if text.startswith("!"):
        return int(text[1:], 16)
    return int(text, 0)


@dataclass(frozen=True)
class ReceivedText:
    """A text a handset received from the radio's client."""

    from_num: int
    to_num: int
    text: str
    packet_id: int
    channel: int
    want_ack: bool
    broadcast: bool
    pki_encrypted: bool
    hop_limit: int
    reply_id: int = 0  # the packet this answers (a reaction's target)
    emoji: bool = False  # a reaction (tapback): ``text`` is the emoji shown on packet ``reply_id``


@dataclass
class Handset:
    node_num: int
    long_name: str
    short_name: str
    battery_level: int = 90
    snr: float = 6.0
    rssi: int = -70
    hops_away: int = 0

    @property
    def node_id(self) -> str:
        return node_id(self.node_num)


def make_handsets(count: int, rng: random.Random) -> list[Handset]:
    """``count`` handsets with distinct node numbers, Dutch first names, varied links."""
    handsets: list[Handset] = []
    used: set[int] = set()
    for index in range(count):
        num = rng.randrange(0x10000000, 0xFFFFFFF0)
        while num in used:
            num = rng.randrange(0x10000000, 0xFFFFFFF0)
        used.add(num)
        first = NAMES[index % len(NAMES)]
        suffix = "" if index < len(NAMES) else f" {index // len(NAMES) + 1}"
        handsets.append(
            Handset(
                node_num=num,
                long_name=f"{first}{suffix} (vrijwilliger)",
                short_name=f"{first[:3].upper()}{index % 10}",
                battery_level=rng.randint(35, 100),
                snr=round(rng.uniform(-12.0, 10.0), 2),
                rssi=rng.randint(-120, -60),
                hops_away=rng.choice((0, 0, 0, 1, 1, 2)),
            )
        )
    return handsets


class Inbox:
    """Thread-safe record of what each handset received, with waiting."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._texts: dict[int, list[ReceivedText]] = {}
        self.listeners: list[Callable[[int, ReceivedText], None]] = []  # told of each text, unlocked
        self._acked: dict[int, list[int]] = {}

    def add_ack(self, handset_num: int, packet_id: int) -> None:
        """The radio acknowledged the handset's packet: the handset shows it delivered."""
        with self._cond:
            self._acked.setdefault(handset_num, []).append(packet_id)
            self._cond.notify_all()

    def acked(self, handset_num: int) -> list[int]:
        with self._cond:
            return list(self._acked.get(handset_num, []))

    def add(self, handset_num: int, text: ReceivedText) -> None:
        with self._cond:
            self._texts.setdefault(handset_num, []).append(text)
            self._cond.notify_all()
        for listener in list(self.listeners):
            listener(handset_num, text)

    def texts(self, handset_num: int) -> list[ReceivedText]:
        with self._cond:
            return list(self._texts.get(handset_num, []))

    def clear(self) -> None:
        with self._cond:
            self._texts.clear()
            self._acked.clear()

    def wait_for(
        self,
        handset_num: int,
        predicate: Callable[[ReceivedText], bool],
        timeout: float,
    ) -> ReceivedText | None:
        """First text (already received or arriving within ``timeout``) matching."""

        def match() -> ReceivedText | None:
            for text in self._texts.get(handset_num, []):
                if predicate(text):
                    return text
            return None

        with self._cond:
            found: list[ReceivedText | None] = [None]

            def ready() -> bool:
                found[0] = match()
                return found[0] is not None

            self._cond.wait_for(ready, timeout)
            return found[0]
