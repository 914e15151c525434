"""Session limits, mandatory two-factor for staff and admins, and the password-age policy."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth import middleware as auth_middleware
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.functional import LazyObject, SimpleLazyObject, empty

from . import policy
from .backends import READ
from .models import password_expired

OPEN_PREFIXES = (
    "/static/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/activate/",
    "/healthz",
)
TWO_FACTOR_PREFIXES = ("/accounts/2fa/",)
PASSWORD_PREFIXES = ("/accounts/password/",)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user taken from the read that loaded the session (the session engines
    of accounts.sessions read the session, its user and their grants in one statement): the
    session is loaded first, and its read handed to the sign-in backend while Django's
    `auth.get_user` runs (with its checks: the backend named in the session, the session hash)."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))  # type: ignore[assignment]


def _get_user(request: HttpRequest) -> object:
    if not hasattr(request, "_cached_user"):
        session = request.session
        session.get(SESSION_KEY)  # loads the session, and with it the user's read
        token = READ.set(getattr(session, "user_read", None))
        try:
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
        finally:
            READ.reset(token)
    return request._cached_user  # type: ignore[attr-defined]


class SessionLimitsMiddleware:
    """The 15-minute idle timeout and the absolute session life of 8 hours (security.md A5).

    The idle clock (`seen_at`) lives in the session: a request more than SESSION_COOKIE_AGE after
    the last one ends the session; otherwise the clock moves on, and the session is written (its
    expiry in the store renewed) only when the clock is SESSION_TOUCH_SECONDS old — one write a
    minute at most instead of one per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            session = request.session
            started = session.get("login_at")
            seen = session.get("seen_at")
            now = time.time()
            if started is None:
                session["login_at"] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                return self._end(request, "会话已超过8小时，请重新登录")
            if seen is not None and now - float(seen) > settings.SESSION_COOKIE_AGE:
                return self._end(request, "超过15分钟未操作，请重新登录")
            if seen is None or now - float(seen) >= settings.SESSION_TOUCH_SECONDS:
                session["seen_at"] = now
        return self.get_response(request)

    @staticmethod
    def _end(request: HttpRequest, detail: str) -> HttpResponse:
        logout(request)
        if _wants_json(request):
            return JsonResponse({"detail": detail}, status=401)
        return redirect("portal:login")


class TwoFactorRequiredMiddleware:
    """Staff and admin roles must pass TOTP (or a static backup code) before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        path = request.path
        if (
            user.is_authenticated
            and not path.startswith(OPEN_PREFIXES + TWO_FACTOR_PREFIXES)
            and policy.requires_two_factor(user)
            and not user.is_verified()  # type: ignore[union-attr,attr-defined]
        ):
            if _wants_json(request):
                return JsonResponse({"detail": "需要完成双因素认证"}, status=403)
            return redirect("portal:otp")
        return self.get_response(request)


class PasswordPolicyMiddleware:
    """An issued or expired password must be changed before anything else (security.md A2, A7)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        path = request.path
        if (
            user.is_authenticated
            and not path.startswith(OPEN_PREFIXES + TWO_FACTOR_PREFIXES + PASSWORD_PREFIXES)
            and (user.must_change_password or password_expired(user))
        ):
            if _wants_json(request):
                return JsonResponse({"detail": "密码已过期或为初始密码，请先修改密码"}, status=403)
            return redirect("portal:password_change")
        return self.get_response(request)


class ResolvedUserMiddleware:
    """`request.user` as the user itself from here on, not behind the two lazy wrappers of
    Django's authentication and django-otp's verification: every attribute read through a lazy
    wrapper goes through `__getattribute__`, an AttributeError and `__getattr__`, twice, and a page
    reads the user's attributes some hundreds of times (0.2–0.4 ms a page). By this point the
    middleware above has read `request.user.is_authenticated`, so both wrappers have done their
    work (the user read, the device verified) and nothing is read here."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        while isinstance(user, LazyObject):
            if user._wrapped is empty:
                user._setup()
            user = user._wrapped
        request.user = user
        return self.get_response(request)
