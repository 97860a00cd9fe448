"""The preparedness self-check and the neighbourhood's activities: pure rules, no I/O.

**The self-check** is the national 72-hour emergency kit ("Denk vooruit": be able to manage on
your own for 72 hours) and two questions about neighbours: whom would you check on, and who would
check on you. It is anonymous. An answer counts for a street (and its section) only when the
resident gave an address; an address outside the register is kept and counted as "not in the
register", an answer without address only in the totals. Per address the latest answer counts:
a household that checks again replaces its earlier answer in the figures.

**Activities** (activities and drills coordinators post) are shown on the portal until the day
they are on has passed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Literal, get_args

from hub.domain.readiness import UNSECTIONED, Section, section_of
from hub.errors import ValidationError

KitItem = Literal[
    "water", "food", "torch", "radio", "power_bank", "first_aid", "medicines", "cash", "documents"
]
KIT_ITEMS: tuple[str, ...] = get_args(KitItem)
# The two questions about neighbours, counted like the kit items.
NEIGHBOUR_QUESTIONS: tuple[str, ...] = ("check_on", "checked_by")
ANSWERS: tuple[str, ...] = (*KIT_ITEMS, *NEIGHBOUR_QUESTIONS)

WATER_LITRES_A_DAY = 3
KIT_DAYS = 3

NOT_IN_REGISTER = "(not in the register)"
NO_ADDRESS = "(no address)"


def water_litres(people: int | None) -> int:
    """Drinking water for 72 hours: 3 litres a person a day (one person when not given)."""
    return WATER_LITRES_A_DAY * KIT_DAYS * max(people or 1, 1)


@dataclass(frozen=True)
class Answer:
    """One stored self-check, as the figures see it."""

    key: str | None  # the address key; None: no address given
    ready: frozenset[str]  # the kit items ready, and the neighbour questions answered yes


@dataclass(frozen=True)
class SelfCheckFigures:
    """The self-checks of one section (or of the rows apart: not in the register, no address)."""

    section: str
    addresses: int  # the section's addresses in the register (0 for the rows apart)
    households: int  # answers counted: one per address, each answer without address
    ready: Mapping[str, int] = field(default_factory=dict)  # per answer: how many said yes

    @property
    def share_answering(self) -> float | None:
        """Of the section's addresses, the share that did the self-check."""
        return round(self.households / self.addresses, 3) if self.addresses else None

    def share(self, answer: str) -> float | None:
        """Of the households that answered, the share with this item ready (or ``yes``)."""
        return round(self.ready.get(answer, 0) / self.households, 3) if self.households else None


def self_check_figures(
    sections: Sequence[Section], register: Iterable[str], answers: Iterable[Answer]
) -> list[SelfCheckFigures]:
    """Per section (the register's addresses in none: one row), then the rows apart; ``answers``
    oldest first (a later answer from the same address replaces an earlier one)."""
    register_keys = set(register)
    addresses: dict[str, int] = {s.name: 0 for s in sections}
    for key in register_keys:
        name = _section_name(key, sections)
        addresses[name] = addresses.get(name, 0) + 1
    latest: dict[str, Answer] = {}
    apart: list[Answer] = []
    for answer in answers:
        if answer.key:
            latest[answer.key] = answer
        else:
            apart.append(answer)
    counted: dict[str, list[Answer]] = {}
    for key, answer in latest.items():
        name = _section_name(key, sections) if key in register_keys else NOT_IN_REGISTER
        counted.setdefault(name, []).append(answer)
    counted[NO_ADDRESS] = apart
    rows = []
    for name in [*addresses, NOT_IN_REGISTER, NO_ADDRESS]:
        mine = counted.get(name, [])
        if name in (UNSECTIONED, NOT_IN_REGISTER, NO_ADDRESS) and not mine and not addresses.get(name):
            continue
        ready = {item: sum(1 for a in mine if item in a.ready) for item in ANSWERS}
        rows.append(SelfCheckFigures(name, addresses.get(name, 0), len(mine), ready))
    return rows


def _section_name(key: str, sections: Sequence[Section]) -> str:
    section = section_of(key, sections)
    return section.name if section else UNSECTIONED


def csv_columns() -> tuple[str, ...]:
    """The readiness CSV's self-check columns."""
    return ("selfcheck_households", "selfcheck_share", *(f"selfcheck_{a}" for a in ANSWERS))


def csv_cells(figures: SelfCheckFigures | None) -> tuple[object, ...]:
    if figures is None:
        return (0, "", *("" for _ in ANSWERS))
    share = figures.share_answering
    return (
        figures.households,
        "" if share is None else share,
        *("" if (s := figures.share(a)) is None else s for a in ANSWERS),
    )


# --- activities ------------------------------------------------------------------------------

ActivityKind = Literal["activity", "drill"]
ACTIVITY_KINDS: tuple[str, ...] = get_args(ActivityKind)
TITLE_MAX, PLACE_MAX, TEXT_MAX = 120, 120, 1000


@dataclass(frozen=True)
class ActivityInput:
    kind: str
    title: str
    starts_at: datetime  # aware
    place: str
    text: str


def read_activity(kind: str, title: str, when: str, place: str, text: str) -> ActivityInput:
    """A coordinator's activity form, or :class:`ValidationError` naming the field to fix.

    ``when`` is a local date and time as a browser's ``datetime-local`` field sends it
    (``2026-12-12T19:30``; a space instead of ``T`` is read too), in the hub's time zone.
    """
    if kind not in ACTIVITY_KINDS:
        raise ValidationError("choose an activity or a drill", "kind")
    title, place, text = title.strip(), place.strip(), text.strip()
    if not title:
        raise ValidationError("an activity needs a title", "title")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"the title is longer than {TITLE_MAX} characters", "title")
    starts = parse_local(when)
    if not place:
        raise ValidationError("say where it is", "place")
    if len(place) > PLACE_MAX:
        raise ValidationError(f"the place is longer than {PLACE_MAX} characters", "place")
    if len(text) > TEXT_MAX:
        raise ValidationError(f"the text is longer than {TEXT_MAX} characters", "text")
    return ActivityInput(kind, title, starts, place, text)


def parse_local(when: str) -> datetime:
    """``2026-12-12T19:30`` (local) as an aware moment; :class:`ValidationError` otherwise."""
    text = when.strip().replace(" ", "T")
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ValidationError("a date and time like 2026-12-12 19:30", "when") from None
    if not 2000 <= moment.year <= 2999:
        raise ValidationError("a date and time like 2026-12-12 19:30", "when")
    return moment.astimezone()


def shown_from(now: datetime) -> datetime:
    """The earliest start still shown at ``now`` (aware): the start of ``now``'s local day."""
    local = now.astimezone()
    day: date = local.date()
    return datetime.combine(day, time(0, 0), tzinfo=local.tzinfo)


def is_past(starts_at: datetime, now: datetime) -> bool:
    return starts_at.astimezone() < shown_from(now)
