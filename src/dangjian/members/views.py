"""Member pages: roster list, member page with history, forms, state changes, unmask,
import/export."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.core.errors import DomainError, NotVisible
from dangjian.orgs import selectors as org_selectors
from dangjian.web import hooks
from dangjian.web.access import AuthedRequest, staff_required
from dangjian.web.forms import perform, split_numbers, submit
from dangjian.web.paging import paginate, query_values

from . import selectors, services
from .constants import ETHNICITY_CHOICES, Education, FeeCategory, Gender, MemberStatus
from .forms import MemberForm, StatusForm
from .validation import fen_to_yuan


def _filter_org(request: AuthedRequest):  # type: ignore[no-untyped-def]
    return selectors.org_param(request.user, request.GET)


def _done(request: AuthedRequest, message: str, pk: int) -> HttpResponse:
    messages.success(request, message)
    return redirect("members:detail", pk)


@staff_required("view")
def list_view(request: AuthedRequest) -> HttpResponse:
    """花名册: every filter in the URL (kept across pages, exported and printed as shown)."""
    org = _filter_org(request)
    f = selectors.RosterFilters.from_params(request.GET)
    qs = selectors.roster(request.user, org, f)
    known = None if f.narrowing else selectors.member_count_on_roll(request.user, org)
    page = paginate(request, qs, count=known)
    ctx = {
        "page": page,
        "org": org,
        "statuses": MemberStatus.choices,
        "fee_categories": FeeCategory.choices,
        "genders": Gender.choices,
        "educations": Education.choices,
        "ethnicities": ETHNICITY_CHOICES,
        "filters": query_values(request),
        "more_filters": any(
            request.GET.get(k)
            for k in ("gender", "age_min", "age_max", "education", "ethnicity", "joined_from")
        )
        or bool(request.GET.get("joined_to")),
        "can_change": policy.path_q(request.user, "change") is not None,
        "filtered": f.narrowing or org is not None,
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
        "corrections": selectors.member_corrections(member),
        # what other apps know of the member (the community app: where they live)
        "facts": [f for fn in hooks.get_hooks("member_facts") for f in fn(member, request.user)],
    }
    return render(request, "members/member_detail.html", ctx)


@staff_required("change")
@require_POST
def correction_decide_view(request: AuthedRequest, pk: int, correction_pk: int) -> HttpResponse:
    """The branch's answer to a member's correction request."""
    member = selectors.member_get(request.user, pk, "change")
    correction = selectors.correction_get(member, correction_pk)
    approve = request.POST.get("approve") == "1"
    return perform(
        request,
        lambda: services.correction_decide(
            actor=request.user,
            correction=correction,
            approve=approve,
            note=request.POST.get("note", ""),
        ),
        success="已按申请更正，并通知本人。" if approve else "已告知本人不予更正的理由。",
        to="members:detail",
        args=(member.pk,),
    )


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
    unmask = policy.can_unmask(request.user, member.organization)
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
    kept: dict[str, tuple[str, str]] = {}
    if not unmask:  # shown masked; sent back unchanged, the stored value is kept
        del initial["id_number"], initial["phone"]
        kept = {
            "id_number": (member.id_number_masked, member.id_number()),
            "phone": (member.phone_masked, member.phone() if member.phone_encrypted else ""),
        }
    form = MemberForm(request.POST or None, initial=initial, editing=True, kept=kept)
    if request.method == "GET" and unmask:
        # The edit form shows the full ID number and phone to one who may unmask: an audited read.
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="members.unmask",
                obj=member,
                data={"via": "edit_form", "fields": ["id_number", "phone"]},
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
