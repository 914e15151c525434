"""Learning (党员教育, rules.md §6): a library of courses published by an organization to its
subtree,
study time measured honestly, offline sessions recorded by the branch, quizzes, opt-in points.

Hours of a member in a year = the hours imported from study.csv (another system's total) + online
study (StudyDay, seconds credited only while the page was visible and the media playing, capped per
resource) + offline sessions (OfflineAttendance). Imports store the part of the year's total not
already measured here, so exporting and re-importing changes nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Course(models.Model):
    title = models.CharField("课程名称", max_length=100)
    summary = models.CharField("简介", max_length=300, blank=True)
    topic = models.CharField("专题", max_length=50, blank=True)
    publisher = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="courses",
        verbose_name="发布组织",
    )
    published_on = models.DateField("发布日期", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "课程"
        verbose_name_plural = "课程"
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Unit(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="units")
    title = models.CharField("单元", max_length=100)
    order = models.PositiveSmallIntegerField("顺序", default=1)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.title


class Kind(models.TextChoices):
    ARTICLE = "article", "图文"
    VIDEO = "video", "视频"
    AUDIO = "audio", "音频"
    DOCUMENT = "document", "文档（PDF）"


class Resource(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    title = models.CharField("标题", max_length=100)
    body = models.TextField("正文", blank=True)  # sanitized rich text (core.richtext)
    path = models.CharField(max_length=300, blank=True)  # media or PDF under MEDIA_ROOT
    content_type = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField(default=0)
    minutes = models.PositiveSmallIntegerField("计入学时上限（分钟）", default=30)
    search_text = models.TextField(blank=True)  # jieba-segmented title and text, space-separated
    # a video's or audio's words (讲解): shown under the player, and the assistant answers from it
    transcript = models.TextField("文字稿", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "学习资料"
        verbose_name_plural = "学习资料"
        ordering = ["unit__order", "id"]

    def __str__(self) -> str:
        return self.title


class Assignment(models.Model):
    """A course required of the members of an organization's subtree, with a due date."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="assignments")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="study_assignments"
    )
    due_on = models.DateField("完成期限")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "organization"], name="learning_assign_once")
        ]

    def __str__(self) -> str:
        return f"{self.course_id}@{self.organization_id}"


class Progress(models.Model):
    """A member on a resource: credited seconds (never above the resource's cap), where they
    stopped,
    the last heartbeat (time counts only between heartbeats that say visible and playing)."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="study_progress"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="progress")
    seconds = models.PositiveIntegerField(default=0)
    position = models.PositiveIntegerField(default=0)
    last_beat = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "resource"], name="learning_progress_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.resource_id}"


class StudyDay(models.Model):
    """Seconds credited to a member on a day (hours are counted by calendar year)."""

    member = models.ForeignKey(  # no index of its own: learning_day_once leads with it
        "members.Member", on_delete=models.CASCADE, related_name="study_days", db_index=False
    )
    day = models.DateField()
    seconds = models.PositiveIntegerField(default=0)
    points = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "day"], name="learning_day_once")]
        indexes = [models.Index(fields=["day", "member"], name="learning_day_member")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.day}"


class SessionKind(models.TextChoices):
    TRAINING = "training", "集中培训"
    LECTURE = "lecture", "专题讲座"
    COLLECTIVE = "collective", "集体学习"


class OfflineSession(models.Model):
    """Concentrated training, a lecture or collective study recorded by the branch (rules.md §6: a
    full
    day off work = 8 hours, a half day = 4, otherwise hour for hour)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="study_sessions"
    )
    kind = models.CharField("形式", max_length=12, choices=SessionKind.choices)
    title = models.CharField("主题", max_length=100)
    held_on = models.DateField("日期")
    hours = models.DecimalField("学时", max_digits=4, decimal_places=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


class OfflineAttendance(models.Model):
    session = models.ForeignKey(OfflineSession, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="study_sessions"
    )
    hours = models.DecimalField(max_digits=4, decimal_places=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "member"], name="learning_attend_once")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}:{self.member_id}"


class StudyYear(models.Model):
    """Hours from study.csv: the part of the year's total not measured here."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="study_years"
    )
    year = models.PositiveSmallIntegerField()
    hours = models.DecimalField(max_digits=6, decimal_places=1, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="learning_year_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.year}"


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选"
    MULTI = "multi", "多选"
    TRUE_FALSE = "tf", "判断"


class Question(models.Model):
    publisher = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="questions"
    )
    topic = models.CharField("专题", max_length=50)
    kind = models.CharField("题型", max_length=6, choices=QuestionKind.choices)
    text = models.CharField("题目", max_length=500)
    choices = models.JSONField(
        "选项", default=list
    )  # ["A text", "B text", ...]; true/false: ["正确", "错误"]
    answer = models.JSONField("答案", default=list)  # indexes into choices
    explanation = models.CharField("解析", max_length=500, blank=True)

    class Meta:
        ordering = ["topic", "id"]

    def __str__(self) -> str:
        return self.text[:30]


class Paper(models.Model):
    publisher = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="papers"
    )
    title = models.CharField("试卷名称", max_length=100)
    topic = models.CharField("专题", max_length=50)
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.SET_NULL, related_name="papers"
    )
    questions = models.ManyToManyField(Question, related_name="papers")
    pass_score = models.PositiveSmallIntegerField("及格分（百分制）", default=60)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Attempt(models.Model):
    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="attempts")
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    answers = models.JSONField(default=dict)  # {question id: [indexes]}
    correct = models.PositiveSmallIntegerField(default=0)
    total = models.PositiveSmallIntegerField(default=0)
    score = models.PositiveSmallIntegerField(default=0)  # 0-100
    passed = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["paper", "member"], name="learning_attempt_pm")]

    def __str__(self) -> str:
        return f"{self.member_id}:{self.paper_id}={self.score}"


class PointsSetting(models.Model):
    """The deployment's switch (off by default): study points with a daily cap; rankings
    separately."""

    enabled = models.BooleanField("启用学习积分", default=False)
    daily_cap = models.PositiveSmallIntegerField("每日积分上限", default=20)
    ranking = models.BooleanField("启用排行（仅自愿参加者可见）", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "学习积分设置"


class PointsChoice(models.Model):
    """A member's own choice: take part in points, and appear in (and see) the ranking."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="points_choice"
    )
    points = models.BooleanField(default=False)
    ranking = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.member_id}"
