"""Recruitment (发展党员): one record per person from application to full membership, with the date
of
each of the 25 steps, the people involved (contacts, introducers), half-year assessments, documents,
votes, approved exceptions; and the holiday calendar for public-notice working days."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import StoredFileRecord

from .constants import STEPS, Stage


class Candidate(models.Model):
    person_no = models.CharField("编号", max_length=32, unique=True)
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=2)
    birth_date = models.DateField("出生日期")
    id_number_encrypted = models.TextField("身份证号（密文）", blank=True)
    id_number_index = models.CharField(max_length=64, blank=True, db_index=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="candidates"
    )
    rule_version = models.CharField("依据版本", max_length=10, default="FZ14")
    source = models.CharField("来源", max_length=10, default="web")
    # the 25 steps (constants.STEPS): the date each was done
    applied_on = models.DateField("递交申请日期")
    talked_on = models.DateField("谈话日期", null=True, blank=True)
    activist_on = models.DateField("确定积极分子日期", null=True, blank=True)
    activist_filed_on = models.DateField("积极分子备案日期", null=True, blank=True)
    contacts_on = models.DateField("指定培养联系人日期", null=True, blank=True)
    assessed_on = models.DateField("最近一次考察日期", null=True, blank=True)
    target_on = models.DateField("确定发展对象日期", null=True, blank=True)
    target_filed_on = models.DateField("发展对象备案日期", null=True, blank=True)
    introducers_on = models.DateField("确定介绍人日期", null=True, blank=True)
    reviewed_on = models.DateField("政治审查日期", null=True, blank=True)
    trained_on = models.DateField("集中培训结业日期", null=True, blank=True)
    committee_reviewed_on = models.DateField("支委会审查日期", null=True, blank=True)
    prereviewed_on = models.DateField("上级预审日期", null=True, blank=True)
    form_on = models.DateField("填写志愿书日期", null=True, blank=True)
    publicized_on = models.DateField("公示开始日期", null=True, blank=True)
    publicized_until = models.DateField("公示结束日期", null=True, blank=True)
    admitted_on = models.DateField("支部大会接收日期", null=True, blank=True)
    approval_talk_on = models.DateField("上级谈话日期", null=True, blank=True)
    approved_on = models.DateField("上级审批日期", null=True, blank=True)
    approval_filed_on = models.DateField("组织部门备案日期", null=True, blank=True)
    placed_on = models.DateField("编入支部日期", null=True, blank=True)
    oath_on = models.DateField("入党宣誓日期", null=True, blank=True)
    probation_assessed_on = models.DateField("预备期考察日期", null=True, blank=True)
    conversion_applied_on = models.DateField("转正申请日期", null=True, blank=True)
    conversion_meeting_on = models.DateField("转正支部大会日期", null=True, blank=True)
    conversion_approved_on = models.DateField("转正审批日期", null=True, blank=True)
    full_on = models.DateField(
        "转为正式党员日期", null=True, blank=True
    )  # = the probation's end (party age counts from it)
    archived_on = models.DateField("材料归档日期", null=True, blank=True)
    # probation extended (once, 6-12 months) or cancelled; the pipeline closed (withdrawn, not
    # admitted)
    extension_months = models.PositiveSmallIntegerField("延长预备期（月）", default=0)
    extension_meeting_on = models.DateField("延长预备期支部大会日期", null=True, blank=True)
    cancelled_on = models.DateField("取消预备党员资格日期", null=True, blank=True)
    closed_on = models.DateField("终止日期", null=True, blank=True)
    closed_reason = models.CharField("终止原因", max_length=200, blank=True)
    # facts checked along the way
    training_days = models.PositiveSmallIntegerField("培训天数", null=True, blank=True)
    training_hours = models.PositiveSmallIntegerField("培训学时", null=True, blank=True)
    # "hand": typed by the branch; "academy": filled from a completed class (training_note names
    # the class and the certificate); "": not recorded, or recorded before sources were kept
    training_source = models.CharField("培训记录来源", max_length=10, blank=True)
    training_note = models.CharField("培训班次及证书", max_length=200, blank=True)
    leaving_on = models.DateField("预计离开本单位日期", null=True, blank=True)
    contact_1 = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    contact_2 = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    introducer_1 = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    introducer_2 = models.ForeignKey(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    votes = models.JSONField(
        "表决情况", default=dict, blank=True
    )  # {"admission": {...}, "conversion": {...}}
    member = models.OneToOneField(
        "members.Member", null=True, blank=True, on_delete=models.PROTECT, related_name="candidate"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "发展对象档案"
        verbose_name_plural = "发展对象档案"
        ordering = ["organization_id", "applied_on", "id"]
        indexes = [
            models.Index(fields=["organization", "closed_on"], name="recruit_org_open"),
            models.Index(fields=["id_number_index"], name="recruit_idn"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_step(self) -> int:
        done = [s.no for s in STEPS if getattr(self, s.field)]
        return max(done) if done else 0

    @property
    def stage(self) -> str:
        if self.closed_on or self.cancelled_on:
            return Stage.CLOSED
        if self.full_on and self.conversion_approved_on or self.full_on and self.source != "web":
            return Stage.FULL
        if self.approved_on:
            return Stage.PROBATION
        if self.prereviewed_on or self.committee_reviewed_on or self.admitted_on:
            return Stage.ADMISSION
        if self.target_on:
            return Stage.TARGET
        if self.activist_on:
            return Stage.ACTIVIST
        return Stage.APPLICANT


class Assessment(models.Model):
    """A half-year assessment of an activist or development object (FZ14 Art 11)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="assessments")
    on = models.DateField("考察日期")
    opinion = models.CharField("考察意见", max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "考察记录"
        verbose_name_plural = "考察记录"
        ordering = ["on", "id"]

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.on}"


class Document(StoredFileRecord):
    """A document of a step (application, thought report, review, certificate, form): validated
    upload."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="documents")
    step = models.PositiveSmallIntegerField("步骤")

    class Meta:
        verbose_name = "发展材料"
        verbose_name_plural = "发展材料"
        ordering = ["step", "id"]


class StepException(models.Model):
    """A justified exception to an interval or prerequisite, approved by the higher committee."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="exceptions")
    step = models.PositiveSmallIntegerField("步骤")
    reason = models.CharField("理由", max_length=300)
    approved_by_org = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_on = models.DateField("批准日期")

    class Meta:
        verbose_name = "特殊情况批准"
        verbose_name_plural = "特殊情况批准"
        constraints = [
            models.UniqueConstraint(fields=["candidate", "step"], name="recruit_exception_once")
        ]

    def __str__(self) -> str:
        return f"{self.candidate_id} #{self.step}"


class HolidaySource(models.TextChoices):
    CALENDAR = "calendar", "国务院放假安排（日历包）"
    ADMIN = "admin", "系统管理员更正"


class Holiday(models.Model):
    """The holiday calendar: a day off on a weekday, or a make-up working day on a weekend (调休).
    Filled from the chinese-calendar package, which follows the State Council's yearly schedule;
    the system admin corrects a day, and a correction is never overwritten by the package."""

    day = models.DateField("日期", unique=True)
    workday = models.BooleanField("调休上班", default=False)
    name = models.CharField("名称", max_length=30, blank=True)
    source = models.CharField(
        "来源", max_length=10, choices=HolidaySource.choices, default=HolidaySource.ADMIN
    )

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = "节假日"
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"
