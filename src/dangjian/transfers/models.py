"""Transfers of organizational relationship (组织关系转接, rules.md §5): one row per introduction letter.

This first part keeps the letters (from the bundle's transfers.csv) and watches them (TRF-02/03);
the workflow, the three-part letter and the signed exchange between deployments build on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TransferStatus(models.TextChoices):
    OPEN = "open", "转接中"
    ACCEPTED = "accepted", "已接收"
    REJECTED = "rejected", "已退回"
    CANCELLED = "cancelled", "已撤销"
    EXPIRED = "expired", "已过期"


class Stage(models.TextChoices):
    STARTED = "started", "已申请，待转出党委审批"
    ISSUED = "issued", "已开具介绍信"
    RECEIVING_APPROVED = "receiving", "转入党委已同意，待支部接收"


OPEN_STATUSES = (TransferStatus.OPEN,)


class Transfer(models.Model):
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="transfers")
    from_org = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="transfers_out")
    # inside the deployment: the receiving branch; leaving it: empty, with the receiving organization's name
    to_org = models.ForeignKey("orgs.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="transfers_in")
    to_name = models.CharField("接收组织名称", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=TransferStatus.choices, default=TransferStatus.OPEN)
    stage = models.CharField("进度", max_length=10, choices=Stage.choices, default=Stage.ISSUED)
    reason = models.CharField("转接原因", max_length=200, blank=True)
    started_on = models.DateField("申请日期", null=True, blank=True)
    issued_on = models.DateField("介绍信开具日期", null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField("有效期（天）", default=90)
    letter_no = models.CharField("介绍信编号", max_length=30, blank=True)
    fee_paid_through = models.CharField("党费交至", max_length=7, blank=True)
    receiving_approved_on = models.DateField("转入党委同意日期", null=True, blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    closed_reason = models.CharField("退回或撤销原因", max_length=200, blank=True)
    accepted_on = models.DateField("接收（回执）日期", null=True, blank=True)
    source = models.CharField("来源", max_length=10, default="web")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "组织关系转接"
        verbose_name_plural = "组织关系转接"
        ordering = ["-issued_on", "-id"]
        constraints = [
            # a member is in transit at most once: the second open letter is refused by the database too
            models.UniqueConstraint(fields=["member"], condition=models.Q(status="open"), name="transfers_one_open_per_member",
                                    violation_error_message="该党员已有正在办理的组织关系转接"),
            models.CheckConstraint(condition=models.Q(valid_days__gte=1, valid_days__lte=180), name="transfers_validity_range",
                                   violation_error_message="介绍信有效期为1至180天"),
        ]
        indexes = [models.Index(fields=["status", "issued_on"], name="transfers_open_issued")]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_org_id} → {self.to_org_id or self.to_name}"
