"""Every message is translated where it is read, in every catalog in web/locales.

Message ids are extracted the way ``pybabel extract -F web/babel.cfg`` does (templates and
Python), each with the files it comes from. Two audiences, two rules:

* **residents** (the portal, ``base.html``, the printed flyer and poster, Python messages
  outside the admin): every id in *every* language of :data:`hub.i18n.LANGUAGES`;
* **coordinators** (``web/templates/admin/`` and ``hub/web/admin/``) and the region's officers
  (``web/templates/region/``, ``hub/region/``): every id in Dutch and
  English (:data:`hub.i18n.ADMIN_LANGUAGES`); the admin is offered in those only.

An id used by both audiences (``Send``, ``Address``) is a resident id. A catalog that lacks an
id it needs, leaves it empty or marks it fuzzy fails here.
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
ADMIN_SOURCES = ("web/templates/admin/", "hub/web/admin/", "web/templates/region/", "hub/region/")
MessageId = str | tuple[str, ...]


def extracted_ids() -> dict[MessageId, set[str]]:
    """Every message id, with the files (relative to the repository) that use it."""
    with (ROOT / "web" / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: dict[MessageId, set[str]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(ROOT, method_map, options_map):
        if message:
            key = message if isinstance(message, str) else tuple(message)
            found.setdefault(key, set()).add(Path(filename).as_posix())
    return found


def is_admin_only(files: set[str]) -> bool:
    return all(name.startswith(ADMIN_SOURCES) for name in files)


def wanted_in(code: str, ids: dict[MessageId, set[str]]) -> set[MessageId]:
    """The ids catalog ``code`` must translate."""
    admin_too = code in i18n.ADMIN_LANGUAGES
    return {message for message, files in ids.items() if admin_too or not is_admin_only(files)}


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


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=path.parent.parent.name)


@pytest.fixture(scope="module")
def ids() -> dict[MessageId, set[str]]:
    return extracted_ids()


def test_extraction_sees_templates_and_python(ids: dict[MessageId, set[str]]) -> None:
    assert "Send" in ids  # a template
    assert "Tick at least one box." in ids  # hub/web/portal_forms.py, marked with N_
    assert "This form is out of date. Check your answers and press Send again." in ids  # portal.py
    assert any(isinstance(m, tuple) for m in ids)  # ngettext
    assert len(ids) > 300


def test_ids_are_split_by_audience(ids: dict[MessageId, set[str]]) -> None:
    resident = wanted_in("ar", ids)
    coordinator = wanted_in("nl", ids)
    assert resident < coordinator
    assert "Door-knock list" in coordinator - resident  # admin template only
    assert "Send" in resident  # portal and admin: a resident id
    assert "Skip to the content" in resident  # base.html
    assert "How to check in" in resident  # the printed flyer is for residents
    assert "Tick at least one box." in resident  # Python, portal side
    assert len(coordinator - resident) > 200


def test_every_language_has_a_catalog() -> None:
    codes = {path.parent.parent.name for path in catalog_paths()}
    assert codes == set(i18n.LANGUAGES)
    assert [lang.code for lang in i18n.available_languages()] == list(i18n.LANGUAGES)
    assert codes >= i18n.ADMIN_LANGUAGES
    assert [lang.code for lang in i18n.available_languages() if lang.rtl] == ["ar"]


@pytest.mark.parametrize("path", catalog_paths(), ids=lambda p: p.parent.parent.name)
def test_catalog_is_complete(path: Path, ids: dict[MessageId, set[str]]) -> None:
    code = path.parent.parent.name
    assert problems(read_catalog(path), wanted_in(code, ids)) == []


@pytest.mark.parametrize("code", ["ar", "tr", "pl", "uk"])
def test_112_is_named_in_every_language(code: str) -> None:
    catalog = read_catalog(i18n.catalog_path(code))
    for message_id in ("Call 112 now.", "Danger to life? Call 112.", "Danger to life? Call 112 first."):
        message = catalog.get(message_id)
        assert message is not None, message_id
        assert "112" in str(message.string), message_id


def test_an_incomplete_catalog_is_caught(ids: dict[MessageId, set[str]]) -> None:
    resident = sorted(wanted_in("tr", ids), key=str)
    catalog = Catalog(locale="tr")
    for message_id in resident[2:]:
        catalog.add(message_id, message_id if isinstance(message_id, str) else message_id[:1] * 2)
    catalog.add(resident[0], "")
    catalog.add(resident[1], "x", flags=["fuzzy"])
    catalog.add("%(max)s too long", "%(maks)s te lang", flags=["python-format"])
    found = problems(catalog, wanted_in("tr", ids))
    assert any(p.startswith("empty:") for p in found)
    assert any(p.startswith("fuzzy:") for p in found)
    assert any("maks" in p for p in found)
    assert problems(Catalog(locale="tr"), {"Send"}) == ["missing: 'Send'"]
    # A Turkish catalog without admin ids passes the admin-free rule but not the Dutch one.
    assert not any("Door-knock list" in p for p in problems(catalog, wanted_in("tr", ids)))
    assert "missing: 'Door-knock list'" in problems(catalog, wanted_in("nl", ids))
