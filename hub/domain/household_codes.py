"""The household code: who may mark a special-attention household as reached from the portal.

Anyone on the open Wi-Fi can send "Molenweg 2 is OK". For a household on the special-attention
list that alone must not take it off the door-knock list. A check-in *verifies* the household
when it carries the household's own code (printed on the card the household gets when it is
registered), comes from a registered volunteer's handset (``CHECKIN`` or ``KLAAR``), or from a
coordinator. Otherwise it counts as "reported, not verified": coordinators see it, and the
household stays on the list.

Codes are six characters from an alphabet without look-alikes (no 0/O/Q, 1/I/L, 5/S, 8/B,
2/Z), shown as ``K7M-4PX``; typing is forgiving: case, spaces and dashes do not matter. Wrong
guesses are limited per client and per address (:class:`GuessLimiter`), so the 24⁶ ≈ 191
million codes cannot be tried out.
"""

from __future__ import annotations

import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field

ALPHABET = "ACDEFGHJKMNPRTUVWXY34679"
LENGTH = 6
MAX_INPUT = 20

# Sources whose check-ins verify a household without a code: a volunteer's handset, a coordinator.
TRUSTED_SOURCES = ("mesh", "coordinator")


def new_code() -> str:
    """A fresh random code (stored without the dash)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def shown(code: str) -> str:
    """``K7M4PX`` as printed on the card: ``K7M-4PX``."""
    return f"{code[:3]}-{code[3:]}" if len(code) == LENGTH else code


def normalise(typed: str) -> str:
    """What a resident typed, as a code: upper case, without spaces, dashes and dots."""
    return "".join(ch for ch in typed.upper() if ch.isascii() and ch.isalnum())[:MAX_INPUT]


def matches(stored: str | None, typed: str) -> bool:
    """Whether ``typed`` is the household's code (constant time; no code never matches)."""
    if not stored:
        return False
    return hmac.compare_digest(stored.encode(), normalise(typed).encode())


def verifies(source: str, *, from_volunteer: bool, code_matched: bool) -> bool:
    """Whether a check-in counts as having reached the household (see the module docstring)."""
    if source == "mesh":
        return from_volunteer  # an unknown node may be allowed to report, never to verify
    return source in TRUSTED_SOURCES or code_matched


@dataclass
class GuessLimiter:
    """Wrong codes allowed per key (a client, an address) within a sliding window.

    Pure: the caller passes the time (``time.monotonic()``). Only wrong guesses count; a key
    that reached the limit is refused until its oldest wrong guess leaves the window.
    """

    max_wrong: int = 5
    window_seconds: float = 900.0
    _wrong: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._wrong.get(key)
        if times is None:
            return deque()
        while times and times[0] <= now - self.window_seconds:
            times.popleft()
        if not times:
            del self._wrong[key]
        return times

    def blocked(self, keys: list[str], now: float) -> bool:
        """True when any of ``keys`` has used up its wrong guesses."""
        return any(len(self._recent(key, now)) >= self.max_wrong for key in keys)

    def wrong(self, keys: list[str], now: float) -> None:
        """Count one wrong guess against every key."""
        for key in keys:
            self._recent(key, now)
            self._wrong.setdefault(key, deque()).append(now)
        if len(self._wrong) > 10_000:  # a flood of addresses: forget the quietest keys
            for key in sorted(self._wrong, key=lambda k: self._wrong[k][-1])[:5_000]:
                del self._wrong[key]

    def retry_after(self, keys: list[str], now: float) -> int:
        """Seconds until every key may guess again."""
        waits = [
            times[0] + self.window_seconds - now
            for key in keys
            if len(times := self._recent(key, now)) >= self.max_wrong
        ]
        return max(1, int(max(waits, default=0.0)) + 1)
