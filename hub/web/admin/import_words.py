"""The address import's problem lines, marked for the catalogs (Dutch and English).

The sentences live in ``hub.domain.address_register`` (``REASONS`` and ``ON_LINE``); they are
repeated here, where the catalogs' extraction finds them. ``tests/addresses`` holds the two lists
equal, so a new reason without a translation fails there.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


WORDS = (
    N_("the file is empty"),
    N_("this is not a text file (a CSV export is text; is it a spreadsheet?)"),
    N_(
        "the file is not UTF-8 text; save it as 'CSV UTF-8', or convert it: "
        "iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8.csv"
    ),
    N_("two columns are %(column)s: %(name)s"),
    N_("missing columns: %(missing)s (the header has %(header)s)"),
    N_("no position columns: lat and lon, or x and y (RD) (the header has %(header)s)"),
    N_("no street"),
    N_("the street name is longer than 80 characters"),
    N_("no place (woonplaats)"),
    N_("house number %(value)s is not a number from 1 to 99999"),
    N_("house letter %(value)s is not one letter"),
    N_("addition %(value)s is not 1 to 4 letters or digits"),
    N_("postcode %(value)s is not four digits and two letters (1234 AB)"),
    N_("RD position %(x)s, %(y)s is outside the Netherlands"),
    N_("no position (lat and lon are empty)"),
    N_("the position is not a number"),
    N_("position %(lat)s, %(lon)s is outside the Netherlands (lat and lon swapped?)"),
    N_("%(fields)s fields, the header has %(header)s"),
    N_("%(address)s is also on line %(line)s"),
    N_("more than %(n)s addresses: a neighbourhood's, please"),
    N_("stopped reading after %(n)s problems"),
    N_("not CSV: %(error)s"),
    N_("the file has a header but no addresses"),
)
ON_LINE = N_("line %(line)s: %(reason)s")
# What ``hub addresses import`` says before the problems (its language: ``--lang``).
CLI_REFUSED = N_("%(file)s was not imported; nothing changed. Problems:")
