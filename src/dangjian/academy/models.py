"""城市党建学院: training classes (班次) run by an organizer (the city academy or a district or
committee party school), their timetable of sessions with teachers and course outlines, the
people nominated by branches and enrolled (or waiting), per-session sign-in, leave and lateness,
the exam (a learning quiz paper), completion and the completion certificate (结业证书) that a
public page verifies. Completed classes are the evidence of concentrated training that the
recruitment pipeline's training step and the study rules (EDU-02/03/04) read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Purpose(models.TextChoices):
    """What a kind of class is evidence of."""

    ACTIVIST = "activist", "入党积极分子培训"
    DEVELOPMENT = "development", "发展对象培训"
    NEW_MEMBER = "new_member", "新党员培训"
    SECRETARY = "secretary", "书记培训"
    WORKER = "worker", "党务工作者培训"
    INSTRUCTOR = "instructor", "党建指导员培训"
    OTHER = "other", "其他"


class ClassKind(models.Model):
    """A kind of class (入党积极分子培训班 …); the six of the regulations are installed, a
    deployment adds its own."""

    code = models.CharField("代码", max_length=20, unique=True)
    name = models.CharField("班次类型", max_length=50, unique=True)
    purpose = models.CharField("用途", max_length=12, choices=Purpose.choices)
    order = models.PositiveSmallIntegerField("顺序", default=100)

    class Meta:
        verbose_name = "班次类型"
        verbose_name_plural = "班次类型"
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.name


class Teacher(models.Model):
    """The organizer's teacher pool."""

    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所属党校",
        on_delete=models.PROTECT,
        related_name="academy_teachers",
    )
    name = models.CharField("姓名", max_length=50)
    unit = models.CharField("单位", max_length=100, blank=True)
    title = models.CharField("职务职称", max_length=50, blank=True)
    topics = models.CharField("授课专题", max_length=200, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "师资"
        verbose_name_plural = "师资"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Outline(models.Model):
    """A course outline (课程), reusable across classes."""

    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所属党校",
        on_delete=models.PROTECT,
        related_name="academy_outlines",
    )
    title = models.CharField("课程名称", max_length=100)
    topic = models.CharField("专题", max_length=50, blank=True)
    summary = models.CharField("课程大纲", max_length=500, blank=True)
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1, default=3)
    teacher = models.ForeignKey(
        Teacher, verbose_name="主讲", null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = "课程"
        verbose_name_plural = "课程"
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title


class ClassStatus(models.TextChoices):
    OPEN = "open", "接受推荐"
    PUBLISHED = "published", "名单已公布"
    CLOSED = "closed", "已结业"


class Nominee(models.TextChoices):
    """Kinds of people a class may take."""

    ACTIVIST = "activist", "入党积极分子"
    DEVELOPMENT = "development", "发展对象"
    PROBATIONARY = "probationary", "预备党员"
    NEW_MEMBER = "new_member", "新党员（转正不满一年）"
    SECRETARY = "secretary", "支部书记"
    COMMITTEE = "committee", "支委委员"
    MEMBER = "member", "党员"
    INSTRUCTOR = "instructor", "党建指导员"


class TrainingClass(models.Model):
    code = models.CharField("班次编号", max_length=32, unique=True)
    kind = models.ForeignKey(
        ClassKind, verbose_name="班次类型", on_delete=models.PROTECT, related_name="classes"
    )
    organizer = models.ForeignKey(
        "orgs.Organization",
        verbose_name="举办单位",
        on_delete=models.PROTECT,
        related_name="academy_classes",
    )
    title = models.CharField("班次名称", max_length=100)
    starts_on = models.DateField("开班日期")
    ends_on = models.DateField("结业日期")
    base = models.ForeignKey(
        "enterprises.ServiceCentre",
        verbose_name="培训基地",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="classes",
    )
    place = models.CharField("培训地点", max_length=200, blank=True)
    capacity = models.PositiveIntegerField("名额", default=50)
    eligible = models.JSONField("推荐对象", default=list, blank=True)  # Nominee values
    hours = models.DecimalField("学时", max_digits=5, decimal_places=1, default=0)
    min_attendance = models.PositiveSmallIntegerField(
        "最低出勤率（%）", null=True, blank=True
    )  # None: attendance not required
    pass_score = models.PositiveSmallIntegerField(
        "考试及格分", null=True, blank=True
    )  # None: no exam
    paper = models.ForeignKey(
        "learning.Paper",
        verbose_name="结业考试试卷",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="academy_classes",
    )
    sign_margin = models.PositiveSmallIntegerField("签到提前/延后（分钟）", default=30)
    status = models.CharField(
        "状态", max_length=10, choices=ClassStatus.choices, default=ClassStatus.OPEN
    )
    published_at = models.DateTimeField("名单公布时间", null=True, blank=True)
    closed_on = models.DateField("结业评定日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "培训班次"
        verbose_name_plural = "培训班次"
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["organizer", "starts_on"], name="academy_class_org"),
            models.Index(fields=["starts_on", "ends_on"], name="academy_class_dates"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1


class ClassSession(models.Model):
    """One session of the timetable."""

    klass = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="sessions")
    on = models.DateField("日期")
    starts_at = models.TimeField("开始时间")
    ends_at = models.TimeField("结束时间")
    topic = models.CharField("内容", max_length=100)
    outline = models.ForeignKey(
        Outline, verbose_name="课程", null=True, blank=True, on_delete=models.SET_NULL
    )
    teacher = models.ForeignKey(
        Teacher,
        verbose_name="授课教师",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sessions",
    )
    place = models.CharField("地点", max_length=100, blank=True)
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    token = models.CharField(max_length=43)  # the room's sign-in QR secret

    class Meta:
        verbose_name = "课程安排"
        verbose_name_plural = "课程安排"
        ordering = ["on", "starts_at", "id"]

    def __str__(self) -> str:
        return self.topic


class EnrolmentStatus(models.TextChoices):
    NOMINATED = "nominated", "待审核"
    ACCEPTED = "accepted", "已录取"
    WAITING = "waiting", "候补"
    DECLINED = "declined", "未录取"
    WITHDRAWN = "withdrawn", "已撤回"


class Enrolment(models.Model):
    """One person in one class: a member, or a person of the recruitment pipeline (applicant,
    activist, development object) who is not yet one."""

    klass = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="enrolments")
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="academy_enrolments",
    )
    candidate = models.ForeignKey(
        "recruitment.Candidate",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="academy_enrolments",
    )
    name = models.CharField("姓名", max_length=50)
    nominee = models.CharField("学员类别", max_length=12, choices=Nominee.choices)
    nominated_by = models.ForeignKey(
        "orgs.Organization",
        verbose_name="推荐单位",
        on_delete=models.PROTECT,
        related_name="academy_nominations",
    )
    status = models.CharField(
        "状态", max_length=10, choices=EnrolmentStatus.choices, default=EnrolmentStatus.NOMINATED
    )
    note = models.CharField("推荐理由", max_length=200, blank=True)
    nominated_at = models.DateTimeField("推荐时间")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    attendance_pct = models.DecimalField(
        "出勤率（%）", max_digits=5, decimal_places=1, null=True, blank=True
    )
    exam_score = models.PositiveSmallIntegerField("考试成绩", null=True, blank=True)
    completed = models.BooleanField("结业", null=True, blank=True)  # None: not assessed yet
    pass_token = models.CharField(max_length=43, blank=True)  # a non-member trainee's own link

    class Meta:
        verbose_name = "学员"
        verbose_name_plural = "学员"
        ordering = ["klass_id", "nominated_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["klass", "member"],
                condition=Q(member__isnull=False),
                name="academy_enrol_member",
            ),
            models.UniqueConstraint(
                fields=["klass", "candidate"],
                condition=Q(candidate__isnull=False),
                name="academy_enrol_candidate",
            ),
            models.CheckConstraint(
                condition=Q(member__isnull=False) | Q(candidate__isnull=False),
                name="academy_enrol_person",
            ),
        ]
        indexes = [
            models.Index(fields=["member", "completed"], name="academy_enrol_mc"),
            models.Index(fields=["klass", "status"], name="academy_enrol_ks"),
        ]

    def __str__(self) -> str:
        return self.name


