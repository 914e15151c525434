"""组团帮扶: the city's administrative villages with their yearly figures (collective income and
its operating part, in integer fen) and the towns' rural per-capita disposable income. Every
figure a page or the summary shows is read from these stored yearly rows."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from dangjian.core.models import StoredFileRecord


class Village(models.Model):
    """An administrative village (行政村): its place in the city and its party organization."""

    code = models.CharField("村代码", max_length=32, unique=True)
    name = models.CharField("村名", max_length=50)
    town = models.CharField("镇（街道）", max_length=50)
    district = models.CharField("区", max_length=50)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="villages",
        verbose_name="村党组织",
    )
    population = models.PositiveIntegerField("户籍人口", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    key = models.BooleanField("重点村", default=False)

    class Meta:
        verbose_name = "行政村"
        verbose_name_plural = "行政村"
        ordering = ["district", "town", "code"]

    def __str__(self) -> str:
        return self.name


class VillageYear(models.Model):
    """A village's figures for a year: collective income and its operating part (fen)."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("年度")
    collective_fen = models.BigIntegerField("村集体收入（分）")
    operating_fen = models.BigIntegerField("其中经营性收入（分）", default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "村年度收入"
        verbose_name_plural = "村年度收入"
        ordering = ["village", "year"]
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="villages_year_once"),
            models.CheckConstraint(
                condition=models.Q(collective_fen__gte=0, operating_fen__gte=0)
                & models.Q(operating_fen__lte=models.F("collective_fen")),
                name="villages_income_sane",
            ),
        ]
        indexes = [models.Index(fields=["year"], name="villages_year_idx")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


class TownYear(models.Model):
    """A town's rural per-capita disposable income for a year (fen)."""

    district = models.CharField("区", max_length=50)
    town = models.CharField("镇（街道）", max_length=50)
    year = models.PositiveSmallIntegerField("年度")
    disposable_fen = models.BigIntegerField("农村居民人均可支配收入（分）")

    class Meta:
        verbose_name = "镇年度人均可支配收入"
        verbose_name_plural = "镇年度人均可支配收入"
        ordering = ["district", "town", "year"]
        constraints = [
            models.UniqueConstraint(fields=["district", "town", "year"], name="villages_town_once"),
            models.CheckConstraint(
                condition=models.Q(disposable_fen__gte=0), name="villages_town_income_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.year}"


# --- rounds, areas and their teams, "1+1" pairings ------------------------------------------------


class Round(models.Model):
    """A round of group assistance (帮扶轮次), e.g. 2022—2024年: its period."""

    name = models.CharField("轮次", max_length=50, unique=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="组织部门",
        help_text="组织这一轮帮扶的党组织（一般为市委），结对单位在其下级中选择",
    )
    starts_on = models.DateField("开始日期")
    ends_on = models.DateField("结束日期")

    class Meta:
        verbose_name = "帮扶轮次"
        verbose_name_plural = "帮扶轮次"
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="villages_round_period"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Area(models.Model):
    """A 片区 of a round: its villages and its one team (一片区一团队)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="areas")
    name = models.CharField("片区", max_length=50)
    villages = models.ManyToManyField(Village, related_name="areas", verbose_name="村")
    team_name = models.CharField("帮扶团队", max_length=80)
    leader = models.CharField("团长", max_length=30)
    leader_unit = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="团长单位",
    )
    contact = models.CharField("联系人", max_length=30, blank=True)
    phone = models.CharField("联系电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "片区"
        verbose_name_plural = "片区"
        ordering = ["round", "name"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="villages_area_once")]

    def __str__(self) -> str:
        return self.name


class AreaMember(models.Model):
    """A member of an area's team, from one of the paired units."""

    area = models.ForeignKey(Area, on_delete=models.CASCADE, related_name="team")
    name = models.CharField("姓名", max_length=30)
    unit = models.ForeignKey(
        "orgs.Organization", on_delete=models.PROTECT, related_name="+", verbose_name="单位"
    )
    duty = models.CharField("分工", max_length=50, blank=True)

    class Meta:
        verbose_name = "团队成员"
        verbose_name_plural = "团队成员"
        ordering = ["area", "id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.area}）"


class Pairing(models.Model):
    """“1+1”: a key village's paired unit (an office, institution or state enterprise) in a
    round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="pairings")
    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="pairings")
    unit = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="village_pairings",
        verbose_name="结对单位",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "结对"
        verbose_name_plural = "结对"
        ordering = ["round", "village"]
        constraints = [
            models.UniqueConstraint(fields=["round", "village"], name="villages_pair_once")
        ]

    def __str__(self) -> str:
        return f"{self.village} ← {self.unit}"


# --- the resident work team (驻村工作队) and its work on site -----------------------------------


class ResidentRole(models.TextChoices):
    FIRST_SECRETARY = "first_secretary", "第一书记"
    CAPTAIN = "captain", "队长"
    MEMBER = "member", "队员"


class Resident(models.Model):
    """A member of a village's resident work team: who, role, sending unit, arrival and leaving."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="residents")
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="village_postings",
        verbose_name="党员",
    )
    role = models.CharField("职务", max_length=20, choices=ResidentRole.choices)
    unit = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="派出单位",
    )
    arrived_on = models.DateField("到村日期")
    left_on = models.DateField("离村日期", null=True, blank=True)

    class Meta:
        verbose_name = "驻村工作队员"
        verbose_name_plural = "驻村工作队员"
        ordering = ["village", "role", "arrived_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("arrived_on")),
                name="villages_resident_period",
            )
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.get_role_display()}"

    def on_post(self, day: object) -> bool:
        return self.arrived_on <= day and (self.left_on is None or day <= self.left_on)  # type: ignore[operator]


class Presence(models.Model):
    """A resident team member's day: on site, or away with the reason."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="days")
    day = models.DateField("日期")
    on_site = models.BooleanField("在村", default=True)
    reason = models.CharField("不在村原因", max_length=100, blank=True)

    class Meta:
        verbose_name = "在岗记录"
        verbose_name_plural = "在岗记录"
        ordering = ["resident", "day"]
        constraints = [
            models.UniqueConstraint(fields=["resident", "day"], name="villages_presence_once")
        ]
        indexes = [models.Index(fields=["day", "resident"], name="villages_presence_day")]

    def __str__(self) -> str:
        return f"{self.resident} {self.day}"


class Visit(models.Model):
    """A household visit (进万家门、知万家情): whom, when, what was learned and asked."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="visits")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="visits"
    )
    household = models.CharField("走访农户", max_length=50)
    visited_on = models.DateField("走访日期")
    learned = models.TextField("了解情况", blank=True)
    asked = models.TextField("群众诉求", blank=True)

    class Meta:
        verbose_name = "入户走访"
        verbose_name_plural = "入户走访"
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["village", "visited_on"], name="villages_visit_on")]

    def __str__(self) -> str:
        return f"{self.household} {self.visited_on}"


