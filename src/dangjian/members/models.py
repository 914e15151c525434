"""Party members: the one record of each member, with encrypted personal data and a dated
history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from dangjian.core import crypto, pinyin

from .constants import (
    ETHNICITY_CHOICES,
    Education,
    FeeCategory,
    Gender,
    MemberEventKind,
    MemberStatus,
    Occupation,
)


class Member(models.Model):
    """A party member, linked to exactly one organization of record at a time.

    The ID number and phone are stored encrypted (AES-GCM) with a keyed blind index for exact
    search and a masked copy for display; the clear values are read only through `id_number()`
    and `phone()`, which callers must audit (see members.selectors.member_unmask).
    """

    member_no = models.CharField("党员编号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50)
    initials = models.CharField("拼音首字母", max_length=50, blank=True, db_default="")
    gender = models.CharField("性别", max_length=2, choices=Gender.choices)
    birth_date = models.DateField("出生日期")
    id_number_encrypted = models.TextField("身份证号（密文）", blank=True)
    # indexed in Meta (an exact lookup; db_index would add a LIKE index on PostgreSQL, never used)
    id_number_index = models.CharField("身份证号索引", max_length=64, blank=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    phone_encrypted = models.TextField("手机号（密文）", blank=True)
    phone_index = models.CharField("手机号索引", max_length=64, blank=True)
    phone_masked = models.CharField("手机号", max_length=20, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所在党组织",
        on_delete=models.PROTECT,
        related_name="members",
        db_index=False,  # members_org_status leads with it
    )
    status = models.CharField("党籍状态", max_length=20, choices=MemberStatus.choices)
    joined_on = models.DateField("入党日期")
    full_on = models.DateField("转正日期", null=True, blank=True)
    left_on = models.DateField("出党日期", null=True, blank=True)
    fee_category = models.CharField("党费类别", max_length=20, choices=FeeCategory.choices)
    fee_base_fen = models.BigIntegerField("党费基数（分）", default=0)
    ethnicity = models.CharField("民族", max_length=10, choices=ETHNICITY_CHOICES, default="汉族")
    education = models.CharField("学历", max_length=30, choices=Education.choices, blank=True)
    occupation = models.CharField("职业类别", max_length=20, choices=Occupation.choices, blank=True)
    work_unit = models.CharField("工作单位", max_length=100, blank=True)
    # The registered unit (企业、社会组织…) the member works in, where it is one: what 非公党建
    # counts as the members employed there (两个覆盖, ENT-01/02).
    employer = models.ForeignKey(
        "orgs.Unit",
        verbose_name="所在单位（已登记）",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employees",
        db_index=False,  # members_employer_status leads with it
    )
    # the number another deployment knew the member by, when they came with its letter and that
    # number is someone else's here (member numbers are unique within one deployment only)
    origin_no = models.CharField("原党员编号（转出地）", max_length=80, blank=True, db_default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        indexes = [
            models.Index(fields=["organization", "status"], name="members_org_status"),
            models.Index(fields=["name"], name="members_name"),
            models.Index(
                fields=["name"], name="members_name_prefix", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["status", "member_no"], name="members_status_no"),
            # 非公党建: the members employed in an enterprise, counted by status
            models.Index(fields=["employer", "status"], name="members_employer_status"),
            models.Index(
                fields=["initials"], name="members_initials", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["id_number_index"], name="members_id_number_index"),
            models.Index(fields=["phone_index"], name="members_phone_index"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(fee_base_fen__gte=0),
                name="members_member_fee_base_nonneg",
                violation_error_message="党费基数不能为负数",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.member_no}）"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The pinyin initials follow the name (the pickers search them)."""
        self.initials = pinyin.initials(self.name)
        fields = kwargs.get("update_fields")
        if fields is not None and "name" in fields:
            kwargs["update_fields"] = {*fields, "initials"}
        super().save(*args, **kwargs)

    def id_number(self) -> str:
        return crypto.decrypt(self.id_number_encrypted)

    def phone(self) -> str:
        return crypto.decrypt(self.phone_encrypted)


class MemberEvent(models.Model):
    """One dated change in a member's record: joined, status change, move, edit."""

    # no index of its own: members_event_member_on leads with it
    member = models.ForeignKey(
        Member, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="member_events"
    )
    kind = models.CharField("类型", max_length=20, choices=MemberEventKind.choices)
    on = models.DateField("日期")
    from_status = models.CharField(max_length=20, choices=MemberStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=MemberStatus.choices, blank=True)
    reason = models.CharField("原因/依据", max_length=300, blank=True)
    data = models.JSONField("变更内容", default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党员变动记录"
        verbose_name_plural = "党员变动记录"
        ordering = ["-on", "-id"]
        indexes = [models.Index(fields=["member", "on"], name="members_event_member_on")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.get_kind_display()} {self.on}"


class NumberSequence(models.Model):
    """The last number given out for one pattern (members.numbering): locked while a number is
    taken, so that two staff adding members at once never get the same one."""

    key = models.CharField(max_length=80, primary_key=True)
    last = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = "编号序列"
        verbose_name_plural = "编号序列"

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class CorrectionStatus(models.TextChoices):
    PENDING = "pending", "待党支部审核"
    APPROVED = "approved", "已更正"
    REJECTED = "rejected", "未予更正"


class Correction(models.Model):
    """A member's request to correct their own record (个人信息更正), decided by the branch. The
    requested value is personal data: stored encrypted, shown masked to the branch until applied."""

    FIELDS = {
        "name": "姓名",
        "gender": "性别",
        "birth_date": "出生日期",
        "id_number": "身份证号",
        "phone": "手机号",
        "ethnicity": "民族",
        "education": "学历",
        "occupation": "职业类别",
        "work_unit": "工作单位",
    }

    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="corrections")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="党组织"
    )
    field = models.CharField("字段", max_length=20, choices=list(FIELDS.items()))
    value_encrypted = models.TextField("更正为（密文）")
    value_masked = models.CharField("更正为", max_length=100)
    reason = models.CharField("理由", max_length=300)
    status = models.CharField(
        "状态", max_length=10, choices=CorrectionStatus.choices, default=CorrectionStatus.PENDING
    )
    requested_at = models.DateTimeField("提出时间", auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    note = models.CharField("审核意见", max_length=300, blank=True, default="")

    class Meta:
        verbose_name = "个人信息更正申请"
        verbose_name_plural = "个人信息更正申请"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["status", "organization"], name="members_correction_open")]

    def __str__(self) -> str:
        return f"{self.member.name}：{self.get_field_display()}"

    def value(self) -> str:
        return crypto.decrypt(self.value_encrypted)
