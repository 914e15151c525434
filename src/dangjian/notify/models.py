"""Reminders: one per (finding, person), shown in the person's inbox until the finding closes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Reminder(models.Model):
    """A finding brought to one person who must act on it (level 0), or to the next level up (1)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders")
    finding = models.ForeignKey("compliance.Finding", on_delete=models.CASCADE, related_name="reminders")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField("层级", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "提醒"
        verbose_name_plural = "提醒"
        constraints = [
            models.UniqueConstraint(fields=["finding", "user"], name="notify_reminder_one_per_person",
                                    violation_error_message="同一预警对同一人只提醒一次"),
        ]
        indexes = [models.Index(fields=["user", "closed_on", "read_at"], name="notify_reminder_inbox")]

    def __str__(self) -> str:
        return f"{self.user_id} ← {self.finding_id}"
