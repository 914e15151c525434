"""非公党建 pages: the two coverages (per park and for the zone, the monthly trend), the register
of enterprises and social organizations, an enterprise's page (coverage, members employed,
instructor, visits), the instructors with their workload and monthly reports, and the
instructor's own page on the phone (visits with follow-ups and the relationship check)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.idnumber import mask_phone
from dangjian.members import selectors as member_selectors
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, member_required, staff_required
from dangjian.web.forms import submit
from dangjian.web.paging import paginate

from . import selectors, services
from .forms import (
    AssignForm,
    AssignmentEndForm,
    BrandForm,
    CaseCloseForm,
    CaseForm,
    CentreForm,
    CultivationForm,
    EmployeesForm,
    EnterpriseForm,
    FollowUpDoneForm,
    HonourForm,
    InstructorForm,
    JointEventForm,
    MilestoneForm,
    ParkForm,
    PositionForm,
    StationForm,
    TeamCloseForm,
    TeamForm,
    VisitForm,
)
from .models import (
    Assignment,
    BrandLogo,
    CommandoTeam,
    Cultivation,
    FollowUp,
    HonourFile,
    HonourLevel,
    Instructor,
    JointEvent,
    JointKind,
    KeyPosition,
    MilestonePhoto,
    Park,
    RelationCase,
    ServiceCentre,
)
from .rules import quarter_start

home_view = scope_home("enterprises:coverage")


def _done(request: AuthedRequest, message: str, *to: Any) -> Any:
    def go(_result: Any) -> HttpResponse:
        messages.success(request, message)
        return redirect(*to)

    return go


def _base(request: AuthedRequest, org: Organization, tab: str) -> dict[str, Any]:
    return {
        "org": org,
        "ancestors": org_selectors.org_ancestors(org, request.user),
        "tab": tab,
        "can_change": policy.can(request.user, "change", org),
        "can_manage": policy.can(request.user, "manage", org),
    }


def _form_page(
    request: AuthedRequest, org: Organization, form: Any, title: str, back: str, **extra: Any
) -> HttpResponse:
    """A form page of its own; `multipart` for files, `form_name` posted as `form`."""
    return render(
        request,
        "enterprises/form.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "form": form,
            "title": title,
            "back": back,
            **extra,
        },
        status=400 if form.errors else 200,
    )


# --- 两个覆盖 ---------------------------------------------------------------------------------


@staff_required("view")
def coverage_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The two coverages for an organization's enterprises: cards, per park, monthly trend."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    qs = selectors.enterprises_under(org)
    total, parks = selectors.coverage_report(qs, today)
    trend = selectors.coverage_trend(qs, today)
    return render(
        request,
        "enterprises/coverage.html",
        {
            **_base(request, org, "coverage"),
            "c": total,
            "parks": parks,
            "trend": trend,
            "chart": {
                "parks": [p["park__name"] for p in parks],
                "org_rate": [p["org_rate"] or 0 for p in parks],
                "work_rate": [p["work_rate"] or 0 for p in parks],
                "months": [t["month"] for t in trend],
                "trend_org": [t["org_rate"] or 0 for t in trend],
                "trend_work": [t["work_rate"] or 0 for t in trend],
            },
        },
    )


FILTERS = ("q", "park", "kind", "cover", "sort")


@staff_required("view")
def list_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    f = {k: request.GET.get(k, "").strip()[:50] for k in FILTERS}
    qs = selectors.enterprise_list(selectors.enterprises_under(org), today, **f)
    return render(
        request,
        "enterprises/list.html",
        {
            **_base(request, org, "list"),
            "page": paginate(request, qs),
            "parks": selectors.parks_under(org),
            "covers": selectors.COVERAGE_FILTERS,
            **f,
        },
    )


def _enterprise_form(request: AuthedRequest, initial: dict[str, Any] | None = None) -> Any:
    form = EnterpriseForm(request.POST if request.method == "POST" else None, initial=initial)
    parks = Park.objects.all()
    q = policy.path_q(request.user, "view", "organization__path")
    form.fields["park"].queryset = parks.filter(q) if q is not None else parks.none()  # type: ignore[attr-defined]
    return form


def _enterprise_data(d: dict[str, Any]) -> services.EnterpriseData:
    return services.EnterpriseData(**d)


@staff_required("change")
def enterprise_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    form = _enterprise_form(request, {"committee": org.code, "kind": "enterprise", "employees": 0})
    resp = submit(
        request,
        form,
        lambda d: services.enterprise_save(actor=request.user, data=_enterprise_data(d)),
        done=lambda e: _done(request, f"已登记{e.unit.name}。", "enterprises:enterprise", e.pk)(e),
    )
    return resp or _form_page(
        request, org, form, "登记非公企业或社会组织", f"/enterprises/org/{org.pk}/list/"
    )


@staff_required("change")
def enterprise_edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    e = selectors.enterprise_get(request.user, pk)
    if not services.enterprise_can(request.user, e):
        raise PermissionDenied("没有修改权限")
    u = e.unit
    org = u.organization
    initial = {
        "name": u.name,
        "credit_code": u.credit_code,
        "kind": e.kind,
        "committee": u.committee.code,
        "park": e.park_id,
        "industry": e.industry,
        "employees": e.employees,
        "above_size": e.above_size,
        "own_organization": org.code if org is not None and not org.is_joint else "",
        "joint_branch": org.code if org is not None and org.is_joint else "",
        "legal_rep": e.legal_rep,
        "legal_rep_phone": e.legal_rep_phone,
        "contact": e.contact,
        "contact_phone": e.contact_phone,
    }
    form = _enterprise_form(request, initial)
    resp = submit(
        request,
        form,
        lambda d: services.enterprise_save(
            actor=request.user, data=_enterprise_data(d), enterprise=e
        ),
        done=_done(request, "已保存。", "enterprises:enterprise", e.pk),
    )
    return resp or _form_page(
        request, u.committee, form, f"修改：{u.name}", f"/enterprises/enterprise/{e.pk}/"
    )


def _people(user: Any) -> Any:
    q = policy.path_q(user, "change", "organization__path")
    return Member.objects.filter(q) if q is not None else Member.objects.none()


def _instructors(user: Any) -> Any:
    q = policy.path_q(user, "view", "organization__path")
    return (
        Instructor.objects.filter(q, ended_on__isnull=True)
        if q is not None
        else Instructor.objects.none()
    )


@staff_required("view")
def enterprise_view(request: AuthedRequest, pk: int) -> HttpResponse:
    e = selectors.enterprise_get(request.user, pk)
    today = timezone.localdate()
    can_change = services.enterprise_can(request.user, e)
    which = request.POST.get("form", "")
    eform = EmployeesForm(request.POST if which == "employees" else None)
    eform.people = _people(request.user)
    aform = AssignForm(request.POST if which == "assign" else None, initial={"since": today})
    aform.instructors = _instructors(request.user)
    endform = AssignmentEndForm(request.POST if which == "end" else None, initial={"until": today})
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        if which == "employees":
            resp = submit(
                request,
                eform,
                lambda d: services.enterprise_employees_set(
                    actor=request.user, enterprise=e, add=d["members"], remove=[]
                ),
                done=_done(request, "已登记在该单位工作的党员。", "enterprises:enterprise", e.pk),
            )
        elif which == "remove":
            raw = request.POST.get("member", "")
            m = _people(request.user).filter(member_no=raw[:32], employer=e.unit).first()
            if m is None:
                raise Http404
            services.enterprise_employees_set(actor=request.user, enterprise=e, add=[], remove=[m])
            messages.success(request, f"{m.name}已不再登记在该单位。")
            return redirect("enterprises:enterprise", e.pk)
        elif which == "assign":
            resp = submit(
                request,
                aform,
                lambda d: services.assignment_start(
                    actor=request.user, instructor=d["instructor"], enterprise=e, since=d["since"]
                ),
                done=_done(
                    request, "已指派党建指导员，指导员已收到通知。", "enterprises:enterprise", e.pk
                ),
            )
        elif which == "end":
            current = e.assignments.filter(until__isnull=True).first()
            if current is None:
                raise Http404
            resp = submit(
                request,
                endform,
                lambda d: services.assignment_end(
                    actor=request.user, assignment=current, until=d["until"]
                ),
                done=_done(request, "已结束该指导员的联系。", "enterprises:enterprise", e.pk),
            )
        else:
            raise Http404
        if resp:
            return resp
    employees = (
        e.unit.employees.filter(status__in=ACTIVE_STATUSES)
        .select_related("organization")
        .order_by("name")
    )
    mine = policy.path_q(request.user, "view", "organization__path")
    shown = list(employees.filter(mine)[:200]) if mine is not None else []
    counts = {
        "members": employees.count(),
        "full": employees.filter(status="full").count(),
    }
    assignments = list(e.assignments.select_related("instructor").order_by("-since", "-pk"))
    current = next((a for a in assignments if a.until is None and a.since <= today), None)
    visits = list(
        e.visits.select_related("instructor")
        .prefetch_related("followups", "cases")
        .order_by("-visited_on", "-pk")[:20]
    )
    org = e.unit.organization
    positions = list(e.positions.select_related("member__organization", "candidate"))
    seen = policy.path_q(request.user, "view", "organization__path")
    seen_ids = (
        set(
            Member.objects.filter(seen)
            .filter(pk__in=[p.member_id for p in positions if p.member_id])
            .values_list("pk", flat=True)
        )
        if seen is not None
        else set()
    )
    cases_seen = policy.path_q(request.user, "view", "handler__path")
    held = sum(1 for p in positions if p.member_id)
    return render(
        request,
        "enterprises/enterprise.html",
        {
            "e": e,
            "u": e.unit,
            "org": e.unit.committee,
            "ancestors": org_selectors.org_ancestors(e.unit.committee, request.user),
            "own": org if org is not None and org.is_active and not org.is_joint else None,
            "joint": org if org is not None and org.is_active and org.is_joint else None,
            "employees": shown,
            "hidden": counts["members"] - len(shown),
            "counts": counts,
            "assignments": assignments,
            "current": current,
            "visits": visits,
            "positions": positions,
            "held_rate": round(held * 100 / len(positions), 1) if positions else None,
            "cultivations": e.cultivations.filter(
                member__in=Member.objects.filter(seen)
            ).select_related("member")
            if seen is not None
            else [],
            "seen_ids": seen_ids,
            "case_ids": set(
                RelationCase.objects.filter(cases_seen, visit__enterprise=e).values_list(
                    "pk", flat=True
                )
            )
            if cases_seen is not None
            else set(),
            "teams": e.teams.all()[:10],
            "can_change": can_change,
            "eform": eform,
            "aform": aform,
            "endform": endform,
            "open": which,
            "phones": {
                "legal_rep": mask_phone(e.legal_rep_phone) if e.legal_rep_phone else "",
                "contact": mask_phone(e.contact_phone) if e.contact_phone else "",
            },
        },
        status=400 if request.method == "POST" else 200,
    )


# --- instructors --------------------------------------------------------------------------------


@staff_required("view")
def instructors_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    q = request.GET.get("q", "").strip()[:30]
    kind = request.GET.get("kind", "")
    station = request.GET.get("station", "")
    qs = selectors.instructors_under(org)
    if q:
        qs = qs.filter(name__icontains=q)
    if kind in ("full", "part"):
        qs = qs.filter(kind=kind)
    if station.isdecimal() and len(station) < 12:
        qs = qs.filter(station_id=int(station))
    rows = selectors.workload(qs, today)
    sort = request.GET.get("sort", "")
    order = {"-visits": "-visits_quarter", "-overdue": "-overdue", "-assigned": "-assigned"}.get(
        sort, "name"
    )
    return render(
        request,
        "enterprises/instructors.html",
        {
            **_base(request, org, "instructors"),
            "page": paginate(request, rows.order_by(order, "pk")),
            "stations": selectors.stations_under(org),
            "q": q,
            "kind": kind,
            "station": station,
            "sort": sort,
            "overdue": selectors.overdue_followups(request.user, today)
            .filter(visit__instructor__organization__path__under=org.path)
            .select_related("visit__instructor", "visit__enterprise__unit")
            .order_by("due_on")[:20],
        },
    )


@staff_required("manage")
def instructor_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "manage")
    form = InstructorForm(request.POST if request.method == "POST" else None)
    form.people = _people(request.user)
    form.fields["station"].queryset = selectors.stations_under(org)  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.instructor_save(actor=request.user, organization=org, **d),
        done=lambda i: _done(request, f"已登记指导员{i.name}。", "enterprises:instructor", i.pk)(i),
    )
    return resp or _form_page(
        request, org, form, "登记党建指导员", f"/enterprises/org/{org.pk}/instructors/"
    )


def _month(raw: str, today: date) -> date:
    try:
        y, m = raw.split("-")
        d = date(int(y), int(m), 1)
    except ValueError:
        return today.replace(day=1)
    return d if date(2000, 1, 1) <= d <= today else today.replace(day=1)


@staff_required("view")
def instructor_view(request: AuthedRequest, pk: int) -> HttpResponse:
    ins = selectors.instructor_get(request.user, pk)
    today = timezone.localdate()
    month = _month(request.GET.get("month", ""), today)
    report = selectors.monthly_report(ins, month)
    assignments = ins.assignments.select_related("enterprise__unit").order_by("-since")
    return render(
        request,
        "enterprises/instructor.html",
        {
            "ins": ins,
            "org": ins.organization,
            "ancestors": org_selectors.org_ancestors(ins.organization, request.user),
            "phone": mask_phone(ins.phone) if ins.phone else "",
            "assignments": assignments,
            "r": report,
            "month": month,
            "months": [date(today.year, m, 1) for m in range(today.month, 0, -1)]
            + [date(today.year - 1, m, 1) for m in range(12, today.month, -1)],
            "open_followups": FollowUp.objects.filter(visit__instructor=ins, done_on__isnull=True)
            .select_related("visit__enterprise__unit")
            .order_by("due_on"),
            "today": today,
            "can_manage": policy.can(request.user, "manage", ins.organization),
        },
    )


@staff_required("manage")
def instructor_edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    ins = selectors.instructor_get(request.user, pk)
    if not policy.can(request.user, "manage", ins.organization):
        raise PermissionDenied("没有修改权限")
    form = InstructorForm(
        request.POST if request.method == "POST" else None,
        initial={
            "name": ins.name,
            "kind": ins.kind,
            "unit": ins.unit,
            "phone": ins.phone,
            "started_on": ins.started_on,
            "station": ins.station_id,
            "member": ins.member.member_no if ins.member else "",
        },
    )
    form.people = _people(request.user)
    form.fields["station"].queryset = selectors.stations_under(  # type: ignore[attr-defined]
        ins.organization
    )
    resp = submit(
        request,
        form,
        lambda d: services.instructor_save(
            actor=request.user, organization=ins.organization, instructor=ins, **d
        ),
        done=_done(request, "已保存。", "enterprises:instructor", ins.pk),
    )
    return resp or _form_page(
        request, ins.organization, form, f"修改：{ins.name}", f"/enterprises/instructor/{ins.pk}/"
    )


@staff_required("manage")
def station_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "manage")
    form = StationForm(request.POST if request.method == "POST" else None)
    resp = submit(
        request,
        form,
        lambda d: services.station_save(actor=request.user, organization=org, **d),
        done=_done(request, "已设立指导站。", "enterprises:instructors", org.pk),
    )
    return resp or _form_page(
        request, org, form, "设立党建工作指导站", f"/enterprises/org/{org.pk}/instructors/"
    )


@staff_required("manage")
def park_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "manage")
    form = ParkForm(
        request.POST if request.method == "POST" else None, initial={"organization": org.code}
    )
    resp = submit(
        request,
        form,
        lambda d: services.park_save(actor=request.user, **d),
        done=_done(request, "已登记园区。", "enterprises:coverage", org.pk),
    )
    return resp or _form_page(request, org, form, "登记园区", f"/enterprises/org/{org.pk}/")


@staff_required("view")
def instructor_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The instructor picker: name or number, within the user's scope."""
    qs = _instructors(request.user)
    if "value" in request.GET:
        qs = qs.filter(ref__in=request.GET["value"].split(",")[:50])
    else:
        q = request.GET.get("q", "").strip()[:30]
        qs = qs.filter(name__icontains=q) | qs.filter(ref__iexact=q) if q else qs
    rows = qs.select_related("station").order_by("name")[:20]
    return JsonResponse(
        {
            "results": [
                {
                    "value": i.ref,
                    "label": f"{i.name}（{i.get_kind_display()}）",
                    "hint": i.station.name if i.station else i.unit,
                }
                for i in rows
            ]
        }
    )