class Presence(models.TextChoices):
    PRESENT = "present", "出勤"
    LATE = "late", "迟到"
    EARLY = "early", "早退"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺勤"


class SessionAttendance(models.Model):
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="attendance")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField("出勤", max_length=8, choices=Presence.choices)
    signed_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    minutes = models.PositiveSmallIntegerField("迟到/早退（分钟）", default=0)
    note = models.CharField("备注", max_length=200, blank=True)

    class Meta:
        verbose_name = "出勤记录"
        verbose_name_plural = "出勤记录"
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="academy_att_once")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}@{self.session_id}:{self.status}"


class LeaveStatus(models.TextChoices):
    REQUESTED = "requested", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不批准"


class LeaveRequest(models.Model):
    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="leaves")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="leaves")
    reason = models.CharField("请假事由", max_length=200)
    status = models.CharField(
        "状态", max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.REQUESTED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="academy_leave_once")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment_id}@{self.session_id}:{self.status}"


class Rating(models.Model):
    """A trainee's rating of a session: kept with the enrolment only so that each rates once;
    never shown with who gave it."""

    session = models.ForeignKey(ClassSession, on_delete=models.CASCADE, related_name="ratings")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="ratings")
    score = models.PositiveSmallIntegerField("评分")
    comment = models.CharField("意见建议", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "课程评价"
        verbose_name_plural = "课程评价"
        constraints = [
            models.UniqueConstraint(fields=["session", "enrolment"], name="academy_rate_once"),
            models.CheckConstraint(
                condition=Q(score__gte=1) & Q(score__lte=5), name="academy_rate_1_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.score}"


class Certificate(models.Model):
    """The completion certificate: its number, the public verification secret in its QR code, and
    its revocation."""

    enrolment = models.OneToOneField(
        Enrolment, on_delete=models.PROTECT, related_name="certificate"
    )
    number = models.CharField("证书编号", max_length=40, unique=True)
    token = models.CharField(max_length=43, unique=True)
    issued_on = models.DateField("发证日期")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "结业证书"
        verbose_name_plural = "结业证书"
        ordering = ["number"]

    def __str__(self) -> str:
        return self.number


class CertificateBatch(models.Model):
    """A print job: every valid certificate of a class in one PDF, built by the worker."""

    klass = models.ForeignKey(TrainingClass, on_delete=models.CASCADE, related_name="batches")
    path = models.CharField(max_length=300, blank=True)
    count = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.klass_id}#{self.pk}"
