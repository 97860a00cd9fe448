"""A small, generated, fictitious address register for the demo and the tests.

Six streets of the invented village "Buurtdorp" (the demo's households live on four of them), a
few hundred addresses with house letters and additions here and there. The postcodes and
positions are made up (laid out as straight streets near 52.09 N, 5.12 E); nothing here is a real
person's address. ``hub/data/sample-addresses.csv`` is this module's output, written by
``python -m hub.domain.sample_addresses > hub/data/sample-addresses.csv`` (a test keeps them the
same).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PLACE = "Buurtdorp"
HEADER = (
    "straat",
    "huisnummer",
    "huisletter",
    "huisnummertoevoeging",
    "postcode",
    "woonplaats",
    "lat",
    "lon",
)
_METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class SampleStreet:
    name: str
    postcode_digits: int
    houses: int  # numbers 1..houses
    start: tuple[float, float]  # lat, lon of number 1
    bearing: float  # degrees from north along which the numbers rise
    letters: tuple[int, ...] = ()  # numbers that also have an "A" next door
    additions: tuple[int, ...] = ()  # numbers split in flats: -1, -2, -3


STREETS = (
    SampleStreet("Kerkstraat", 3901, 60, (52.0905, 5.1180), 90.0, letters=(5, 12, 31), additions=(20,)),
    SampleStreet("Dorpsstraat", 3902, 70, (52.0920, 5.1180), 90.0, letters=(8, 9), additions=(40, 41)),
    SampleStreet("Molenweg", 3903, 40, (52.0890, 5.1165), 0.0, letters=(14,)),
    SampleStreet("Schoolplein", 3904, 12, (52.0912, 5.1230), 0.0),
    SampleStreet("Beukenlaan", 3905, 50, (52.0880, 5.1180), 90.0, additions=(2, 4, 6)),
    SampleStreet("Vissersdijk", 3906, 36, (52.0935, 5.1175), 100.0, letters=(1, 2)),
)


def _position(street: SampleStreet, number: int, side_step: float = 0.0) -> tuple[float, float]:
    """Odd numbers on the left of the street, even on the right, 14 m apart along it."""
    along = ((number - 1) // 2) * 14.0 + side_step
    across = -9.0 if number % 2 else 9.0
    bearing = math.radians(street.bearing)
    north = along * math.cos(bearing) - across * math.sin(bearing)
    east = along * math.sin(bearing) + across * math.cos(bearing)
    lat0, lon0 = street.start
    lat = lat0 + north / _METRES_PER_DEGREE_LAT
    lon = lon0 + east / (_METRES_PER_DEGREE_LAT * math.cos(math.radians(lat0)))
    return round(lat, 6), round(lon, 6)


def sample_rows() -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for street in STREETS:
        for number in range(1, street.houses + 1):
            postcode = f"{street.postcode_digits} {'AB'[number > street.houses // 2]}{'ACEGK'[number % 5]}"
            doors = [("", "", 0.0)]
            if number in street.letters:
                doors.append(("A", "", 5.0))
            if number in street.additions:
                doors = [("", str(flat), 0.0) for flat in (1, 2, 3)]
            for letter, addition, step in doors:
                lat, lon = _position(street, number, step)
                rows.append(
                    (street.name, str(number), letter, addition, postcode, PLACE, f"{lat:.6f}", f"{lon:.6f}")
                )
    return rows


def sample_csv() -> str:
    """The sample register as a municipality's export: ``;``-separated, a header line."""
    lines = [";".join(HEADER), *(";".join(row) for row in sample_rows())]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(sample_csv(), end="")
