"""Shared REST plumbing: permission, pagination and the error shape (DomainError → 400 + code)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, pagination, permissions
from rest_framework.response import Response

from .errors import DomainError


class IsVerifiedStaff(permissions.BasePermission):
    """Signed in, two-factor verified, and holding at least one staff grant.

    Object scope is not decided here: every API view builds its queryset from `visible_to`, so an
    object outside the caller's subtree is simply not found (404).
    """

    message = "需要登录并完成双因素认证，且具有工作人员角色"

    def has_permission(self, request: Any, view: Any) -> bool:
        from dangjian.accounts import policy

        user = request.user
        if not user or not user.is_authenticated:
            return False
        if policy.requires_two_factor(user) and not user.is_verified():
            return False
        return policy.is_staff(user)


class Pagination(pagination.PageNumberPagination):
    """Page-number pagination; a view may offer `known_count()` to spare a COUNT(*) at city scale."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        known = getattr(view, "known_count", None)
        count: int | None = known() if callable(known) else None
        if count is not None:
            total: int = count
            from django.core.paginator import Paginator

            class KnownCountPaginator(Paginator):
                @property
                def count(self) -> int:  # type: ignore[override]
                    return total

            self.django_paginator_class = KnownCountPaginator
        return super().paginate_queryset(queryset, request, view)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        exc.detail = "未登录或登录已过期"  # type: ignore[assignment]
    return drf_exception_handler(exc, context)
