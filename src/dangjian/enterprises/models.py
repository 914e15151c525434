"""非公党建: the register of private enterprises and social organizations (each one a registered
`orgs.Unit` — its name, credit code, the committee in charge and the party organization set up in
it or the joint branch covering it — with the profile kept here), the parks and their joint
committees, and the professional instructors (非公党建指导员): their stations, assignments to
enterprises, visits with follow-ups and the members found in the check of organizational
relationships (党员组织关系排查)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import StoredFileRecord


class Park(models.Model):
    """A park (园区) and the joint committee (联合党委) that runs party work in it."""

    name = models.CharField("园区", max_length=50, unique=True)
    organization = models.OneToOneField(
        "orgs.Organization",
        verbose_name="园区联合党委",
        on_delete=models.PROTECT,
        related_name="park",
    )

    class Meta:
        verbose_name = "园区"
        verbose_name_plural = "园区"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EnterpriseKind(models.TextChoices):
    ENTERPRISE = "enterprise", "非公企业"
    SOCIAL = "social", "社会组织"


class Enterprise(models.Model):
    """A private enterprise or social organization: the unit's profile (非公党建's register)."""

    unit = models.OneToOneField(
        "orgs.Unit",
        verbose_name="单位",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="enterprise",
    )
    kind = models.CharField(
        "类型", max_length=10, choices=EnterpriseKind.choices, default=EnterpriseKind.ENTERPRISE
    )
    park = models.ForeignKey(
        Park,
        verbose_name="所在园区",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enterprises",
    )
    industry = models.CharField("行业", max_length=50, blank=True)
    employees = models.PositiveIntegerField("从业人员数", default=0)
    above_size = models.BooleanField("规模以上", default=False)
    legal_rep = models.CharField("法定代表人", max_length=50, blank=True)
    legal_rep_phone = models.CharField("法定代表人电话", max_length=20, blank=True)
    contact = models.CharField("党组织联系人", max_length=50, blank=True)
    contact_phone = models.CharField("党组织联系人电话", max_length=20, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "非公企业/社会组织"
        verbose_name_plural = "非公企业/社会组织"
        ordering = ["unit__name"]

    def __str__(self) -> str:
        return str(self.unit)


class InstructorKind(models.TextChoices):
    FULL = "full", "专职"
    PART = "part", "兼职"


class Station(models.Model):
    """A 党建工作指导站: one station looks after one area (a region or a park) — 一站管一片."""

    name = models.CharField("指导站", max_length=50, unique=True)
    area = models.CharField("负责片区", max_length=100)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="所属党组织",
        on_delete=models.PROTECT,
        related_name="stations",
    )
    address = models.CharField("地址", max_length=100, blank=True)

    class Meta:
        verbose_name = "党建工作指导站"
        verbose_name_plural = "党建工作指导站"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Instructor(models.Model):
    """A 非公党建指导员: full-time or part-time, from a unit, working from a station."""

    name = models.CharField("姓名", max_length=50)
    kind = models.CharField("类别", max_length=10, choices=InstructorKind.choices)
    unit = models.CharField("原单位", max_length=100, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    started_on = models.DateField("任职日期", null=True, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="管理党组织",
        on_delete=models.PROTECT,
        related_name="instructors",
    )
    station = models.ForeignKey(
        Station,
        verbose_name="指导站",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instructors",
    )
    # the member who signs in as this instructor on the phone, where they are one
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="instructor_roles",
    )
    # the bundle's key for the instructor (instructors.csv `id`): kept through a round trip
    ref = models.CharField("编号", max_length=32, unique=True)

    class Meta:
        verbose_name = "非公党建指导员"
        verbose_name_plural = "非公党建指导员"
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """An instructor assigned to an enterprise from `since` (until `until`, or still)."""

    instructor = models.ForeignKey(Instructor, on_delete=models.CASCADE, related_name="assignments")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="assignments")
    since = models.DateField("联系开始日期")
    until = models.DateField("联系结束日期", null=True, blank=True)

    class Meta:
        verbose_name = "联系企业"
        verbose_name_plural = "联系企业"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise"],
                condition=models.Q(until__isnull=True),
                name="enterprises_one_current_instructor",
                violation_error_message="该企业已有联系的指导员",
            ),
        ]
        indexes = [models.Index(fields=["instructor", "since"], name="enterprises_assign_on")]

    def __str__(self) -> str:
        return f"{self.instructor_id}→{self.enterprise_id}"


class VisitTopic(models.TextChoices):
    SETUP = "setup", "指导建立组织"
    LIFE = "life", "组织生活"
    RECRUIT = "recruit", "发展党员"
    FEES = "fees", "党费收缴"
    RELATIONS = "relations", "组织关系排查"
    STUDY = "study", "学习教育"
    OTHER = "other", "其他"


class InstructorVisit(models.Model):
    """An instructor's visit to an enterprise: whom they met, what was done, problems found."""

    instructor = models.ForeignKey(Instructor, on_delete=models.CASCADE, related_name="visits")
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="visits")
    visited_on = models.DateField("走访日期")
    met = models.CharField("见面人员", max_length=100)
    topics = models.JSONField("指导内容", default=list)
    notes = models.TextField("工作情况", blank=True)
    problems = models.TextField("发现问题", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "指导员走访"
        verbose_name_plural = "指导员走访"
        ordering = ["-visited_on", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "visited_on"], name="enterprises_visit_on"),
            models.Index(fields=["instructor", "visited_on"], name="enterprises_visit_by"),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.visited_on}"

    def topic_labels(self) -> list[str]:
        labels = dict(VisitTopic.choices)
        return [labels.get(t, t) for t in self.topics]


