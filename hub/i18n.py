"""Languages: gettext catalogs in ``web/locales``, chosen per request.

Catalogs are read from the ``.po`` files when a language is first used and compiled in memory,
so there is no build step between editing a translation and seeing it. Babel is imported then too
(``translations_for``, ``day_and_time``), not at the start of ``hub serve`` or ``hub --help``.
The language of a request comes from an explicit choice (``?lang=``, remembered in a cookie),
else Accept-Language, else ``HUB_DEFAULT_LANG``.
"""

from __future__ import annotations

import contextvars
import gettext as stdlib_gettext
import io
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.support import NullTranslations

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
LOCALES_DIR = WEB_DIR / "locales"


@dataclass(frozen=True)
class Language:
    code: str
    name: str  # in the language itself
    rtl: bool = False


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("nl", "Nederlands"),
        Language("en", "English"),
        Language("ar", "العربية", rtl=True),
        Language("tr", "Türkçe"),
        Language("pl", "Polski"),
        Language("uk", "Українська"),
    )
}
# The coordinators' pages are in Dutch and English; residents get every language above.
ADMIN_LANGUAGES = frozenset({"nl", "en"})

_current: contextvars.ContextVar[NullTranslations | None] = contextvars.ContextVar(
    "translations", default=None
)
_code: contextvars.ContextVar[str] = contextvars.ContextVar("language", default="nl")
_NULL = stdlib_gettext.NullTranslations()  # no catalog active: the message as it is


def catalog_path(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / "messages.po"


def available_languages() -> list[Language]:
    """Languages with a catalog on disk, in the order of :data:`LANGUAGES`.

    The source language of the message ids is English; Dutch, the default, is a catalog
    like any other (``tests/test_catalogs.py`` holds every catalog to the same rule).
    """
    return [lang for code, lang in LANGUAGES.items() if catalog_path(code).exists()]


@lru_cache(maxsize=16)
def translations_for(code: str) -> NullTranslations:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    path = catalog_path(code)
    if not path.exists():
        return NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=code)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(fp=buffer)


def negotiate(
    choice: str | None,
    accept_language: str | None,
    default: str,
    offered: Collection[str] | None = None,
) -> str:
    """The language to answer in: among ``offered`` (default: every catalog on disk)."""
    codes = {lang.code for lang in available_languages()}
    if offered is not None:
        codes &= set(offered)
    if choice and choice in codes:
        return choice
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        primary = tag.split("-")[0]
        if primary in codes:
            return primary
    return default if default in codes else "nl"


def activate(code: str) -> contextvars.Token[NullTranslations | None]:
    _code.set(code)
    return _current.set(translations_for(code))


@contextmanager
def using(code: str) -> Iterator[None]:
    """Translate into ``code`` inside the block (for messages made in Python)."""
    language = _code.set(code)
    token = _current.set(translations_for(code))
    try:
        yield
    finally:
        _current.reset(token)
        _code.reset(language)


def current_code() -> str:
    """The language being translated into (Dutch outside a request)."""
    return _code.get()


def day_and_time(moment: datetime, *, year: bool = False) -> str:
    """``3 dec 16:10`` in the current language: the month by name, so no reader takes the day
    for the month (``03-12`` is March 12th to an American)."""
    from babel.dates import format_datetime

    return format_datetime(moment, "d MMM y HH:mm" if year else "d MMM HH:mm", locale=current_code())


def gettext(message: str) -> str:
    return (_current.get() or _NULL).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return (_current.get() or _NULL).ngettext(singular, plural, n)
