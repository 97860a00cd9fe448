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
from collections.abc import Sequence
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


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be read (``line`` 1 is the header; 0 is the file as a whole)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}" if self.line else self.reason


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
        return None, Problem(0, "the file is empty")
    if b"\x00" in data[:4096]:
        return None, Problem(0, "this is not a text file (a CSV export is text; is it a spreadsheet?)")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(
            line,
            "the file is not UTF-8 text; save it as 'CSV UTF-8', or convert it: "
            "iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8.csv",
        )


def _columns(header: Sequence[str]) -> tuple[dict[str, int], list[Problem]]:
    found: dict[str, int] = {}
    problems = []
    for index, name in enumerate(header):
        for column, names in COLUMNS.items():
            if _fold(name) in names:
                if column in found:
                    problems.append(Problem(1, f"two columns are {DUTCH[column]}: {name!r}"))
                found[column] = index
    missing = [DUTCH[c] for c in REQUIRED if c not in found]
    has_wgs84 = "lat" in found and "lon" in found
    has_rd = "x" in found and "y" in found
    if not has_wgs84 and not has_rd:
        missing.append("lat and lon, or x and y (RD)")
    if missing:
        named = ", ".join(repr(h) for h in header[:12]) or "none"
        problems.append(Problem(1, f"missing columns: {', '.join(missing)} (the header has {named})"))
    return found, problems


def _number(text: str) -> float:
    return float(text.strip().replace(",", "."))


def _address(row: Sequence[str], columns: dict[str, int]) -> RegisterAddress | str:
    """One line's address, or the reason it is not one."""

    def cell(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None else ""

    street, place = cell("street"), cell("place")
    if not street:
        return "no street"
    if len(street) > 80:
        return "the street name is longer than 80 characters"
    if not place:
        return "no place (woonplaats)"
    if not cell("number").isdigit() or not 1 <= int(cell("number")) <= 99_999:
        return f"house number {cell('number')!r} is not a number from 1 to 99999"
    letter, addition = cell("letter").upper(), cell("addition").upper()
    if letter and not (len(letter) == 1 and letter.isascii() and letter.isalpha()):
        return f"house letter {cell('letter')!r} is not one letter"
    if addition and not _ADDITION.match(addition):
        return f"addition {cell('addition')!r} is not 1 to 4 letters or digits"
    postcode = _POSTCODE.match(cell("postcode"))
    if not postcode:
        return f"postcode {cell('postcode')!r} is not four digits and two letters (1234 AB)"
    try:
        if "lat" in columns and "lon" in columns and (cell("lat") or cell("lon")):
            lat, lon = _number(cell("lat")), _number(cell("lon"))
        elif "x" in columns and "y" in columns:
            x, y = _number(cell("x")), _number(cell("y"))
            if not (X_RANGE[0] <= x <= X_RANGE[1] and Y_RANGE[0] <= y <= Y_RANGE[1]):
                return f"RD position {x:.0f}, {y:.0f} is outside the Netherlands"
            lat, lon = rd_to_wgs84(x, y)
        else:
            return "no position (lat and lon are empty)"
    except ValueError:
        return "the position is not a number"
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return f"position {lat:.5f}, {lon:.5f} is outside the Netherlands (lat and lon swapped?)"
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
                problems.append(Problem(line, f"{len(row)} fields, the header has {len(header)}"))
            elif isinstance(found := _address(row, columns), str):
                problems.append(Problem(line, found))
            elif found.door in seen:
                problems.append(
                    Problem(line, f"{found.label} {found.postcode} is also on line {seen[found.door]}")
                )
            else:
                seen[found.door] = line
                addresses.append(found)
            if len(addresses) > MAX_ADDRESSES:
                return ParsedRegister(
                    problems=(
                        Problem(line, f"more than {MAX_ADDRESSES} addresses: a neighbourhood's, please"),
                    )
                )
            if len(problems) >= MAX_PROBLEMS:
                problems.append(Problem(0, f"stopped reading after {MAX_PROBLEMS} problems"))
                break
    except csv.Error as exc:
        problems.append(Problem(reader.line_num, f"not CSV: {exc}"))
    if not problems and not addresses:
        problems.append(Problem(0, "the file has a header but no addresses"))
    if problems:
        return ParsedRegister(problems=tuple(problems))
    return ParsedRegister(addresses=tuple(addresses))
