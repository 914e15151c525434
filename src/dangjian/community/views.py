"""近邻党建 pages: a street's or community's 小区 with coverage figures, a 小区, the community's
reports, needs and issues (staff); 近邻党建 on the member's phone (residence, 报到, claims,
services, issues raised)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import NotVisible
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, member_required, signed_in, staff_required
from dangjian.web.forms import perform, submit
from dangjian.web.paging import paginate

from . import documents, selectors, services
from .forms import (
    ActivityForm,
    AllianceActivityForm,
    AllianceForm,
    CloseForm,
    ConfirmForm,
    GridForm,
    IssueForm,
    MeetingForm,
    NeedForm,
    PlaceForm,
    RenewForm,
    ResidenceForm,
    ServiceForm,
    TeamForm,
    UnitRegisterForm,
)
from .models import (
    AppraisalGrade,
    GridKind,
    IssueStatus,
    NeedKind,
    NeedStatus,
    PhotoStage,
    Place,
)

home_view = scope_home("community:places")


def _then(request: AuthedRequest, message: str, *to: Any) -> Any:
    def done(_result: Any) -> HttpResponse:
        messages.success(request, message)
        return redirect(*to)

    return done


def _saved(request: AuthedRequest, message: str, *to: Any) -> HttpResponse:
    messages.success(request, message)
    return redirect(*to)


def _posted(request: AuthedRequest, allowed: bool, form: Any, action: Any, *, done: Any) -> Any:
    """The POST half of a page's form for those who may change (403 for the others): the service
    through `submit`; None means render the page (a GET, or the form with its errors)."""
    if request.method != "POST":
        return None
    if not allowed:
        raise PermissionDenied("没有修改权限")
    return submit(request, form, action, done=done)


def _community(request: AuthedRequest, pk: int) -> Any:
    org = org_selectors.org_get(request.user, pk)
    if not selectors.is_community(org):
        raise Http404("不是社区党组织")
    return org


# --- 小区 and coverage ---------------------------------------------------------------------------


@staff_required("view")
def places_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """An organization's 小区: coverage figures rolled up per child (chart and table), the list."""
    org = org_selectors.org_get(request.user, pk)
    q, cov = request.GET.get("q", "").strip()[:50], request.GET.get("coverage", "")
    total, rows = selectors.coverage(org)
    is_comm = selectors.is_community(org)
    page = paginate(request, selectors.places_for(request.user, org=org, q=q, coverage=cov))
    page.object_list = selectors.with_counts(list(page.object_list))
    return render(
        request,
        "community/places.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "total": total,
            "rows": rows,
            "page": page,
            "q": q,
            "coverage": cov,
            "is_community": is_comm,
            "can_change": is_comm and policy.can(request.user, "change", org),
            "chart": {
                "names": [r.org.name for r in rows[:20]],
                "places": [r.places for r in rows[:20]],
                "branch": [r.with_branch for r in rows[:20]],
                "red": [r.red for r in rows[:20]],
            },
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def place_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    community = _community(request, pk)
    form = PlaceForm(request.POST if request.method == "POST" else None)
    form.fields["covered_by"].queryset = policy.visible_to(request.user, "change").filter(  # type: ignore[attr-defined]
        path__under=community.path
    )
    form.fields["covered_by"].widget.url = (  # type: ignore[attr-defined]
        f"{form.fields['covered_by'].widget.url}&under={community.code}"  # type: ignore[attr-defined]
    )
    resp = submit(
        request,
        form,
        lambda d: services.place_save(actor=request.user, community=community, **d),
        done=lambda p: _saved(request, f"已登记小区“{p.name}”。", "community:place", p.pk),
    )
    return resp or render(
        request,
        "community/form.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "form": form,
            "title": "登记小区",
            "back": ("community:places", community.pk),
        },
        status=400 if form.errors else 200,
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def place_view(request: AuthedRequest, pk: int) -> HttpResponse:
    place = selectors.place_get(request.user, pk)
    can_change = policy.can(request.user, "change", place.community)
    gform = GridForm(request.POST if request.method == "POST" else None)
    resp = _posted(
        request,
        can_change,
        gform,
        lambda d: services.grid_save(actor=request.user, place=place, **d),
        done=_then(request, "已保存网格/楼栋。", "community:place", place.pk),
    )
    if resp:
        return resp
    residents = paginate(request, selectors.place_residents(place))
    return render(
        request,
        "community/place.html",
        {
            "p": place,
            "org": place.community,
            "ancestors": org_selectors.org_ancestors(place.community, request.user),
            "grids": place.grids.select_related("group").order_by("kind", "name"),
            "page": residents,
            "issues": place.issues.order_by("-raised_on")[:10],
            "gform": gform,
            "can_change": can_change,
            "grid_kinds": GridKind,
        },
        status=400 if gform.errors else 200,
    )


def _lookup(request: AuthedRequest, qs: Any, order: str, hint: Any) -> JsonResponse:
    """A picker's answer (web.widgets): `?value=` gives the labels of chosen codes, `?q=` searches
    names (or an exact code); at most 20 rows."""
    q = request.GET.get("q", "").strip()[:50]
    if "value" in request.GET:
        qs = qs.filter(code__in=[v for v in request.GET["value"].split(",") if v][:20])
    elif q:
        qs = qs.filter(Q(name__contains=q) | Q(code=q))
    else:
        qs = qs.none()
    return JsonResponse(
        {
            "results": [
                {
                    "value": o.code,
                    "label": o.name,
                    "hint": hint(o),
                    "children": False,
                    "selectable": True,
                }
                for o in qs.order_by(order)[:20]
            ]
        }
    )


@signed_in
def place_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The 小区 picker: search the deployment's 小区 by name or code (a member choosing where they
    live sees names and communities only)."""
    return _lookup(
        request, Place.objects.select_related("community"), "name", lambda p: p.community.name
    )


# --- 双报到 ---------------------------------------------------------------------------------------


@staff_required("view")
@require_http_methods(["GET", "POST"])
def reports_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The members reported to the community this year: confirm, record a service."""
    community = _community(request, pk)
    today = timezone.localdate()
    can_change = policy.can(request.user, "change", community)
    sform = ServiceForm(
        request.POST if request.POST.get("form") == "service" else None,
        request.FILES or None,
        initial={"done_on": today},
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        which = request.POST.get("form")
        raw = request.POST.get("report", "")
        report = (
            selectors.reports_for(request.user, community, year=today.year)
            .filter(pk=int(raw))
            .first()
            if raw.isdecimal()
            else None
        )
        if report is None:
            raise Http404("未找到该报到")
        if which == "confirm":
            return perform(
                request,
                lambda: services.report_confirm(actor=request.user, report=report),
                success=f"已确认{report.member.name}的报到。",
                to="community:reports",
                args=(community.pk,),
            )
        resp = submit(
            request,
            sform,
            lambda d: services.service_confirm(
                actor=request.user,
                community=community,
                member=report.member,
                done_on=d["done_on"],
                hours=d["hours"],
                what=d["what"],
                photos=d["photos"],
            ),
            done=_then(
                request, f"已登记{report.member.name}的服务。", "community:reports", community.pk
            ),
        )
        if resp:
            return resp
        messages.error(request, "；".join(str(e) for errs in sform.errors.values() for e in errs))
        return redirect("community:reports", community.pk)
    pending = request.GET.get("pending") == "1"
    return render(
        request,
        "community/reports.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "page": paginate(
                request,
                selectors.reports_for(request.user, community, year=today.year, pending=pending),
            ),
            "pending": pending,
            "year": today.year,
            "sform": sform,
            "can_change": can_change,
        },
    )


