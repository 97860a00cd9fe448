"""The topic scheme of docs/reference/mqtt.md, under a root ``R`` (default ``buurtbaken/v1``).

R/hubs/<hub_id>/events      the hub's outbox, one JSON event per message
R/hubs/<hub_id>/status      retained "online"/"offline" (the will sets it offline)
R/hubs/<hub_id>/inbox       directed messages from upstream coordinators
R/hubs/<hub_id>/announcements  official announcements for this hub alone (as the broadcast ones)
R/hubs/<hub_id>/receipts    {"upto": <seq>} from the upstream consumer
R/hubs/<hub_id>/replay      {"from": <seq>} from the upstream consumer
R/hubs/<hub_id>/bridge      retained 1/0: the local broker's bridge upstream is up/down (local only)
R/broadcast/announcements   official announcements (JSON or CAP 1.2 XML)
"""

from __future__ import annotations

from dataclasses import dataclass

HUB_CHANNELS = ("events", "status", "inbox", "receipts", "replay", "bridge", "announcements")


@dataclass(frozen=True)
class Route:
    """Where an inbound topic points: a hub's channel, or the broadcast announcements."""

    channel: str
    hub_id: str | None = None


@dataclass(frozen=True)
class Topics:
    root: str

    def hub(self, hub_id: str, channel: str) -> str:
        if channel not in HUB_CHANNELS:
            raise ValueError(f"unknown channel {channel!r}")
        return f"{self.root}/hubs/{hub_id}/{channel}"

    @property
    def announcements(self) -> str:
        return f"{self.root}/broadcast/announcements"

    def route(self, topic: str) -> Route | None:
        """The route of ``topic``, or ``None`` when it is not one of ours."""
        if topic == self.announcements:
            return Route("announcements")
        prefix = f"{self.root}/hubs/"
        if not topic.startswith(prefix):
            return None
        parts = topic[len(prefix) :].split("/")
        if len(parts) != 2 or parts[1] not in HUB_CHANNELS or not parts[0]:
            return None
        return Route(parts[1], parts[0])
