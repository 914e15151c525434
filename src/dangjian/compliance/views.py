"""The superior's dashboard (监测预警): colours rolled up the tree, drill-down, findings, trend."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts import policy
from dangjian.orgs import selectors as org_selectors
from dangjian.web.access import staff_required
from dangjian.web.paging import paginate

from . import selectors, services
from .engine import CATEGORIES, REGISTRY, SEVERITY_LABELS


@staff_required("view")
def dashboard_view(request: HttpRequest) -> HttpResponse:
    raw = request.GET.get("org", "")
    found = org_selectors.org_get(request.user, int(raw)) if raw.isdigit() else org_selectors.org_roots(request.user).first()
    if found is None:
        raise Http404("没有授权组织")
    org = found
    category = request.GET.get("category", "") if request.GET.get("category", "") in CATEGORIES else ""
    severity = request.GET.get("severity", "") if request.GET.get("severity", "") in SEVERITY_LABELS else ""
    findings = selectors.findings_in(request.user, org, category=category, severity=severity)
    status = selectors.status_of(org)
    by_severity = (status.counts.get("severity", {}) if status else {})
    severity_cards = [(label, by_severity.get(key, 0)) for key, label in SEVERITY_LABELS.items() if key != "info"]
    ctx = {
        "severity_cards": severity_cards,
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "status": status,
        "children": selectors.children_status(request.user, org),
        # unfiltered: the total is the stored roll-up's (no COUNT over the subtree's findings)
        "page": paginate(request, findings, count=status.counts.get("total") if status and not (category or severity) else None),
        "rules": REGISTRY,
        "categories": CATEGORIES,
        "severities": SEVERITY_LABELS,
        "filters": request.GET,
        "trend": selectors.monthly_trend(org, timezone.localdate()),
        "can_scan": policy.can(request.user, "change", org),
        "can_supervise": policy.can(request.user, "supervise", org),
    }
    return render(request, "compliance/dashboard.html", ctx)


@staff_required("change")
@require_POST
def scan_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    run = services.scan_request(actor=request.user, scope=org, as_of=timezone.localdate())
    messages.info(request, f"已开始检查“{org.name}”及其下级组织。")
    return redirect("compliance:run", run.pk)


@staff_required("view")
def run_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.scan_run_get(request.user, pk)
    if run is None:
        raise Http404("未找到该检查任务")
    template = "compliance/partials/run_status.html" if request.htmx else "compliance/run.html"  # type: ignore[attr-defined]
    return render(request, template, {"run": run})