def _posted_need(request: AuthedRequest, community: Any) -> Any:
    raw = request.POST.get("need", "")
    need = selectors.needs_for(community).filter(pk=int(raw)).first() if raw.isdecimal() else None
    if need is None:
        raise Http404("未找到该认领")
    return need


@staff_required("view")
@require_http_methods(["GET", "POST"])
def needs_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The community's 需求清单: publish, see claims, confirm the service done."""
    community = _community(request, pk)
    can_change = policy.can(request.user, "change", community)
    nform = NeedForm(request.POST if request.POST.get("form") == "need" else None)
    nform.fields["unit"].queryset = selectors.unit_orgs(community)  # type: ignore[attr-defined]
    sform = ServiceForm(
        request.POST if request.POST.get("form") == "done" else None,
        request.FILES or None,
        initial={"done_on": timezone.localdate()},
    )
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        if request.POST.get("form") in ("approve", "decline"):
            need = _posted_need(request, community)
            approve = request.POST["form"] == "approve"
            return perform(
                request,
                lambda: services.need_approve(
                    actor=request.user,
                    need=need,
                    approve=approve,
                    reason=request.POST.get("reason", ""),
                ),
                success="已同意认领，党员会收到通知。"
                if approve
                else "已退回认领，党员会收到原因。",
                to="community:needs",
                args=(community.pk,),
            )
        if request.POST.get("form") == "done":
            need = _posted_need(request, community)
            if need.claimed_by is None:
                raise Http404("未找到该认领")
            resp = submit(
                request,
                sform,
                lambda d: services.service_confirm(
                    actor=request.user,
                    community=community,
                    member=need.claimed_by,
                    done_on=d["done_on"],
                    hours=d["hours"],
                    what=d["what"],
                    need=need,
                    photos=d["photos"],
                ),
                done=_then(
                    request,
                    f"已确认{need.claimed_by.name}本次服务：“{need.title}”。"
                    if need.kind in (NeedKind.POST, NeedKind.PAIRING)
                    else f"已确认“{need.title}”完成。",
                    "community:needs",
                    community.pk,
                ),
            )
            if resp:
                return resp
            messages.error(
                request, "；".join(str(e) for errs in sform.errors.values() for e in errs)
            )
            return redirect("community:needs", community.pk)
        resp = submit(
            request,
            nform,
            lambda d: services.need_publish(actor=request.user, community=community, **d),
            done=_then(
                request, "已发布。报到的党员可在手机上认领。", "community:needs", community.pk
            ),
        )
        if resp:
            return resp
    status, kind = request.GET.get("status", ""), request.GET.get("kind", "")
    return render(
        request,
        "community/needs.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "page": paginate(request, selectors.needs_for(community, status=status, kind=kind)),
            "status": status,
            "kind": kind,
            "statuses": NeedStatus.choices,
            "kinds": NeedKind.choices,
            "nform": nform,
            "sform": sform,
            "can_change": can_change,
        },
        status=400 if nform.errors else 200,
    )


