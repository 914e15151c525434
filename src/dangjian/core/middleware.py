"""Middleware: request context for audit, and no-store caching for pages with personal data."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from . import context

TRUSTED_PROXIES = {
    p.strip() for p in getattr(settings, "DANGJIAN_TRUSTED_PROXIES", "127.0.0.1").split(",") if p
}


def client_ip(request: HttpRequest) -> str | None:
    """The client address; X-Forwarded-For is believed only from a trusted proxy."""
    remote = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded and remote in TRUSTED_PROXIES:
        candidate = forwarded.split(",")[-1].strip()
        try:
            ipaddress.ip_address(candidate)
        except ValueError:
            return remote
        return candidate
    return remote


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = context.RequestContext(ip=client_ip(request), source="web")
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        with context.use(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response


class NoStoreMiddleware:
    """Pages of signed-in users hold personal data: never cache them (security.md 1.6, ASVS 14.3.
    2)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response
