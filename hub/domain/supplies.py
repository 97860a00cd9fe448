"""A supply request: what the hub's coordinators ask the region for, for how many households
("water for 40 households"), read from the admin's form (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from hub.errors import ValidationError

# What a hub can ask the region for (a subset of the need categories, so an urgent frame holds it).
SUPPLY_KINDS = ("water", "food", "medicine", "power", "medical_device", "transport", "other")
MAX_HOUSEHOLDS = 10_000
NOTE_CHARS = 120


@dataclass(frozen=True)
class SupplyInput:
    category: str
    households: int
    note: str


def read_supply_request(category: str, households: str, note: str) -> SupplyInput:
    """The form's fields checked; ``ValidationError`` naming the field that is wrong."""
    category = category.strip()
    if category not in SUPPLY_KINDS:
        raise ValidationError(f"unknown supply {category!r}", field="category")
    try:
        count = int(households.strip())
    except ValueError:
        raise ValidationError("households: a whole number", field="households") from None
    if not 1 <= count <= MAX_HOUSEHOLDS:
        raise ValidationError(f"households: 1 to {MAX_HOUSEHOLDS}", field="households")
    note = " ".join(note.split())
    if len(note) > NOTE_CHARS:
        raise ValidationError(f"note: at most {NOTE_CHARS} characters", field="note")
    return SupplyInput(category, count, note)