# --- 民情议事 -------------------------------------------------------------------------------------


@staff_required("view")
@require_http_methods(["GET", "POST"])
def issues_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    is_comm = selectors.is_community(org)
    can_raise = is_comm and policy.can(request.user, "change", org)
    form = IssueForm(request.POST if request.method == "POST" else None, request.FILES or None)
    resp = _posted(
        request,
        can_raise,
        form,
        lambda d: services.issue_raise(actor=request.user, community=org, **d),
        done=lambda i: redirect("community:issue", i.pk),
    )
    if resp:
        return resp
    status = request.GET.get("status", "")
    return render(
        request,
        "community/issues.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "page": paginate(request, selectors.issues_for(request.user, org=org, status=status)),
            "status": status,
            "statuses": IssueStatus.choices,
            "form": form,
            "can_raise": can_raise,
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


@signed_in
@require_http_methods(["GET", "POST"])
def issue_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """An issue: staff record the joint meeting and close it; the raiser confirms or reopens."""
    issue = selectors.issue_get(request.user, pk)
    staff = policy.can(request.user, "change", issue.community)
    raiser = issue.raised_by_id == request.user.pk
    which = request.POST.get("form", "")
    mform = MeetingForm(
        request.POST if which == "meeting" else None, initial={"held_on": timezone.localdate()}
    )
    cform = CloseForm(request.POST if which == "close" else None, request.FILES or None)
    kform = ConfirmForm(request.POST if which == "confirm" else None)
    if request.method == "POST":
        forms_ = {"meeting": (mform, staff), "close": (cform, staff), "confirm": (kform, raiser)}
        if which not in forms_ or not forms_[which][1]:
            raise PermissionDenied("不能进行此操作")
        actions = {
            "meeting": lambda d: services.issue_meeting(actor=request.user, issue=issue, **d),
            "close": lambda d: services.issue_close(actor=request.user, issue=issue, **d),
            "confirm": lambda d: services.issue_confirm(actor=request.user, issue=issue, **d),
        }
        said = {
            "meeting": "已记录联席会议和议定事项。",
            "close": "已办结，等待反映人确认。",
            "confirm": "谢谢您的确认。",
        }
        resp = submit(
            request,
            forms_[which][0],
            actions[which],
            done=_then(request, said[which], "community:issue", issue.pk),
        )
        if resp:
            return resp
    member_side = bool(getattr(request.user, "member_id", None)) and not staff
    photos = list(issue.photos.all())
    return render(
        request,
        "community/issue_member.html" if member_side else "community/issue.html",
        {
            "i": issue,
            "org": issue.community,
            "ancestors": org_selectors.org_ancestors(issue.community, request.user)
            if staff or policy.can(request.user, "view", issue.community)
            else [],
            "meetings": issue.meetings.all(),
            "raised_photos": [p for p in photos if p.stage == PhotoStage.RAISED],
            "closed_photos": [p for p in photos if p.stage == PhotoStage.CLOSED],
            "mform": mform,
            "cform": cform,
            "kform": kform,
            "staff": staff,
            "raiser": raiser,
        },
        status=400 if (mform.errors or cform.errors or kform.errors) else 200,
    )


# --- the member's phone -------------------------------------------------------------------------


@member_required
@require_http_methods(["GET", "POST"])
def my_view(request: AuthedRequest) -> HttpResponse:
    """近邻党建 on the phone: where I live, my 报到, what I claimed, my services this year, the
    community's open needs to claim."""
    member: Member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    which = request.POST.get("form", "")
    rform = ResidenceForm(request.POST if which == "residence" else None)
    if request.method == "POST":
        if which == "residence":
            resp = submit(
                request,
                rform,
                lambda d: services.residence_set(
                    actor=request.user, member=member, place=d["place"]
                ),
                done=_then(request, "已保存居住小区。", "community:my"),
            )
            if resp:
                return resp
        elif which == "report":
            mine = selectors.my_community(member, today)
            if mine.residence is None:
                messages.error(request, "请先选择居住小区")
                return redirect("community:my")
            return perform(
                request,
                lambda: services.report_submit(
                    actor=request.user,
                    member=member,
                    community=mine.residence.place.community,  # type: ignore[union-attr]
                ),
                success="已报到，等待社区确认。",
                to="community:my",
            )
        elif which in ("claim", "leave"):
            raw = request.POST.get("need", "")
            if not raw.isdecimal():
                raise Http404("未找到该项目")
            need = selectors.member_need_get(member, int(raw))
            fn = services.need_claim if which == "claim" else services.need_leave
            return perform(
                request,
                lambda: fn(actor=request.user, member=member, need=need),
                success=(
                    "已认领，等待社区同意。"
                    if need.kind in (NeedKind.POST, NeedKind.PAIRING)
                    else "已认领，完成后由社区确认服务时长。"
                )
                if which == "claim"
                else "已退出认领。",
                to="community:my",
            )
    return render(
        request,
        "community/my.html",
        {
            "m": member,
            "mine": selectors.my_community(member, today),
            "rform": rform,
            "issues": selectors.my_issues(request.user)[:10],
            "year": today.year,
        },
        status=400 if rform.errors else 200,
    )


@member_required
@require_http_methods(["GET", "POST"])
def my_issue_new_view(request: AuthedRequest) -> HttpResponse:
    """A member raises a neighbourhood issue with the community where they live."""
    member = member_selectors.own_member(request.user)
    mine = selectors.my_community(member, timezone.localdate())
    if mine.residence is None:
        messages.error(request, "请先在“近邻党建”中选择居住小区")
        return redirect("community:my")
    form = IssueForm(request.POST if request.method == "POST" else None, request.FILES or None)
    del form.fields["raiser_name"]
    place = mine.residence.place
    resp = submit(
        request,
        form,
        lambda d: services.issue_raise(
            actor=request.user, community=place.community, place=place, **d
        ),
        done=lambda i: _saved(request, "已提交，社区党委受理后会通知您。", "community:issue", i.pk),
    )
    return resp or render(
        request,
        "community/my_issue_new.html",
        {"form": form, "place": place},
        status=400 if form.errors else 200,
    )


# --- 组织报到 ------------------------------------------------------------------------------


@staff_required("view")
def community_lookup_view(request: AuthedRequest) -> JsonResponse:
    """The community picker of 组织报到: any community of the deployment (a unit reports where its
    members live, outside its own subtree), by name or code."""
    return _lookup(request, selectors.communities(), "path", lambda c: c.code)


@staff_required("view")
@require_http_methods(["GET", "POST"])
def unit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit's 双报到: the communities its party organization registered with, and its in-service
    members — where each reported this year, services and hours."""
    unit = org_selectors.org_get(request.user, pk)
    can_change = policy.can(request.user, "change", unit) and unit.kind != "group"
    form = UnitRegisterForm(request.POST if request.method == "POST" else None)
    form.fields["community"].queryset = selectors.communities()  # type: ignore[attr-defined]
    resp = _posted(
        request,
        can_change,
        form,
        lambda d: services.unit_register(actor=request.user, unit=unit, **d),
        done=_then(request, "已向社区报到，社区会收到通知。", "community:unit", unit.pk),
    )
    if resp:
        return resp
    year = timezone.localdate().year
    page = paginate(request, selectors.unit_members(unit, year))
    return render(
        request,
        "community/unit.html",
        {
            "org": unit,
            "ancestors": org_selectors.org_ancestors(unit, request.user),
            "registrations": selectors.registrations_of(unit),
            "projects": selectors.projects_of(unit)[:20],
            "page": page,
            "year": year,
            "form": form,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


@staff_required("view")
def units_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The units registered with a community (组织报到), with what they offer."""
    community = _community(request, pk)
    return render(
        request,
        "community/units.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "page": paginate(request, selectors.registered_units(community)),
        },
    )


