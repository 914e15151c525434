"""Findings of the monitoring rules, per-deployment rule settings, and scan runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Finding(models.Model):
    """One irregularity: (rule, subject, period). Opened by a scan, closed when it clears; never
    deleted, so the history of an organization's irregularities stays readable."""

    rule_id = models.CharField("规则", max_length=20)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="findings"
    )
    member = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    # a person who is not (yet) a member, e.g. someone in the recruitment pipeline: their number
    person = models.CharField("人员编号", max_length=32, blank=True, default="")
    period = models.CharField("期间", max_length=10, blank=True)
    subject_key = models.CharField(max_length=60)
    severity = models.CharField("等级", max_length=10)
    category = models.CharField("类别", max_length=20)
    message = models.TextField("说明")
    details = models.JSONField(default=dict)
    opened_on = models.DateField("发现日期")
    last_seen_on = models.DateField("最近确认")
    closed_on = models.DateField("消除日期", null=True, blank=True)

    class Meta:
        verbose_name = "预警"
        verbose_name_plural = "预警"
        constraints = [
            models.UniqueConstraint(
                fields=["rule_id", "subject_key"],
                condition=models.Q(closed_on__isnull=True),
                name="compliance_finding_one_open_per_subject",
                violation_error_message="同一规则、对象和期间只能有一条未消除的预警",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "closed_on"], name="compliance_finding_org_open"),
            models.Index(fields=["rule_id", "closed_on"], name="compliance_finding_rule_open"),
            # the open red findings (a superior's 待办 counts them per rule)
            models.Index(
                fields=["rule_id", "organization"],
                condition=models.Q(closed_on__isnull=True, severity__in=["high", "critical"]),
                name="compliance_finding_open_red",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.subject_key}"


class RuleSetting(models.Model):
    """A deployment's override of a rule: parameters and on/off, with the reason (audited)."""

    rule_id = models.CharField("规则", max_length=20, unique=True)
    enabled = models.BooleanField("启用", default=True)
    params = models.JSONField("参数", default=dict)
    reason = models.CharField("原因", max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "规则设置"
        verbose_name_plural = "规则设置"

    def __str__(self) -> str:
        return self.rule_id


class ScanRun(models.Model):
    """One scan: when, as of which date, over which subtree, and what it changed."""

    STATUS = [("running", "进行中"), ("done", "完成"), ("failed", "失败")]
    as_of = models.DateField("检查日期")
    scope = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=STATUS, default="running")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    counts = models.JSONField(default=dict)
    log = models.TextField(blank=True)

    class Meta:
        verbose_name = "检查任务"
        verbose_name_plural = "检查任务"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"scan {self.as_of} ({self.status})"


class OrgStatus(models.Model):
    """The stored roll-up of open findings for an organization's whole subtree (after each scan).

    Page views read this; they never aggregate findings or members. `colour`: red when any
    high or critical finding is open in the subtree, yellow for warn, green otherwise.
    """

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="status"
    )
    colour = models.CharField("颜色", max_length=6, default="green")
    counts = models.JSONField(
        "分类计数", default=dict
    )  # {"severity": {...}, "category": {...}, "own": n, "total": n}
    updated_on = models.DateField("更新日期")

    class Meta:
        verbose_name = "组织预警状态"
        verbose_name_plural = "组织预警状态"

    def __str__(self) -> str:
        return f"{self.organization_id} {self.colour}"


class FollowQueue(models.Model):
    """Organizations waiting to have their findings re-evaluated (writes in bulk: an import, the
    monthly ledger). One row per organization subtree, coalesced; the worker drains it."""

    path = models.CharField(max_length=255, unique=True)
    apps = models.JSONField(default=list)
    queued_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "待重新检查"
        verbose_name_plural = "待重新检查"

    def __str__(self) -> str:
        return self.path
