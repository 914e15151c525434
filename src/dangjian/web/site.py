"""The platform's address as people reach it, for links that leave the page (QR codes, messages,
slips): the configured DANGJIAN_SITE_URL, else the address of the requests it serves (a server
at :8001 behind whatever name), remembered for the worker's messages, else the local default."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

CACHE_KEY = "site:url"
FALLBACK = "http://127.0.0.1:8000"


def configured() -> str:
    return str(settings.NOTIFY.get("site_url") or "").rstrip("/")


def remember(request: Any) -> None:
    """Called by the middleware on each request when no address is configured."""
    if not configured():
        base = request.build_absolute_uri("/").rstrip("/")
        if cache.get(CACHE_KEY) != base:
            cache.set(CACHE_KEY, base, None)


def site_url(request: Any = None) -> str:
    if configured():
        return configured()
    if request is not None:
        return str(request.build_absolute_uri("/").rstrip("/"))
    return str(cache.get(CACHE_KEY) or FALLBACK)


def absolute(path: str, request: Any = None) -> str:
    return site_url(request) + path