# --- 先锋队 -------------------------------------------------------------------------------


@staff_required("view")
@require_http_methods(["GET", "POST"])
def teams_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The volunteer teams (先锋队) of a subtree; a community or a branch forms one."""
    org = org_selectors.org_get(request.user, pk)
    can_form = policy.can(request.user, "change", org) and org.kind != "group"
    form = TeamForm(
        request.POST if request.method == "POST" else None,
        initial={"formed_on": timezone.localdate()},
    )
    people = services.team_people(org).order_by("member_no")
    form.fields["leader"].queryset = people  # type: ignore[attr-defined]
    form.fields["members"].queryset = people  # type: ignore[attr-defined]
    resp = _posted(
        request,
        can_form,
        form,
        lambda d: services.team_create(
            actor=request.user, owner=org, **{**d, "members": list(d["members"])}
        ),
        done=lambda t: _saved(request, f"已组建“{t.name}”。", "community:team", t.pk),
    )
    if resp:
        return resp
    return render(
        request,
        "community/teams.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "page": paginate(request, selectors.teams_for(request.user, org)),
            "form": form,
            "can_form": can_form,
            "is_community": selectors.is_community(org),
        },
        status=400 if form.errors else 200,
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def team_view(request: AuthedRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(request.user, pk)
    can_change = policy.can(request.user, "change", team.owner)
    form = ActivityForm(
        request.POST if request.method == "POST" else None,
        request.FILES or None,
        initial={"held_on": timezone.localdate()},
    )
    form.fields["participants"].queryset = team.members.order_by("member_no")  # type: ignore[attr-defined]
    resp = _posted(
        request,
        can_change,
        form,
        lambda d: services.team_activity_record(
            actor=request.user, team=team, **{**d, "participants": list(d["participants"])}
        ),
        done=_then(request, "已记录活动。", "community:team", team.pk),
    )
    if resp:
        return resp
    return render(
        request,
        "community/team.html",
        {
            "t": team,
            "org": team.owner,
            "ancestors": org_selectors.org_ancestors(team.owner, request.user),
            "totals": selectors.team_totals(team),
            "form": form,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


# --- 年度评价 ---------------------------------------------------------------------------------


@staff_required("view")
@require_http_methods(["GET", "POST"])
def appraisals_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The community's yearly appraisal of the members and units that reported to it; each grade
    goes back to the member's own branch (民主评议) or to the unit."""
    community = _community(request, pk)
    can_change = policy.can(request.user, "change", community)
    source = request.POST if request.method == "POST" else request.GET
    year = selectors.appraisal_year(source.get("year", ""), timezone.localdate())
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied("没有修改权限")
        raw, which = request.POST.get("id", ""), request.POST.get("form")
        qs = (
            selectors.appraisal_members(request.user, community, year)
            if which == "member"
            else selectors.appraisal_units(request.user, community, year)
        )
        row = qs.filter(pk=int(raw)).first() if raw.isdecimal() else None
        if row is None:
            raise Http404("未找到该报到")
        subject = {"member": row.member} if which == "member" else {"unit": row.unit}
        name = row.member.name if which == "member" else row.unit.name
        resp = perform(
            request,
            lambda: services.appraisal_save(
                actor=request.user,
                community=community,
                year=year,
                grade=request.POST.get("grade", ""),
                comment=request.POST.get("comment", ""),
                **subject,
            ),
            success=f"已保存对{name}的{year}年度评价，已告知其所在党组织。",
            to="community:appraisals",
            args=(community.pk,),
        )
        resp["Location"] += f"?year={year}#{which}-{row.pk}"
        return resp
    today = timezone.localdate()
    return render(
        request,
        "community/appraisals.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "page": paginate(request, selectors.appraisal_members(request.user, community, year)),
            "units": selectors.appraisal_units(request.user, community, year)[:200],
            "year": year,
            "years": range(today.year, today.year - 5, -1),
            "grades": AppraisalGrade.choices,
            "can_change": can_change,
        },
    )


