"""Shared REST plumbing: pagination and the error shape (DomainError → 400 + code). Who may call
the API is decided in accounts (`accounts.api.IsVerifiedStaff`)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import DomainError


class Pagination(pagination.PageNumberPagination):
    """Page-number pagination; a view may offer `known_count()` to spare a COUNT(*) at city
    scale."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        known = getattr(view, "known_count", None)
        count: int | None = known() if callable(known) else None
        if count is not None:
            total: int = count

            class KnownCountPaginator(Paginator):
                @property
                def count(self) -> int:  # type: ignore[override]
                    return total

            self.django_paginator_class = KnownCountPaginator
        return super().paginate_queryset(queryset, request, view)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"code": exc.code, "detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=400)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        exc.detail = "未登录或登录已过期"  # type: ignore[assignment]
    return drf_exception_handler(exc, context)
