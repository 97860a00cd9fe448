"""When a task nobody accepts goes back to the coordinator.

Every time a task is given to a volunteer is an *offer*. The re-offer job hands a task on
when its volunteer did not answer in time (or the radio could not reach the handset); it
stops, and the task comes back to the coordinator as "nobody accepted", once ``max_offers``
offers were made or when no free volunteer is left who has not been silent on it before.
A volunteer who did not answer is not offered the same task again (a coordinator still may).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SILENT = ("no_answer", "undeliverable")


@dataclass(frozen=True)
class OfferAttempt:
    volunteer_id: str
    outcome: str | None  # None while it waits; see hub.models.TaskOffer


def not_again(offers: Iterable[OfferAttempt]) -> set[str]:
    """Volunteers who did not answer this task (or could not be reached): never re-offered."""
    return {o.volunteer_id for o in offers if o.outcome in SILENT}


def back_to_coordinator(offers: Sequence[OfferAttempt], max_offers: int, next_volunteer: str | None) -> bool:
    """True when the task stops travelling: offered often enough, or nobody left to offer it to."""
    return len(offers) >= max_offers or next_volunteer is None or next_volunteer in not_again(offers)
