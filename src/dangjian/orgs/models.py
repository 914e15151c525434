"""The organization tree (materialized path), its committee terms, posts and change history."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from treebeard.mp_tree import MP_Node

from dangjian.core import pinyin

from .constants import OrgCategory, OrgChangeKind, OrgKind, PostKind


class Organization(MP_Node):
    """A grassroots party organization; a node of the city's tree.

    The materialized `path` makes "this organization and everything under it" one prefix filter,
    which is how every scope check and roll-up works.
    """

    steplen = 4
    node_order_by: list[str] = []

    code = models.CharField("组织代码", max_length=32, unique=True)
    name = models.CharField("组织名称", max_length=100)
    initials = models.CharField("拼音首字母", max_length=50, blank=True, db_default="")
    kind = models.CharField("组织类型", max_length=20, choices=OrgKind.choices)
    category = models.CharField("单位类别", max_length=20, choices=OrgCategory.choices)
    established_on = models.DateField("成立日期")
    is_active = models.BooleanField("有效", default=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name="并入组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_organizations",
    )
    # Members directly on this organization's roll, kept by the member services (and recounted
    # set-based after bulk loads), so subtree figures are a SUM over organizations, never a scan
    # of every member.
    members_full = models.PositiveIntegerField("正式党员数", default=0)
    members_probationary = models.PositiveIntegerField("预备党员数", default=0)
    members_suspended = models.PositiveIntegerField("停止党籍数", default=0)
    # 联合党支部: a branch set up jointly by several units that each have fewer than 3 full members
    # (ZB Art 5); which units it covers is kept on Unit.organization.
    is_joint = models.BooleanField("联合党支部", default=False, db_default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        indexes = [
            models.Index(fields=["kind", "is_active"], name="orgs_org_kind_active"),
            models.Index(fields=["name"], name="orgs_org_name"),
            # Prefix (subtree) searches on PostgreSQL need a pattern index; SQLite ignores
            # opclasses.
            models.Index(
                fields=["path"], name="orgs_org_path_prefix", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """The pinyin initials follow the name (the pickers search them)."""
        self.initials = pinyin.initials(self.name)
        fields = kwargs.get("update_fields")
        if fields is not None and "name" in fields:
            kwargs["update_fields"] = {*fields, "initials"}
        super().save(*args, **kwargs)


class Term(models.Model):
    """One committee term (届): elected on a date for a number of years (RQ 2018: 3 or 5)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="terms")
    elected_on = models.DateField("选举日期")
    term_years = models.PositiveSmallIntegerField("任期（年）")
    note = models.CharField("备注", max_length=200, blank=True)
    # An election held before the previous term's end (提前换届), in whole months, approved higher
    # up.
    advance_months = models.PositiveSmallIntegerField("提前换届（月）", default=0, db_default=0)
    # An approved postponement (延期换届): the new end, its length in months, the approval and why.
    extended_until = models.DateField("延期至", null=True, blank=True)
    extension_months = models.PositiveSmallIntegerField("延期（月）", default=0, db_default=0)
    extension_approved_on = models.DateField("延期批准日期", null=True, blank=True)
    extension_reason = models.CharField(
        "延期原因及批复文号", max_length=300, blank=True, db_default=""
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "届次"
        verbose_name_plural = "届次"
        ordering = ["organization_id", "elected_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "elected_on"],
                name="orgs_term_unique_elected_on",
                violation_error_message="该组织在同一日期已有一届选举记录",
            ),
            models.CheckConstraint(
                condition=models.Q(term_years__gte=1, term_years__lte=10),
                name="orgs_term_years_range",
                violation_error_message="任期应在1到10年之间",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organization} {self.elected_on}"


class Post(models.Model):
    """A post on an organization's committee held by a member, with its start and end."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="posts")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="posts")
    post = models.CharField("职务", max_length=20, choices=PostKind.choices)
    started_on = models.DateField("任职日期", null=True, blank=True)
    ended_on = models.DateField("离任日期", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "班子职务"
        verbose_name_plural = "班子职务"
        ordering = ["organization_id", "post", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member", "post"],
                condition=models.Q(ended_on__isnull=True),
                name="orgs_post_unique_current",
                violation_error_message="该党员已担任此职务",
            ),
            models.UniqueConstraint(
                fields=["organization"],
                condition=models.Q(ended_on__isnull=True, post="secretary"),
                name="orgs_post_one_secretary",
                violation_error_message="该组织已有书记，请先办理原书记离任",
            ),
        ]
        indexes = [models.Index(fields=["member", "ended_on"], name="orgs_post_member")]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_post_display()}"


class OrgChange(models.Model):
    """History of an organization: founded, renamed, moved, dissolved, merged."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField("变更类型", max_length=20, choices=OrgChangeKind.choices)
    on = models.DateField("日期")
    data = models.JSONField("内容", default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "组织变更记录"
        verbose_name_plural = "组织变更记录"
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.organization} {self.get_kind_display()}"


class UnitKind(models.TextChoices):
    UNIT = "unit", "单位"
    PROJECT = "project", "项目"


class Unit(models.Model):
    """A unit (企业、机关、村、社区、社会组织…) or a project (工程、课题) in a committee's charge.

    The party organization set up in it (or the joint branch covering it) is `organization`; its
    full-member count is the figure the committee keeps for it (党内统计), which is what ORG-01
    (a unit with 3 or more full members and no organization of its own) and ORG-08 (a project of
    6 months or more with 3 or more full members and no branch) look at.
    """

    kind = models.CharField("类型", max_length=10, choices=UnitKind.choices, default=UnitKind.UNIT)
    name = models.CharField("名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    category = models.CharField("单位类别", max_length=20, choices=OrgCategory.choices)
    committee = models.ForeignKey(
        Organization,
        verbose_name="主管党组织",
        on_delete=models.PROTECT,
        related_name="units_in_charge",
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name="所建党组织",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="units",
    )
    full_members = models.PositiveIntegerField("正式党员数", default=0)
    started_on = models.DateField("项目开始日期", null=True, blank=True)
    ends_on = models.DateField("项目计划结束日期", null=True, blank=True)
    finished_on = models.DateField("项目实际结束日期", null=True, blank=True)
    # Planned length in whole months (null: open-ended), kept by the service from the two dates so
    # the
    # "project of 6 months or more" test is a plain comparison in SQL.
    planned_months = models.PositiveSmallIntegerField("计划周期（月）", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "单位/项目"
        verbose_name_plural = "单位/项目"
        ordering = ["committee_id", "kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"],
                condition=~models.Q(credit_code=""),
                name="orgs_unit_credit_code_unique",
                violation_error_message="该统一社会信用代码已登记",
            ),
        ]
        indexes = [models.Index(fields=["organization"], name="orgs_unit_org")]

    def __str__(self) -> str:
        return self.name


class RequestDecision(models.TextChoices):
    APPROVED = "approved", "同意"
    REJECTED = "rejected", "不同意"


class OrgRequest(models.Model):
    """A unit's request to set up a party organization (成立党组织请示), answered by the committee
    within one month (ZB Art 8; ORG-07)."""

    committee = models.ForeignKey(
        Organization,
        verbose_name="受理党组织",
        on_delete=models.PROTECT,
        related_name="org_requests",
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name="申请单位",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
    )
    proposed_name = models.CharField("拟成立组织名称", max_length=100)
    proposed_kind = models.CharField(
        "拟成立组织类型", max_length=20, choices=OrgKind.choices, default=OrgKind.BRANCH
    )
    submitted_on = models.DateField("请示日期")
    answered_on = models.DateField("批复日期", null=True, blank=True)
    decision = models.CharField(
        "批复意见", max_length=10, choices=RequestDecision.choices, blank=True
    )
    reply = models.CharField("批复文号及说明", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "成立党组织请示"
        verbose_name_plural = "成立党组织请示"
        ordering = ["-submitted_on", "-id"]
        indexes = [models.Index(fields=["committee", "answered_on"], name="orgs_request_open")]

    def __str__(self) -> str:
        return self.proposed_name


class Election(models.Model):
    """One re-election (换届选举): the request to the higher committee, the vote, the report.

    The vote figures are kept so the validity rules (XJ; TERM-06) are checked when they are entered,
    and the dates so that a late request (TERM-02) or an unreported result (TERM-07) is noticed.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="elections"
    )
    requested_on = models.DateField("换届请示日期", null=True, blank=True)
    request_approved_on = models.DateField("请示批复日期", null=True, blank=True)
    held_on = models.DateField("选举日期", null=True, blank=True)
    eligible = models.PositiveIntegerField("应到有选举权党员", null=True, blank=True)
    present = models.PositiveIntegerField("实到有选举权党员", null=True, blank=True)
    seats = models.PositiveSmallIntegerField("应选名额", null=True, blank=True)
    candidates = models.PositiveSmallIntegerField("候选人数", null=True, blank=True)
    min_winner_votes = models.PositiveIntegerField("当选人最低得票", null=True, blank=True)
    term = models.OneToOneField(
        Term, null=True, blank=True, on_delete=models.SET_NULL, related_name="election"
    )
    reported_on = models.DateField("结果上报日期", null=True, blank=True)
    secretary_approved_on = models.DateField("书记批复日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "换届选举"
        verbose_name_plural = "换届选举"
        ordering = ["organization_id", "-created_at"]
        indexes = [
            models.Index(fields=["organization", "requested_on"], name="orgs_election_request")
        ]

    def __str__(self) -> str:
        return f"{self.organization} 换届选举"
