"""Supervision tasks (督办): a superior assigns a task to chosen organizations with a deadline;
each answers; the superior accepts the answer or sends it back with a reason."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import StoredFileRecord


class Task(models.Model):
    title = models.CharField("督办事项", max_length=100)
    body = models.TextField("要求")
    deadline = models.DateField("办结期限")
    issuer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="issued_tasks"
    )
    issuer_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="issued_tasks"
    )
    finding = models.ForeignKey(
        "compliance.Finding", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "督办任务"
        verbose_name_plural = "督办任务"
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.title


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", "待办理"
    REPLIED = "replied", "已回复待审核"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已办结"


# the organization still has to act (not yet replied, or sent back)
OPEN_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.RETURNED)


class Assignment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="assignments"
    )
    status = models.CharField(
        "状态", max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    reply = models.TextField("办理情况", blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.CharField("退回原因", max_length=300, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "督办对象"
        verbose_name_plural = "督办对象"
        constraints = [
            models.UniqueConstraint(
                fields=["task", "organization"],
                name="supervision_assignment_unique",
                violation_error_message="同一任务不能重复交办给同一组织",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="supervision_assignment_org")
        ]

    def __str__(self) -> str:
        return f"{self.task_id} → {self.organization_id}"


class Attachment(StoredFileRecord):
    """A file attached to a task (by the issuer) or to an assignment's reply (by the assignee).

    Stored outside the web root under a random name (core.uploads); served only through the
    attachment view, to those who may see the task or the assignment, as a download.
    """

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="attachments")
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["id"]
