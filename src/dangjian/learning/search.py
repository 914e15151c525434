"""Full-text search with Chinese segmentation (jieba; its dictionary ships inside the package,
nothing
is downloaded). Resources keep their segmented text; a query matches when every one of its words
does."""

from __future__ import annotations

import logging
import re
from typing import Any

import jieba
from django.db.models import Q

_WORD = re.compile(r"[\w\u4e00-\u9fff]+")


def _cut(text: str) -> list[str]:

    jieba.setLogLevel(logging.WARNING)
    return [w.strip().lower() for w in jieba.cut_for_search(text) if _WORD.fullmatch(w.strip())]


def index_text(text: str) -> str:
    """The words of a text, space-separated and deduplicated, for storing beside it."""
    return " ".join(dict.fromkeys(_cut(text)))[:20000]


def query_words(query: str) -> list[str]:
    words = [w for w in dict.fromkeys(_cut(query or "")) if w]
    return words[:10]


def search_q(query: str, field: str = "search_text") -> Any:
    """A filter matching resources whose words contain every word of the query."""
    q = Q()
    for w in query_words(query):
        q &= (
            Q(**{f"{field}__icontains": f" {w} "})
            | Q(**{f"{field}__istartswith": f"{w} "})
            | Q(**{f"{field}__iendswith": f" {w}"})
            | Q(**{field: w})
        )
    return q
