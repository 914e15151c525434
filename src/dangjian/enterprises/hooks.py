"""非公党建's contributions to 待办: for committee staff, the instructors' follow-ups past their due
date and the members found in the relationship check handed to their branch (or park); for an
instructor on the phone, the follow-ups due and the assigned enterprises not yet visited this
quarter."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from dangjian.core.dates import add_months
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from . import selectors
from .models import Assignment, Enterprise, FollowUp, InstructorVisit, JointEvent, RelationCase
from .rules import quarter_start

LIMIT = 50


def _followups_and_cases(s: Scope) -> Any:
    # selectors.overdue_followups and selectors.open_cases over the scope
    followups = s.under("visit__instructor__organization__path")
    cases = s.under("handler__path")
    if followups is None or cases is None:
        return None
    return [
        FollowUp.objects.filter(followups, done_on__isnull=True, due_on__lt=s.today),
        RelationCase.objects.filter(cases, closed_on__isnull=True),
    ]


@hooks.register("todo")
@gated(_followups_and_cases)
def enterprises_work(user: Any, today: date) -> list[Todo]:
    out = [
        Todo(
            kind="enterprises",
            title=f"督促办理逾期跟进事项：{f.text}",
            url=id_url("enterprises:instructor", f.visit.instructor_id),
            organization=f.visit.enterprise.unit.name,
            deadline=f.due_on,
            detail=f"党建指导员{f.visit.instructor.name}，{f.visit.visited_on:%Y年%-m月%-d日}走访提出",
            action="查看",
        )
        for f in selectors.overdue_followups(user, today)
        .select_related("visit__instructor", "visit__enterprise__unit")
        .order_by("due_on", "pk")[:LIMIT]
    ]
    out += [
        Todo(
            kind="enterprises",
            title=f"组织关系排查：{c.name}（{c.get_finding_display()}）",
            url=id_url("enterprises:case", c.pk),
            organization=c.handler.name,
            deadline=c.visit.visited_on + timedelta(days=30),
            detail=f"在{c.visit.enterprise.unit.name}工作",
            action="去办理",
        )
        for c in selectors.open_cases(user)
        .select_related("handler", "visit__enterprise__unit")
        .order_by("pk")[:LIMIT]
    ]
    return out


def _instructor_gate(s: MemberScope) -> Any:
    return selectors.instructor_now(s.member_id)


@hooks.register("member_todo")
@member_gated(_instructor_gate)
def my_instructor_work(user: Any, member: Any, today: date) -> list[Todo]:
    ins = selectors.my_instructor(member)  # most members: one read compiled once
    if ins is None:
        return []
    url = reverse("enterprises:my")
    items = [
        Todo(
            kind="enterprises",
            title=f"办理跟进事项：{f.text}",
            url=url,
            organization=f.visit.enterprise.unit.name,
            deadline=f.due_on,
            action="去办理",
        )
        for f in FollowUp.objects.filter(visit__instructor=ins, done_on__isnull=True)
        .select_related("visit__enterprise__unit")
        .order_by("due_on")[:LIMIT]
    ]
    first = quarter_start(today)
    last = add_months(first, 3) - timedelta(days=1)
    visited = InstructorVisit.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), instructor=ins, visited_on__gte=first
    )
    pending = (
        Assignment.objects.filter(instructor=ins, until__isnull=True)
        .filter(~Exists(visited))
        .count()
    )
    if pending:
        items.append(
            Todo(
                kind="enterprises",
                title="走访联系企业（本季度未走访）",
                url=url,
                count=pending,
                deadline=last,
                action="去登记",
            )
        )
    return items


@hooks.register("org_facts")
def organization_facts(org: Any, user: Any) -> list[tuple[str, str, str]]:
    """On an organization's page: the enterprise it is set up in, its own brands and honours, its
    joint meetings and activities of the last year."""
    out: list[tuple[str, str, str]] = []
    unit = (
        Enterprise.objects.filter(unit__organization=org).select_related("unit").first()
        if org.kind != "group"
        else None
    )
    if unit is not None:
        label = "联合党支部覆盖" if org.is_joint else "所在单位"
        out.append((label, unit.unit.name, reverse("enterprises:enterprise", args=[unit.pk])))
    showcase = reverse("enterprises:showcase", args=[org.pk])
    brands = list(org.brands.values_list("name", flat=True)[:5])
    if brands:
        out.append(("党建品牌", "、".join(f"“{b}”" for b in brands), showcase))
    honours = list(org.honours.values_list("title", "year")[:3])
    if honours:
        out.append(("荣誉", "；".join(f"{t}（{y}）" for t, y in honours), showcase))
    since = add_months(timezone.localdate(), -12)
    joint = (
        JointEvent.objects.filter(participants=org, held_on__gte=since)
        .order_by("-held_on")
        .values_list("title", flat=True)
    )
    titles = list(joint[:3])
    if titles:
        out.append(("五联活动", "；".join(titles), reverse("enterprises:joint", args=[org.pk])))
    return out
