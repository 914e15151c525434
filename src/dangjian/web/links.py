"""A page's URL by its integer ids, for every row of a long list or every item of 待办: reversed
once per process, URL configuration and script prefix with stand-in ids, which each call replaces
with the row's (`reverse` costs ~25 µs; a province's 待办 builds some 2,300 items)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# stand-in ids no table reaches, all of one length (none is part of another)
_STAND_IN = 2_147_480_001
# (prefix, URL configurations, name, number of ids) -> the URL's pieces between the ids
_ID_URLS: dict[tuple[Any, ...], tuple[str, ...]] = {}


def id_url(name: str, *ids: int) -> str:
    """`reverse(name, args=ids)` for a page addressed by integer ids."""
    key = (get_script_prefix(), settings.ROOT_URLCONF, get_urlconf(), name, len(ids))
    pieces = _ID_URLS.get(key)
    if pieces is None:
        rest = reverse(name, args=[_STAND_IN + i for i in range(len(ids))])
        found: list[str] = []
        for i in range(len(ids)):
            head, _, rest = rest.partition(str(_STAND_IN + i))
            found.append(head)
        pieces = _ID_URLS[key] = (*found, rest)
    out = [pieces[0]]
    for pk, piece in zip(ids, pieces[1:], strict=True):
        out += (str(int(pk)), piece)
    return "".join(out)
