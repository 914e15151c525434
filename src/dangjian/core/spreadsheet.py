"""Safe spreadsheet cells: escape formula-looking text on export (security.md G2)."""

from __future__ import annotations

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "\x00")


def escape_cell(value: object) -> object:
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote.

    Numbers are left alone; text such as "-5" or "=SUM(A1)" becomes "'-5" / "'=SUM(A1)".
    """
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value
