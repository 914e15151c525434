from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from dangjian.accounts.constants import Role
from dangjian.audit.actions import label
from dangjian.audit.labels import describe
from dangjian.core.dates import format_cn
from dangjian.core.richtext import clean
from dangjian.web.links import id_url

register = template.Library()

register.simple_tag(id_url)


@register.simple_tag(takes_context=True)
def query_replace(context: dict[str, Any], **kwargs: Any) -> str:
    """The current query string with some parameters replaced (filters stay in the URL)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()


@register.filter
def page_window(page: Any, around: int = 2) -> list[int | None]:
    """The page numbers to show: the first, the last, and `around` either side of the current
    one; None where pages are left out (…)."""
    last = page.paginator.num_pages
    keep = {1, last, *range(page.number - around, page.number + around + 1)}
    out: list[int | None] = []
    for n in sorted(k for k in keep if 1 <= k <= last):
        if out and out[-1] is not None and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


@register.simple_tag(takes_context=True)
def export_tools(context: dict[str, Any], name: str, **params: Any) -> str:
    """导出Excel and 打印 for a list (web.exports): the list's current filters (from the URL), and
    `params` for what the page's path says (the organization, the year)."""
    query = context["request"].GET.copy()
    for key in ("page", "page_size", "partial"):
        query.pop(key, None)
    for key, value in params.items():
        query[key] = value
    qs = query.urlencode()
    fixed = "&".join(f"{k}={v}" for k, v in params.items())
    # app.js rebuilds the links from the address bar on click (htmx may have changed the filters)
    return format_html(
        '<span class="export-tools d-inline-flex gap-1" data-export="{}" data-fixed="{}">'
        '<a class="btn btn-sm btn-outline-secondary" href="{}?{}"><i class="bi bi-download"></i>'
        " 导出Excel</a>"
        '<a class="btn btn-sm btn-outline-secondary" href="{}?{}" target="_blank" rel="noopener">'
        '<i class="bi bi-printer"></i> 打印</a></span>',
        name,
        fixed,
        reverse("interchange:export", args=[name]),
        qs,
        reverse("interchange:print", args=[name]),
        qs,
    )


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
    "full": "success",
    "probationary": "primary",
    "suspended": "warning",
}


@register.filter
def status_tag(status: str) -> str:
    return STATUS_TAG.get(status, "secondary")


@register.filter
def role_label(role: str) -> str:

    if role == "member":
        return "党员"
    try:
        return str(Role(role).label)
    except ValueError:
        return role or "—"


@register.filter
def action_label(action: str) -> str:

    return label(action)


FIELD_LABELS = {
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_number": "身份证号",
    "phone": "手机号",
    "status": "党籍状态",
    "joined_on": "入党日期",
    "full_on": "转正日期",
    "fee_category": "党费类别",
    "fee_base_fen": "党费基数（分）",
    "ethnicity": "民族",
    "education": "学历",
    "occupation": "职业类别",
    "work_unit": "工作单位",
    "organization": "所在组织",
    "category": "单位类别",
    "kind": "组织类型",
    "field": "字段",
    "via": "途径",
    "from": "原",
    "to": "新",
    "reason": "原因",
    "on": "日期",
    "source": "来源",
    "parent": "上级组织",
    "into": "并入",
    "members_moved": "随迁党员数",
}
VALUE_LABELS = {"import": "数据导入"}


@register.filter
def change_summary(data: dict) -> str:
    """An organization-history entry's data, in words."""
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        label = FIELD_LABELS.get(key, key)
        if isinstance(value, list) and len(value) == 2:
            parts.append(f"{label}：{value[0]} → {value[1]}")
        elif value not in (None, ""):
            parts.append(f"{label}：{VALUE_LABELS.get(str(value), value)}")
    return "；".join(parts)


@register.filter
def audit_details(event: Any) -> str:
    """An audit event's data in Chinese words (audit.labels)."""
    return describe(event.action, event.data)


@register.filter
def member_changes(data: Any) -> str:
    """A member record's edit ({field: [old, new]}) in Chinese words, as the audit shows it."""
    return describe("members.update", {"changes": data}) if isinstance(data, dict) else ""


@register.filter
def get_item(mapping: dict, key: str) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def clean_html(value: Any) -> str:
    """Rich text through the allow-list sanitizer, safe to render (an editor re-shown with what was
    typed)."""

    return mark_safe(clean(str(value or "")))  # noqa: S308 - sanitized by the allow-list just above # nosec B308, B703


@register.filter
def is_current(item: Any, request: Any) -> bool:
    """Whether a menu item is the page being shown."""
    return bool(item.is_current(request))
