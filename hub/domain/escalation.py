"""Who must be visited: the door-knock list and the overdue-check-in rule.

A special-attention household is *reached* once, since the reference moment (the start of
crisis or drill mode), it checked in, was checked in by a volunteer, or a task for it was done.
The door-knock list is every household not yet reached, grouped by street in walking order.

Escalation: when crisis mode has lasted ``hours`` (counted on the monotonic clock,
see ``hub.domain.clock``) and a household is still not reached and has no
task yet, it gets an automatic door-knock task, preferably for its buddy volunteer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import groupby

from hub.domain.addresses import address_key, walking_order
from hub.domain.readiness import Section, section_of

_HOUSE_NUMBER = re.compile(r"[\s,]*\d+\s*[A-Za-z0-9-]*$")


@dataclass(frozen=True)
class AttentionHousehold:
    id: str
    address: str
    special_attention: tuple[str, ...]
    buddy_volunteer_id: str | None = None
    note: str | None = None


def door_knock_list(
    households: Iterable[AttentionHousehold], reached_ids: set[str]
) -> list[AttentionHousehold]:
    """Households not yet reached, in walking order."""
    return sorted((h for h in households if h.id not in reached_ids), key=lambda h: walking_order(h.address))


def by_street(households: Sequence[AttentionHousehold]) -> list[tuple[str, list[AttentionHousehold]]]:
    """``households`` (already in walking order) grouped by street, keeping the order."""
    groups: list[tuple[str, list[AttentionHousehold]]] = []
    for _key, members in groupby(households, key=lambda h: walking_order(h.address)[0]):
        items = list(members)
        street = _HOUSE_NUMBER.sub("", items[0].address).strip() or items[0].address
        groups.append((street, items))
    return groups


@dataclass(frozen=True)
class DoorKnockGroup:
    """Part of the door-knock list: a section made in peace time (with its contact volunteer), or a
    street no section covers."""

    name: str
    households: list[AttentionHousehold]
    contact: str | None = None
    contact_id: str | None = None
    section: bool = False


def by_section(households: Sequence[AttentionHousehold], sections: Sequence[Section]) -> list[DoorKnockGroup]:
    """``households`` (in walking order) grouped as the section plan says, keeping the order: each
    section with its contact; addresses outside every section per street, as before."""
    groups: list[DoorKnockGroup] = []
    for street, members in by_street(households):
        for found, run in groupby(members, key=lambda h: section_of(address_key(h.address), sections)):
            items = list(run)
            if found is None:
                groups.append(DoorKnockGroup(street, items))
            else:
                groups.append(
                    DoorKnockGroup(found.name, items, found.contact, found.contact_id, section=True)
                )
    return groups


def plan_volunteer(household: AttentionHousehold, sections: Sequence[Section]) -> str | None:
    """Who knocks at ``household``'s door by the plan: its buddy, else its section's contact."""
    if household.buddy_volunteer_id:
        return household.buddy_volunteer_id
    found = section_of(address_key(household.address), sections)
    return found.contact_id if found else None


def due_for_door_knock(
    households: Iterable[AttentionHousehold],
    reached_ids: set[str],
    with_task_ids: set[str],
    elapsed: timedelta | None,
    hours: float,
) -> list[AttentionHousehold]:
    """Households that get an automatic door-knock task now.

    ``elapsed`` is the time in crisis or drill mode on the monotonic clock (``None`` in
    normal mode: nothing is due); a jump of the wall clock does not move it.
    """
    if elapsed is None or elapsed < timedelta(hours=hours):
        return []
    return [h for h in door_knock_list(households, reached_ids) if h.id not in with_task_ids]
