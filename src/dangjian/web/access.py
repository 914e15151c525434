"""View decorators: who may open a page. Object scope is decided by selectors (404 outside it)."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.audit.services import audit_record
from dangjian.core.errors import NotVisible

View = Callable[..., HttpResponseBase]


class AuthedRequest(HttpRequest):
    """A request the decorators below let through: its user is signed in (and, for staff and
    admins, verified by the second factor). Views behind them annotate `request` with it."""

    user: User


def deny(request: HttpRequest, reason: str) -> PermissionDenied:
    """Log a refusal decided inside a view (the decorators below log theirs) and return the
    exception to raise."""
    _log_denied(request, reason)
    return PermissionDenied(reason)


OUT_OF_SCOPE_PER_MINUTE = 20


def _within_rate(request: HttpRequest) -> bool:
    key = f"denied:{request.user.pk}:{int(time.time() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        return cache.incr(key) <= OUT_OF_SCOPE_PER_MINUTE
    except ValueError:  # evicted between add and incr
        return True


def _log_denied(request: HttpRequest, reason: str) -> None:

    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="accounts.access_denied",
            result="denied",
            data={"path": request.path[:200], "reason": reason},
        )


def _wrap(check: Callable[[Any], bool], reason: str) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                _log_denied(request, reason)
                raise PermissionDenied(reason)
            try:
                return view(request, *args, **kwargs)
            except NotVisible as exc:
                # answered like a missing page, recorded as a refusal (a scanner cannot flood
                # the log: at most OUT_OF_SCOPE_PER_MINUTE entries per user and minute)
                if _within_rate(request):
                    _log_denied(request, "out_of_scope")
                raise Http404(exc.message) from exc

        inner.access = reason  # type: ignore[attr-defined]
        return inner

    return decorator


def staff_required(action: str = "view") -> Callable[[View], View]:
    """Branch workers, committee staff and supervisors (those whose grants allow `action`)."""
    return _wrap(lambda u: policy.path_q(u, action) is not None, f"staff:{action}")


def admin_required(role: str) -> Callable[[View], View]:
    return _wrap(lambda u: policy.has_admin_role(u, role), f"admin:{role}")


def member_required(view: View) -> View:
    return _wrap(policy.is_member_account, "member")(view)


def signed_in(view: View) -> View:
    return _wrap(lambda u: True, "signed_in")(view)
