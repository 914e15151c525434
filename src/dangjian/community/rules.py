"""近邻党建's rules (NBR-01…05), each one set-based query over the scope.

NBR-01  a 小区 where at least N full members live and no 小区党支部 or 网格/楼栋 党小组 covers it
NBR-02  a 小区 whose property company has no party organization (红色物业; off unless switched on)
NBR-03  an in-service member not reported to a community by the end of the pack's month
NBR-04  from October: a reported in-service member with fewer than N confirmed services this year
NBR-05  a neighbourhood issue without a joint decision after N days
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.members.constants import ACTIVE_STATUSES, MemberStatus
from dangjian.members.models import Member

from .constants import IN_SERVICE_CATEGORIES, NOT_IN_SERVICE
from .models import Issue, IssueStatus, Place, Report

LOCAL = "厦门市近邻党建工作规定（地方规定）"
COVERING_KINDS = ("branch", "group")


def in_service(scope_path: str) -> QuerySet[Member]:
    """在职党员 of the scope: active members of offices, institutions, state enterprises and
    schools, neither retired nor students."""
    qs = Member.objects.filter(
        status__in=ACTIVE_STATUSES,
        organization__category__in=IN_SERVICE_CATEGORIES,
    ).exclude(occupation__in=NOT_IN_SERVICE)
    if scope_path:
        qs = qs.filter(organization__path__under=scope_path)
    return qs


@rule(
    "NBR-01",
    title="党员较多的小区未建党支部或党小组",
    category="community",
    severity="high",
    citation=Citation(LOCAL, "小区党员3人以上的建立小区党支部，不足的建立网格（楼栋）党小组", "L"),
    expects="居住正式党员达到规定人数的小区，应建立小区党支部或网格（楼栋）党小组，把党组织建在小区里。",
    action="社区党委组织居住在该小区的党员，按程序成立小区党支部或网格（楼栋）党小组，并在小区信息中登记覆盖的党组织。",
    defaults={"min_full": 3},
)
def nbr_01(ctx: ScanContext) -> Iterable[Hit]:
    minimum = int(ctx.params.get("min_full", 3))
    qs = (
        Place.objects.exclude(covered_by__kind__in=COVERING_KINDS, covered_by__is_active=True)
        .annotate(
            full=Count(
                "residents",
                filter=Q(residents__member__status=MemberStatus.FULL),
            )
        )
        .filter(full__gte=minimum)
    )
    if ctx.scope_path:
        qs = qs.filter(community__path__under=ctx.scope_path)
    for p in qs.order_by().values("id", "name", "community_id", "full"):
        yield Hit(
            p["community_id"],
            f"小区“{p['name']}”居住正式党员{p['full']}人（{minimum}人以上应建立党组织），"
            "尚无小区党支部或网格（楼栋）党小组覆盖。",
            subject=f"place:{p['id']}",
            details={"place": p["name"], "full": p["full"]},
        )


@rule(
    "NBR-02",
    title="小区物业企业未建党组织（红色物业）",
    category="community",
    severity="warn",
    citation=Citation(LOCAL, "推进物业服务企业党的建设（红色物业）", "L"),
    expects="物业服务企业建立党组织，或由社区党组织选派党建指导员，推动物业服务融入社区治理。",
    action="社区党委推动物业服务企业建立党组织，或选派党建指导员，并更新小区的红色物业信息。",
)
def nbr_02(ctx: ScanContext) -> Iterable[Hit]:
    qs = Place.objects.filter(property_party=False).exclude(property_company="")
    if ctx.scope_path:
        qs = qs.filter(community__path__under=ctx.scope_path)
    for p in qs.order_by().values("id", "name", "community_id", "property_company"):
        yield Hit(
            p["community_id"],
            f"小区“{p['name']}”的物业服务企业“{p['property_company']}”尚未建立党组织。",
            subject=f"place:{p['id']}",
        )


def _deadline(year: int, month: int) -> date:
    """The last day of `month` in `year`."""
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


@rule(
    "NBR-03",
    title="在职党员未到居住地社区报到",
    category="community",
    severity="warn",
    citation=Citation(LOCAL, "在职党员到居住地社区报到（双报到）", "L"),
    expects="机关、企事业单位在职党员每年第一季度内到居住地社区报到，参加社区服务。",
    action="党员在“近邻党建”中选择居住小区并向社区报到；所在党支部督促提醒。",
    defaults={"by_month": 3},
)
def nbr_03(ctx: ScanContext) -> Iterable[Hit]:
    year = ctx.as_of.year
    deadline = _deadline(year, int(ctx.params.get("by_month", 3)))
    if ctx.as_of <= deadline:
        return
    reported = Report.objects.filter(
        member_id=OuterRef("pk"), year=year, reported_on__lte=ctx.as_of
    )
    qs = in_service(ctx.scope_path).filter(~Exists(reported))
    for m in qs.order_by().values("id", "organization_id", "name"):
        yield Hit(
            m["organization_id"],
            f"在职党员{m['name']}{year}年尚未到居住地社区报到（应于{deadline:%m月%d日}前）。",
            member_id=m["id"],
            period=str(year),
        )


@rule(
    "NBR-04",
    title="在职党员年度社区服务次数不足",
    category="community",
    severity="warn",
    citation=Citation(LOCAL, "在职党员每年到社区服务不少于2次", "L"),
    expects="到社区报到的在职党员每年参加社区服务不少于规定次数（本平台默认2次，经社区确认）。",
    action="党员认领社区的服务项目或微心愿并完成，由社区确认；所在党支部督促提醒。",
    defaults={"min_services": 2, "from_month": 10},
)
def nbr_04(ctx: ScanContext) -> Iterable[Hit]:
    if ctx.as_of.month < int(ctx.params.get("from_month", 10)):
        return
    minimum = int(ctx.params.get("min_services", 2))
    year = ctx.as_of.year
    qs = (
        in_service(ctx.scope_path)
        .filter(reports__year=year, reports__reported_on__lte=ctx.as_of)
        .annotate(
            done=Count(
                "services",
                filter=Q(services__done_on__gte=date(year, 1, 1), services__done_on__lte=ctx.as_of),
                distinct=True,
            )
        )
        .filter(done__lt=minimum)
    )
    for m in qs.order_by().values("id", "organization_id", "name", "done"):
        yield Hit(
            m["organization_id"],
            f"在职党员{m['name']}{year}年已确认社区服务{m['done']}次，不足{minimum}次。",
            member_id=m["id"],
            period=str(year),
        )


@rule(
    "NBR-05",
    title="民情议事超期未议定",
    category="community",
    severity="warn",
    citation=Citation(LOCAL, "民情议事限时议定办理", "L"),
    expects="社区党组织受理居民反映的事项后，在规定期限内（本平台默认15天）召开联席会议议定办理。",
    action="社区党委尽快召集共建单位、商户、业委会、物业召开联席会议，议定办理事项。",
    defaults={"days": 15},
)
def nbr_05(ctx: ScanContext) -> Iterable[Hit]:
    days = int(ctx.params.get("days", 15))
    qs = Issue.objects.filter(status=IssueStatus.OPEN, raised_on__lt=ctx.as_of - timedelta(days))
    if ctx.scope_path:
        qs = qs.filter(community__path__under=ctx.scope_path)
    for i in qs.order_by().values("id", "community_id", "title", "raised_on"):
        waited = (ctx.as_of - i["raised_on"]).days
        yield Hit(
            i["community_id"],
            f"{i['raised_on']:%Y-%m-%d}反映的“{i['title']}”已{waited}天未议定。",
            subject=f"issue:{i['id']}",
        )
