"""The neighbourhood's figures: one definition of each number the hub shows.

Every view (portal home, dashboard, ``/api/v1/status``, the handset ``STATUS`` reply, the hourly
mesh summary, the drill report, the upstream ``hub.figures`` event) shows these, computed once by
``hub.services.figures.neighbourhood_figures``. The rules, in the neighbourhood's words:

- **Since**: only what happened since the current mode began counts (crisis, drill or normal;
  ever, when the hub never changed mode). Open needs and open tasks are states, not events: they
  count while open, whenever they were made.
- **Drill or real**: in drill mode the figures are the drill's records only; otherwise the real
  records only. The two never mix, and the dashboard's lists beside the figures (open needs,
  calls for help to handle) follow the same rule.
- **A household is an address** (its ``address_key``): many check-ins from one address count once.
  Its status is its *latest* check-in: "help" and then "ok" from the same address is one household
  that is OK now.
- **Reached** (special-attention households): a *verified* check-in at its address (its household
  code, a volunteer's handset, a coordinator) or a task for it done. A check-in nobody verified
  ("reported OK, not verified") does not reach it: it stays on the door-knock list.
- **Volunteers available**: willing, heard lately when they carry a handset, and no task in hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType

# The check-in statuses a household can be in; the latest one per address counts.
OK = "ok"
HELP = "help"
# A need this urgent or more counts as urgent in every summary.
URGENT = ("urgent", "life")


def _frozen(values: Mapping[str, int] | None) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted((values or {}).items())))


@dataclass(frozen=True)
class Figures:
    """The neighbourhood's figures at one moment (counts only: no names, no addresses)."""

    since: datetime | None
    drill: bool
    households_ok: int = 0
    households_help: int = 0
    open_needs_by_urgency: Mapping[str, int] = field(default_factory=dict)
    open_needs_by_category: Mapping[str, int] = field(default_factory=dict)
    special_attention_registered: int = 0
    special_attention_reached: int = 0
    volunteers_available: int = 0
    tasks_open: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "open_needs_by_urgency", _frozen(self.open_needs_by_urgency))
        object.__setattr__(self, "open_needs_by_category", _frozen(self.open_needs_by_category))

    @property
    def households_checked_in(self) -> int:
        """Addresses that said how they are (OK or help) since ``since``."""
        return self.households_ok + self.households_help

    @property
    def open_needs(self) -> int:
        return sum(self.open_needs_by_urgency.values())

    @property
    def urgent_needs(self) -> int:
        return sum(n for urgency, n in self.open_needs_by_urgency.items() if urgency in URGENT)

    @property
    def special_attention_not_reached(self) -> int:
        """Special-attention households still to visit (the door-knock list's length)."""
        return max(self.special_attention_registered - self.special_attention_reached, 0)

    def public(self) -> dict[str, object]:
        """What anyone may see (the portal's board and ``/api/v1/status``): no special-attention
        or volunteer figures."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "drill": self.drill,
            "households_checked_in": self.households_checked_in,
            "households_ok": self.households_ok,
            "households_help": self.households_help,
            "open_needs": self.open_needs,
            "open_needs_urgent": self.urgent_needs,
            "open_needs_by_category": dict(self.open_needs_by_category),
        }

    def summary(self) -> dict[str, object]:
        """Every figure, for coordinators, the drill report and the upstream ``hub.figures`` event."""
        return {
            **self.public(),
            "open_needs_by_urgency": dict(self.open_needs_by_urgency),
            "special_attention_registered": self.special_attention_registered,
            "special_attention_reached": self.special_attention_reached,
            "special_attention_not_reached": self.special_attention_not_reached,
            "volunteers_available": self.volunteers_available,
            "tasks_open": self.tasks_open,
        }
