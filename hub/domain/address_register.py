"""The neighbourhood's address register, read from a municipality's export of the BAG.

A municipality exports the addresses of the national address register (BAG, *Basisregistratie
Adressen en Gebouwen*) as a CSV file: one address a line, with its street, house number, house
letter, addition, postcode, place and a position, either in WGS84 degrees (``lat``/``lon``) or in
the Dutch grid (*Rijksdriehoeksmeting*, RD: ``x``/``y`` in metres), which the hub converts
(:func:`rd_to_wgs84`). The columns are found by their names, Dutch or English, in any order,
separated by ``;``, ``,`` or a tab; a decimal comma is read too.

:func:`parse_register` reads a whole file and answers with every address or with every problem:
a file with one bad line is refused whole, each problem named with its line, so that a register
is never half-imported. An address is one door: ``(postcode, number, letter, addition)``, as in
the BAG; the same door twice in one file is a problem.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hub.domain.addresses import house_key

# The column names an export may use, folded (lower case, letters and digits only).
COLUMNS: dict[str, tuple[str, ...]] = {
    "street": ("street", "straat", "straatnaam", "openbareruimte", "openbareruimtenaam"),
    "number": ("number", "housenumber", "huisnummer", "nummer"),
    "letter": ("letter", "houseletter", "huisletter"),
    "addition": ("addition", "huisnummertoevoeging", "toevoeging"),
    "postcode": ("postcode", "postalcode", "zip"),
    "place": ("place", "city", "woonplaats", "woonplaatsnaam", "plaats"),
    "lat": ("lat", "latitude", "breedtegraad"),
    "lon": ("lon", "lng", "longitude", "lengtegraad"),
    "x": ("x", "rdx", "xrd", "xcoordinaat"),
    "y": ("y", "rdy", "yrd", "ycoordinaat"),
}
REQUIRED = ("street", "number", "postcode", "place")
# How the columns are called in the documentation and in problems: the BAG's Dutch names.
DUTCH = {
    "street": "straat",
    "number": "huisnummer",
    "letter": "huisletter",
    "addition": "huisnummertoevoeging",
    "postcode": "postcode",
    "place": "woonplaats",
    "lat": "lat",
    "lon": "lon",
    "x": "x",
    "y": "y",
}
# A neighbourhood is at most a few thousand addresses; a town's export is refused, not loaded.
MAX_ADDRESSES = 20_000
MAX_FILE_BYTES = 8 * 1024 * 1024  # well over a neighbourhood's export; a bigger file is something else
MAX_PROBLEMS = 200

# The Netherlands, with a margin: a position outside is a swapped or mistyped column.
LAT_RANGE = (50.6, 53.7)
LON_RANGE = (3.2, 7.3)
X_RANGE = (-7_000.0, 300_000.0)
Y_RANGE = (289_000.0, 629_000.0)

_POSTCODE = re.compile(r"^([1-9]\d{3})\s?([A-Za-z]{2})$")
_ADDITION = re.compile(r"^[A-Za-z0-9]{1,4}$")


def address_label(street: str, number: int, letter: str = "", addition: str = "") -> str:
    """How the hub writes a register's address: "Kerkstraat 5A", "Kerkstraat 5-1", "Kerkstraat 5A-BIS"."""
    return f"{street} {number}{letter}{f'-{addition}' if addition else ''}"


@dataclass(frozen=True)
class RegisterAddress:
    """One address of the register (one door)."""

    street: str
    number: int
    letter: str
    addition: str
    postcode: str  # "1234AB"
    place: str
    lat: float
    lon: float

    @property
    def door(self) -> tuple[str, int, str, str]:
        """The BAG's identity of an address: the same door in every export."""
        return self.postcode, self.number, self.letter, self.addition

    @property
    def label(self) -> str:
        return address_label(self.street, self.number, self.letter, self.addition)

    @property
    def key(self) -> str:
        """The :func:`~hub.domain.addresses.address_key` a typed address meets it on."""
        return house_key(self.street, self.number, self.letter, self.addition)


