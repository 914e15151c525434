"""Organizational life: meetings (planned, published, held), attendance, attachments, democratic
appraisal grades, the life meeting's rectification list, approved absences and the handling of
members who are graded 不合格 or stay away (rules.md §2; ZB Arts 11-17; BH)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import StoredFileRecord

from .constants import (
    AttendanceStatus,
    Exclusion,
    Grade,
    HandlingDecision,
    HandlingReason,
    MeetingKind,
    MeetingStatus,
)


class Meeting(models.Model):
    organization = models.ForeignKey(  # no index of its own: meetings_org_kind_held leads with it
        "orgs.Organization", on_delete=models.PROTECT, related_name="meetings", db_index=False
    )
    kind = models.CharField("类型", max_length=20, choices=MeetingKind.choices)
    status = models.CharField(
        "状态", max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    planned_on = models.DateField("计划日期", null=True, blank=True)
    starts_at = models.TimeField("开始时间", null=True, blank=True)
    held_on = models.DateField("召开日期", null=True, blank=True)
    topic = models.CharField("主题", max_length=200)
    place = models.CharField("地点", max_length=100, blank=True)
    speaker = models.CharField("主讲人", max_length=50, blank=True)
    chair = models.CharField("主持人", max_length=50, blank=True)
    recorder = models.CharField("记录人", max_length=50, blank=True)
    agenda = models.TextField("议程", blank=True)
    minutes = models.TextField("会议记录", blank=True)
    decisions = models.TextField("决定事项", blank=True)
    # counts: computed from the attendance when recorded here, as given when imported
    expected = models.PositiveIntegerField("应到人数", default=0)
    attended = models.PositiveIntegerField("实到人数", default=0)
    voting_expected = models.PositiveIntegerField("应到有表决权党员", null=True, blank=True)
    voting_present = models.PositiveIntegerField("实到有表决权党员", null=True, blank=True)
    motion = models.CharField("表决事项", max_length=200, blank=True)
    votes_for = models.PositiveIntegerField("赞成", null=True, blank=True)
    votes_against = models.PositiveIntegerField("反对", null=True, blank=True)
    votes_abstain = models.PositiveIntegerField("弃权", null=True, blank=True)
    source = models.CharField("来源", max_length=10, default="web")  # web / import / seed
    sign_in_token = models.CharField(max_length=32, blank=True)
    published_at = models.DateTimeField("通知时间", null=True, blank=True)
    void_reason = models.CharField("作废原因", max_length=200, blank=True, db_default="")
    voided_at = models.DateTimeField("作废时间", null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "会议活动"
        verbose_name_plural = "会议活动"
        ordering = ["-held_on", "-planned_on", "-id"]
        indexes = [
            models.Index(fields=["organization", "kind", "held_on"], name="meetings_org_kind_held"),
            models.Index(fields=["organization", "planned_on"], name="meetings_org_planned"),
            models.Index(fields=["kind", "held_on"], name="meetings_kind_held"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="held", held_on__isnull=False) | ~models.Q(status="held"),
                name="meetings_held_has_date",
                violation_error_message="已召开的会议须有召开日期",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.topic}"

    @property
    def day(self):  # type: ignore[no-untyped-def]
        return self.held_on or self.planned_on


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="attendance"
    )
    status = models.CharField("出席情况", max_length=10, choices=AttendanceStatus.choices)
    reason = models.CharField("原因", max_length=200, blank=True)
    exclusion = models.CharField(
        "不计入应到的情形", max_length=12, choices=Exclusion.choices, blank=True
    )
    voting = models.BooleanField(
        "有表决权", default=True
    )  # probationary members attend but do not vote
    signed_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    month_index = models.IntegerField()  # of the meeting's date, for the per-member absence runs

    class Meta:
        verbose_name = "出席记录"
        verbose_name_plural = "出席记录"
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "member"],
                name="meetings_attendance_once",
                violation_error_message="已签到",
            )
        ]
        indexes = [models.Index(fields=["member", "month_index"], name="meetings_att_member_month")]

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.member_id} {self.status}"


class Attachment(StoredFileRecord):
    """A photo or file of a meeting (validated by core.uploads, stored outside the web root)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attachments")

    class Meta:
        verbose_name = "会议附件"
        verbose_name_plural = "会议附件"
        ordering = ["id"]


class Appraisal(models.Model):
    """One member's grade in a democratic appraisal (民主评议党员)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="appraisals")
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="appraisals"
    )
    grade = models.CharField("评定等次", max_length=12, choices=Grade.choices)

    class Meta:
        verbose_name = "评议等次"
        verbose_name_plural = "评议等次"
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="meetings_appraisal_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.grade}"


class Rectification(models.Model):
    """An item of the organizational life meeting's rectification list (整改清单)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rectifications")
    item = models.CharField("问题及整改措施", max_length=300)
    owner = models.CharField("责任人", max_length=50)
    due_on = models.DateField("完成时限")
    done_on = models.DateField("完成日期", null=True, blank=True)

    class Meta:
        verbose_name = "整改事项"
        verbose_name_plural = "整改事项"
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.item


class LeaveStatus(models.TextChoices):
    REQUESTED = "requested", "待批准"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "未批准"


class Leave(models.Model):
    """Leave from organizational life. Over a span of time (长期外出、病休…), recorded by the
    branch:
    the months it covers do not count towards LIFE-09/LIFE-10. For one meeting (`meeting` set),
    asked by the member on the phone and decided by the branch: the record marks them on leave."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="leaves")
    meeting = models.ForeignKey(
        "Meeting",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="leaves",
        verbose_name="会议",
    )
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")
    reason = models.CharField("原因", max_length=200)
    status = models.CharField(
        "状态", max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.APPROVED
    )
    requested_at = models.DateTimeField("申请时间", null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_on = models.DateField("批准日期", null=True, blank=True)
    decision_note = models.CharField("审批意见", max_length=200, blank=True)

    class Meta:
        verbose_name = "请假（正当理由）"
        verbose_name_plural = "请假（正当理由）"
        indexes = [models.Index(fields=["member", "starts_on"], name="meetings_leave_member")]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "meeting"],
                condition=models.Q(meeting__isnull=False),
                name="meetings_leave_once_per_meeting",
                violation_error_message="已就该会议请过假",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.starts_on}–{self.ends_on}"


class Handling(models.Model):
    """The handling of a member graded 不合格 or absent six months (BH; PC Art 9): opened by the
    platform, decided by people (the branch meeting and the committee above). Nothing automatic."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="handlings")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="handlings"
    )
    reason = models.CharField("事由", max_length=12, choices=HandlingReason.choices)
    detail = models.CharField("具体情况", max_length=300)
    key = models.CharField(
        max_length=40
    )  # what opened it (the appraisal meeting, the absence run): one case each
    opened_on = models.DateField("启动日期")
    decision = models.CharField(
        "处置决定", max_length=10, choices=HandlingDecision.choices, blank=True
    )
    decision_note = models.CharField("决定依据", max_length=300, blank=True)
    decided_on = models.DateField("决定日期", null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "不合格党员处置"
        verbose_name_plural = "不合格党员处置"
        ordering = ["decided_on", "-opened_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "reason", "key"], name="meetings_handling_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id} {self.reason}"
