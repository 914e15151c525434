"""组团帮扶 pages: the villages' collective economy as the city reports it (summary, per district
and town, drill into a village), rounds with areas, teams and “1+1” pairings, a village's page
(figures over the years, resident work team and its days on site, visits, matters, projects,
plots), 跨村联建, 我在乡间有亩田 (plots, adoption by units, work and harvest); the resident work
team's own page on the phone."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.accounts import policy
from dangjian.compliance.packs import rule_params
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.members import selectors as member_selectors
from dangjian.members.models import Member
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.models import Organization
from dangjian.orgs.views import scope_home
from dangjian.web.access import AuthedRequest, member_required, signed_in, staff_required
from dangjian.web.forms import submit
from dangjian.web.paging import paginate

from . import money, selectors, services
from .forms import (
    AdoptForm,
    AreaForm,
    AreaMemberForm,
    IncomeForm,
    JointForm,
    MatterForm,
    PairingForm,
    PlotActivityForm,
    PlotForm,
    PresenceForm,
    ProjectForm,
    ProjectIncomeForm,
    ResidentForm,
    RoundForm,
    TownIncomeForm,
    VillageForm,
    VisitForm,
)
from .models import ActivityKind, Adoption, Resident, ResidentRole, Round
from .rules import current_round

home_view = scope_home("villages:summary")


def _saved(request: AuthedRequest, message: str, *to: Any) -> HttpResponse:
    messages.success(request, message)
    return redirect(*to)


def _then(request: AuthedRequest, message: str, *to: Any) -> Any:
    return lambda _result: _saved(request, message, *to)


def _form(request: AuthedRequest, form: Any) -> Any:
    return form(request.POST or None, request.FILES or None) if request.method == "POST" else form()


def _page(
    request: AuthedRequest, org: Organization, form: Any, title: str, back: Any, **extra: Any
) -> HttpResponse:
    """A form page of its own (the village's, the round's, the plot's)."""
    return render(
        request,
        "villages/form.html",
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


def _year(raw: str, years: list[int], today: date) -> int:
    if raw.isdecimal() and 2000 <= int(raw) <= today.year:
        return int(raw)
    return years[0] if years else today.year - 1


# --- the figures -------------------------------------------------------------------------------


@staff_required("view")
def summary_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """村集体经济 for an organization's villages: the city's headline, per district or town (chart
    and table), the weak villages to drill into, the towns' disposable income over three years."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    villages = selectors.villages_for(request.user, org)
    years = selectors.available_years(villages)
    year = _year(request.GET.get("year", ""), years, today)
    threshold = selectors.weak_fen()
    summary = selectors.summarize(villages, year, threshold)
    districts = set(villages.values_list("district", flat=True).distinct()[:2])
    level = "town" if len(districts) <= 1 else "district"
    areas = selectors.by_area(villages, year, level)
    trend = selectors.trend_for(villages, year)
    weak = list(villages.filter(code__in=summary.weak).values("pk", "code", "name", "town")[:200])
    return render(
        request,
        "villages/summary.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "tab": "summary",
            "s": summary,
            "unreported": summary.villages - summary.reported,
            "year": year,
            "years": years or [year],
            "level": level,
            "areas": areas,
            "weak": weak,
            "threshold": threshold,
            "trend": trend,
            "joint": selectors.joint_of(org),
            "can_change": policy.can(request.user, "change", org),
            "can_joint": org.category == "village" and policy.can(request.user, "change", org),
            "chart": {
                "names": [a["town"] if level == "town" else a["district"] for a in areas],
                "total": [float(money.wan(a["total_fen"])) for a in areas],
                "previous": [float(money.wan(a["previous_total_fen"] or 0)) for a in areas],
                "average": [float(money.wan(a["average_fen"] or 0)) for a in areas],
                "trend_years": [str(t["year"]) for t in trend],
                "trend": [float(money.wan(t["average_fen"] or 0)) for t in trend],
            },
        },
    )


@staff_required("view")
def list_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The villages with the year's income and the year before's: filters, pages, export."""
    org = org_selectors.org_get(request.user, pk)
    today = timezone.localdate()
    villages = selectors.villages_for(request.user, org)
    years = selectors.available_years(villages)
    year = _year(request.GET.get("year", ""), years, today)
    f = {k: request.GET.get(k, "").strip()[:50] for k in ("q", "town", "key", "weak")}
    qs = selectors.village_list(request.user, org, year, weak_fen=selectors.weak_fen(), **f)
    page = paginate(request, qs)
    return render(
        request,
        "villages/list.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "tab": "list",
            "page": page,
            "year": year,
            "years": years or [year],
            "towns": selectors.towns_of(villages),
            "threshold": selectors.weak_fen(),
            **f,
        },
    )


# --- a village ---------------------------------------------------------------------------------


@staff_required("view")
def village_view(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.village_get(request.user, pk)
    today = timezone.localdate()
    years = selectors.years_of(v)
    for y, before in zip(years, [None, *years], strict=False):
        y.previous = (  # type: ignore[attr-defined]
            before.collective_fen if before is not None and before.year == y.year - 1 else None
        )
    pairings = selectors.pairings_of(v)
    current = current_round(today, v.organization)
    # back to the figures of the level above (the town's committee) where the user sees it
    above = Organization.objects.filter(path=v.organization.path[: -v.organization.steplen]).first()
    if above is None or not policy.can(request.user, "view", above):
        above = v.organization
    return render(
        request,
        "villages/village.html",
        {
            "v": v,
            "org": v.organization,
            "ancestors": org_selectors.org_ancestors(v.organization, request.user),
            "years": years,
            "threshold": selectors.weak_fen(),
            "residents": selectors.residents_of(v, today),
            "pairings": pairings,
            "current": current,
            "paired": next((p for p in pairings if p.round == current), None),
            "above": above,
            "visits": v.visits.select_related("resident__member")[:10],
            "visits_month": v.visits.filter(visited_on__gte=today.replace(day=1)).count(),
            "matters": v.matters.select_related("resident__member")[:10],
            "projects": selectors.projects_of(v),
            "plots": v.plots.order_by("code"),
            "today": today,
            "can_change": policy.can(request.user, "change", v.organization),
            "chart": {
                "years": [str(y.year) for y in years],
                "collective": [float(money.wan(y.collective_fen)) for y in years],
                "operating": [float(money.wan(y.operating_fen)) for y in years],
            },
        },
    )


def _changer(request: AuthedRequest, org: Organization) -> None:
    if not policy.can(request.user, "change", org):
        raise PermissionDenied("没有修改权限")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def income_view(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.village_get(request.user, pk)
    _changer(request, v.organization)
    year = timezone.localdate().year - 1
    row = v.years.filter(year=year).first()
    form = IncomeForm(
        request.POST if request.method == "POST" else None,
        initial={
            "year": year,
            "collective": money.yuan(row.collective_fen) if row else "",
            "operating": money.yuan(row.operating_fen) if row else "",
        },
    )
    resp = submit(
        request,
        form,
        lambda d: services.income_record(
            actor=request.user,
            village=v,
            year=d["year"],
            collective=d["collective"],
            operating=d["operating"] or "0",
        ),
        done=lambda r: _saved(
            request, f"已保存{v.name}{r.year}年的收入。", "villages:village", v.pk
        ),
    )
    return resp or _page(
        request,
        v.organization,
        form,
        f"{v.name} · 登记村集体收入",
        ("villages:village", v.pk),
        note="同一年度再次登记会替换原数字（原数字保留在操作日志中）。",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def town_income_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A town's rural per-capita disposable income for a year (the summary's trend)."""
    org = org_selectors.org_get(request.user, pk)
    _changer(request, org)
    pairs = list(
        selectors.villages_for(request.user, org)
        .order_by("district", "town")
        .values_list("district", "town")
        .distinct()
    )
    form = TownIncomeForm(
        request.POST if request.method == "POST" else None,
        initial={"year": timezone.localdate().year - 1},
    )
    towns = [(f"{d}|{t}", f"{d} {t}") for d, t in pairs]
    form.fields["town"].choices = towns  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.town_income_record(
            actor=request.user,
            district=d["town"].split("|", 1)[0],
            town=d["town"].split("|", 1)[1],
            year=d["year"],
            disposable=d["disposable"],
        ),
        done=lambda r: _saved(
            request, f"已保存{r.town}{r.year}年农村居民人均可支配收入。", "villages:summary", org.pk
        ),
    )
    return resp or _page(
        request, org, form, "登记农村居民人均可支配收入", ("villages:summary", org.pk),
        note="按统计部门公布的各镇数字填报；同一镇同一年再次填报会替换原数字。",
    )  # fmt: skip


@staff_required("change")
@require_http_methods(["GET", "POST"])
def village_edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.village_get(request.user, pk)
    _changer(request, v.organization)
    form = VillageForm(
        request.POST if request.method == "POST" else None,
        initial={"population": v.population, "households": v.households, "key": v.key},
    )
    resp = submit(
        request,
        form,
        lambda d: services.village_save(
            actor=request.user,
            code=v.code,
            name=v.name,
            town=v.town,
            district=v.district,
            organization=v.organization,
            **d,
        ),
        done=_then(request, f"已保存{v.name}的信息。", "villages:village", v.pk),
    )
    return resp or _page(
        request, v.organization, form, f"{v.name} · 基本情况", ("villages:village", v.pk)
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def resident_view(request: AuthedRequest, pk: int, resident: int | None = None) -> HttpResponse:
    """Post a member to the village's resident work team, or change a posting (role, leaving)."""
    v = selectors.village_get(request.user, pk)
    _changer(request, v.organization)
    r = (
        v.residents.select_related("member", "unit").filter(pk=resident).first()
        if resident
        else None
    )
    if resident and r is None:
        raise Http404
    initial = (
        {
            "member": r.member.member_no,
            "role": r.role,
            "unit": r.unit.code,
            "arrived_on": r.arrived_on,
            "left_on": r.left_on,
        }  # fmt: skip
        if r
        else {"arrived_on": timezone.localdate(), "role": ResidentRole.MEMBER}
    )
    form = ResidentForm(request.POST if request.method == "POST" else None, initial=initial)
    form.people = member_selectors.member_search(request.user, status="")
    form.fields["unit"].queryset = policy.visible_to(request.user, "view")  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.resident_post(actor=request.user, village=v, resident=r, **d),
        done=lambda x: _saved(
            request,
            f"已{'保存' if r else '派驻'}{x.member.name}（{x.get_role_display()}）。",
            "villages:village",
            v.pk,
        ),  # fmt: skip
    )
    return resp or _page(
        request,
        v.organization,
        form,
        f"{v.name} · {'修改驻村工作队员' if r else '派驻工作队员'}",
        ("villages:village", v.pk),
        note="到村后，工作队员每天在手机“我的—驻村工作”中登记在岗情况和入户走访。",
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def project_view(request: AuthedRequest, pk: int, project: int | None = None) -> HttpResponse:
    v = selectors.village_get(request.user, pk)
    _changer(request, v.organization)
    p = v.projects.filter(pk=project).first() if project else None
    if project and p is None:
        raise Http404
    initial = (
        {
            "name": p.name,
            "industry": p.industry,
            "investment": money.yuan(p.investment_fen),
            "partners": p.partners,
            "status": p.status,
            "started_on": p.started_on,
        }  # fmt: skip
        if p
        else {}
    )
    which = request.POST.get("form", "project")
    form = ProjectForm(
        request.POST if which == "project" and request.method == "POST" else None, initial=initial
    )
    iform = ProjectIncomeForm(
        request.POST if which == "income" else None,
        initial={"year": timezone.localdate().year - 1},
    )
    if which == "income" and p is not None:
        resp = submit(
            request,
            iform,
            lambda d: services.project_income(actor=request.user, project=p, **d),
            done=_then(request, "已保存项目增收。", "villages:project", v.pk, p.pk),
        )
    else:
        resp = submit(
            request,
            form,
            lambda d: services.project_save(actor=request.user, village=v, project=p, **d),
            done=lambda x: _saved(request, f"已保存项目“{x.name}”。", "villages:village", v.pk),
        )
    if resp:
        return resp
    return _page(
        request,
        v.organization,
        form,
        f"{v.name} · {'帮扶项目' if p else '登记帮扶项目'}",
        ("villages:village", v.pk),
        form_name="project",
        project=p,
        project_years=p.years.order_by("year") if p else [],
        iform=iform if p else None,
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def plot_new_view(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.village_get(request.user, pk)
    _changer(request, v.organization)
    form = PlotForm(request.POST if request.method == "POST" else None)
    resp = submit(
        request,
        form,
        lambda d: services.plot_save(actor=request.user, village=v, **d),
        done=lambda p: _saved(request, f"已登记地块{p.code}。", "villages:plot", p.pk),
    )
    return resp or _page(
        request, v.organization, form, f"{v.name} · 登记认领地块", ("villages:village", v.pk)
    )


# --- rounds, areas, pairings -------------------------------------------------------------------


@staff_required("view")
@require_http_methods(["GET", "POST"])
def rounds_view(request: AuthedRequest, pk: int) -> HttpResponse:
    org = org_selectors.org_get(request.user, pk)
    can = services.may_run_rounds(request.user, org)
    form = RoundForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can:
            raise PermissionDenied("帮扶轮次由党委（组织部门）建立")
        resp = submit(
            request,
            form,
            lambda d: services.round_save(actor=request.user, organization=org, **d),
            done=lambda r: _saved(request, f"已建立{r.name}。", "villages:round", r.pk),
        )
        if resp:
            return resp
    return render(
        request,
        "villages/rounds.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "tab": "rounds",
            "rounds": selectors.rounds_for(org),
            "current": current_round(timezone.localdate(), org),
            "form": form,
            "can_change": can,
            "pairings": selectors.unit_pairings(org),
        },
        status=400 if form.errors else 200,
    )


def _round(request: AuthedRequest, pk: int) -> Round:
    return selectors.round_get(request.user, pk)


@staff_required("view")
@require_http_methods(["GET", "POST"])
def round_view(request: AuthedRequest, pk: int) -> HttpResponse:
    r = _round(request, pk)
    org = r.organization
    can = policy.can(request.user, "change", org)
    pform = PairingForm(request.POST if request.method == "POST" else None)
    key_villages = selectors.round_key_villages(request.user, r, org)
    pform.fields["village"].queryset = key_villages  # type: ignore[attr-defined]
    if request.method == "POST":
        _changer(request, org)
        resp = submit(
            request,
            pform,
            lambda d: services.pairing_set(actor=request.user, round=r, **d),
            done=lambda p: _saved(
                request,
                f"已为{p.village.name}确定结对单位{p.unit.name}，已通知该单位。",
                "villages:round",
                r.pk,
            ),  # fmt: skip
        )
        if resp:
            return resp
    state = request.GET.get("state", "")
    listed = selectors.round_key_villages(request.user, r, org, state)
    return render(
        request,
        "villages/round.html",
        {
            "r": r,
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "areas": selectors.round_areas(r, request.user),
            "page": paginate(request, listed),
            "state": state,
            "unpaired": selectors.round_key_villages(request.user, r, org, "none").count(),
            "pform": pform,
            "can_change": can,
        },
        status=400 if pform.errors else 200,
    )


def _area_villages(request: AuthedRequest, r: Round) -> Any:
    return selectors.villages_for(request.user, r.organization).order_by("district", "town", "code")


@staff_required("change")
@require_http_methods(["GET", "POST"])
def area_view(request: AuthedRequest, pk: int, area: int | None = None) -> HttpResponse:
    """A 片区 of the round: its villages and team (new, or changed with members added)."""
    r = _round(request, pk)
    _changer(request, r.organization)
    a = r.areas.select_related("leader_unit").filter(pk=area).first() if area else None
    if area and a is None:
        raise Http404
    which = request.POST.get("form", "area")
    initial = (
        {
            "name": a.name,
            "villages": list(a.villages.all()),
            "team_name": a.team_name,
            "leader": a.leader,
            "leader_unit": a.leader_unit.code if a.leader_unit else "",
            "contact": a.contact,
            "phone": a.phone,
        }  # fmt: skip
        if a
        else {}
    )
    form = AreaForm(
        request.POST if which == "area" and request.method == "POST" else None, initial=initial
    )
    form.fields["villages"].queryset = _area_villages(request, r)  # type: ignore[attr-defined]
    mform = AreaMemberForm(request.POST if which == "member" else None)
    if which == "member" and a is not None:
        resp = submit(
            request,
            mform,
            lambda d: services.area_member_add(actor=request.user, area=a, **d),
            done=_then(request, "已添加团队成员。", "villages:area", r.pk, a.pk),
        )
    else:
        resp = submit(
            request,
            form,
            lambda d: services.area_save(actor=request.user, round=r, area=a, **d),
            done=lambda x: _saved(request, f"已保存片区“{x.name}”。", "villages:area", r.pk, x.pk),
        )
    if resp:
        return resp
    return _page(
        request,
        r.organization,
        form,
        f"{r.name} · {'片区' + a.name if a else '新建片区'}",
        ("villages:round", r.pk),
        form_name="area",
        area=a,
        team=a.team.select_related("unit") if a else [],
        mform=mform if a else None,
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def joint_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """跨村联建: the villages a joint party committee joins (its summary shows their figures)."""
    org = org_selectors.org_get(request.user, pk)
    _changer(request, org)
    if org.category != "village":
        raise Http404("不是农村党组织")
    jc = selectors.joint_of(org)
    form = JointForm(
        request.POST if request.method == "POST" else None,
        initial={"villages": list(jc.villages.all()) if jc else []},
    )
    parent = Organization.objects.filter(path=org.path[: -org.steplen]).first() or org
    form.fields["villages"].queryset = selectors.villages_for(request.user, parent)  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.joint_set(actor=request.user, organization=org, **d),
        done=_then(request, "已保存跨村联建的村。", "villages:summary", org.pk),
    )
    return resp or _page(
        request,
        org,
        form,
        f"{org.name} · 跨村联建",
        ("villages:summary", org.pk),
        note="联建党委的“村集体经济”页面合计所联建各村的数字。",
    )


# --- 我在乡间有亩田 -------------------------------------------------------------------------------


def _season(request: AuthedRequest) -> str:
    raw = request.GET.get("season", "").strip()[:6]
    try:
        return services.check_season(raw)
    except DomainError:
        return str(timezone.localdate().year)


@staff_required("view")
def plots_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The plots of the city for a season, free or adopted; totals (area by unit, members who
    took part); the unit's own adoptions."""
    org = org_selectors.org_get(request.user, pk)
    season = _season(request)
    q, state = request.GET.get("q", "").strip()[:50], request.GET.get("state", "")
    return render(
        request,
        "villages/plots.html",
        {
            "org": org,
            "ancestors": org_selectors.org_ancestors(org, request.user),
            "tab": "plots",
            "season": season,
            "q": q,
            "state": state,
            "page": paginate(
                request, selectors.plots_for(request.user, q=q, state=state, season=season)
            ),
            "totals": selectors.plot_totals(season),
            "units": selectors.plot_units(season)[:20],
            "mine": selectors.unit_adoptions(org)[:50],
            "mine_totals": selectors.plot_totals(season, org),
            "can_adopt": policy.can(request.user, "change", org),
        },
    )


@staff_required("view")
def plot_view(request: AuthedRequest, pk: int) -> HttpResponse:
    p = selectors.plot_get(request.user, pk)
    adoptions = selectors.plot_adoptions(p)
    village_seen = policy.can(request.user, "view", p.village.organization)
    for a in adoptions:
        a.can_work = policy.can(request.user, "change", a.unit)  # type: ignore[attr-defined]
        a.can_see_people = policy.can(request.user, "view", a.unit)  # type: ignore[attr-defined]
        # photos, notes and the agreement: as selectors.photo_get (the unit or the village)
        a.can_see_work = a.can_see_people or village_seen  # type: ignore[attr-defined]
    return render(
        request,
        "villages/plot.html",
        {
            "p": p,
            "org": p.village.organization,
            "ancestors": org_selectors.org_ancestors(p.village.organization, request.user)
            if policy.can(request.user, "view", p.village.organization)
            else [],
            "adoptions": adoptions,
            # the current season still free, for a user who acts for some unit
            "can_adopt": policy.path_q(request.user, "change") is not None
            and not any(a.season == str(timezone.localdate().year) for a in adoptions),
            "season": str(timezone.localdate().year),
            "home": org_selectors.org_roots(request.user).first(),
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def adopt_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A unit adopts the plot for a season (the unit: the user's own organization or one they
    pick)."""
    p = selectors.plot_get(request.user, pk)
    root = org_selectors.org_roots(request.user).first()
    form = AdoptForm(
        request.POST if request.method == "POST" else None,
        initial={"unit": root.code if root else ""},
    )
    form.fields["unit"].queryset = policy.visible_to(request.user, "change")  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.plot_adopt(actor=request.user, plot=p, **d),
        done=lambda a: _saved(
            request,
            f"{a.unit.name}已认领地块{p.code}（{a.season}），已通知{p.village.name}。",
            "villages:plot",
            p.pk,
        ),  # fmt: skip
    )
    return resp or _page(
        request,
        root or p.village.organization,
        form,
        f"认领地块 {p.code}（{p.village.name} {p.area_mu}亩{p.crop}）",
        ("villages:plot", p.pk),
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def activity_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Work on an adopted plot, by the adopting unit: the members who took part, photos, and for
    a harvest its yield and where it went."""
    a = Adoption.objects.select_related("plot__village", "unit").filter(pk=pk).first()
    if a is None or not policy.can(request.user, "view", a.unit):
        raise NotVisible()
    _changer(request, a.unit)
    form = PlotActivityForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial={"done_on": timezone.localdate(), "kind": ActivityKind.HARVEST},
    )
    form.scope = Member.objects.filter(organization__path__under=a.unit.path)
    form.fields["member_nos"].widget.url = f"{form.fields['member_nos'].widget.url}?org={a.unit.pk}"  # type: ignore[attr-defined]
    resp = submit(
        request,
        form,
        lambda d: services.plot_activity(
            actor=request.user,
            adoption=a,
            kind=d["kind"],
            done_on=d["done_on"],
            members=d["member_nos"],
            note=d["note"],
            yield_kg=d["yield_kg"],
            destination=d["destination"],
            photos=d["photos"],
        ),
        done=_then(request, "已记录地块活动。", "villages:plot", a.plot.pk),
        field_map={"members": "member_nos"},
    )
    return resp or _page(
        request,
        a.unit,
        form,
        f"地块{a.plot.code} · 记录农事活动（{a.unit.name} {a.season}）",
        ("villages:plot", a.plot.pk),
        multipart=True,
    )


@signed_in
@require_http_methods(["GET"])
def photo_view(request: AuthedRequest, pk: int) -> Any:
    return uploads.download(selectors.photo_get(request.user, pk), inline_photo=True)


# --- the resident work team on the phone -------------------------------------------------------


def _posting(member: Member, pk: int) -> Resident:
    r = Resident.objects.select_related("village", "member").filter(pk=pk, member=member).first()
    if r is None:
        raise NotVisible()
    return r


@member_required
@require_http_methods(["GET", "POST"])
def my_view(request: AuthedRequest) -> HttpResponse:
    """驻村工作 on the phone: today's presence (on site or away with the reason), household visits
    and matters handled, this month's days."""
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    postings = selectors.postings_of(member, today)
    current = next((r for r in postings if r.on_post(today)), None)
    which = request.POST.get("form", "")
    raw = request.POST.get("posting", "")
    r = _posting(member, int(raw)) if raw.isdecimal() and len(raw) < 12 else current
    pform = PresenceForm(
        request.POST if which == "presence" else None, initial={"day": today, "on_site": "1"}
    )
    vform = VisitForm(request.POST if which == "visit" else None, initial={"visited_on": today})
    mform = MatterForm(request.POST if which == "matter" else None, initial={"done_on": today})
    if request.method == "POST":
        if r is None:
            messages.error(request, "您目前没有驻村任务")
            return redirect("villages:my")
        actions = {
            "presence": services.presence_log,
            "visit": services.visit_log,
            "matter": services.matter_log,
        }
        if which not in actions:
            raise Http404
        form = {"presence": pform, "visit": vform, "matter": mform}[which]
        message = {"presence": "已登记在岗情况。", "visit": "已登记入户走访。"}.get(
            which, "已登记为民办事。"
        )
        service = actions[which]
        resp = submit(
            request,
            form,
            lambda d: service(actor=request.user, resident=r, **d),  # type: ignore[operator]
            done=_then(request, message, "villages:my"),
        )
        if resp:
            return resp
    month = None
    if current is not None:
        days = current.days.filter(day__gte=today.replace(day=1))
        month = {
            "on_site": days.filter(on_site=True).count(),
            "away": days.filter(on_site=False).count(),
            "today": days.filter(day=today).first(),
            "visits": current.visits.filter(visited_on__gte=today.replace(day=1)).count(),
            "need": int(rule_params("VIL-01").get("min_days", 15)),
        }
    return render(
        request,
        "villages/my.html",
        {
            "postings": postings,
            "current": current,
            "month": month,
            "pform": pform,
            "vform": vform,
            "mform": mform,
            "open": which,
            "visits": current.visits.order_by("-visited_on", "-id")[:5] if current else [],
            "matters": current.matters.order_by("-done_on", "-id")[:5] if current else [],
        },
        status=400 if request.method == "POST" else 200,
    )
