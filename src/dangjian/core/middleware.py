"""Middleware: request context for audit, security headers on every response, request body
limits, and no-store caching for pages with personal data."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

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


class SecurityHeadersMiddleware:
    """Content-Security-Policy (scripts from our own files only) and Permissions-Policy on every
    response, static files and errors included (security.md D1)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.csp = settings.CONTENT_SECURITY_POLICY
        self.permissions = settings.PERMISSIONS_POLICY

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.csp)
        response.headers.setdefault("Permissions-Policy", self.permissions)
        return response


class RequestSizeLimitMiddleware:
    """A request body larger than allowed is refused before anything parses it (413): small
    before signing in, larger for signed-in users (the per-kind upload limits in core.uploads
    apply inside). Django reads no body sent without a length."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = getattr(request, "user", None)
        signed_in = bool(user is not None and user.is_authenticated)
        limit = settings.MAX_REQUEST_BYTES if signed_in else settings.MAX_ANON_REQUEST_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return HttpResponse(
                f"请求内容过大（上限{_size(limit)}）",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)}MB" if n >= 1024 * 1024 else f"{n // 1024}KB"
