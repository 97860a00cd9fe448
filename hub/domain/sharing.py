"""What leaves the hub: shaping outbox event data by share level and consent.

Levels (``HUB_SYNC_SHARE``):

- ``aggregate`` (default): no house numbers, notes, descriptions, reasons or contacts; streets
  only (check-ins, needs, offers and tasks alike).
- ``needs``: needs travel complete (address and description) so that others can help;
  everything else as ``aggregate``.
- ``full``: every field, except special-attention details without consent.

Special-attention details of a household leave the hub only when the household consented
to sharing upstream, whatever the level.
"""

from __future__ import annotations

from typing import Any

from hub.domain.addresses import street_of
from hub.domain.vocab import ShareLevel

_PRIVATE_TEXT = ("note", "description", "contact", "reason")


def shape_event(kind: str, data: dict[str, Any], level: ShareLevel) -> dict[str, Any]:
    """The part of ``data`` (a record of type ``kind``) that may go upstream."""
    if kind == "household":
        return _household(data, level)
    if level == "full" or (level == "needs" and kind == "need"):
        return dict(data)
    shaped = {k: v for k, v in data.items() if k not in _PRIVATE_TEXT}
    if shaped.get("address"):
        shaped["street"] = street_of(str(shaped.pop("address")))
    return shaped


def _household(data: dict[str, Any], level: ShareLevel) -> dict[str, Any]:
    consent = bool(data.get("consent", {}).get("share_upstream"))
    if consent:
        shaped = dict(data)
        if level != "full":
            shaped.pop("contact", None)
            shaped.pop("note", None)
        return shaped
    return {
        "id": data["id"],
        "street": street_of(str(data.get("address", ""))),
        "special_attention_count": len(data.get("special_attention", [])),
        "consent": {"share_upstream": False},
        "drill": data.get("drill", False),
    }
