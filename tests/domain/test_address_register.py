"""Reading a municipality's address export, without I/O: columns, problems by line, RD positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.domain.address_register import parse_register, rd_to_wgs84
from hub.domain.addresses import address_key, house_key, split_address
from hub.domain.sample_addresses import sample_csv

SAMPLE = Path(__file__).parents[2] / "hub" / "data" / "sample-addresses.csv"
HEADER = "straat;huisnummer;huisletter;huisnummertoevoeging;postcode;woonplaats;lat;lon\n"


def parse(text: str) -> tuple[list[str], list[str]]:
    parsed = parse_register(text.encode())
    return [a.label for a in parsed.addresses], [str(p) for p in parsed.problems]


def test_the_shipped_sample_is_the_generators_output_and_reads_clean() -> None:
    assert SAMPLE.read_text(encoding="utf-8") == sample_csv()
    parsed = parse_register(SAMPLE.read_bytes())
    assert parsed.ok and 200 <= len(parsed.addresses) <= 400
    assert len({a.street for a in parsed.addresses}) == 6
    assert {"Kerkstraat 5", "Kerkstraat 5A", "Kerkstraat 20-1", "Molenweg 14A"} <= {
        a.label for a in parsed.addresses
    }


@pytest.mark.parametrize(
    ("x", "y", "lat", "lon"),
    [
        (155_000.0, 463_000.0, 52.15517440, 5.38720621),  # Amersfoort, the grid's origin
        (120_700.723, 487_525.501, 52.374532525, 4.883525586),  # Westertoren, Amsterdam (RDNAPTRANS)
    ],
)
def test_rd_positions_convert_within_a_metre(x: float, y: float, lat: float, lon: float) -> None:
    got_lat, got_lon = rd_to_wgs84(x, y)
    assert abs(got_lat - lat) < 1e-5 and abs(got_lon - lon) < 1.5e-5


def test_rd_columns_comma_separated_with_english_names() -> None:
    parsed = parse_register(
        b"Street,Number,Postcode,City,X,Y\nKerkstraat,1,3901 AC,Buurtdorp,155000,463000\n"
    )
    assert parsed.ok
    (address,) = parsed.addresses
    assert (address.lat, address.lon) == (52.1551744, 5.3872062)
    assert address.postcode == "3901AC"


def test_decimal_commas_and_a_byte_order_mark_are_read() -> None:
    text = "\ufeff" + HEADER + "Kerkstraat;5;a;;3901ac;Buurtdorp;52,0905;5,118\n"
    parsed = parse_register(text.encode())
    assert parsed.ok and parsed.addresses[0].label == "Kerkstraat 5A"
    assert parsed.addresses[0].lat == 52.0905


def test_every_bad_line_is_named_and_no_address_is_kept() -> None:
    labels, problems = parse(
        HEADER
        + "Kerkstraat;1;;;3901 AC;Buurtdorp;52.09;5.11\n"
        + "Kerkstraat;x;;;3901 AC;Buurtdorp;52.09;5.11\n"
        + "\n"
        + "Kerkstraat;2;AB;;3901 AC;Buurtdorp;52.09;5.11\n"
        + "Kerkstraat;3;;toolong;3901 AC;Buurtdorp;52.09;5.11\n"
        + "Kerkstraat;4;;;39AC;Buurtdorp;52.09;5.11\n"
        + "Kerkstraat;5;;;3901 AC;Buurtdorp;5.11;52.09\n"
        + "Kerkstraat;1;;;3901 AC;Buurtdorp;52.09;5.11\n"
        + "Kerkstraat;6;;;3901 AC\n"
        + ";7;;;3901 AC;Buurtdorp;52.09;5.11\n"
    )
    assert labels == []
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in (3, 5, 6, 7, 8, 9, 10, 11)]
    assert "house number 'x'" in problems[0]
    assert "also on line 2" in problems[5]
    assert "lat and lon swapped" in problems[4]
    assert "fields" in problems[6]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x00\x01PK\x03\x04garbage", "not a text file"),
        (
            HEADER.encode() + "K\u00e9rkstraat;1;;;3901 AC;Buurtdorp;52.09;5.11\n".encode("cp1252"),
            "line 2: the file is not UTF-8",
        ),
        (b"naam,telefoon\nJan,06\n", "missing columns: straat, huisnummer, postcode, woonplaats"),
        (
            b"straat;huisnummer;postcode;woonplaats\nKerkstraat;1;3901AC;Buurtdorp\n",
            "lat and lon, or x and y",
        ),
        (HEADER.encode(), "no addresses"),
        (b'straat;huisnummer;postcode;woonplaats;lat;lon\n"Kerk"x;1;3901AC;B;52.1;5.1\n', "line 2: not CSV"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_reason(data: bytes, reason: str) -> None:
    parsed = parse_register(data)
    assert not parsed.addresses
    assert reason in " | ".join(str(p) for p in parsed.problems)


@pytest.mark.parametrize(
    "typed",
    [
        "Kerkstraat 5a",
        "kerkstraat 5 A",
        "Kerkstraat 5-A",
        "KERKSTRAAT 5A, 3901 AC Buurtdorp",
        "Kerkstraat 5a 3901AC",
    ],
)
def test_a_house_letter_is_one_address_however_typed(typed: str) -> None:
    assert address_key(typed) == house_key("Kerkstraat", 5, "A") == "kerkstraat 5a"


def test_an_addition_of_digits_is_not_a_longer_house_number() -> None:
    assert (
        address_key("Kerkstraat 5-1") == address_key("kerkstraat 5 1") == house_key("Kerkstraat", 5, "", "1")
    )
    assert address_key("Kerkstraat 5-1") != address_key("Kerkstraat 51")
    assert split_address("Kerkstraat 5 A") == ("kerkstraat", 5, "a")
