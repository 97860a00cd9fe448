"""CSV cells that a spreadsheet will not run as formulas (CSV/formula injection).

A cell that starts with ``= + - @``, a tab or a carriage return is prefixed with a single quote,
so that LibreOffice and Excel show it as text. Everything else is left as written.
"""

from __future__ import annotations

from typing import Any

DANGEROUS_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(DANGEROUS_STARTS):
        return "'" + text
    return text
