"""Reads of findings and roll-ups, scoped to the caller's subtrees."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from dangjian.accounts import policy
from dangjian.core.dates import add_months
from dangjian.core.errors import NotVisible
from dangjian.orgs.selectors import org_children, subtree

from .engine import CATEGORIES, REGISTRY
from .models import Finding, OrgStatus, ScanRun

# what the dashboard's severity filter and tabs mean
SEVERITY_GROUPS = {
    "red": ("critical", "high"),
    "yellow": ("warn",),
    "info": ("info",),
    "alerts": ("critical", "high", "warn"),
}
SEVERITY_RANK = {"critical": 0, "high": 1, "warn": 2, "info": 3}


def findings_in(
    user: Any,
    organization: Any,
    *,
    category: str = "",
    severity: str = "",
    rule: str = "",
) -> QuerySet[Finding]:
    """Open findings of an organization's subtree, the gravest first (严重, 红, 黄, 提示), then by
    rule (the page shows each rule's citation once) and date. `severity` is a level or a group of
    SEVERITY_GROUPS. The organization comes from `org_get`, so it is already inside the user's
    scope and its subtree is the only filter needed."""
    if not policy.can(user, "view", organization):
        return Finding.objects.none()
    qs = Finding.objects.filter(
        closed_on__isnull=True, organization_id__in=subtree(organization).values("id")
    )
    if category:
        qs = qs.filter(category=category)
    if severity in SEVERITY_GROUPS:
        qs = qs.filter(severity__in=SEVERITY_GROUPS[severity])
    elif severity:
        qs = qs.filter(severity=severity)
    if rule:
        qs = qs.filter(rule_id=rule)
    rank = Case(
        *[When(severity=k, then=Value(v)) for k, v in SEVERITY_RANK.items()],
        default=Value(9),
        output_field=IntegerField(),
    )
    return (
        qs.select_related("organization", "member")
        .alias(rank=rank)
        .order_by("rank", "rule_id", "opened_on", "id")
    )


def open_findings_of(
    organization: Any,
    rule_ids: list[str] | None = None,
    *,
    category: str = "",
    order: tuple[str, ...],
    limit: int,
) -> list[Finding]:
    """Open findings of some rules (or of a category) in an organization's subtree (already in the
    user's scope), with their member and organization."""
    qs = Finding.objects.filter(closed_on__isnull=True, organization__path__under=organization.path)
    if rule_ids is not None:
        qs = qs.filter(rule_id__in=rule_ids)
    if category:
        qs = qs.filter(category=category)
    return list(qs.select_related("member", "organization").order_by(*order)[:limit])


def finding_get(user: Any, pk: int) -> Finding:
    """One finding the user may see (open or closed); outside the scope it is missing."""
    finding = Finding.objects.select_related("organization", "member").filter(pk=pk).first()
    if finding is None or not policy.can(user, "view", finding.organization):
        raise NotVisible("未找到该预警")
    return finding


def status_of(organization: Any) -> OrgStatus | None:
    return OrgStatus.objects.filter(organization=organization).first()


def children_status(user: Any, organization: Any) -> QuerySet:

    return org_children(user, organization).filter(is_active=True).select_related("status")


def monthly_trend(organization: Any, today: date, months: int = 12) -> list[dict[str, Any]]:
    """Findings opened per month in the subtree over the last `months` months (one query)."""
    start = add_months(today.replace(day=1), -(months - 1))
    # grouped by day (at most ~365 groups, no per-row date function: SQLite runs TruncMonth in
    # Python), then folded into months here
    rows = (
        Finding.objects.filter(
            organization_id__in=subtree(organization).values("id"), opened_on__gte=start
        )
        .values("opened_on")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_month: dict[str, int] = {}
    for r in rows:
        key = f"{r['opened_on']:%Y-%m}"
        by_month[key] = by_month.get(key, 0) + r["n"]
    out = []
    for i in range(months):
        m = add_months(start, i)
        key = f"{m:%Y-%m}"
        out.append({"month": key, "opened": by_month.get(key, 0)})
    return out


def scan_run_get(user: Any, pk: int) -> ScanRun | None:
    run = ScanRun.objects.filter(pk=pk).select_related("scope").first()
    if run is None or run.scope is None or not policy.can(user, "view", run.scope):
        return None
    return run


def dashboard_filters(params: Any) -> dict[str, str]:
    """The dashboard's filters from the URL (the page, its export and print view)."""
    category = params.get("category", "")
    severity = params.get("severity", "")
    rule = params.get("rule", "")
    tab = "info" if params.get("tab") == "info" or severity == "info" else "alerts"
    return {
        "category": category if category in CATEGORIES else "",
        "severity": severity if severity in ("red", "yellow") else "",
        "rule": rule if rule in REGISTRY else "",
        "tab": tab,
    }
