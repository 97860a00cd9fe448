"""Fault injection for the simulated mesh, deterministic for a given seed."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

NAK_REASONS = (
    "MAX_RETRANSMIT",
    "DUTY_CYCLE_LIMIT",
    "RATE_LIMIT_EXCEEDED",
    "TOO_LARGE",
    "NO_CHANNEL",
    "PKI_UNKNOWN_PUBKEY",
    "NO_ROUTE",
    "TIMEOUT",
)


@dataclass
class Faults:
    """Knobs a test or drill turns; read by the simulator on every packet.

    drop_rate       chance a packet to a handset is lost (no ACK; NAK MAX_RETRANSMIT
                    after ``retransmit_timeout`` when the sender wanted an ACK)
    duplicate_rate  chance a handset's packet reaches the client twice (same id)
    delay           extra seconds before ACKs and inbound packets are delivered
    ack_latency     seconds an ACK takes in the best case
    """

    seed: int | None = None
    drop_rate: float = 0.0
    duplicate_rate: float = 0.0
    delay: float = 0.0
    ack_latency: float = 0.05
    retransmit_timeout: float = 1.5
    _naks: list[str] = field(default_factory=list, repr=False)
    _refuse_until: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _rng: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def roll(self, rate: float) -> bool:
        with self._lock:
            return rate > 0 and self._rng.random() < rate

    def nak_next(self, error: str = "MAX_RETRANSMIT", count: int = 1) -> None:
        if error not in NAK_REASONS:
            raise ValueError(f"unknown NAK reason {error!r}; use one of {NAK_REASONS}")
        with self._lock:
            self._naks.extend([error] * count)

    def take_nak(self) -> str | None:
        with self._lock:
            return self._naks.pop(0) if self._naks else None

    def refuse_until(self, deadline: float) -> None:
        with self._lock:
            self._refuse_until = deadline

    def refusing(self, now: float) -> bool:
        with self._lock:
            return now < self._refuse_until
