"""The superior's dashboard (监测预警): colours rolled up the tree, drill-down, findings, trend."""

from __future__ import annotations

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
from dangjian.web.paging import paginate

from . import selectors, services
from .engine import CATEGORIES, REGISTRY, SEVERITY_LABELS
from .models import RuleSetting
from .packs import effective_params, load_pack, param_specs


@staff_required("view")
def dashboard_view(request: AuthedRequest) -> HttpResponse:
    raw = request.GET.get("org", "")
    found = (
        org_selectors.org_get(request.user, int(raw))
        if raw.isdigit()
        else org_selectors.org_roots(request.user).first()
    )
    if found is None:
        raise Http404("没有授权组织")
    org = found
    category = (
        request.GET.get("category", "") if request.GET.get("category", "") in CATEGORIES else ""
    )
    severity = (
        request.GET.get("severity", "")
        if request.GET.get("severity", "") in SEVERITY_LABELS
        else ""
    )
    findings = selectors.findings_in(request.user, org, category=category, severity=severity)
    status = selectors.status_of(org)
    by_severity = status.counts.get("severity", {}) if status else {}
    severity_cards = [
        (label, by_severity.get(key, 0)) for key, label in SEVERITY_LABELS.items() if key != "info"
    ]
    ctx = {
        "severity_cards": severity_cards,
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "status": status,
        "children": selectors.children_status(request.user, org),
        # unfiltered: the total is the stored roll-up's (no COUNT over the subtree's findings)
        "page": paginate(
            request,
            findings,
            count=status.counts.get("total") if status and not (category or severity) else None,
        ),
        "rules": REGISTRY,
        "categories": CATEGORIES,
        "severities": SEVERITY_LABELS,
        "filters": request.GET,
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
                "enabled": s.enabled if s else True,
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