@staff_required("view")
def case_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A member found in the relationship check, for the branch (or park) that took it over."""
    q = policy.path_q(request.user, "view", "handler__path")
    case = (
        RelationCase.objects.filter(q, pk=pk)
        .select_related(
            "handler", "member__organization", "visit__enterprise__unit", "visit__instructor"
        )
        .first()
        if q is not None
        else None
    )
    if case is None:
        raise Http404
    can_change = policy.can(request.user, "change", case.handler)
    form = CaseCloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not can_change:
        raise PermissionDenied("没有修改权限")
    resp = submit(
        request,
        form,
        lambda d: services.case_close(actor=request.user, case=case, **d),
        done=_done(request, "已办结。", "enterprises:case", case.pk),
    )
    return resp or render(
        request,
        "enterprises/case.html",
        {
            "case": case,
            "org": case.handler,
            "ancestors": org_selectors.org_ancestors(case.handler, request.user),
            "form": form,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


# --- the instructor on the phone --------------------------------------------------------------


@member_required
def my_view(request: AuthedRequest) -> HttpResponse:
    """党建指导员 on the phone: the enterprises assigned, a visit with what was done, problems, a
    follow-up and a member found in the relationship check; follow-ups to close."""
    member = member_selectors.own_member(request.user)
    ins = selectors.my_instructor(member)
    today = timezone.localdate()
    if ins is None:
        return render(request, "enterprises/my.html", {"ins": None})
    assigned = list(
        Assignment.objects.filter(instructor=ins, until__isnull=True)
        .select_related("enterprise__unit")
        .order_by("enterprise__unit__name")
    )
    enterprises = {str(a.enterprise_id): a.enterprise for a in assigned}
    which = request.POST.get("form", "")
    vform = VisitForm(request.POST if which == "visit" else None, initial={"visited_on": today})
    vform.fields["enterprise"].choices = [("", "请选择")] + [  # type: ignore[attr-defined]
        (k, e.unit.name) for k, e in enterprises.items()
    ]
    pick = request.GET.get("enterprise", "")
    if pick in enterprises:
        vform.initial["enterprise"] = pick
    fform = FollowUpDoneForm(request.POST if which == "done" else None)
    if request.method == "POST":
        if which == "visit":

            def log(d: dict[str, Any]) -> Any:
                e = enterprises.get(d["enterprise"])
                if e is None:
                    raise NotVisible()
                cases = (
                    [
                        services.CaseData(
                            name=d["case_name"], finding=d["case_finding"], note=d["case_note"]
                        )
                    ]
                    if d.get("case_name")
                    else []
                )
                return services.visit_log(
                    actor=request.user,
                    instructor=ins,
                    enterprise=e,
                    visited_on=d["visited_on"],
                    met=d["met"],
                    topics=d["topics"],
                    notes=d["notes"],
                    problems=d["problems"],
                    followups=[(d["followup"], d["followup_due"])] if d.get("followup") else [],
                    cases=cases,
                )

            resp = submit(
                request, vform, log, done=_done(request, "已登记走访。", "enterprises:my")
            )
        elif which == "done":
            raw = request.POST.get("followup", "")
            f = (
                FollowUp.objects.filter(visit__instructor=ins, pk=int(raw)).first()
                if raw.isdecimal() and len(raw) < 12
                else None
            )
            if f is None:
                raise Http404
            resp = submit(
                request,
                fform,
                lambda d: services.followup_done(actor=request.user, followup=f, **d),
                done=_done(request, "已办结跟进事项。", "enterprises:my"),
            )
        else:
            raise Http404
        if resp:
            return resp
    quarter = quarter_start(today)
    visited = set(
        ins.visits.filter(visited_on__gte=quarter).values_list("enterprise_id", flat=True)
    )
    return render(
        request,
        "enterprises/my.html",
        {
            "ins": ins,
            "assigned": assigned,
            "visited": visited,
            "vform": vform,
            "fform": fform,
            "open": which,
            "followups": FollowUp.objects.filter(visit__instructor=ins, done_on__isnull=True)
            .select_related("visit__enterprise__unit")
            .order_by("due_on"),
            "visits": ins.visits.select_related("enterprise__unit").order_by("-visited_on", "-pk")[
                :5
            ],
            "today": today,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- 双培养 on the enterprise's page ------------------------------------------------------------


@staff_required("change")
def position_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add a key position, mark its holder for cultivation, add or close a cultivation."""
    e = selectors.enterprise_get(request.user, pk)
    if not services.enterprise_can(request.user, e):
        raise PermissionDenied("没有修改权限")
    post = request.method == "POST"
    which = request.POST.get("form", "") if post else request.GET.get("form", "position")
    employed = _people(request.user).filter(employer=e.unit, status__in=ACTIVE_STATUSES)
    pform = PositionForm(request.POST if post and which == "position" else None)
    pform.people = employed
    cform = CultivationForm(request.POST if post and which == "cultivation" else None)
    cform.people = employed
    back = _done(request, "已保存。", "enterprises:enterprise", e.pk)
    if post:
        if which == "position":
            resp = submit(
                request,
                pform,
                lambda d: services.position_save(actor=request.user, enterprise=e, **d),
                done=back,
            )
        elif which == "cultivation":
            resp = submit(
                request,
                cform,
                lambda d: services.cultivation_save(actor=request.user, enterprise=e, **d),
                done=back,
            )
        elif which in ("cultivate", "reached"):
            raw = request.POST.get("id", "")
            if not raw.isdecimal() or len(raw) > 12:
                raise Http404
            try:
                if which == "cultivate":
                    p = KeyPosition.objects.filter(enterprise=e, pk=int(raw)).first()
                    if p is None:
                        raise Http404
                    services.position_cultivate(actor=request.user, position=p)
                    messages.success(request, f"已将{p.holder}列为培养对象，已通知党支部。")
                else:
                    c = Cultivation.objects.filter(enterprise=e, pk=int(raw)).first()
                    if c is None:
                        raise Http404
                    services.cultivation_reach(
                        actor=request.user, cultivation=c, on=timezone.localdate()
                    )
                    messages.success(request, "已记为实现。")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("enterprises:enterprise", e.pk)
        else:
            raise Http404
        if resp:
            return resp
    return _form_page(
        request,
        e.unit.committee,
        pform if which != "cultivation" else cform,
        f"{'培养党员成为骨干' if which == 'cultivation' else '登记关键岗位'}：{e.unit.name}",
        reverse("enterprises:enterprise", args=[e.pk]),
        form_name="cultivation" if which == "cultivation" else "position",
    )


