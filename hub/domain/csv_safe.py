"""CSV cells that a spreadsheet will not run as formulas (CSV/formula injection).

A cell is prefixed with a single quote, so that LibreOffice and Excel show it as text, when it
starts with ``= + - @``, a tab or a carriage return, or when its first visible character is one
of ``= + - @`` written another way: after spaces, tabs or line breaks (``" =1+1"``, which a
spreadsheet may trim), or as a full-width or small form (``＝ ＋ － ＠``, ``﹦``), which Unicode
compatibility normalisation (NFKC) and some spreadsheets turn into the ASCII sign, or as the
minus sign ``−``. Everything else is left as written.
"""

from __future__ import annotations

import unicodedata
from typing import Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_SIGNS = frozenset("=+-@\u2212")


def starts_a_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    if text.startswith(DANGEROUS_STARTS):
        return True
    visible = text.lstrip()
    if not visible:
        return False
    return unicodedata.normalize("NFKC", visible[0])[:1] in FORMULA_SIGNS


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if starts_a_formula(text):
        return "'" + text
    return text
