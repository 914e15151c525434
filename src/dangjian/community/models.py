"""近邻党建: the places of a community (小区, 网格/楼栋 with their 邻长), where members live,
双报到 (units and in-service members reporting to the community where they live), the community's
needs and 微心愿 that members claim and the services it confirms, and neighbourhood issues
(民情议事) settled at joint meetings.

A community is an organization of category 社区 (a 社区党委 or 党总支) under a street (街道): see
selectors.communities()."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core import crypto
from dangjian.core.models import StoredFileRecord


class Place(models.Model):
    """A 小区 (residential compound) of a community."""

    code = models.CharField("小区代码", max_length=32, unique=True)
    name = models.CharField("小区名称", max_length=100)
    address = models.CharField("地址", max_length=200, blank=True)
    community = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="places",
        verbose_name="所属社区",
    )
    households = models.PositiveIntegerField("户数", default=0)
    buildings = models.PositiveIntegerField("楼栋数", default=0)
    property_company = models.CharField("物业服务企业", max_length=100, blank=True)
    owners_committee = models.BooleanField("已成立业主委员会", default=False)
    property_party = models.BooleanField("物业企业已建党组织（红色物业）", default=False)
    # the party organization covering it: a 小区党支部, a 网格/楼栋 党小组, or the community
    covered_by = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="covered_places",
        verbose_name="覆盖的党组织",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "小区"
        verbose_name_plural = "小区"
        ordering = ["community__path", "name"]

    def __str__(self) -> str:
        return self.name


class GridKind(models.TextChoices):
    GRID = "grid", "网格"
    BUILDING = "building", "楼栋"


class Grid(models.Model):
    """A 网格 or 楼栋 of a 小区 and its 邻长 (neighbourhood head: a member or a resident)."""

    place = models.ForeignKey(Place, on_delete=models.CASCADE, related_name="grids")
    kind = models.CharField("类型", max_length=10, choices=GridKind.choices)
    name = models.CharField("名称", max_length=50)
    head_name = models.CharField("邻长", max_length=50, blank=True)
    head_member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="邻长（党员）",
    )
    head_phone_encrypted = models.TextField("邻长手机号（密文）", blank=True)
    head_phone_masked = models.CharField("邻长手机号", max_length=20, blank=True)
    group = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="网格/楼栋党小组",
    )

    class Meta:
        verbose_name = "网格/楼栋"
        verbose_name_plural = "网格/楼栋"
        ordering = ["place", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["place", "kind", "name"], name="community_grid_name")
        ]

    def __str__(self) -> str:
        return f"{self.place.name}{self.name}"

    def head_phone(self) -> str:
        return crypto.decrypt(self.head_phone_encrypted) if self.head_phone_encrypted else ""


class Residence(models.Model):
    """Where a member lives (one 小区), set by the member, the branch or an import."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, primary_key=True, related_name="residence"
    )
    place = models.ForeignKey(Place, on_delete=models.PROTECT, related_name="residents")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "居住小区"
        verbose_name_plural = "居住小区"

    def __str__(self) -> str:
        return f"{self.member_id} → {self.place_id}"


