"""Export jobs: an export too long for a request (web.exports.JOB_ROWS) runs in the worker with
its progress stored here; the file is kept for its owner to download for EXPORT_DAYS days."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "正在导出"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class ExportJob(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs"
    )
    name = models.CharField("导出", max_length=40)
    title = models.CharField("名称", max_length=100)
    query = models.TextField("筛选条件", blank=True)  # the list's query string
    status = models.CharField(
        "状态", max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    total = models.PositiveIntegerField("总行数", default=0)
    done_rows = models.PositiveIntegerField("已导出行数", default=0)
    path = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.CharField("错误", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导出任务"
        verbose_name_plural = "导出任务"
        indexes = [models.Index(fields=["user", "-created_at"], name="interchange_export_user")]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(100 * self.done_rows / self.total)) if self.total else 0
