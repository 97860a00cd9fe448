"""Every message the portal can show is translated in every catalog in web/locales.

Message ids are extracted the way ``pybabel extract -F web/babel.cfg`` does (templates and
Python); a catalog that lacks one, leaves it empty or marks it fuzzy fails here, so a new
language (ar, tr, pl, uk) is held to the same rule as Dutch and English.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from hub import i18n

ROOT = Path(__file__).resolve().parent.parent
MessageId = str | tuple[str, ...]


def extracted_ids() -> set[MessageId]:
    with (ROOT / "web" / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    return {
        message if isinstance(message, str) else tuple(message)
        for _file, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map)
        if message
    }


def catalog_paths() -> list[Path]:
    return sorted(i18n.LOCALES_DIR.glob("*/LC_MESSAGES/messages.po"))


def problems(catalog: Catalog, wanted: set[MessageId]) -> list[str]:
    found: list[str] = []
    for message_id in sorted(wanted, key=str):
        key = message_id if isinstance(message_id, str) else message_id[0]
        message = catalog.get(key)
        if message is None:
            found.append(f"missing: {message_id!r}")
        elif message.fuzzy:
            found.append(f"fuzzy: {message_id!r}")
        elif not all(_forms(message.string)):
            found.append(f"empty: {message_id!r}")
    for message, errors in catalog.check():
        found.extend(f"{message.id!r}: {error}" for error in errors)
    return found


def _forms(string: object) -> list[str]:
    """The translated text (one form, or one per plural form)."""
    return [str(s) for s in string] if isinstance(string, tuple | list) else [str(string or "")]


@pytest.fixture(scope="module")
def wanted() -> set[MessageId]:
    return extracted_ids()


def test_extraction_sees_templates_and_python(wanted: set[MessageId]) -> None:
    assert "Send" in wanted  # a template
    assert "Tick at least one box." in wanted  # hub/web/portal_forms.py, marked with N_
    assert "This form is out of date. Check your answers and press Send again." in wanted  # portal.py
    assert any(isinstance(m, tuple) for m in wanted)  # ngettext
    assert len(wanted) > 100


def test_dutch_and_english_catalogs_exist() -> None:
    codes = {path.parent.parent.name for path in catalog_paths()}
    assert {"nl", "en"} <= codes
    assert {lang.code for lang in i18n.available_languages()} == codes


@pytest.mark.parametrize("path", catalog_paths(), ids=lambda p: p.parent.parent.name)
def test_catalog_is_complete(path: Path, wanted: set[MessageId]) -> None:
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=path.parent.parent.name)
    assert problems(catalog, wanted) == []


def test_an_incomplete_catalog_is_caught(wanted: set[MessageId]) -> None:
    catalog = Catalog(locale="tr")
    ids = sorted(wanted, key=str)
    for message_id in ids[2:]:
        catalog.add(message_id, message_id)
    catalog.add(ids[0], "")
    catalog.add(ids[1], "x", flags=["fuzzy"])
    catalog.add("%(max)s too long", "%(maks)s te lang", flags=["python-format"])
    found = problems(catalog, wanted)
    assert any(p.startswith("empty:") for p in found)
    assert any(p.startswith("fuzzy:") for p in found)
    assert any("maks" in p for p in found)
    assert problems(Catalog(locale="tr"), {"Send"}) == ["missing: 'Send'"]