class FollowUp(models.Model):
    """A follow-up from a visit, due by a date; done when the instructor records it."""

    visit = models.ForeignKey(InstructorVisit, on_delete=models.CASCADE, related_name="followups")
    text = models.CharField("跟进事项", max_length=200)
    due_on = models.DateField("办理期限")
    done_on = models.DateField("办结日期", null=True, blank=True)
    result = models.CharField("办理结果", max_length=200, blank=True)

    class Meta:
        verbose_name = "跟进事项"
        verbose_name_plural = "跟进事项"
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["done_on", "due_on"], name="enterprises_followup_due")]

    def __str__(self) -> str:
        return self.text


class RelationFinding(models.TextChoices):
    ELSEWHERE = "elsewhere", "组织关系在外地或其他单位"
    LOST = "lost", "失去联系（组织关系不明）"


class RelationCase(models.Model):
    """A member found in the check of organizational relationships (党员组织关系排查): working in
    the enterprise, their relationship elsewhere or lost. Handed to the branch that holds the
    member (a 待办 to transfer the relationship or to look into a lost contact) or, for someone not
    on any roll here, to the park committee."""

    visit = models.ForeignKey(InstructorVisit, on_delete=models.CASCADE, related_name="cases")
    name = models.CharField("姓名", max_length=50)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="relation_cases",
    )
    finding = models.CharField("情况", max_length=10, choices=RelationFinding.choices)
    note = models.CharField("说明", max_length=200, blank=True)
    # who must act: the branch holding the member, or the park's committee
    handler = models.ForeignKey(
        "orgs.Organization",
        verbose_name="办理党组织",
        on_delete=models.PROTECT,
        related_name="relation_cases",
    )
    closed_on = models.DateField("办结日期", null=True, blank=True)
    closing_note = models.CharField("办理结果", max_length=200, blank=True)

    class Meta:
        verbose_name = "组织关系排查"
        verbose_name_plural = "组织关系排查"
        ordering = ["closed_on", "-id"]

    def __str__(self) -> str:
        return self.name


# --- 双培养: key positions and cultivation ------------------------------------------------------


class PositionKind(models.TextChoices):
    TECH = "tech", "核心技术岗位"
    DEPT = "dept", "关键部门负责人"
    PROJECT = "project", "核心项目负责人"


class KeyPosition(models.Model):
    """A key position of an enterprise (重点技术把控、关键部门领头、核心项目领军) and who holds it:
    a member (`member`) or someone who is not (`holder`), who may be marked for cultivation into
    the party (then an applicant in the recruitment pipeline, `person_no`)."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="positions")
    kind = models.CharField("类型", max_length=10, choices=PositionKind.choices)
    title = models.CharField("岗位", max_length=50)
    member = models.ForeignKey(
        "members.Member",
        verbose_name="党员",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_positions",
    )
    holder = models.CharField("担任人（非党员）", max_length=50, blank=True)
    # 把骨干培养成党员: the applicant's number in the recruitment pipeline once handed over
    cultivate = models.BooleanField("列为培养对象", default=False)
    candidate = models.ForeignKey(
        "recruitment.Candidate",
        verbose_name="入党申请人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="key_positions",
    )

    class Meta:
        verbose_name = "关键岗位"
        verbose_name_plural = "关键岗位"
        ordering = ["enterprise", "kind", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def holder_name(self) -> str:
        return self.member.name if self.member_id else self.holder  # type: ignore[union-attr]


class Cultivation(models.Model):
    """把党员培养成骨干: a member employed in the enterprise, cultivated towards a key position by
    a target date; `reached_on` when they hold it."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="cultivations"
    )
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="cultivations"
    )
    target = models.CharField("培养目标", max_length=100)
    due_on = models.DateField("计划完成日期")
    reached_on = models.DateField("实现日期", null=True, blank=True)

    class Meta:
        verbose_name = "党员培养成骨干"
        verbose_name_plural = "党员培养成骨干"
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.target


# --- 党员突击队、党员先锋岗 --------------------------------------------------------------------


class TeamKind(models.TextChoices):
    COMMANDO = "commando", "党员突击队"
    PIONEER = "pioneer", "党员先锋岗"


