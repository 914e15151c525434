from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZES = (20, 50, 100)


def paginate(
    request: HttpRequest, qs: QuerySet, default: int = 20, count: int | None = None
) -> Page:
    """A page of `qs`; `count`, when the caller already knows it, spares the COUNT(*) query."""
    try:
        size = int(request.GET.get("page_size", default))
    except ValueError:
        size = default
    if size not in PAGE_SIZES:
        size = default
    paginator = Paginator(qs, size)
    if count is not None:
        paginator.__dict__["count"] = count  # Paginator.count is a cached_property
    return paginator.get_page(request.GET.get("page"))
