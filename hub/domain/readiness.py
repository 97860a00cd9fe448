"""Coverage per street in a crisis, readiness per section in peace time: pure counting.

**Coverage** (crisis and drill mode) counts every address of the register, per street: checked
in OK, asked for help, or not heard from. A household is an address and its status is its latest
check-in since the mode began, drill or real as the mode is (``hub.domain.figures``: the two
never mix). Check-ins from addresses outside the register are counted apart, never dropped.

**Sections** group the register: a street, or a range of its house numbers, each with a contact
volunteer. The door-knock plan of a crisis is the section plan made in peace time.
**Readiness** per section: its addresses; those that registered anything; special-attention
households with and without a buddy; volunteers living there, with a handset, with skills; and the
last drill there (share of its special-attention households reached, minutes until the last one
was). A section stands out when it has no contact, a special-attention household without a buddy,
or no volunteer with a handset.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hub.domain.addresses import address_key, split_address, walking_order
from hub.domain.csv_safe import safe_cell
from hub.domain.figures import HELP, OK
from hub.errors import ValidationError

# What makes a section stand out on the readiness page, in the order the page shows it.
NO_CONTACT = "no_contact"
WITHOUT_BUDDY = "without_buddy"
NO_HANDSET = "no_handset"
UNSECTIONED = "(no section)"


@dataclass(frozen=True)
class Section:
    """A street, or numbers ``number_from``..``number_to`` of it (``None``: open-ended)."""

    name: str
    street_key: str
    number_from: int | None = None
    number_to: int | None = None
    contact: str | None = None  # the contact volunteer's name
    contact_id: str | None = None  # and id: the door-knock plan's volunteer where no buddy is

    def holds(self, key: str) -> bool:
        """Whether the address with this ``address_key`` lies in the section."""
        street, number, _suffix = split_address(key)
        if street != self.street_key:
            return False
        if number is None:
            return self.number_from is None and self.number_to is None
        low = self.number_from if self.number_from is not None else 0
        high = self.number_to if self.number_to is not None else 10**6
        return low <= number <= high


def new_section(name: str, street: str, number_from: int | None, number_to: int | None) -> Section:
    """A section as a coordinator defines it, or :class:`ValidationError` saying what is wrong."""
    name, street_key = name.strip(), address_key(street)
    if not name:
        raise ValidationError("a section needs a name", "name")
    if not street_key:
        raise ValidationError("a section needs a street", "street")
    for value, field in ((number_from, "number_from"), (number_to, "number_to")):
        if value is not None and value < 1:
            raise ValidationError("house numbers start at 1", field)
    if number_from is not None and number_to is not None and number_from > number_to:
        raise ValidationError("the range ends before it starts", "number_to")
    return Section(name=name, street_key=street_key, number_from=number_from, number_to=number_to)


def overlap(new: Section, existing: Iterable[Section]) -> Section | None:
    """The first existing section that shares house numbers with ``new`` (none may)."""
    low = new.number_from or 0
    high = new.number_to if new.number_to is not None else 10**6
    for other in existing:
        if other.street_key != new.street_key or other.name == new.name:
            continue
        other_low = other.number_from or 0
        other_high = other.number_to if other.number_to is not None else 10**6
        if low <= other_high and other_low <= high:
            return other
    return None


def section_of(key: str, sections: Sequence[Section]) -> Section | None:
    return next((section for section in sections if section.holds(key)), None)


@dataclass(frozen=True)
class StreetCoverage:
    """One street in a crisis or drill: every address of the register, by its latest word."""

    street: str
    addresses: int
    ok: int = 0
    help: int = 0

    @property
    def not_heard_from(self) -> int:
        return self.addresses - self.ok - self.help

    @property
    def share_heard(self) -> float:
        return (self.ok + self.help) / self.addresses if self.addresses else 0.0


@dataclass(frozen=True)
class Coverage:
    streets: tuple[StreetCoverage, ...]
    outside_ok: int = 0  # check-ins from addresses outside the register: counted, apart
    outside_help: int = 0

    @property
    def addresses(self) -> int:
        return sum(street.addresses for street in self.streets)

    @property
    def not_heard_from(self) -> int:
        return sum(street.not_heard_from for street in self.streets)


def coverage(register: Mapping[str, str], latest: Mapping[str, str]) -> Coverage:
    """``register``: ``address_key`` → street name; ``latest``: ``address_key`` → latest status."""
    streets: dict[str, dict[str, int]] = {}
    for key, street in register.items():
        counts = streets.setdefault(street, {"addresses": 0, OK: 0, HELP: 0})
        counts["addresses"] += 1
        status = latest.get(key)
        if status in (OK, HELP):
            counts[status] += 1
    outside = [status for key, status in latest.items() if key not in register]
    return Coverage(
        streets=tuple(
            StreetCoverage(street, c["addresses"], ok=c[OK], help=c[HELP])
            for street, c in sorted(streets.items())
        ),
        outside_ok=outside.count(OK),
        outside_help=outside.count(HELP),
    )


def silent_addresses(street: Mapping[str, str], latest: Mapping[str, str]) -> list[str]:
    """The door-knock list widened to a whole street: its register addresses (``address_key`` →
    label) that have not said how they are, in walking order (the odd side, then the even side)."""
    silent = [key for key in street if latest.get(key) not in (OK, HELP)]
    return [street[key] for key in sorted(silent, key=walking_order)]


@dataclass(frozen=True)
class Household:
    """A special-attention household, as readiness sees it."""

    key: str
    has_buddy: bool
    drill_minutes: float | None = None  # minutes into the last drill it was reached; None: not


@dataclass(frozen=True)
class Neighbour:
    """A volunteer who gave an address."""

    key: str
    has_handset: bool
    has_skills: bool


@dataclass(frozen=True)
class SectionReadiness:
    section: str
    contact: str | None
    addresses: int
    registered_anything: int
    special_attention: int
    without_buddy: int
    volunteers: int
    with_handset: int
    with_skills: int
    drill_share_reached: float | None  # of its special-attention households; None: no drill/none
    drill_minutes_to_all: float | None  # until the last of them was reached; None: not all were

    @property
    def with_buddy(self) -> int:
        return self.special_attention - self.without_buddy

    @property
    def stands_out(self) -> tuple[str, ...]:
        reasons = []
        if self.contact is None:
            reasons.append(NO_CONTACT)
        if self.without_buddy:
            reasons.append(WITHOUT_BUDDY)
        if not self.with_handset:
            reasons.append(NO_HANDSET)
        return tuple(reasons)


def readiness(
    sections: Sequence[Section],
    register: Iterable[str],
    registered: Iterable[str],
    households: Iterable[Household],
    volunteers: Iterable[Neighbour],
    *,
    drill_held: bool,
) -> list[SectionReadiness]:
    """Per section (and one row for the register's addresses in no section, when there are)."""
    rows: dict[str, dict[str, list[object]]] = {s.name: {} for s in [*sections, Section(UNSECTIONED, "")]}

    def put(key: str, what: str, item: object) -> None:
        section = section_of(key, sections)
        rows[section.name if section else UNSECTIONED].setdefault(what, []).append(item)

    register_keys = set(register)
    for key in register_keys:
        put(key, "addresses", key)
    for key in set(registered) & register_keys:
        put(key, "registered", key)
    for household in households:
        put(household.key, "households", household)
    for volunteer in volunteers:
        put(volunteer.key, "volunteers", volunteer)
    contacts = {s.name: s.contact for s in sections}
    result = []
    for name, parts in rows.items():
        if name == UNSECTIONED and not parts:
            continue
        homes = [h for h in parts.get("households", []) if isinstance(h, Household)]
        neighbours = [v for v in parts.get("volunteers", []) if isinstance(v, Neighbour)]
        reached = [h.drill_minutes for h in homes if h.drill_minutes is not None]
        result.append(
            SectionReadiness(
                section=name,
                contact=contacts.get(name),
                addresses=len(parts.get("addresses", [])),
                registered_anything=len(parts.get("registered", [])),
                special_attention=len(homes),
                without_buddy=sum(1 for h in homes if not h.has_buddy),
                volunteers=len(neighbours),
                with_handset=sum(1 for v in neighbours if v.has_handset),
                with_skills=sum(1 for v in neighbours if v.has_skills),
                drill_share_reached=round(len(reached) / len(homes), 3) if drill_held and homes else None,
                drill_minutes_to_all=max(reached)
                if drill_held and homes and len(reached) == len(homes)
                else None,
            )
        )
    return result


CSV_COLUMNS = (
    "section",
    "contact",
    "addresses",
    "registered_anything",
    "special_attention",
    "with_buddy",
    "without_buddy",
    "volunteers",
    "with_handset",
    "with_skills",
    "drill_share_reached",
    "drill_minutes_to_all",
    "stands_out",
)


def readiness_csv(
    rows: Iterable[SectionReadiness],
    extra_columns: Sequence[str] = (),
    extra: Mapping[str, Sequence[object]] | None = None,
) -> str:
    """The readiness table as CSV (a header, one section a line; cells safe for spreadsheets).

    ``extra_columns`` follow the section's own, with ``extra[section]`` as their cells (the
    self-check's figures, ``hub.domain.preparedness``); a section not in ``extra`` leaves them empty.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*CSV_COLUMNS, *extra_columns))
    blank = ("",) * len(extra_columns)
    for row in rows:
        values = {name: getattr(row, name) for name in CSV_COLUMNS if name != "stands_out"}
        values["stands_out"] = " ".join(row.stands_out)
        more = (extra or {}).get(row.section, blank)
        writer.writerow([safe_cell(value) for value in (*(values[n] for n in CSV_COLUMNS), *more)])
    return out.getvalue()