# Why a line is refused: each an English sentence with ``%(name)s`` places, translated where it
# is shown (the admin's language; ``hub/web/admin/import_words.py`` marks them for the catalogs).
EMPTY = "the file is empty"
NOT_TEXT = "this is not a text file (a CSV export is text; is it a spreadsheet?)"
NOT_UTF8 = (
    "the file is not UTF-8 text; save it as 'CSV UTF-8', or convert it: "
    "iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8.csv"
)
TWO_COLUMNS = "two columns are %(column)s: %(name)s"
MISSING_COLUMNS = "missing columns: %(missing)s (the header has %(header)s)"
NO_POSITION_COLUMNS = "no position columns: lat and lon, or x and y (RD) (the header has %(header)s)"
NO_STREET = "no street"
LONG_STREET = "the street name is longer than 80 characters"
NO_PLACE = "no place (woonplaats)"
BAD_NUMBER = "house number %(value)s is not a number from 1 to 99999"
BAD_LETTER = "house letter %(value)s is not one letter"
BAD_ADDITION = "addition %(value)s is not 1 to 4 letters or digits"
BAD_POSTCODE = "postcode %(value)s is not four digits and two letters (1234 AB)"
RD_OUTSIDE = "RD position %(x)s, %(y)s is outside the Netherlands"
NO_POSITION = "no position (lat and lon are empty)"
POSITION_NOT_NUMBER = "the position is not a number"
OUTSIDE = "position %(lat)s, %(lon)s is outside the Netherlands (lat and lon swapped?)"
FIELD_COUNT = "%(fields)s fields, the header has %(header)s"
TWICE = "%(address)s is also on line %(line)s"
TOO_MANY = "more than %(n)s addresses: a neighbourhood's, please"
STOPPED = "stopped reading after %(n)s problems"
NOT_CSV = "not CSV: %(error)s"
NO_ADDRESSES = "the file has a header but no addresses"
ON_LINE = "line %(line)s: %(reason)s"
REASONS = (
    EMPTY,
    NOT_TEXT,
    NOT_UTF8,
    TWO_COLUMNS,
    MISSING_COLUMNS,
    NO_POSITION_COLUMNS,
    NO_STREET,
    LONG_STREET,
    NO_PLACE,
    BAD_NUMBER,
    BAD_LETTER,
    BAD_ADDITION,
    BAD_POSTCODE,
    RD_OUTSIDE,
    NO_POSITION,
    POSITION_NOT_NUMBER,
    OUTSIDE,
    FIELD_COUNT,
    TWICE,
    TOO_MANY,
    STOPPED,
    NOT_CSV,
    NO_ADDRESSES,
)


@dataclass(frozen=True)
class Reason:
    """A reason (one of :data:`REASONS`) with what fills its places."""

    template: str
    params: tuple[tuple[str, str], ...] = ()

    def words(self, gettext: Callable[[str], str] = str) -> str:
        return gettext(self.template) % dict(self.params)


