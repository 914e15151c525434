"""Pages for an organization's set-up and re-elections: units and projects in its charge, requests
to set up an organization, joint branches, election requests, results, reports and postponements."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import perform, submit
from dangjian.web.paging import paginate

from . import selectors, services
from .forms import (
    ElectionReportForm,
    ElectionRequestForm,
    ElectionResultForm,
    OrgRequestAnswerForm,
    OrgRequestForm,
    TermExtendForm,
    UnitForm,
)
from .models import Organization, OrgRequest


def _page(
    request: AuthedRequest, org: Organization, form: Any, title: str, submit_label: str, back: str
) -> HttpResponse:
    return render(
        request,
        "orgs/form.html",
        {
            "org": org,
            "form": form,
            "title": title,
            "submit": submit_label,
            "back": back,
            "ancestors": selectors.org_ancestors(org, request.user),
        },
    )


def _back(request: AuthedRequest, message: str, name: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect(name, pk)


# --- units, projects and requests ---


@staff_required("view")
def units_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk)
    kind = request.GET.get("kind", "")
    page = paginate(request, selectors.units_of(org, kind))
    requests = selectors.requests_to(org)
    covered = selectors.units_covered_by(org) if org.kind == "branch" else None
    return render(
        request,
        "orgs/units.html",
        {
            "org": org,
            "ancestors": selectors.org_ancestors(org, request.user),
            "page": page,
            "kind": kind,
            "requests": requests,
            "covered": covered,
            "today": timezone.localdate(),
            "can_change": policy.can(request.user, "change", org),
            "can_manage": policy.can(request.user, "manage", org),
        },
    )


def _unit_data(request: AuthedRequest, d: dict[str, Any]) -> dict[str, Any]:
    code = (d.pop("organization_code") or "").strip()
    organization = selectors.org_by_code(request.user, code) if code else None
    return {**d, "organization": organization}


@staff_required("change")
@require_http_methods(["GET", "POST"])
def unit_create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    form = UnitForm(
        request.POST or None,
        initial={"category": org.category, "kind": request.GET.get("kind", "unit")},
    )
    return submit(
        request,
        form,
        lambda d: services.unit_create(actor=request.user, committee=org, **_unit_data(request, d)),
        field_map={"organization": "organization_code"},
        done=lambda u: _back(request, f"已登记“{u.name}”。", "orgs:units", org.pk),
    ) or _page(request, org, form, f"登记“{org.name}”主管的单位或项目", "保存", "orgs:units")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def unit_edit_view(request: AuthedRequest, pk: int, unit_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    unit = selectors.unit_get(org, unit_id)
    initial = {
        f: getattr(unit, f)
        for f in (
            "kind",
            "name",
            "credit_code",
            "category",
            "full_members",
            "started_on",
            "ends_on",
            "finished_on",
            "note",
        )
    }
    initial["organization_code"] = unit.organization.code if unit.organization else ""
    form = UnitForm(request.POST or None, initial=initial)
    return submit(
        request,
        form,
        lambda d: services.unit_update(actor=request.user, unit=unit, **_unit_data(request, d)),
        field_map={"organization": "organization_code"},
        done=lambda u: _back(request, f"已保存“{u.name}”。", "orgs:units", org.pk),
    ) or _page(request, org, form, f"修改“{unit.name}”", "保存", "orgs:units")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def request_create_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    form = OrgRequestForm(request.POST or None, initial={"submitted_on": timezone.localdate()})
    choices = selectors.uncovered_units(org)
    form.fields["unit"].choices = [("", "（未登记的单位）"), *choices]  # type: ignore[attr-defined]

    def create(d: dict[str, Any]) -> OrgRequest:
        unit_id = d.pop("unit", None)
        unit = selectors.unit_get(org, unit_id) if unit_id else None
        return services.org_request_submit(actor=request.user, committee=org, unit=unit, **d)

    return submit(
        request,
        form,
        create,
        done=lambda r: _back(
            request, f"已登记“{r.proposed_name}”的成立请示，请在1个月内批复。", "orgs:units", org.pk
        ),
    ) or _page(request, org, form, "登记成立党组织请示", "保存", "orgs:units")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def request_answer_view(request: AuthedRequest, pk: int, request_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    req = selectors.request_get(org, request_id)
    form = OrgRequestAnswerForm(request.POST or None, initial={"answered_on": timezone.localdate()})
    return submit(
        request,
        form,
        lambda d: services.org_request_answer(actor=request.user, request=req, **d),
        done=lambda r: _back(request, "已登记批复。", "orgs:units", org.pk),
    ) or _page(request, org, form, f"批复“{req.proposed_name}”的成立请示", "保存", "orgs:units")


@staff_required("manage")
@require_POST
def set_joint_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "manage")
    return perform(
        request,
        lambda: services.org_set_joint(
            actor=request.user, organization=org, is_joint=request.POST.get("is_joint") == "1"
        ),
        success=lambda o: "已设为联合党支部。" if o.is_joint else "已取消联合党支部。",
        to="orgs:units",
        args=(org.pk,),
    )


# --- re-elections ---


@staff_required("view")
def elections_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk)
    today = timezone.localdate()
    terms = list(selectors.org_terms(org)[:20])
    current = next((t for t in terms if t.elected_on <= today), None)
    parent = selectors.org_parent(org) if org.depth > 1 else None
    return render(
        request,
        "orgs/elections.html",
        {
            "org": org,
            "ancestors": selectors.org_ancestors(org, request.user),
            "terms": terms,
            "current": current,
            "current_end": services.term_end(current) if current else None,
            "today": today,
            "elections": selectors.elections_of(org),
            "can_change": policy.can(request.user, "change", org),
            "can_extend": parent is not None and policy.can(request.user, "change", parent),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def election_request_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    form = ElectionRequestForm(request.POST or None, initial={"requested_on": timezone.localdate()})
    return submit(
        request,
        form,
        lambda d: services.election_request(actor=request.user, organization=org, **d),
        field_map={"request_approved_on": "approved_on"},
        done=lambda e: _back(request, "已登记换届请示。", "orgs:elections", org.pk),
    ) or _page(request, org, form, f"登记“{org.name}”换届请示", "保存", "orgs:elections")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def election_result_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    default_years = 5 if org.kind == "committee" or org.category in {"village", "community"} else 3
    form = ElectionResultForm(request.POST or None, initial={"term_years": default_years})
    return submit(
        request,
        form,
        lambda d: services.election_result(actor=request.user, organization=org, **d),
        done=lambda e: _back(
            request,
            "已录入选举结果，新一届任期已开始计算。请在1个月内上报结果。",
            "orgs:elections",
            org.pk,
        ),
    ) or _page(request, org, form, f"录入“{org.name}”选举结果", "保存", "orgs:elections")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def election_report_view(request: AuthedRequest, pk: int, election_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk, "change")
    election = selectors.election_get(org, election_id)
    form = ElectionReportForm(
        request.POST or None,
        initial={
            "reported_on": election.reported_on or timezone.localdate(),
            "secretary_approved_on": election.secretary_approved_on,
        },
    )
    return submit(
        request,
        form,
        lambda d: services.election_report(actor=request.user, election=election, **d),
        done=lambda e: _back(request, "已登记上报和批复情况。", "orgs:elections", org.pk),
    ) or _page(request, org, form, "登记选举结果上报和书记批复", "保存", "orgs:elections")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def term_extend_view(request: AuthedRequest, pk: int, term_id: int) -> HttpResponse:
    org = selectors.org_get(request.user, pk)
    parent = selectors.org_parent(org) if org.depth > 1 else None
    if parent is None or not policy.can(request.user, "change", parent):
        raise Http404  # the postponement is approved by the higher organization
    term = selectors.term_get(org, term_id)
    form = TermExtendForm(request.POST or None, initial={"approved_on": timezone.localdate()})
    return submit(
        request,
        form,
        lambda d: services.term_extend(actor=request.user, term=term, **d),
        done=lambda t: _back(request, "已登记延期换届批复。", "orgs:elections", org.pk),
    ) or _page(request, org, form, f"批准“{org.name}”延期换届", "保存", "orgs:elections")
