"""The organization tree (materialized path), its committee terms, posts and change history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from treebeard.mp_tree import MP_Node

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
    kind = models.CharField("组织类型", max_length=20, choices=OrgKind.choices)
    category = models.CharField("单位类别", max_length=20, choices=OrgCategory.choices)
    established_on = models.DateField("成立日期")
    is_active = models.BooleanField("有效", default=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", verbose_name="并入组织", null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_organizations",
    )
    # Members directly on this organization's roll, kept by the member services (and recounted
    # set-based after bulk loads), so subtree figures are a SUM over organizations, never a scan
    # of every member.
    members_full = models.PositiveIntegerField("正式党员数", default=0)
    members_probationary = models.PositiveIntegerField("预备党员数", default=0)
    members_suspended = models.PositiveIntegerField("停止党籍数", default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        indexes = [
            models.Index(fields=["kind", "is_active"], name="orgs_org_kind_active"),
            models.Index(fields=["name"], name="orgs_org_name"),
            # Prefix (subtree) searches on PostgreSQL need a pattern index; SQLite ignores opclasses.
            models.Index(fields=["path"], name="orgs_org_path_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class Term(models.Model):
    """One committee term (届): elected on a date for a number of years (RQ 2018: 3 or 5)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="terms")
    elected_on = models.DateField("选举日期")
    term_years = models.PositiveSmallIntegerField("任期（年）")
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "届次"
        verbose_name_plural = "届次"
        ordering = ["organization_id", "elected_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "elected_on"], name="orgs_term_unique_elected_on",
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