@staff_required("view")
@require_http_methods(["GET"])
def cards_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The unit's 报到证 as one PDF, a card per page: one member's (?member=) or every in-service
    member's (at most CARDS_MAX; more are printed organization by organization)."""
    unit = org_selectors.org_get(request.user, pk)
    year = timezone.localdate().year
    raw = request.GET.get("member", "")
    if raw and not raw.isdecimal():
        raise NotVisible("未找到该党员")
    members = selectors.card_members(unit, year, int(raw) if raw else None)
    n = members.count()
    if n == 0:
        if raw:  # not an in-service member of the unit: out of scope, logged as such
            raise NotVisible("未找到该党员")
        messages.error(request, "本组织没有需要到社区报到的在职党员，无需打印报到证。")
        return redirect("community:unit", unit.pk)
    if n > selectors.CARDS_MAX:
        messages.error(
            request,
            f"共{n}人，一次最多打印{selectors.CARDS_MAX}张，请进入下级党组织分别打印。",
        )
        return redirect("community:unit", unit.pk)
    cards = list(members)
    data = documents.cards_pdf(unit, cards, year=year, who=str(request.user))
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="community.cards",
            obj=unit,
            organization=unit,
            data={
                "year": year,
                "member": cards[0].member_no if raw else None,
                "cards": n,
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        )
    name = f"报到证-{unit.code}-{year}" + (f"-{cards[0].member_no}" if raw else "")
    return uploads.document(data, "application/pdf", f"{name}.pdf")


