"""The superior's dashboard (监测预警): colours rolled up the tree, drill-down, findings, trend."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.accounts.constants import Role
from dangjian.core.errors import DomainError
from dangjian.orgs import selectors as org_selectors
from dangjian.web import hooks
from dangjian.web.access import AuthedRequest, admin_required, staff_required
from dangjian.web.paging import paginate, query_values

from . import selectors, services
from .engine import CATEGORIES, REGISTRY, SEVERITY_LABELS
from .models import RuleSetting
from .packs import effective_params, enabled_by_default, load_pack, param_specs
from .rollup import severity_counts

COLOUR_RANK: dict[str, int] = {"red": 0, "yellow": 1, "green": 2}
CHILD_SORTS = {
    "name": lambda c: c.path,
    "status": lambda c: (COLOUR_RANK.get(_colour(c), 9), c.path),
    "count": lambda c: (-_total(c), c.path),
}


def _colour(org: Any) -> str:
    status = getattr(org, "status", None)
    return status.colour if status is not None else ""


def _total(org: Any) -> int:
    status = getattr(org, "status", None)
    return int(status.counts.get("total", 0)) if status is not None else 0


@staff_required("view")
def dashboard_view(request: AuthedRequest) -> HttpResponse:
    """监测预警: the gravest first (严重、红色, then 黄色), 提示 in their own tab, each rule's
    citation once, the cards counting exactly the rows below, the sub-organizations sortable."""
    raw = request.GET.get("org", "")
    found = (
        org_selectors.org_get(request.user, int(raw))
        if raw.isdecimal()
        else org_selectors.org_roots(request.user).first()
    )
    if found is None:
        raise Http404("没有授权组织")
    org = found
    f = selectors.dashboard_filters(request.GET)
    status = selectors.status_of(org)
    by_severity = severity_counts(status.counts if status else None, f["category"])
    red = by_severity.get("critical", 0) + by_severity.get("high", 0)
    yellow = by_severity.get("warn", 0)
    info = by_severity.get("info", 0)
    group = "info" if f["tab"] == "info" else (f["severity"] or "alerts")
    findings = selectors.findings_in(
        request.user, org, category=f["category"], severity=group, rule=f["rule"]
    )
    # the stored roll-up counts the rows unless a rule is chosen (no COUNT over the subtree)
    known = (
        None
        if f["rule"]
        else {"alerts": red + yellow, "red": red, "yellow": yellow}.get(group, info)
    )
    sort = request.GET.get("csort", "status")
    children = sorted(
        selectors.children_status(request.user, org),
        key=CHILD_SORTS.get(sort.lstrip("-"), CHILD_SORTS["status"]),
        reverse=sort.startswith("-"),
    )
    rules_by_category: dict[str, list[tuple[str, str]]] = {}
    for rid, r in sorted(REGISTRY.items()):
        rules_by_category.setdefault(CATEGORIES.get(r.category, r.category), []).append(
            (rid, r.title)
        )
    ctx = {
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "status": status,
        "counts": {"red": red, "yellow": yellow, "info": info, "alerts": red + yellow},
        "children": children,
        "csort": sort,
        "page": paginate(request, findings, count=known),
        "rules": REGISTRY,
        "rules_by_category": rules_by_category,
        "categories": CATEGORIES,
        "severities": SEVERITY_LABELS,
        "f": f,
        "filters": query_values(request),
        "trend": selectors.monthly_trend(org, timezone.localdate()),
        "can_scan": policy.can(request.user, "change", org),
        "can_supervise": policy.can(request.user, "supervise", org),
        "cards": [card(org, timezone.localdate()) for card in hooks.get_hooks("dashboard_cards")],
    }
    return render(request, "compliance/dashboard.html", ctx)


@staff_required("change")
@require_POST
def scan_start_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    run = services.scan_request(actor=request.user, scope=org, as_of=timezone.localdate())
    messages.info(request, f"已开始检查“{org.name}”及其下级组织。")
    return redirect("compliance:run", run.pk)


@staff_required("view")
def run_view(request: AuthedRequest, pk: int) -> HttpResponse:
    run = selectors.scan_run_get(request.user, pk)
    if run is None:
        raise Http404("未找到该检查任务")
    template = "compliance/partials/run_status.html" if request.htmx else "compliance/run.html"  # type: ignore[attr-defined]
    return render(request, template, {"run": run})


@admin_required(Role.SECURITY_ADMIN)
@require_http_methods(["GET", "POST"])
def rules_view(request: AuthedRequest) -> HttpResponse:
    """The security admin's rule settings: parameters within the pack's ranges, switches,
    reasons."""

    settings = {s.rule_id: s for s in RuleSetting.objects.all()}
    errors: dict[str, str] = {}
    if request.method == "POST":
        rule_id = request.POST.get("rule_id", "")
        specs = param_specs(rule_id)
        params = {name: request.POST.get(f"param_{name}", "").strip() for name in specs}
        try:
            services.rule_setting_update(
                actor=request.user,
                rule_id=rule_id,
                enabled=request.POST.get("enabled") == "on",
                params=params,
                reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            errors = {"rule_id": rule_id, "field": exc.field or "", "message": exc.message}
        else:
            messages.success(request, f"已保存规则 {rule_id} 的设置。")
            return redirect("compliance:rules")
    rows = []
    for rid, r in sorted(REGISTRY.items()):
        s = settings.get(rid)
        values = effective_params(rid, s.params if s else None)
        rows.append(
            {
                "rule": r,
                "setting": s,
                "enabled": s.enabled if s else enabled_by_default(rid),
                "params": [(name, spec, values[name]) for name, spec in param_specs(rid).items()],
            }
        )
    return render(
        request,
        "compliance/rules.html",
        {
            "rows": rows,
            "errors": errors,
            "pack": load_pack()["version"],
            "categories": CATEGORIES,
            "severities": SEVERITY_LABELS,
        },
    )
