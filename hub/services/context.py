from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hub.domain.vocab import ShareLevel


@dataclass
class HubContext:
    """What services need to know about the hub they run in."""

    hub_id: str
    share: ShareLevel = "aggregate"
    metrics: dict[str, Any] = field(default_factory=dict)
