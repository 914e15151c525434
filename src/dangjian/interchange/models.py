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


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "正在检查并写入"
    DONE = "done", "已导入"
    FAILED = "failed", "未导入"


class ImportJob(models.Model):
    """An upload of many rows checked and written by a worker instead of the web request; the
    file is kept only until the job ends."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_jobs"
    )
    kind = models.CharField("导入", max_length=40)
    title = models.CharField("名称", max_length=100)
    file_name = models.CharField("文件名", max_length=200)
    path = models.CharField(max_length=200, blank=True)  # under MEDIA_ROOT, removed at the end
    sha256 = models.CharField(max_length=64)
    rows = models.PositiveIntegerField("行数（估计）", default=0)
    status = models.CharField(
        "状态", max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    counts = models.JSONField("结果", default=dict)  # created / updated / unchanged
    issues = models.JSONField("问题", default=list)  # [{file,row,column,reason}], at most 1000
    issue_count = models.PositiveIntegerField(default=0)
    error = models.CharField("错误", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "导入任务"
        verbose_name_plural = "导入任务"
        indexes = [models.Index(fields=["user", "-created_at"], name="interchange_import_user")]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_status_display()}）"