class CommandoTeam(models.Model):
    """A commando team (or pioneer post) of an organization on a hard project, with its members,
    milestones and, when closed, the outcome."""

    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.PROTECT,
        related_name="commando_teams",
    )
    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name="企业",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="teams",
    )
    kind = models.CharField("类型", max_length=10, choices=TeamKind.choices)
    name = models.CharField("名称", max_length=50)
    project = models.CharField("攻坚项目", max_length=100)
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("计划结束日期")
    members = models.ManyToManyField("members.Member", related_name="commando_teams", blank=True)
    closed_on = models.DateField("结束日期", null=True, blank=True)
    outcome = models.TextField("成效", blank=True)

    class Meta:
        verbose_name = "党员突击队"
        verbose_name_plural = "党员突击队"
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name


class Milestone(models.Model):
    team = models.ForeignKey(CommandoTeam, on_delete=models.CASCADE, related_name="milestones")
    on = models.DateField("日期")
    text = models.TextField("进展和成果")

    class Meta:
        verbose_name = "突击队进展"
        verbose_name_plural = "突击队进展"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.team_id} {self.on}"


class MilestonePhoto(StoredFileRecord):
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["id"]


# --- 五联: joint meetings and activities ---------------------------------------------------------


class JointKind(models.TextChoices):
    MEETING = "meeting", "议事联席"
    ACTIVITY = "activity", "活动联合"


class JointEvent(models.Model):
    """A joint meeting (议事联席) or joint activity (活动联合) of several organizations, recorded
    once by the organizer. Where it is a branch activity (`counts_as`: a 主题党日 or 党课), each
    participating branch gets it in its organizational life (a held meeting of that kind)."""

    organizer = models.ForeignKey(
        "orgs.Organization",
        verbose_name="发起组织",
        on_delete=models.PROTECT,
        related_name="joint_events_organized",
    )
    kind = models.CharField("类型", max_length=10, choices=JointKind.choices)
    title = models.CharField("主题", max_length=100)
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=100, blank=True)
    summary = models.TextField("内容和成果", blank=True)
    counts_as = models.CharField("计入组织生活", max_length=20, blank=True)
    participants = models.ManyToManyField(
        "orgs.Organization", related_name="joint_events", verbose_name="参加组织"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "五联活动"
        verbose_name_plural = "五联活动"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.title


# --- brands, honours, cases, service centres (every organization) ---------------------------------


class Brand(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="brands"
    )
    name = models.CharField("品牌名称", max_length=50)
    since = models.PositiveSmallIntegerField("创建年份")
    description = models.TextField("品牌内涵", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "党建品牌"
        verbose_name_plural = "党建品牌"
        ordering = ["-since", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="enterprises_brand_once")
        ]

    def __str__(self) -> str:
        return self.name


class BrandLogo(StoredFileRecord):
    brand = models.ForeignKey(Brand, on_delete=models.CASCADE, related_name="logos")

    class Meta:
        verbose_name = "品牌标识"
        verbose_name_plural = "品牌标识"
        ordering = ["-id"]


class HonourLevel(models.TextChoices):
    NATIONAL = "national", "全国"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区级"


class Honour(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization", verbose_name="党组织", on_delete=models.PROTECT, related_name="honours"
    )
    title = models.CharField("荣誉称号", max_length=100)
    awarded_by = models.CharField("授予机关", max_length=100)
    level = models.CharField("级别", max_length=10, choices=HonourLevel.choices)
    year = models.PositiveSmallIntegerField("年度")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "荣誉"
        verbose_name_plural = "荣誉"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class HonourFile(StoredFileRecord):
    honour = models.ForeignKey(Honour, on_delete=models.CASCADE, related_name="files")

    class Meta:
        verbose_name = "荣誉证明材料"
        verbose_name_plural = "荣誉证明材料"
        ordering = ["id"]


class InnovationCase(models.Model):
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="党组织",
        on_delete=models.PROTECT,
        related_name="innovation_cases",
    )
    title = models.CharField("案例名称", max_length=100)
    award = models.CharField("获奖情况", max_length=100, blank=True)
    year = models.PositiveSmallIntegerField("年度")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "创新案例"
        verbose_name_plural = "创新案例"
        ordering = ["-year", "-id"]

    def __str__(self) -> str:
        return self.title


class CentreKind(models.TextChoices):
    SERVICE = "service", "党群服务中心"
    TRAINING = "training", "培训基地"


class ServiceCentre(models.Model):
    """A party-mass service centre or a training base (the academy's classes may be held there)."""

    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name="运营党组织",
        on_delete=models.PROTECT,
        related_name="service_centres",
    )
    kind = models.CharField("类型", max_length=10, choices=CentreKind.choices)
    name = models.CharField("名称", max_length=100)
    address = models.CharField("地址", max_length=200)
    hours = models.CharField("开放时间", max_length=100, blank=True)
    facilities = models.CharField("功能设施", max_length=200, blank=True)

    class Meta:
        verbose_name = "党群服务中心和培训基地"
        verbose_name_plural = "党群服务中心和培训基地"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