class Report(models.Model):
    """个人报到: an in-service member reports, for a year, to the community where they live; the
    community confirms."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="reports")
    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="member_reports"
    )
    year = models.PositiveSmallIntegerField("年度")
    reported_on = models.DateField("报到日期")
    confirmed_on = models.DateField("社区确认日期", null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "党员报到"
        verbose_name_plural = "党员报到"
        ordering = ["-reported_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="community_report_year")
        ]
        indexes = [models.Index(fields=["year", "community"], name="community_report_yc")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.year}"


class UnitRegistration(models.Model):
    """组织报到: an office's, enterprise's or school's party organization registers with a
    community — the co-building agreement, a contact, the resources it offers."""

    unit = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="community_registrations",
        verbose_name="报到单位党组织",
    )
    community = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="unit_registrations",
        verbose_name="报到社区",
    )
    registered_on = models.DateField("报到日期")
    agreement = models.TextField("共建协议要点", blank=True)
    resources = models.TextField("可提供的资源", blank=True)
    contact_name = models.CharField("联系人", max_length=50)
    contact_phone_encrypted = models.TextField("联系电话（密文）", blank=True)
    contact_phone_masked = models.CharField("联系电话", max_length=20, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "单位报到"
        verbose_name_plural = "单位报到"
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "community"], name="community_unit_once")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} → {self.community_id}"


class NeedKind(models.TextChoices):
    PROJECT = "project", "服务项目"
    WISH = "wish", "微心愿"
    POST = "post", "岗位认领"
    PAIRING = "pairing", "结对帮扶"


class NeedStatus(models.TextChoices):
    OPEN = "open", "待认领"
    PENDING = "pending", "待社区同意"  # a standing post or a pairing: the community approves
    CLAIMED = "claimed", "已认领"
    DONE = "done", "已完成"
    CLOSED = "closed", "已撤下"


class Need(models.Model):
    """An item of the community's 需求清单: a service project, a resident's 微心愿, a standing post
    or a household to pair with. A member claims it, does it, and the community confirms the
    service with its hours. A post or a pairing is standing work: the community first approves
    the claim (待社区同意 → 已认领), confirms each service done under it, and it stays the
    member's until they leave it."""

    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="needs"
    )
    kind = models.CharField("类型", max_length=10, choices=NeedKind.choices)
    title = models.CharField("内容", max_length=100)
    detail = models.TextField("说明", blank=True)
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="needs"
    )
    status = models.CharField(
        "状态", max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN
    )
    published_on = models.DateField("发布日期")
    claimed_by = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="claims",
        verbose_name="认领党员",
    )
    claimed_on = models.DateField("认领日期", null=True, blank=True)
    # a need matched with a registered unit's resources is a project of the 项目清单
    unit = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="community_projects",
        verbose_name="承接单位",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "需求清单"
        verbose_name_plural = "需求清单"
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title


class Service(models.Model):
    """A service a member did for the community where they reported, confirmed by it with hours."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="services")
    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="services"
    )
    need = models.ForeignKey(
        Need, null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    what = models.CharField("服务内容", max_length=100)
    done_on = models.DateField("服务日期")
    hours = models.DecimalField("时长（小时）", max_digits=5, decimal_places=1)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "服务记录"
        verbose_name_plural = "服务记录"
        ordering = ["-done_on", "-id"]
        indexes = [models.Index(fields=["member", "done_on"], name="community_service_md")]

    def __str__(self) -> str:
        return f"{self.member_id} {self.done_on}"


class IssueStatus(models.TextChoices):
    OPEN = "open", "待受理"
    DECIDED = "decided", "已议定，办理中"
    CLOSED = "closed", "已办结，待确认"
    CONFIRMED = "confirmed", "已确认"


class Issue(models.Model):
    """民情议事: a neighbourhood issue raised by a member, a 邻长 or staff, handled by the community
    party committee — a joint meeting (联席会议) decides, the committee carries it out and closes
    it with the result; the person who raised it confirms or reopens."""

    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="issues"
    )
    place = models.ForeignKey(
        Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="issues"
    )
    title = models.CharField("事项", max_length=100)
    text = models.TextField("情况")
    where = models.CharField("地点", max_length=100, blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raiser_name = models.CharField("反映人", max_length=50)
    raised_on = models.DateField("反映日期")
    status = models.CharField(
        "状态", max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN
    )
    decided_on = models.DateField("议定日期", null=True, blank=True)
    decision = models.TextField("议定事项", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    result = models.TextField("办理结果", blank=True)

    class Meta:
        verbose_name = "民情议事"
        verbose_name_plural = "民情议事"
        ordering = ["-raised_on", "-id"]
        indexes = [models.Index(fields=["status", "raised_on"], name="community_issue_open")]

    def __str__(self) -> str:
        return self.title


class JointMeeting(models.Model):
    """联席会议 on an issue: who sat (co-building units, shops, owners' committee, property
    company) and what they decided."""

    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("会议日期")
    parties = models.TextField("参会单位和人员")
    decision = models.TextField("议定事项")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "联席会议"
        verbose_name_plural = "联席会议"
        ordering = ["held_on", "id"]

    def __str__(self) -> str:
        return f"{self.issue_id} {self.held_on}"


class Team(models.Model):
    """A volunteer team (先锋队) formed by a community or a branch: party members and residents."""

    owner = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="teams",
        verbose_name="组建党组织",
    )
    name = models.CharField("队名", max_length=50)
    purpose = models.CharField("宗旨/任务", max_length=200, blank=True)
    leader = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="队长",
    )
    members = models.ManyToManyField(
        "members.Member", related_name="teams", blank=True, verbose_name="党员队员"
    )
    residents = models.TextField("群众队员", blank=True)  # names, one per line
    formed_on = models.DateField("组建日期")

    class Meta:
        verbose_name = "先锋队"
        verbose_name_plural = "先锋队"
        ordering = ["owner__path", "name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="community_team_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def resident_names(self) -> list[str]:
        return [n for n in (x.strip() for x in self.residents.splitlines()) if n]


class TeamActivity(models.Model):
    """An activity of a team: when, where, who took part, hours each, the result."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="activities")
    held_on = models.DateField("日期")
    place = models.CharField("地点", max_length=100)
    hours = models.DecimalField("每人时长（小时）", max_digits=4, decimal_places=1)
    participants = models.ManyToManyField(
        "members.Member", related_name="team_activities", blank=True, verbose_name="参加党员"
    )
    residents = models.PositiveIntegerField("参加群众人数", default=0)
    result = models.TextField("成效")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "先锋队活动"
        verbose_name_plural = "先锋队活动"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.team_id} {self.held_on}"


