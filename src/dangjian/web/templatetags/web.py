from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from dangjian.core.dates import format_cn

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (filters stay in the URL)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context: dict[str, Any], field: str, label: str) -> str:
    request = context["request"]
    current = request.GET.get("sort", "")
    query = request.GET.copy()
    arrow = ""
    if current == field:
        query["sort"] = f"-{field}"
        arrow = " ▲"
    elif current == f"-{field}":
        query["sort"] = field
        arrow = " ▼"
    else:
        query["sort"] = field
    query["page"] = 1
    return format_html('<a class="sort-link" href="?{}">{}{}</a>', query.urlencode(), label, arrow)


@register.filter
def cn_date(value: Any) -> str:
    return format_cn(value)


@register.filter
def yuan(fen: int | None) -> str:
    if fen is None:
        return ""
    return f"{fen // 100}.{fen % 100:02d}"


STATUS_TAG = {
    "full": "success", "probationary": "primary", "suspended": "warning",
}


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAG.get(status, "secondary")