# --- 党员突击队 ----------------------------------------------------------------------------------


@staff_required("view")
def teams_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    state = request.GET.get("state", "")
    q = request.GET.get("q", "").strip()[:30]
    teams = (
        CommandoTeam.objects.filter(organization__path__under=org.path)
        .select_related("organization", "enterprise__unit")
        .annotate(n=Count("members", distinct=True), steps=Count("milestones", distinct=True))
    )
    if state == "open":
        teams = teams.filter(closed_on__isnull=True)
    elif state == "closed":
        teams = teams.filter(closed_on__isnull=False)
    if q:
        teams = teams.filter(Q(name__icontains=q) | Q(project__icontains=q))
    form = TeamForm(request.POST if request.method == "POST" else None)
    form.people = _people(request.user)
    if request.method == "POST":
        if not policy.can(request.user, "change", org):
            raise PermissionDenied("没有修改权限")
        resp = submit(
            request,
            form,
            lambda d: services.team_save(actor=request.user, organization=org, **d),
            done=lambda t: _done(request, f"已组建{t.name}。", "enterprises:team", t.pk)(t),
        )
        if resp:
            return resp
    return render(
        request,
        "enterprises/teams.html",
        {
            **_base(request, org, "teams"),
            "page": paginate(request, teams.order_by("-starts_on", "-pk")),
            "form": form,
            "state": state,
            "q": q,
        },
        status=400 if form.errors else 200,
    )


