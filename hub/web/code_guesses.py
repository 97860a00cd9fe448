"""Wrong household codes, counted per client and per address for the portal and the API alike.

Guessing a household's code would let anyone take a vulnerable neighbour off the door-knock
list, so wrong codes are limited (:class:`hub.domain.household_codes.GuessLimiter`): five per
client and five per address in a quarter of an hour. Only check-ins that carry a code count;
residents who send none are never slowed down. A refused guess stores nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hub.domain.addresses import address_key
from hub.domain.household_codes import GuessLimiter


class CodeGuesses:
    def __init__(
        self, limiter: GuessLimiter | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limiter = limiter or GuessLimiter()
        self.clock = clock

    @staticmethod
    def _keys(client: str, address: str) -> list[str]:
        return [f"client:{client}", f"address:{address_key(address)}"]

    def refused(self, client: str, address: str) -> int | None:
        """Seconds to wait when this client or this address used up its wrong guesses, else None."""
        keys = self._keys(client, address)
        now = self.clock()
        if self.limiter.blocked(keys, now):
            return self.limiter.retry_after(keys, now)
        return None

    def wrong(self, client: str, address: str) -> None:
        self.limiter.wrong(self._keys(client, address), self.clock())
