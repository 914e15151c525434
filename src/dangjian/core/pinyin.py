"""Pinyin initials for searching names as people type them on a phone: 甲一党支部 → jydzb.

One letter per Chinese character (its most common reading, from pypinyin's dictionary; a
character's reading is looked up once and cached), letters and digits kept in lower case, anything
else dropped. Stored beside the name (Organization.initials, Member.initials) so that the search is
a plain indexed LIKE."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin

MAX = 50


@lru_cache(maxsize=30000)
def _letter(ch: str) -> str:
    if ch.isascii():
        return ch.lower() if ch.isalnum() else ""
    readings = lazy_pinyin(ch, style=Style.FIRST_LETTER, errors="ignore")
    first = readings[0] if readings else ""
    return first[:1].lower() if first[:1].isascii() and first[:1].isalpha() else ""


def initials(text: str, limit: int = MAX) -> str:
    """The pinyin initials of `text`, at most `limit` letters."""
    return "".join(_letter(ch) for ch in (text or ""))[:limit]


def looks_like_initials(q: str) -> bool:
    """A query of two or more ASCII letters is searched among initials as well."""
    return len(q) >= 2 and q.isascii() and q.isalpha()