def _team_get(user: Any, pk: int) -> CommandoTeam:
    q = policy.path_q(user, "view", "organization__path")
    t = (
        CommandoTeam.objects.filter(q, pk=pk)
        .select_related("organization", "enterprise__unit")
        .first()
        if q is not None
        else None
    )
    if t is None:
        raise Http404
    return t


@staff_required("view")
def team_view(request: AuthedRequest, pk: int) -> HttpResponse:
    t = _team_get(request.user, pk)
    can_change = policy.can(request.user, "change", t.organization)
    which = request.POST.get("form", "")
    mform = MilestoneForm(
        request.POST if which == "milestone" else None,
        request.FILES if which == "milestone" else None,
        initial={"on": timezone.localdate()},
    )
    cform = TeamCloseForm(
        request.POST if which == "close" else None, initial={"on": timezone.localdate()}
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        if which == "milestone":
            resp = submit(
                request,
                mform,
                lambda d: services.milestone_add(actor=request.user, team=t, **d),
                done=_done(request, "已记录进展。", "enterprises:team", t.pk),
            )
        elif which == "close":
            resp = submit(
                request,
                cform,
                lambda d: services.team_close(actor=request.user, team=t, **d),
                done=_done(request, "突击队已结束，成效已记录。", "enterprises:team", t.pk),
            )
        else:
            raise Http404
        if resp:
            return resp
    return render(
        request,
        "enterprises/team.html",
        {
            "t": t,
            "org": t.organization,
            "ancestors": org_selectors.org_ancestors(t.organization, request.user),
            "members": t.members.select_related("organization").order_by("name"),
            "milestones": t.milestones.prefetch_related("photos"),
            "mform": mform,
            "cform": cform,
            "open": which,
            "can_change": can_change,
        },
        status=400 if (mform.errors or cform.errors) else 200,
    )


@staff_required("view")
def milestone_photo_view(request: AuthedRequest, pk: int) -> HttpResponse:
    photo = MilestonePhoto.objects.select_related("milestone__team").filter(pk=pk).first()
    if photo is None:
        raise Http404
    _team_get(request.user, photo.milestone.team_id)
    return uploads.download(photo, inline_photo=True)


# --- 五联 ----------------------------------------------------------------------------------------


@staff_required("view")
def joint_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The joint meetings and activities the organization's subtree organized or took part in."""
    org = org_selectors.org_get(request.user, pk)
    kind = request.GET.get("kind", "")
    events = (
        JointEvent.objects.filter(
            Q(organizer__path__under=org.path) | Q(participants__path__under=org.path)
        )
        .distinct()
        .select_related("organizer")
        .prefetch_related("participants")
    )
    if kind in JointKind.values:
        events = events.filter(kind=kind)
    form = JointEventForm(
        request.POST if request.method == "POST" else None,
        initial={"held_on": timezone.localdate()},
    )
    form.fields["participants"].queryset = policy.visible_to(  # type: ignore[attr-defined]
        request.user, "view"
    ).filter(is_active=True)
    if request.method == "POST":
        if not policy.can(request.user, "change", org):
            raise PermissionDenied("没有修改权限")
        resp = submit(
            request,
            form,
            lambda d: services.joint_event_record(
                actor=request.user, organizer=org, participants=list(d.pop("participants")), **d
            ),
            done=_done(request, "已记录，参加组织的页面上都能看到。", "enterprises:joint", org.pk),
        )
        if resp:
            return resp
    return render(
        request,
        "enterprises/joint.html",
        {
            **_base(request, org, "joint"),
            "page": paginate(request, events.order_by("-held_on", "-pk")),
            "form": form,
            "kind": kind,
            "kinds": JointKind.choices,
            "counts": services.COUNTS_AS,
        },
        status=400 if form.errors else 200,
    )


# --- brands, honours, cases, centres --------------------------------------------------------------

SHOWCASE_KINDS = {"brand": "党建品牌", "honour": "荣誉", "case": "创新案例"}


@staff_required("view")
def showcase_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A committee's showcase: its subtree's brands, honours and innovation cases, newest first."""
    org = org_selectors.org_get(request.user, pk)
    f = {k: request.GET.get(k, "").strip()[:30] for k in ("kind", "level", "year", "q")}
    rows = selectors.showcase(org, **f)
    return render(
        request,
        "enterprises/showcase.html",
        {
            **_base(request, org, "showcase"),
            "page": paginate(request, rows),
            "kinds": SHOWCASE_KINDS,
            "levels": HonourLevel.choices,
            "centres": ServiceCentre.objects.filter(
                organization__path__under=org.path
            ).select_related("organization")[:50],
            **f,
        },
    )


SHOWCASE_FORMS: dict[str, tuple[Any, str, Any]] = {
    "brand": (BrandForm, "登记党建品牌", services.brand_save),
    "honour": (HonourForm, "登记荣誉", services.honour_save),
    "case": (CaseForm, "登记创新案例", services.case_save),
    "centre": (CentreForm, "登记党群服务中心或培训基地", services.centre_save),
}


@staff_required("change")
def showcase_new_view(request: AuthedRequest, pk: int, what: str) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk, "change")
    if what not in SHOWCASE_FORMS:
        raise Http404
    form_class, title, service = SHOWCASE_FORMS[what]
    post = request.method == "POST"
    form = form_class(request.POST if post else None, request.FILES if post else None)

    def save(d: dict[str, Any]) -> Any:
        if what == "brand":
            logos = d.pop("logo")
            d["logo"] = logos[0] if logos else None
        if what == "honour":
            d["files"] = d.pop("evidence")
        return service(actor=request.user, organization=org, **d)

    resp = submit(
        request, form, save, done=_done(request, "已登记。", "enterprises:showcase", org.pk)
    )
    return resp or _form_page(
        request,
        org,
        form,
        f"{title}：{org.name}",
        reverse("enterprises:showcase", args=[org.pk]),
        multipart=True,
    )


def _visible_org_item(user: Any, model: Any, pk: int, path: str) -> Any:
    q = policy.path_q(user, "view", path)
    item = model.objects.filter(q, pk=pk).first() if q is not None else None
    if item is None:
        raise Http404
    return item


@staff_required("view")
def brand_logo_view(request: AuthedRequest, pk: int) -> HttpResponse:
    logo = _visible_org_item(request.user, BrandLogo, pk, "brand__organization__path")
    return uploads.download(logo, inline_photo=True)


@staff_required("view")
def honour_file_view(request: AuthedRequest, pk: int) -> HttpResponse:
    f = _visible_org_item(request.user, HonourFile, pk, "honour__organization__path")
    return uploads.download(f)
