"""supervision's contributions to other apps' pages (see `web.hooks`): the overdue count on the
dashboard; in 待办, the 督办 to act on or to decide, and the red findings below a committee that no
督办 covers yet."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, Min, OuterRef, Q
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.compliance.engine import REGISTRY
from dangjian.compliance.models import Finding
from dangjian.compliance.packs import rectify_days
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import Scope, Todo, gated

from .models import OPEN_STATUSES, Assignment, AssignmentStatus, Task
from .selectors import overdue_count

RED = ("high", "critical")


@hooks.register("dashboard_cards")
def overdue_tasks(organization: Any, today: date) -> hooks.Card:
    n = overdue_count(organization, today)
    return hooks.Card("逾期督办", n, reverse("supervision:list"), alert=n > 0)


def _assigned(s: Scope) -> Any:
    q = s.under("organization__path")
    return None if q is None else Assignment.objects.filter(q, status__in=OPEN_STATUSES)


@hooks.register("todo")
@gated(_assigned)
def assignments_to_do(user: Any, today: date) -> list[Todo]:
    """督办 assigned to an organization the user works for, not yet replied (or sent back)."""
    q = policy.path_q(user, "change", "organization__path")
    if q is None:
        return []
    rows = (
        Assignment.objects.filter(q, status__in=OPEN_STATUSES)
        .select_related("task", "organization")
        .order_by("task__deadline")[:200]
    )
    return [
        Todo(
            kind="supervision",
            title=(
                "重新办理督办（已退回）："
                if a.status == AssignmentStatus.RETURNED
                else "办理督办："
            )
            + a.task.title,
            url=id_url("supervision:detail", a.task_id),
            organization=a.organization.name,
            deadline=a.task.deadline,
            detail=a.decision_reason if a.status == AssignmentStatus.RETURNED else "",
            action="回复办理情况",
            urgent=True,
        )
        for a in rows
    ]


def _replies(s: Scope) -> Any:
    q = s.under("task__issuer_org__path", "supervise")
    return None if q is None else Assignment.objects.filter(q, status=AssignmentStatus.REPLIED)


@hooks.register("todo")
@gated(_replies)
def replies_to_decide(user: Any, today: date) -> list[Todo]:
    """Tasks issued from organizations the user supervises with replies waiting to be accepted."""
    q = policy.path_q(user, "supervise", "issuer_org__path")
    if q is None:
        return []
    rows = (
        Task.objects.filter(q)
        .annotate(
            replied=Count("assignments", filter=Q(assignments__status=AssignmentStatus.REPLIED))
        )
        .filter(replied__gt=0)
        .select_related("issuer_org")
        .order_by("deadline")[:200]
    )
    return [
        Todo(
            kind="supervision",
            title=f"审核督办回复：{t.title}",
            url=id_url("supervision:detail", t.pk),
            organization=t.issuer_org.name,
            deadline=t.deadline,
            count=t.replied,
            action="审核",
        )
        for t in rows
    ]


# not gated: its read uses the partial index of open red findings, which a prepared statement
# (the severities as parameters) cannot; with no red finding the gate would read every open
# finding of the subtree, where the read itself reads none
@hooks.register("todo")
def red_findings_to_supervise(user: Any, today: date) -> list[Todo]:
    """Red findings in the subtrees the user supervises, below the organizations of their grants
    (those reach them as their own findings) and not yet under a 督办: one item per rule."""
    roots = policy.roots(user, "supervise")
    if not roots:
        return []
    below = Q()
    for root in roots:
        below |= Q(organization__path__under=root) & ~Q(organization__path=root)
    covered = Task.objects.filter(finding=OuterRef("pk"))
    rows = (
        Finding.objects.filter(below, closed_on__isnull=True, severity__in=RED)
        .exclude(Exists(covered))
        .values("rule_id")
        .annotate(n=Count("id"), orgs=Count("organization", distinct=True), first=Min("opened_on"))
        .order_by()
    )
    items = []
    for r in rows:
        rule = REGISTRY.get(r["rule_id"])
        items.append(
            Todo(
                kind="finding",
                title=f"督促下级整改：{rule.title if rule else r['rule_id']}",
                url=reverse("compliance:dashboard") + f"?rule={r['rule_id']}&severity=red",
                organization=f"{r['orgs']}个下级组织",
                deadline=r["first"] + timedelta(days=rectify_days("high")),
                count=r["n"],
                detail="可从预警下达督办，指定整改期限",
                severity="red",
                action="查看并督办",
            )
        )
    return items