def _reason(template: str, **params: object) -> Reason:
    return Reason(template, tuple((name, str(value)) for name, value in params.items()))


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be read (``line`` 1 is the header; 0 is the file as a whole)."""

    line: int
    why: Reason

    @property
    def reason(self) -> str:
        return self.why.words()

    def words(self, gettext: Callable[[str], str] = str) -> str:
        """The problem in a language (``gettext`` of it; English without)."""
        reason = self.why.words(gettext)
        return gettext(ON_LINE) % {"line": self.line, "reason": reason} if self.line else reason

    def __str__(self) -> str:
        return self.words()


@dataclass(frozen=True)
class ParsedRegister:
    addresses: tuple[RegisterAddress, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.addresses)


def rd_to_wgs84(x: float, y: float) -> tuple[float, float]:
    """RD (EPSG:28992) metres to WGS84 degrees ``(lat, lon)``.

    The standard approximation of Schreutelkamp and Strang van Hees (the polynomial of the
    Kadaster's RD-NAP transformation); within a metre in the Netherlands, enough for a dot on
    a street map, and it needs no projection library.
    """
    dx = (x - 155_000.0) * 1e-5
    dy = (y - 463_000.0) * 1e-5
    north = (
        3235.65389 * dy
        - 32.58297 * dx**2
        - 0.2475 * dy**2
        - 0.84978 * dx**2 * dy
        - 0.0655 * dy**3
        - 0.01709 * dx**2 * dy**2
        - 0.00738 * dx
        + 0.0053 * dx**4
        - 0.00039 * dx**2 * dy**3
        + 0.00033 * dx**4 * dy
        - 0.00012 * dx * dy
    )
    east = (
        5260.52916 * dx
        + 105.94684 * dx * dy
        + 2.45656 * dx * dy**2
        - 0.81885 * dx**3
        + 0.05594 * dx * dy**3
        - 0.05607 * dx**3 * dy
        + 0.01199 * dy
        - 0.00256 * dx**3 * dy**2
        + 0.00128 * dx * dy**4
        + 0.00022 * dy**2
        - 0.00022 * dx**2
        + 0.00026 * dx**5
    )
    return 52.15517440 + north / 3600.0, 5.38720621 + east / 3600.0


def _fold(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.casefold())


def decode(data: bytes) -> tuple[str | None, Problem | None]:
    """The file's text, or why it is not a UTF-8 text file."""
    if not data.strip():
        return None, Problem(0, _reason(EMPTY))
    if b"\x00" in data[:4096]:
        return None, Problem(0, _reason(NOT_TEXT))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(line, _reason(NOT_UTF8))


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    found: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        for column, names in COLUMNS.items():
            if _fold(name) in names:
                if column in found:
                    problems.append(Problem(1, _reason(TWO_COLUMNS, column=DUTCH[column], name=repr(name))))
                found[column] = index
    missing = [DUTCH[c] for c in REQUIRED if c not in found]
    has_wgs84 = "lat" in found and "lon" in found
    has_rd = "x" in found and "y" in found
    named = ", ".join(repr(h) for h in header[:12]) or "–"
    if missing:
        problems.append(Problem(1, _reason(MISSING_COLUMNS, missing=", ".join(missing), header=named)))
    if not has_wgs84 and not has_rd:
        problems.append(Problem(1, _reason(NO_POSITION_COLUMNS, header=named)))
    return found, problems


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def _address(row: Sequence[str], columns: dict[str, int]) -> RegisterAddress | Reason:
    """One line's address, or the reason it is not one."""

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None else ""

    street, place = cell("street"), cell("place")
    if not street:
        return _reason(NO_STREET)
    if len(street) > 80:
        return _reason(LONG_STREET)
    if not place:
        return _reason(NO_PLACE)
    if not cell("number").isdigit() or not 1 <= int(cell("number")) <= 99_999:
        return _reason(BAD_NUMBER, value=repr(cell("number")))
    letter, addition = cell("letter").upper(), cell("addition").upper()
    if letter and not (len(letter) == 1 and letter.isascii() and letter.isalpha()):
        return _reason(BAD_LETTER, value=repr(cell("letter")))
    if addition and not _ADDITION.match(addition):
        return _reason(BAD_ADDITION, value=repr(cell("addition")))
    postcode = _POSTCODE.match(cell("postcode"))
    if not postcode:
        return _reason(BAD_POSTCODE, value=repr(cell("postcode")))
    try:
        if "lat" in columns and "lon" in columns and (cell("lat") or cell("lon")):
            lat, lon = _number(cell("lat")), _number(cell("lon"))
        elif "x" in columns and "y" in columns:
            x, y = _number(cell("x")), _number(cell("y"))
            if not (X_RANGE[0] <= x <= X_RANGE[1] and Y_RANGE[0] <= y <= Y_RANGE[1]):
                return _reason(RD_OUTSIDE, x=f"{x:.0f}", y=f"{y:.0f}")
            lat, lon = rd_to_wgs84(x, y)
        else:
            return _reason(NO_POSITION)
    except ValueError:
        return _reason(POSITION_NOT_NUMBER)
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return _reason(OUTSIDE, lat=f"{lat:.5f}", lon=f"{lon:.5f}")
    return RegisterAddress(
        street=street,
        number=int(cell("number")),
        letter=letter,
        addition=addition,
        postcode=f"{postcode[1]}{postcode[2].upper()}",
        place=place,
        lat=round(lat, 7),
        lon=round(lon, 7),
    )


def _dialect(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", ",", "\t")}
    return max(counts, key=lambda sep: counts[sep])


def parse_register(data: bytes) -> ParsedRegister:
    """Every address of an export, or every problem in it (then no address at all)."""
    text, problem = decode(data)
    if text is None:
        return ParsedRegister(problems=(problem,) if problem else ())
    lines = text.splitlines()
    reader = csv.reader(lines, delimiter=_dialect(lines[0]), strict=True)
    problems: list[Problem] = []
    addresses: list[RegisterAddress] = []
    try:
        header = next(reader)
        columns, problems = _columns(header)
        if problems:
            return ParsedRegister(problems=tuple(problems))
        seen: dict[tuple[str, int, str, str], int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                problems.append(Problem(line, _reason(FIELD_COUNT, fields=len(row), header=len(header))))
            elif isinstance(found := _address(row, columns), Reason):
                problems.append(Problem(line, found))
            elif found.door in seen:
                again = f"{found.label} {found.postcode}"
                problems.append(Problem(line, _reason(TWICE, address=again, line=seen[found.door])))
            else:
                seen[found.door] = line
                addresses.append(found)
            if len(addresses) > MAX_ADDRESSES:
                return ParsedRegister(problems=(Problem(line, _reason(TOO_MANY, n=MAX_ADDRESSES)),))
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem(0, _reason(STOPPED, n=MAX_PROBLEMS)))
                break
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, _reason(NOT_CSV, error=exc)))
    if not problems and not addresses:
        problems.append(Problem(0, _reason(NO_ADDRESSES)))
    if problems:
        return ParsedRegister(problems=tuple(problems))
    return ParsedRegister(addresses=tuple(addresses))
