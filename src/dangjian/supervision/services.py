"""Supervision writes: create, reply, accept, send back. Each one transaction, audited."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.accounts.models import User
from dangjian.accounts.types import Actor
from dangjian.audit.services import audit_record
from dangjian.core import uploads
from dangjian.core.errors import DomainError, NotVisible
from dangjian.notify.services import handover_notice

from .models import Assignment, AssignmentStatus, Attachment, Task

# Allowed transitions of an assignment.
TRANSITIONS = {
    "reply": {AssignmentStatus.PENDING, AssignmentStatus.RETURNED},
    "accept": {AssignmentStatus.REPLIED},
    "return": {AssignmentStatus.REPLIED},
}


@transaction.atomic(durable=True)
def task_create(
    *,
    actor: User,
    issuer_org: Any,
    title: str,
    body: str,
    deadline: date,
    organizations: list[Any],
    finding: Any = None,
    files: list[Any] | None = None,
) -> Task:
    """Assign a task to organizations inside the issuer's subtree (or straight from a finding), with
    attachments (validated; all or nothing)."""
    if not policy.can(actor, "supervise", issuer_org):
        raise NotVisible()
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise DomainError("required", "请填写督办事项", field="title")
    if len(title) > 100:
        raise DomainError("too_long", "督办事项不能超过100个字", field="title")
    if not body:
        raise DomainError("required", "请填写具体要求", field="body")
    if deadline is None or deadline < timezone.localdate():
        raise DomainError("bad_date", "办结期限不能早于今天", field="deadline")
    if not organizations:
        raise DomainError("required", "请选择督办对象", field="organizations")
    for org in organizations:
        if (
            not org.path.startswith(issuer_org.path)
            or org.pk == issuer_org.pk
            or not policy.can(actor, "supervise", org)
        ):
            raise DomainError("scope", f"“{org.name}”不是本组织的下级组织", field="organizations")
    stored = uploads.store(files or [])
    try:
        task = Task.objects.create(
            title=title,
            body=body,
            deadline=deadline,
            issuer=actor,
            issuer_org=issuer_org,
            finding=finding,
        )
        Assignment.objects.bulk_create(
            [Assignment(task=task, organization=o) for o in organizations]
        )
        _attach(task, None, stored, actor)
        url = reverse("supervision:detail", args=[task.pk])
        for org in organizations:
            handover_notice(
                organization=org,
                title=f"新的督办：{title}"[:100],
                body=f"{issuer_org.name}下达督办，请于{deadline:%Y年%m月%d日}前办结并回复。{body}",
                url=url,
                key=f"task:{task.pk}:{org.pk}",
            )
        audit_record(
            actor=actor,
            action="supervision.task_create",
            obj=task,
            organization=issuer_org,
            data={
                "deadline": deadline.isoformat(),
                "organizations": [o.code for o in organizations],
                "finding": finding.pk if finding else None,
                "files": [f.sha256 for f in stored],
            },
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return task


def _attach(
    task: Task, assignment: Assignment | None, stored: list[uploads.StoredFile], actor: Actor
) -> None:
    uploads.records(Attachment, stored, actor, task=task, assignment=assignment)


def _lock(assignment: Assignment) -> Assignment:
    return (
        Assignment.objects.select_for_update()
        .select_related("task", "task__issuer_org", "organization")
        .get(pk=assignment.pk)
    )


@transaction.atomic(durable=True)
def assignment_reply(
    *, actor: Actor, assignment: Assignment, reply: str, files: list[Any] | None = None
) -> Assignment:
    """The assignee answers with text and files (validated; all or nothing)."""
    a = _lock(assignment)
    if not policy.can(actor, "change", a.organization):
        raise NotVisible()
    if a.status not in TRANSITIONS["reply"]:
        raise DomainError("status", f"当前状态“{a.get_status_display()}”不能回复")
    reply = (reply or "").strip()
    if not reply:
        raise DomainError("required", "请填写办理情况", field="reply")
    stored = uploads.store(files or [])
    try:
        a.status, a.reply, a.replied_at, a.replied_by = (
            AssignmentStatus.REPLIED,
            reply[:5000],
            timezone.now(),
            actor,
        )
        a.save(update_fields=["status", "reply", "replied_at", "replied_by"])
        _attach(a.task, a, stored, actor)
        issuer_side = policy.responsible_for("supervise", a.task.issuer_org) | User.objects.filter(
            pk=a.task.issuer_id, is_active=True
        )
        handover_notice(
            users=issuer_side,
            organization=a.task.issuer_org,
            title=f"督办已回复：{a.organization.name}"[:100],
            body=f"“{a.task.title}”：{reply[:200]}，请审核办结或退回。",
            url=reverse("supervision:detail", args=[a.task_id]),
            key=f"task:{a.task_id}:reply:{a.pk}:{a.replied_at:%Y%m%d%H%M%S%f}",
        )
        audit_record(
            actor=actor,
            action="supervision.reply",
            obj=a,
            organization=a.organization,
            data={"task": a.task_id, "files": [f.sha256 for f in stored]},
        )
    except BaseException:
        uploads.discard(stored)
        raise
    return a


@transaction.atomic(durable=True)
def assignment_decide(
    *, actor: Actor, assignment: Assignment, accept: bool, reason: str = ""
) -> Assignment:
    """The issuer's side accepts a reply (办结) or sends it back with a reason (退回)."""
    a = _lock(assignment)
    if not policy.can(actor, "supervise", a.task.issuer_org):
        raise NotVisible()
    if a.status not in TRANSITIONS["accept" if accept else "return"]:
        raise DomainError(
            "status", f"当前状态“{a.get_status_display()}”不能{'审核通过' if accept else '退回'}"
        )
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("required", "退回时请说明原因", field="reason")
    a.status = AssignmentStatus.ACCEPTED if accept else AssignmentStatus.RETURNED
    a.decision_reason, a.decided_at = reason[:300], timezone.now()
    a.save(update_fields=["status", "decision_reason", "decided_at"])
    handover_notice(
        organization=a.organization,
        title=(f"督办已办结：{a.task.title}" if accept else f"督办被退回：{a.task.title}")[:100],
        body="上级已审核通过。" if accept else f"退回原因：{reason}。请补充办理后重新回复。",
        url=reverse("supervision:detail", args=[a.task_id]),
        key=f"task:{a.task_id}:decide:{a.pk}:{a.decided_at:%Y%m%d%H%M%S%f}",
    )
    audit_record(
        actor=actor,
        action="supervision.accept" if accept else "supervision.return",
        obj=a,
        organization=a.organization,
        data={"task": a.task_id, "reason": reason},
    )
    return a