# --- 共建 -------------------------------------------------------------------------------------

ALLIANCE_STATES = selectors.ALLIANCE_STATES


def _a_year_on(d: Any) -> Any:
    """The same day a year later (28 February for 29 February)."""
    return d.replace(year=d.year + 1, day=28 if (d.month, d.day) == (2, 29) else d.day)


@staff_required("view")
@require_http_methods(["GET", "POST"])
def alliances_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The community's co-building agreements (共建): sign one, see which are due for renewal."""
    community = _community(request, pk)
    can_change = policy.can(request.user, "change", community)
    today = timezone.localdate()
    form = AllianceForm(
        request.POST if request.method == "POST" else None,
        initial={"started_on": today, "ends_on": _a_year_on(today)},
    )
    resp = _posted(
        request,
        can_change,
        form,
        lambda d: services.alliance_create(actor=request.user, community=community, **d),
        done=lambda a: _saved(request, f"已登记“{a.name}”。", "community:alliance", a.pk),
    )
    if resp:
        return resp
    state = request.GET.get("state", "")
    return render(
        request,
        "community/alliances.html",
        {
            "org": community,
            "ancestors": org_selectors.org_ancestors(community, request.user),
            "page": paginate(
                request, selectors.alliances_for(request.user, community, state, today)
            ),
            "state": state,
            "states": ALLIANCE_STATES,
            "today": today,
            "soon": today + timedelta(days=selectors.RENEW_DAYS),
            "form": form,
            "can_change": can_change,
        },
        status=400 if form.errors else 200,
    )


