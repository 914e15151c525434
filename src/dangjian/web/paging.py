from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZES = (20, 50, 100)


def paginate(request: HttpRequest, qs: QuerySet, default: int = 20) -> Page:
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        size = default
    if size not in PAGE_SIZES:
        size = default
    return Paginator(qs, size).get_page(request.GET.get("page"))