class AppraisalGrade(models.TextChoices):
    EXCELLENT = "excellent", "优秀"
    QUALIFIED = "qualified", "合格"
    UNQUALIFIED = "unqualified", "不合格"


class YearAppraisal(models.Model):
    """Once a year the community appraises each member and unit that reported to it; the grade
    goes back to the member's own branch (shown beside the member in 民主评议) or to the unit —
    “工作在单位、服务在社区”. Exactly one of member and unit."""

    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="given_appraisals"
    )
    year = models.PositiveSmallIntegerField("年度")
    member = models.ForeignKey(
        "members.Member",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_appraisals",
    )
    unit = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="community_appraisals",
    )
    grade = models.CharField("评价", max_length=12, choices=AppraisalGrade.choices)
    comment = models.CharField("评语", max_length=200, blank=True)
    appraised_on = models.DateField("评价日期")
    appraised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "社区年度评价"
        verbose_name_plural = "社区年度评价"
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "member"],
                condition=models.Q(member__isnull=False),
                name="community_appraisal_member_once",
            ),
            models.UniqueConstraint(
                fields=["community", "year", "unit"],
                condition=models.Q(unit__isnull=False),
                name="community_appraisal_unit_once",
            ),
            models.CheckConstraint(
                condition=models.Q(member__isnull=True, unit__isnull=False)
                | models.Q(member__isnull=False, unit__isnull=True),
                name="community_appraisal_one_subject",
            ),
        ]
        indexes = [models.Index(fields=["member", "year"], name="community_appraisal_my")]

    def __str__(self) -> str:
        return f"{self.year} {self.grade}"


class Alliance(models.Model):
    """A co-building agreement (共建) between a community and units, shops, the property company:
    its parties, period and commitments (“共建、共管、共享”), with the activities done under it.
    The community is reminded to renew it before it ends."""

    community = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="alliances"
    )
    name = models.CharField("协议名称", max_length=100)
    parties = models.TextField("共建单位")  # one per line: units, shops, property company
    commitments = models.TextField("共建内容和承诺")
    started_on = models.DateField("开始日期")
    ends_on = models.DateField("到期日期")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "共建协议"
        verbose_name_plural = "共建协议"
        ordering = ["ends_on", "id"]
        indexes = [models.Index(fields=["community", "ends_on"], name="community_alliance_end")]

    def __str__(self) -> str:
        return self.name

    @property
    def party_names(self) -> list[str]:
        return [p.strip() for p in self.parties.splitlines() if p.strip()]


class AllianceActivity(models.Model):
    """Something done under a co-building agreement: when, what, who took part, the result."""

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="activities")
    held_on = models.DateField("日期")
    what = models.CharField("活动内容", max_length=100)
    parties = models.CharField("参加单位", max_length=200, blank=True)
    result = models.TextField("成效")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "共建活动"
        verbose_name_plural = "共建活动"
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return self.what


class PhotoStage(models.TextChoices):
    RAISED = "raised", "反映时"
    CLOSED = "closed", "办结时"


class Photo(StoredFileRecord):
    """A photo of a confirmed service, a team activity or a neighbourhood issue (as raised, or as
    solved): re-encoded without its metadata by core.uploads.clean_photos, served only through
    the community's views to those who may see what it belongs to."""

    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    activity = models.ForeignKey(
        TeamActivity, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    issue = models.ForeignKey(
        Issue, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    stage = models.CharField("阶段", max_length=10, choices=PhotoStage.choices, blank=True)

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["id"]
