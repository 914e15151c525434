"""Member pages: roster list, member page with history, forms, state changes, unmask,
import/export."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.core.spreadsheet import escape_cell
from dangjian.orgs import selectors as org_selectors
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import split_numbers, submit
from dangjian.web.paging import paginate

from . import selectors, services
from .constants import FeeCategory, MemberStatus
from .forms import MemberForm, StatusForm
from .validation import fen_to_yuan


def _filter_org(request: AuthedRequest):  # type: ignore[no-untyped-def]
    raw = request.GET.get("org", "")
    if raw.isdigit():
        return org_selectors.org_get(request.user, int(raw))
    return None


def _done(request: AuthedRequest, message: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("members:detail", pk)


@staff_required("view")
def list_view(request: AuthedRequest) -> HttpResponse:
    org = _filter_org(request)
    qs = selectors.member_search(
        request.user,
        organization=org,
        status=request.GET.get("status", ""),
        fee_category=request.GET.get("fee_category", ""),
        q=request.GET.get("q", ""),
        sort=request.GET.get("sort", "member_no"),
        include_exited=request.GET.get("exited") == "1",
    )
    unfiltered = not any(request.GET.get(k) for k in ("q", "status", "fee_category", "exited"))
    known = selectors.member_count_on_roll(request.user, org) if unfiltered else None
    page = paginate(request, qs, count=known)
    ctx = {
        "page": page,
        "org": org,
        "statuses": MemberStatus.choices,
        "fee_categories": FeeCategory.choices,
        "filters": request.GET,
        "can_change": policy.path_q(request.user, "change") is not None,
        "filtered": any(
            request.GET.get(k) for k in ("q", "status", "fee_category", "org", "exited")
        ),
    }
    template = (
        "members/partials/member_table.html"
        if request.htmx and not request.htmx.boosted  # type: ignore[attr-defined]
        else "members/member_list.html"
    )  # type: ignore[attr-defined]
    return render(request, template, ctx)


@staff_required("view")
def lookup_view(request: AuthedRequest) -> JsonResponse:
    """Member picker (web.widgets): the start of a name or of its pinyin initials, or a member
    number, within an organization's subtree the user can see (or their whole scope); `?value=`
    gives the labels of numbers already chosen."""
    org = _filter_org(request)
    if "value" in request.GET:
        nos = [v for v in split_numbers(request.GET["value"]) if v][:500]
        qs = selectors.member_search(request.user, organization=org, status="").filter(
            member_no__in=nos
        )
        rows = list(qs.values("member_no", "name", "organization__name")[:500])
    else:
        qs = selectors.member_search(
            request.user, organization=org, q=request.GET.get("q", "")[:30], status=""
        )
        rows = list(qs.values("member_no", "name", "organization__name")[:20])
    return JsonResponse(
        {
            "results": [
                {
                    "value": r["member_no"],
                    "label": f"{r['name']}（{r['member_no']}）",
                    "hint": r["organization__name"],
                }
                for r in rows
            ]
        }
    )


@staff_required("view")
def detail_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    selectors.member_log_view(request.user, member)
    ctx = {
        "m": member,
        "events": selectors.member_events(member)[:50],
        "posts": member.posts.select_related("organization").order_by("-started_on", "-id"),
        "ancestors": org_selectors.org_ancestors(member.organization, request.user)
        + [member.organization],
        "can_change": policy.can(request.user, "change", member.organization)
        and not selectors.is_exited(member),
        "can_unmask": policy.can_unmask(request.user, member.organization),
    }
    return render(request, "members/member_detail.html", ctx)


@staff_required("view")
@require_POST
def unmask_view(request: AuthedRequest, pk: int, field: str) -> HttpResponse:
    member = selectors.member_get(request.user, pk)
    try:
        value = selectors.member_unmask(request.user, member, field)
    except DomainError as exc:
        return JsonResponse({"detail": exc.message}, status=403)
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponse(f'<span class="masked">{value}</span>')
    return JsonResponse({"field": field, "value": value})


@staff_required("change")
@require_http_methods(["GET", "POST"])
def create_view(request: AuthedRequest) -> HttpResponse:
    """新增党员: from an organization's page (its branch known) or from the roster (the branch
    chosen with the picker)."""
    org = _filter_org(request)
    if org is not None and not policy.can(request.user, "change", org):
        raise NotVisible()
    form = MemberForm(
        request.POST or None,
        initial={"fee_category": FeeCategory.EMPLOYED, "status": MemberStatus.PROBATIONARY},
        pick_org=org is None,
    )

    def create(d: dict) -> Any:
        where = org or org_selectors.org_by_code(request.user, d["organization"], "change")
        return services.member_create(
            actor=request.user, organization=where, member_no=d["member_no"], data=form.to_data()
        )

    response = submit(
        request,
        form,
        create,
        done=lambda m: _done(request, f"已新增党员{m.name}（党员编号{m.member_no}）。", m.pk),
        field_map={
            "fee_base_fen": "fee_base",
            "organization": "organization" if org is None else "",
        },
    )
    return response or render(
        request,
        "members/member_form.html",
        {
            "form": form,
            "org": org,
            "title": f"新增党员 · {org.name}" if org else "新增党员",
            "ancestors": org_selectors.org_ancestors(org, request.user) + [org] if org else [],
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def edit_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk, "change")
    initial = {
        "member_no": member.member_no,
        "name": member.name,
        "gender": member.gender,
        "birth_date": member.birth_date,
        "id_number": member.id_number(),
        "phone": member.phone(),
        "ethnicity": member.ethnicity,
        "education": member.education,
        "occupation": member.occupation,
        "work_unit": member.work_unit,
        "status": member.status,
        "joined_on": member.joined_on,
        "full_on": member.full_on,
        "fee_category": member.fee_category,
        "fee_base": fen_to_yuan(member.fee_base_fen),
    }
    form = MemberForm(request.POST or None, initial=initial, editing=True)
    if request.method == "GET":
        # The edit form shows the full ID number and phone: that is a read of personal data.
        with transaction.atomic():
            audit_record(
                actor=request.user, action="members.view", obj=member, data={"via": "edit_form"}
            )
    response = submit(
        request,
        form,
        lambda d: services.member_update(actor=request.user, member=member, data=form.to_data()),
        done=lambda m: _done(request, "已保存。", m.pk),
        field_map={"fee_base_fen": "fee_base"},
    )
    return response or render(
        request,
        "members/member_form.html",
        {
            "form": form,
            "member": member,
            "title": f"修改党员信息 · {member.name}",
            "ancestors": org_selectors.org_ancestors(member.organization, request.user)
            + [member.organization],
        },
    )


@staff_required("change")
@require_http_methods(["GET", "POST"])
def status_view(request: AuthedRequest, pk: int) -> HttpResponse:
    member = selectors.member_get(request.user, pk, "change")
    form = StatusForm(request.POST or None, initial={"on": timezone.localdate()})
    response = submit(
        request,
        form,
        lambda d: services.member_change_status(actor=request.user, member=member, **d),
        done=lambda m: _done(request, "已记录党籍状态变更。", m.pk),
    )
    return response or render(
        request,
        "members/member_form.html",
        {
            "form": form,
            "member": member,
            "title": f"党籍状态变更 · {member.name}",
            "danger": True,
            "ancestors": org_selectors.org_ancestors(member.organization, request.user)
            + [member.organization],
        },
    )


EXPORT_COLUMNS = [
    "党员编号",
    "姓名",
    "性别",
    "出生日期",
    "身份证号",
    "手机号",
    "所在组织",
    "党籍状态",
    "入党日期",
    "转正日期",
    "党费类别",
    "党费基数",
]


@staff_required("view")
def export_view(request: AuthedRequest) -> HttpResponse:
    """The current filtered list as .xlsx (or .csv); masked unless the viewer may unmask."""

    org = _filter_org(request)
    qs = selectors.member_search(
        request.user,
        organization=org,
        status=request.GET.get("status", ""),
        fee_category=request.GET.get("fee_category", ""),
        q=request.GET.get("q", ""),
        sort=request.GET.get("sort", "member_no"),
    )[:50000]
    # Full values only where the user may unmask everything exported (one subtree, or all roots).
    scope_orgs = [org] if org is not None else list(org_selectors.org_roots(request.user))
    full = bool(scope_orgs) and all(policy.can_unmask(request.user, o) for o in scope_orgs)
    rows = [
        [
            m.member_no,
            m.name,
            m.gender,
            m.birth_date.isoformat(),
            m.id_number() if full else m.id_number_masked,
            m.phone() if full else m.phone_masked,
            m.organization.name,
            m.get_status_display(),
            m.joined_on.isoformat(),
            m.full_on.isoformat() if m.full_on else "",
            m.get_fee_category_display(),
            fen_to_yuan(m.fee_base_fen),
        ]
        for m in qs
    ]
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="members.export",
            organization=org,
            data={"rows": len(rows), "unmasked": full, "filters": dict(request.GET.items())},
        )
    stamp = timezone.localtime().strftime("%Y%m%d%H%M")
    if request.GET.get("format") == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(EXPORT_COLUMNS)
        w.writerows([[escape_cell(c) for c in r] for r in rows])
        resp = HttpResponse("\ufeff" + buf.getvalue(), content_type="text/csv; charset=utf-8")
        resp["Content-Disposition"] = f'attachment; filename="members-{stamp}.csv"'
        return resp
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "党员花名册"
    ws.append(
        [
            f"范围：{org.name if org else '全部授权范围'}　导出时间："
            f"{timezone.localtime():%Y-%m-%d %H:%M}　导出人："
            f"{request.user}"
        ]
    )
    ws.append(EXPORT_COLUMNS)
    for r in rows:
        ws.append([escape_cell(c) for c in r])
    for cell_row in ws.iter_rows(min_row=3):
        for cell in cell_row:
            cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    resp = HttpResponse(
        out.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    resp["Content-Disposition"] = f'attachment; filename="members-{stamp}.xlsx"'
    return resp
