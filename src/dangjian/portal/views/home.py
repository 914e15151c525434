"""工作台 and 我的. Home: staff see their scope at a glance; members go to 我的; admins to their
own pages.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from dangjian.accounts import policy
from dangjian.audit.services import audit_record
from dangjian.community import selectors as community_selectors
from dangjian.core import uploads
from dangjian.enterprises import selectors as enterprise_selectors
from dangjian.members import selectors as member_selectors
from dangjian.members import services as member_services
from dangjian.orgs import selectors as org_selectors
from dangjian.villages import selectors as village_selectors
from dangjian.web import todo
from dangjian.web.access import AuthedRequest, member_required, signed_in
from dangjian.web.forms import submit
from dangjian.web.menu import menu_for
from dangjian.web.paging import paginate

from ..forms import CorrectionForm
from ..personal_data import personal_data
from ..selectors import me_facts


@signed_in
def home_view(request: AuthedRequest) -> HttpResponse:
    """工作台: for staff, 待办 — everything they must act on from every module, oldest deadline
    first — beside their scope at a glance; members go to their 首页, admins to their pages."""
    user = request.user
    if policy.is_staff(user):
        today = timezone.localdate()
        todos = todo.staff_todos(user, today)
        todo.remember_count(user, todos.total)
        kind = request.GET.get("kind", "")
        kind = kind if kind in todo.KINDS else ""
        # a city's root has some thousand items: a page of them at a time, the counts above
        page = paginate(request, todos.of_kind(kind))
        roots = list(org_selectors.org_roots(user)[:3])
        cards = []
        for root in roots:
            counts, subs = org_selectors.org_summary(root)
            cards.append({"org": root, "counts": counts, "subs": subs})
        return render(
            request,
            "portal/home.html",
            {
                "todos": todos,
                "page": page,
                "items": page.object_list,
                "kind": kind,
                "today": today,
                "cards": cards,
                "exportable": True,
            },
        )
    if policy.is_admin(user):
        # the three admins: their 待办 (a year's holiday schedule missing…) and their pages
        today = timezone.localdate()
        todos = todo.staff_todos(user, today)
        todo.remember_count(user, todos.total)
        page = paginate(request, todos.items)
        return render(
            request,
            "portal/home.html",
            {
                "todos": todos,
                "page": page,
                "items": page.object_list,
                "exportable": True,
                "kind": "",
                "today": today,
                "cards": [],
                "links": [item for _section, items in menu_for(user) for item in items],
            },
        )
    if policy.is_member_account(user):
        return redirect("portal:member_home")
    return render(request, "portal/no_role.html")


@member_required
def member_home_view(request: AuthedRequest) -> HttpResponse:
    """The member's 首页: what needs them now (the fee to pay, the meeting to attend, study due, a
    transfer waiting for them), their year's study hours and the unread messages."""
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    todos = todo.member_todos(request.user, member, today)
    return render(
        request,
        "portal/member_home.html",
        {"m": member, "todos": todos, "today": today},
    )


@member_required
def me_view(request: AuthedRequest) -> HttpResponse:
    """我的: the member's own record (only their own), phone-first."""
    member = member_selectors.own_member(request.user)
    today = timezone.localdate()
    facts = me_facts(member, today)
    return render(
        request,
        "portal/me.html",
        {
            "m": member,
            "posts": org_selectors.org_posts_held(member, holds=facts.holds_post),
            "neighbourhood": community_selectors.my_year(
                facts.community, facts.services, facts.hours, today.year
            ),
            "postings": village_selectors.postings_of(member, today, posted=facts.posted),
            "instructor": enterprise_selectors.my_instructor(member, holds=facts.instructor),
        },
    )


@member_required
@require_http_methods(["GET", "POST"])
def me_info_view(request: AuthedRequest) -> HttpResponse:
    """个人信息: download all one's own data; ask the branch to correct an item."""
    member = member_selectors.own_member(request.user)
    form = CorrectionForm(request.POST or None)
    response = submit(
        request,
        form,
        lambda d: member_services.correction_request(
            actor=request.user, field=d["field"], value=d["value"], reason=d["reason"]
        ),
        done=lambda c: _corrected(request, c),
    )
    return response or render(
        request,
        "portal/me_info.html",
        {"m": member, "form": form, "corrections": member_selectors.own_corrections(member)},
    )


def _corrected(request: AuthedRequest, c: Any) -> HttpResponse:
    messages.success(request, f"已提交{c.get_field_display()}的更正申请，党支部审核后会通知您。")
    return redirect("portal:me_info")


@member_required
@require_http_methods(["GET"])
def me_data_view(request: AuthedRequest) -> HttpResponse:
    """The member's own data as a JSON file (its download recorded)."""
    member = member_selectors.own_member(request.user)
    data = personal_data(member)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action="members.data_download",
            obj=member,
            data={
                "tables": sorted(data["相关记录"]),
                "rows": sum(map(len, data["相关记录"].values())),
            },
        )
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return uploads.document(body, "application/json", f"个人信息-{member.member_no}.json")