class Matter(models.Model):
    """A matter handled for the villagers (办万家事): what, for whom, the result."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="matters")
    resident = models.ForeignKey(
        Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="matters"
    )
    what = models.CharField("事项", max_length=100)
    for_whom = models.CharField("服务对象", max_length=50)
    done_on = models.DateField("办理日期")
    result = models.TextField("办理结果", blank=True)

    class Meta:
        verbose_name = "为民办事"
        verbose_name_plural = "为民办事"
        ordering = ["-done_on", "-id"]

    def __str__(self) -> str:
        return self.what


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", "谋划中"
    BUILDING = "building", "在建"
    RUNNING = "running", "运营中"
    STOPPED = "stopped", "已停止"


class Project(models.Model):
    """An industry project started with the paired unit's help."""

    village = models.ForeignKey(Village, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField("项目名称", max_length=80)
    industry = models.CharField("产业", max_length=50)
    investment_fen = models.BigIntegerField("投资（分）", default=0)
    partners = models.CharField("合作方", max_length=200, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED
    )
    started_on = models.DateField("启动日期", null=True, blank=True)

    class Meta:
        verbose_name = "帮扶项目"
        verbose_name_plural = "帮扶项目"
        ordering = ["village", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(investment_fen__gte=0), name="villages_project_investment"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ProjectYear(models.Model):
    """A project's income to the village collective in a year (fen)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField("年度")
    income_fen = models.BigIntegerField("带动村集体增收（分）")

    class Meta:
        ordering = ["project", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="villages_project_year"),
            models.CheckConstraint(
                condition=models.Q(income_fen__gte=0), name="villages_project_income"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} {self.year}"


# --- 跨村联建 ---------------------------------------------------------------------------------


class JointCommittee(models.Model):
    """A joint party committee across villages (跨村联建): an organization of the tree and the
    villages it joins (a village is in at most one)."""

    organization = models.OneToOneField(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="joint_committee",
        verbose_name="联建党组织",
    )
    villages = models.ManyToManyField(Village, related_name="+", through="JointVillage")

    class Meta:
        verbose_name = "跨村联建党委"
        verbose_name_plural = "跨村联建党委"

    def __str__(self) -> str:
        return str(self.organization)


class JointVillage(models.Model):
    committee = models.ForeignKey(JointCommittee, on_delete=models.CASCADE, related_name="members")
    village = models.OneToOneField(Village, on_delete=models.CASCADE, related_name="joint")

    def __str__(self) -> str:
        return f"{self.committee} · {self.village}"


# --- 我在乡间有亩田 -------------------------------------------------------------------------------


class Plot(models.Model):
    """A plot of farmland offered for adoption."""

    code = models.CharField("地块代码", max_length=32, unique=True)
    village = models.ForeignKey(Village, on_delete=models.PROTECT, related_name="plots")
    area_mu = models.DecimalField("面积（亩）", max_digits=7, decimal_places=1)
    crop = models.CharField("作物", max_length=30)

    class Meta:
        verbose_name = "认领地块"
        verbose_name_plural = "认领地块"
        ordering = ["village", "code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(area_mu__gt=0), name="villages_plot_area")
        ]

    def __str__(self) -> str:
        return f"{self.code}（{self.area_mu}亩{self.crop}）"


class Adoption(models.Model):
    """A unit's adoption of a plot for a season (e.g. “2023” or “2023春”)."""

    plot = models.ForeignKey(Plot, on_delete=models.CASCADE, related_name="adoptions")
    unit = models.ForeignKey(
        "orgs.Organization",
        on_delete=models.PROTECT,
        related_name="plot_adoptions",
        verbose_name="认领单位",
    )
    season = models.CharField("季节", max_length=10)
    agreement = models.CharField("认领协议", max_length=200, blank=True)
    fee_fen = models.BigIntegerField("认领费用（分）", default=0)

    class Meta:
        verbose_name = "地块认领"
        verbose_name_plural = "地块认领"
        ordering = ["-season", "plot"]
        constraints = [
            models.UniqueConstraint(fields=["plot", "season"], name="villages_adopt_once"),
            models.CheckConstraint(condition=models.Q(fee_fen__gte=0), name="villages_adopt_fee"),
        ]

    def __str__(self) -> str:
        return f"{self.plot} {self.season}"


class ActivityKind(models.TextChoices):
    PLANTING = "planting", "播种栽种"
    FIELD = "field", "田间管理"
    HARVEST = "harvest", "收获"


class PlotActivity(models.Model):
    """Work on an adopted plot with the members who took part; a harvest has its yield and where
    it went."""

    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField("活动", max_length=10, choices=ActivityKind.choices)
    done_on = models.DateField("日期")
    members = models.ManyToManyField("members.Member", related_name="+", verbose_name="参加党员")
    note = models.CharField("内容", max_length=200, blank=True)
    yield_kg = models.DecimalField("收获（公斤）", max_digits=9, decimal_places=1, null=True)
    destination = models.CharField("去向", max_length=100, blank=True)

    class Meta:
        verbose_name = "地块活动"
        verbose_name_plural = "地块活动"
        ordering = ["-done_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.done_on}"


class PlotPhoto(StoredFileRecord):
    """A photo of work on a plot (re-encoded without metadata by core.uploads.clean_photos),
    served only to those who may see the plot."""

    activity = models.ForeignKey(PlotActivity, on_delete=models.CASCADE, related_name="photos")

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["id"]