@staff_required("view")
@require_http_methods(["GET", "POST"])
def alliance_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """One agreement: its parties and commitments, the activities done under it, renewal."""
    a = selectors.alliance_get(request.user, pk)
    can_change = policy.can(request.user, "change", a.community)
    today = timezone.localdate()
    which = request.POST.get("form", "")
    aform = AllianceActivityForm(
        request.POST if request.method == "POST" and which != "renew" else None,
        initial={"held_on": today},
    )
    rform = RenewForm(
        request.POST if which == "renew" else None,
        initial={"ends_on": _a_year_on(a.ends_on)},
    )
    if which == "renew":
        resp = _posted(
            request,
            can_change,
            rform,
            lambda d: services.alliance_renew(actor=request.user, alliance=a, **d),
            done=_then(request, "已续签。", "community:alliance", a.pk),
        )
    else:
        resp = _posted(
            request,
            can_change,
            aform,
            lambda d: services.alliance_activity_record(actor=request.user, alliance=a, **d),
            done=_then(request, "已记录共建活动。", "community:alliance", a.pk),
        )
    if resp:
        return resp
    return render(
        request,
        "community/alliance.html",
        {
            "a": a,
            "org": a.community,
            "ancestors": org_selectors.org_ancestors(a.community, request.user),
            "activities": a.activities.all()[:200],
            "aform": aform,
            "rform": rform,
            "today": today,
            "soon": today + timedelta(days=selectors.RENEW_DAYS),
            "can_change": can_change,
        },
        status=400 if (aform.errors or rform.errors) else 200,
    )


# --- 数据统计 ---------------------------------------------------------------------------------


@staff_required("view")
def figures_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """近邻党建 in figures for a street, a district or the city: coverage now, and per month of a
    year the members and units reported, services, issues, volunteers — chart, table, export."""
    org = org_selectors.org_get(request.user, pk)
    year = selectors.figures_year(request.GET.get("year", ""), timezone.localdate())
    rows = selectors.monthly_figures(org, year)
    total, _children = selectors.coverage(org)
    today = timezone.localdate()
    sums = {
        k: sum(r[k] for r in rows)
        for k in ("reported", "units", "services", "service_hours", "raised", "solved")
    }
    return render(
        request,
        "community/figures.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "rows": rows,
            "columns": selectors.FIGURE_COLUMNS,
            "sums": sums,
            "last": rows[-1] if year < today.year else rows[today.month - 1],
            "total": total,
            "year": year,
            "years": range(today.year, today.year - 5, -1),
            "is_community": selectors.is_community(org),
            "chart": {
                "months": [f"{r['month']}月" for r in rows],
                "reported": [r["reported_total"] for r in rows],
                "services": [r["services"] for r in rows],
                "raised": [r["raised"] for r in rows],
                "solved": [r["solved"] for r in rows],
                "volunteers": [r["volunteers"] for r in rows],
            },
        },
    )


@signed_in
@require_http_methods(["GET"])
def photo_view(request: AuthedRequest, pk: int) -> Any:
    """A photo of an issue, a service or a team activity (see selectors.photo_get)."""
    return uploads.download(selectors.photo_get(request.user, pk), inline_photo=True)


@staff_required("change")
@require_http_methods(["GET", "POST"])
def residence_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The member's branch sets where the member lives (the member may do it on the phone)."""
    member = member_selectors.member_get(request.user, pk, "change")
    home = selectors.residence_of(member)
    form = ResidenceForm(
        request.POST if request.method == "POST" else None,
        initial={"place": home.place if home else None},
    )
    resp = submit(
        request,
        form,
        lambda d: services.residence_set(actor=request.user, member=member, place=d["place"]),
        done=_then(request, f"已保存{member.name}的居住小区。", "members:detail", member.pk),
    )
    return resp or render(
        request,
        "community/residence.html",
        {
            "m": member,
            "home": home,
            "form": form,
            "ancestors": org_selectors.org_ancestors(member.organization, request.user)
            + [member.organization],
        },
        status=400 if form.errors else 200,
    )
