"""Reads of 督查督办, scoped to the user: tasks issued, assignments received, one task's view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import QuerySet

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible

from .models import OPEN_STATUSES, Assignment, AssignmentStatus, Attachment, Task


def tasks_issued(user: Any) -> QuerySet[Task]:
    """Tasks issued from organizations the user supervises."""
    return (
        policy.scope_filter(Task.objects.all(), user, "supervise", org_field="issuer_org")
        .select_related("issuer_org", "issuer")
        .prefetch_related("assignments__organization")
        .order_by("-id")
    )


def assignments_received(user: Any) -> QuerySet[Assignment]:
    """Assignments to organizations the user works for, open ones first, nearest deadline first."""
    return (
        policy.scope_filter(Assignment.objects.all(), user, "change")
        .select_related("task", "task__issuer_org", "organization")
        .order_by("status", "task__deadline", "-id")
    )


def assignments_list(user: Any, params: Any) -> tuple[str, QuerySet[Assignment]]:
    """The 督办 list: assignments received (to organizations the user works for) or issued (of
    tasks from organizations the user supervises), one row per task and organization, filtered by
    status and the title (the page, its export and print view)."""
    box = "issued" if params.get("box") == "issued" else "received"
    if box == "issued":
        qs = policy.scope_filter(
            Assignment.objects.all(), user, "supervise", org_field="task__issuer_org"
        )
    else:
        qs = policy.scope_filter(Assignment.objects.all(), user, "change")
    status = params.get("status", "")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status in AssignmentStatus.values:
        qs = qs.filter(status=status)
    q = (params.get("q") or "").strip()[:50]
    if q:
        qs = qs.filter(task__title__contains=q)
    qs = qs.select_related("task", "task__issuer_org", "organization")
    return box, qs.order_by("status", "task__deadline", "-id")


def overdue_count(organization: Any, today: date) -> int:
    """Open assignments past their deadline in the organization's subtree."""
    return Assignment.objects.filter(
        organization__path__under=organization.path,
        status__in=OPEN_STATUSES,
        task__deadline__lt=today,
    ).count()


@dataclass
class TaskView:
    """A task as one user may see it: the issuer's side sees every assignment, an assignee its
    own."""

    task: Task
    assignments: list[Assignment]
    issuer_side: bool

    def attachment(self, pk: int) -> Attachment:
        """The issuer's side sees all files; an assignee the task's own and its own replies'."""
        f = self.task.attachments.filter(pk=pk).first()
        mine = {a.pk for a in self.assignments}
        if f is None or not (
            self.issuer_side or f.assignment_id is None or f.assignment_id in mine
        ):
            raise NotVisible("未找到该附件")
        return f

    def assignment(self, pk: int) -> Assignment:
        a = next((x for x in self.assignments if x.pk == pk), None)
        if a is None:
            raise NotVisible("未找到该督办对象")
        return a


def task_view(user: Any, pk: int) -> TaskView:
    task = (
        Task.objects.select_related(
            "issuer_org", "issuer", "finding", "finding__organization", "finding__member"
        )
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise NotVisible("未找到该督办")
    issuer_side = policy.can(user, "supervise", task.issuer_org)
    assignments = [
        a
        for a in task.assignments.select_related("organization").order_by("organization__path")
        if issuer_side or policy.can(user, "view", a.organization)
    ]
    if not issuer_side and not assignments:
        raise NotVisible("未找到该督办")
    return TaskView(task, assignments, issuer_side)


def task_targets(user: Any, issuer_org: Any) -> QuerySet[Any]:
    """The organizations a task from `issuer_org` may go to: up to three levels below it."""
    return (
        policy.visible_to(user, "supervise")
        .filter(path__under=issuer_org.path, is_active=True, depth__lte=issuer_org.depth + 3)
        .exclude(pk=issuer_org.pk)
        .order_by("path")
    )
