"""近邻党建's contributions to 待办: for a community's workers, reports and claimed needs to
confirm and issues to decide; for a member, the year's 报到 and a closed issue to confirm."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, Q
from django.urls import reverse

from dangjian.accounts import policy
from dangjian.compliance.packs import rule_params
from dangjian.core.prepared import Prepared
from dangjian.members.models import Member
from dangjian.web import hooks
from dangjian.web.links import id_url
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from .constants import IN_SERVICE_CATEGORIES, NOT_IN_SERVICE
from .models import Alliance, Issue, IssueStatus, Need, NeedKind, NeedStatus, Report, Residence
from .rules import _deadline
from .selectors import RENEW_DAYS, member_appraisals

DECIDE_DAYS = 15
LIMIT = 50


# a claimed project or 微心愿 waits for the service to be confirmed; an approved post or pairing
# is standing work (each service is confirmed as it comes), so only its approval waits
CLAIMS = Q(status=NeedStatus.CLAIMED, kind__in=(NeedKind.PROJECT, NeedKind.WISH)) | Q(
    status=NeedStatus.PENDING
)
ENDED_DAYS = 90  # an agreement ended this long ago without renewal is still asked about


def _community(s: Scope) -> Any:
    q = s.under("community__path")
    if q is None:
        return None
    return [
        Report.objects.filter(q, confirmed_on__isnull=True),
        Need.objects.filter(q).filter(CLAIMS),
        Issue.objects.filter(q, status=IssueStatus.OPEN),
        Alliance.objects.filter(q, ends_on__lte=s.day(RENEW_DAYS), ends_on__gte=s.day(-ENDED_DAYS)),
    ]


@hooks.register("todo")
@gated(_community)
def community_work(user: Any, today: date) -> list[Todo]:
    q = policy.path_q(user, "change", "community__path")
    if q is None:
        return []
    reports = (
        Report.objects.filter(q, confirmed_on__isnull=True)
        .values("community_id", "community__name")
        .annotate(n=Count("id"))
        .order_by("community__name")[:LIMIT]
    )
    claims = (
        Need.objects.filter(q)
        .filter(CLAIMS)
        .values("community_id", "community__name", "status")
        .annotate(n=Count("id"))
        .order_by("community__name", "status")[:LIMIT]
    )
    issues = (
        Issue.objects.filter(q, status=IssueStatus.OPEN)
        .select_related("community")
        .only("pk", "title", "raised_on", "community__name")
        .order_by("raised_on")[:LIMIT]
    )
    # agreements ending within RENEW_DAYS, or ended in the last quarter without renewal
    alliances = (
        Alliance.objects.filter(
            q,
            ends_on__lte=today + timedelta(days=RENEW_DAYS),
            ends_on__gte=today - timedelta(days=ENDED_DAYS),
        )
        .select_related("community")
        .only("pk", "name", "ends_on", "community__name")
        .order_by("ends_on")[:LIMIT]
    )
    return (
        [
            Todo(
                kind="community",
                title="确认在职党员报到",
                url=id_url("community:reports", r["community_id"]) + "?pending=1",
                organization=r["community__name"],
                count=r["n"],
                action="去确认",
            )
            for r in reports
        ]
        + [
            Todo(
                kind="community",
                title="确认党员认领的服务完成情况"
                if r["status"] == NeedStatus.CLAIMED
                else "同意党员认领的岗位或结对帮扶",
                url=id_url("community:needs", r["community_id"]) + f"?status={r['status']}",
                organization=r["community__name"],
                count=r["n"],
                action="去确认" if r["status"] == NeedStatus.CLAIMED else "去审核",
            )
            for r in claims
        ]
        + [
            Todo(
                kind="community",
                title=f"召集联席会议议定：{i.title}",
                url=id_url("community:issue", i.pk),
                organization=i.community.name,
                deadline=i.raised_on + timedelta(days=DECIDE_DAYS),
                action="去议定",
            )
            for i in issues
        ]
        + [
            Todo(
                kind="community",
                title=f"共建协议{'已到期' if a.ends_on < today else '即将到期'}，请续签：{a.name}",
                url=id_url("community:alliance", a.pk),
                organization=a.community.name,
                deadline=a.ends_on,
                action="去续签",
            )
            for a in alliances
        ]
    )


def _reported(member_id: Any, year: Any) -> Any:
    return Report.objects.filter(member_id=member_id, year=year)


def _closed(user_id: Any) -> Any:
    return Issue.objects.filter(raised_by_id=user_id, status=IssueStatus.CLOSED)


def _community_gate(s: MemberScope) -> list[Any]:
    # in service (the member's organization and occupation, as below) and not reported this year
    unreported = (
        Member.objects.filter(pk=s.member_id, organization__category__in=IN_SERVICE_CATEGORIES)
        .exclude(occupation__in=NOT_IN_SERVICE)
        .exclude(Exists(_reported(s.member_id, s.year(0))))
    )
    return [unreported, _closed(s.user_id)]


@hooks.register("member_todo")
@member_gated(_community_gate)
def my_community(user: Any, member: Any, today: date) -> list[Todo]:
    out: list[Todo] = []
    in_service = (
        member.organization.category in IN_SERVICE_CATEGORIES
        and member.occupation not in NOT_IN_SERVICE
    )
    if in_service and not _REPORTED.rows(member.pk, today.year):
        out.append(
            Todo(
                kind="community",
                title=f"到居住地社区报到（{today.year}年）",
                url=reverse("community:my"),
                deadline=_deadline(today.year, int(rule_params("NBR-03").get("by_month", 3))),
                action="去报到",
            )
        )
    out += [
        Todo(
            kind="community",
            title=f"社区已办结您反映的事项，请确认：{title}",
            url=id_url("community:issue", pk),
            action="去确认",
        )
        for pk, title in _CLOSED.rows(user.pk)
    ]
    return out


# on every member's 首页: compiled once (core.prepared)
_REPORTED = Prepared(
    lambda member_id, year: _reported(member_id, year).values_list("pk")[:1],
    int,
    int,
)
_CLOSED = Prepared(
    lambda user_id: _closed(user_id).order_by("-closed_on").values_list("pk", "title")[:5],
    int,
)


@hooks.register("member_appraisal_notes")
def community_appraisals(member_ids: Any, year: int) -> dict[int, str]:
    """Beside each member in 民主评议: the residential community's appraisal of the year
    appraised (“工作在单位、服务在社区”)."""
    return {
        mid: "；".join(
            f"{a.community.name}评价{a.get_grade_display()}"
            + (f"（{a.comment}）" if a.comment else "")
            for a in found
        )
        for mid, found in member_appraisals(member_ids, year).items()
    }


@hooks.register("member_facts")
def member_residence(member: Any, user: Any) -> list[tuple[str, str, str]]:
    """On the member's page: the 小区 where the member lives, changed by their branch."""
    home = (
        Residence.objects.filter(member=member)
        .values_list("place__name", "place__community__name")
        .first()
    )
    value = f"{home[0]}（{home[1]}）" if home else "未登记"
    can = policy.can(user, "change", member.organization)
    return [("居住小区", value, reverse("community:residence", args=[member.pk]) if can else "")]
