"""近邻党建 reads, scoped through accounts.policy like every page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    CharField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Substr
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.errors import NotVisible
from dangjian.members.constants import ACTIVE_STATUSES, MemberStatus
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .constants import IN_SERVICE_CATEGORIES, NOT_IN_SERVICE
from .models import (
    Alliance,
    Issue,
    IssueStatus,
    Need,
    NeedStatus,
    Photo,
    Place,
    Report,
    Residence,
    Service,
    Team,
    TeamActivity,
    UnitRegistration,
    YearAppraisal,
)

COMMUNITY_KINDS = ("committee", "general_branch")
COVERING_KINDS = ("branch", "group")
STEP = 4  # treebeard's path step


def is_community(org: Organization | None) -> bool:
    """A community (社区党委 or 党总支): category 社区, under a street (an organization of category
    社区 above it). A street itself, or a branch inside a community, is not one."""
    if org is None or org.category != "community" or org.kind not in COMMUNITY_KINDS:
        return False
    if org.depth <= 1:
        return False
    return Organization.objects.filter(
        path=org.path[: len(org.path) - STEP], category="community"
    ).exists()


def communities() -> QuerySet[Organization]:
    """Every community of the deployment, in one query."""
    parent = Organization.objects.filter(
        path=Substr(OuterRef("path"), 1, (OuterRef("depth") - 1) * STEP), category="community"
    )
    return Organization.objects.filter(
        category="community", kind__in=COMMUNITY_KINDS, depth__gt=1
    ).filter(Exists(parent))


def communities_for(user: Any, action: str = "view") -> QuerySet[Organization]:
    q = policy.path_q(user, action)
    if q is None:
        return Organization.objects.none()
    return communities().filter(q)


def places_for(
    user: Any, *, org: Organization | None = None, q: str = "", coverage: str = ""
) -> QuerySet[Place]:
    """The 小区 of the communities in the user's scope (or under `org`). Their residents are
    counted for the rows shown only (`with_counts`), not across the whole list."""
    scope = policy.path_q(user, "view", "community__path")
    if scope is None:
        return Place.objects.none()
    qs = Place.objects.filter(scope).select_related("community", "covered_by")
    if org is not None:
        qs = qs.filter(community__path__under=org.path)
    if q:
        qs = qs.filter(Q(name__contains=q) | Q(code__startswith=q) | Q(address__contains=q))
    covered = Q(covered_by__kind__in=COVERING_KINDS, covered_by__is_active=True)
    if coverage == "branch":
        qs = qs.filter(covered)
    elif coverage == "none":
        qs = qs.exclude(covered)
    elif coverage == "red":
        qs = qs.filter(property_party=True)
    return qs.order_by("community__path", "name", "id")


def with_counts(places: list[Place]) -> list[Place]:
    """Each 小区's members living there (`living`, full and probationary) and full members
    (`full`), for these rows, in one grouped query."""
    counts: dict[int, tuple[int, int]] = {
        r["place_id"]: (r["living"], r["full"])
        for r in Residence.objects.filter(
            place_id__in=[p.pk for p in places], member__status__in=ACTIVE_STATUSES
        )
        .values("place_id")
        .annotate(
            living=Count("member_id"),
            full=Count("member_id", filter=Q(member__status=MemberStatus.FULL)),
        )
        .order_by()
    }
    for p in places:
        p.living, p.full = counts.get(p.pk, (0, 0))  # type: ignore[attr-defined]
    return places


def place_get(user: Any, pk: int) -> Place:
    p = places_for(user).filter(pk=pk).first()
    if p is None:
        raise NotVisible("未找到该小区")
    return with_counts([p])[0]


def place_residents(place: Place) -> QuerySet[Member]:
    """The members (full and probationary) living in a 小区: the community knows who lives there,
    whatever their organization; nothing else of their record is shown."""
    return (
        Member.objects.filter(residence__place=place, status__in=ACTIVE_STATUSES)
        .select_related("organization")
        .order_by("organization__path", "member_no")
    )


@dataclass
class CoverageRow:
    org: Organization
    places: int
    with_branch: int
    red: int

    @property
    def branch_rate(self) -> float:
        return self.with_branch / self.places if self.places else 0.0

    @property
    def red_rate(self) -> float:
        return self.red / self.places if self.places else 0.0


def coverage(org: Organization) -> tuple[CoverageRow, list[CoverageRow]]:
    """小区 total / with a branch or group / with 红色物业 for `org`'s subtree, and per child (one
    grouped query: the child's path is the prefix of the community's)."""
    width = len(org.path) + STEP
    rows = (
        Place.objects.filter(community__path__under=org.path)
        .annotate(child=Substr("community__path", 1, width))
        .values("child")
        .annotate(
            places=Count("id"),
            with_branch=Count(
                "id", filter=Q(covered_by__kind__in=COVERING_KINDS, covered_by__is_active=True)
            ),
            red=Count("id", filter=Q(property_party=True)),
        )
        .order_by("child")
    )
    figures = {r["child"]: r for r in rows}
    children = {c.path: c for c in Organization.objects.filter(path__in=figures)}
    out = []
    for path, r in figures.items():
        child = children.get(path, org)  # places of the organization itself
        out.append(CoverageRow(child, r["places"], r["with_branch"], r["red"]))
    out.sort(key=lambda row: -row.places)
    total = CoverageRow(
        org,
        sum(r.places for r in out),
        sum(r.with_branch for r in out),
        sum(r.red for r in out),
    )
    return total, out


def reports_for(user: Any, community: Organization, *, year: int, pending: bool = False) -> Any:
    if not policy.can(user, "view", community):
        raise NotVisible("未找到该社区")
    qs = Report.objects.filter(community=community, year=year).select_related(
        "member__organization"
    )
    if pending:
        qs = qs.filter(confirmed_on__isnull=True)
    return qs.annotate(
        done=Count(
            "member__services",
            filter=Q(
                member__services__community=community,
                member__services__done_on__year=year,
            ),
        )
    ).order_by("confirmed_on", "-reported_on", "id")


def _services(year: int, what: Any) -> Subquery:
    """The member's (OuterRef) services in the year, aggregated by `what` (a grouped subquery)."""
    return Subquery(
        Service.objects.filter(member_id=OuterRef("pk"), done_on__year=year)
        .order_by()
        .values("member_id")
        .annotate(v=what)
        .values("v")
    )


def unit_members(unit: Organization, year: int) -> QuerySet[Member]:
    """The unit's in-service members (its subtree), each with where they reported this year and
    their services and hours this year."""
    return (
        Member.objects.filter(
            organization__path__under=unit.path,
            status__in=ACTIVE_STATUSES,
            organization__category__in=IN_SERVICE_CATEGORIES,
        )
        .exclude(occupation__in=NOT_IN_SERVICE)
        .select_related("organization")
        .annotate(
            reported_to=Subquery(
                Report.objects.filter(member_id=OuterRef("pk"), year=year).values(
                    "community__name"
                )[:1]
            ),
            done=_services(year, Count("id")),
            hours=_services(year, Sum("hours")),
            grade=Subquery(
                YearAppraisal.objects.filter(member_id=OuterRef("pk"), year=year).values("grade")[
                    :1
                ]
            ),
        )
        .order_by("organization__path", "member_no")
    )


def unit_reports(year: int, member_ids: Any) -> dict[int, Report]:
    return {
        r.member_id: r
        for r in Report.objects.filter(year=year, member_id__in=member_ids).select_related(
            "community"
        )
    }


def projects_of(unit: Organization) -> QuerySet[Need]:
    """The communities' projects (项目清单) the unit took on (not who claimed them: a member of
    another organization may have)."""
    return (
        Need.objects.filter(unit=unit).select_related("community").order_by("-published_on", "-id")
    )


def registrations_of(unit: Organization) -> QuerySet[UnitRegistration]:
    return UnitRegistration.objects.filter(unit=unit).select_related("community")


def unit_orgs(community: Organization) -> QuerySet[Organization]:
    """The party organizations of the units registered with the community (for 项目清单)."""
    return Organization.objects.filter(community_registrations__community=community).order_by(
        "path"
    )


def registered_units(community: Organization) -> QuerySet[UnitRegistration]:
    return UnitRegistration.objects.filter(community=community).select_related("unit")


def teams_for(user: Any, org: Organization) -> Any:
    """The volunteer teams of `org`'s subtree, with their activities, person-hours and members."""
    if not policy.can(user, "view", org):
        raise NotVisible("未找到该组织")
    return (
        Team.objects.filter(owner__path__under=org.path)
        .select_related("owner", "leader")
        .annotate(
            n_members=Count("members", distinct=True),
            n_activities=Count("activities", distinct=True),
        )
        .order_by("owner__path", "name", "id")
    )


def team_get(user: Any, pk: int) -> Team:
    t = Team.objects.select_related("owner", "leader").filter(pk=pk).first()
    if t is None or not policy.can(user, "view", t.owner):
        raise NotVisible("未找到该队伍")
    return t


def team_totals(team: Team) -> dict[str, Any]:
    """Activities, person-hours (members and residents) and each member's activities and hours."""
    acts = list(
        team.activities.annotate(n=Count("participants"))
        .prefetch_related("photos")
        .order_by("-held_on", "-id")
    )
    per: dict[int, list[Any]] = {}
    for mid, hours in TeamActivity.participants.through.objects.filter(
        teamactivity__team=team
    ).values_list("member_id", "teamactivity__hours"):
        row = per.setdefault(mid, [0, 0])
        row[0] += 1
        row[1] += hours
    people = {m.pk: m for m in team.members.select_related("organization")}
    return {
        "activities": acts,
        "person_hours": sum((a.hours * (a.n + a.residents) for a in acts), start=0),
        "people": [
            (people[mid], n, h)
            for mid, (n, h) in sorted(per.items(), key=lambda x: -x[1][1])
            if mid in people
        ],
    }


def needs_for(community: Organization, *, status: str = "", kind: str = "") -> QuerySet[Need]:
    qs = Need.objects.filter(community=community).select_related("claimed_by", "place", "unit")
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def issues_for(user: Any, *, org: Organization | None = None, status: str = "") -> Any:
    scope = policy.path_q(user, "view", "community__path")
    if scope is None:
        return Issue.objects.none()
    qs = Issue.objects.filter(scope).select_related("community", "place")
    if org is not None:
        qs = qs.filter(community__path__under=org.path)
    if status:
        qs = qs.filter(status=status)
    return qs


def issue_get(user: Any, pk: int) -> Issue:
    """An issue staff may see, or one the user raised."""
    i = Issue.objects.select_related("community", "place").filter(pk=pk).first()
    if i is None or not (
        policy.can(user, "view", i.community) or i.raised_by_id == getattr(user, "pk", None)
    ):
        raise NotVisible("未找到该事项")
    return i


# --- the member's side ---------------------------------------------------------------------------


@dataclass
class MyCommunity:
    residence: Residence | None
    report: Report | None
    services: list[Service]
    hours: Any
    claims: list[Need]
    open_needs: list[Need]


def my_community(member: Member, today: date) -> MyCommunity:
    residence = Residence.objects.filter(member=member).select_related("place__community").first()
    report = (
        Report.objects.filter(member=member, year=today.year).select_related("community").first()
    )
    services = list(
        Service.objects.filter(member=member, done_on__year=today.year)
        .select_related("community")
        .prefetch_related("photos")
    )
    hours = sum((s.hours for s in services), start=0)
    claims = list(
        Need.objects.filter(
            claimed_by=member, status__in=(NeedStatus.CLAIMED, NeedStatus.PENDING)
        ).select_related("community")
    )
    open_needs: list[Need] = []
    if report is not None:
        open_needs = list(
            Need.objects.filter(community=report.community, status=NeedStatus.OPEN).select_related(
                "place"
            )[:50]
        )
    return MyCommunity(residence, report, services, hours, claims, open_needs)


def reported_to(member_id: Any, year: Any) -> QuerySet[Any]:
    """The name of the community the member reported to in `year` (none or one)."""
    return (
        Report.objects.filter(member_id=member_id, year=year)
        .order_by("pk")
        .values_list("community__name")[:1]
    )


def services_done(member_id: Any, start: Any, end: Any) -> QuerySet[Any]:
    """The member's confirmed services between two days: `n` and `h` (hours), one row or none."""
    return (
        Service.objects.filter(member_id=member_id, done_on__gte=start, done_on__lte=end)
        .values("member_id")
        .annotate(n=Count("id"), h=Sum("hours"))
    )


def my_year(community: str | None, services: int | None, hours: Any, year: int) -> dict[str, Any]:
    """For 我的: where the member reported in `year` and their confirmed services, as read by
    `reported_to` and `services_done` (portal.selectors.me_facts reads them with the rest)."""
    return {"community": community, "services": services or 0, "hours": hours or 0, "year": year}


def member_need_get(member: Member, pk: int) -> Need:
    """A need of the community the member reported to this year (or one they claimed)."""
    n = Need.objects.select_related("community").filter(pk=pk).first()
    if n is None or not (
        n.claimed_by_id == member.pk
        or Report.objects.filter(
            member=member, community=n.community, year=timezone.localdate().year
        ).exists()
    ):
        raise NotVisible("未找到该项目")
    return n


def my_issues(user: Any) -> QuerySet[Issue]:
    return Issue.objects.filter(raised_by=user).select_related("community")


def pending_counts(community_ids: Any) -> dict[str, int]:
    """What waits for the communities: reports to confirm, claims to confirm, issues to decide."""
    return {
        "reports": Report.objects.filter(
            community_id__in=community_ids, confirmed_on__isnull=True
        ).count(),
        "claims": Need.objects.filter(
            community_id__in=community_ids, status__in=(NeedStatus.CLAIMED, NeedStatus.PENDING)
        ).count(),
        "issues": Issue.objects.filter(
            community_id__in=community_ids, status=IssueStatus.OPEN
        ).count(),
    }


def _appraisal(year: int, community: Organization, subject: str) -> dict[str, Subquery]:
    mine = YearAppraisal.objects.filter(
        community=community, year=year, **{subject: OuterRef(subject)}
    )
    return {
        "grade": Subquery(mine.values("grade")[:1]),
        "comment": Subquery(mine.values("comment")[:1]),
    }


def appraisal_year(raw: str, today: date) -> int:
    """The year appraised: the one asked for, else last year until the end of March, then this
    year."""
    if raw.isdecimal() and 2000 <= int(raw) <= today.year:
        return int(raw)
    return today.year - 1 if today.month <= 3 else today.year


def appraisal_members(user: Any, community: Organization, year: int) -> Any:
    """The members who reported to the community in `year`, with their services and hours there
    that year and the community's appraisal of them."""
    if not policy.can(user, "view", community):
        raise NotVisible("未找到该社区")
    done = (
        Service.objects.filter(
            member_id=OuterRef("member_id"), community=community, done_on__year=year
        )
        .order_by()
        .values("member_id")
    )
    return (
        Report.objects.filter(community=community, year=year)
        .select_related("member__organization")
        .annotate(
            done=Subquery(done.annotate(v=Count("id")).values("v")),
            hours=Subquery(done.annotate(v=Sum("hours")).values("v")),
            **_appraisal(year, community, "member"),
        )
        .order_by("member__organization__path", "member__member_no")
    )


def appraisal_units(user: Any, community: Organization, year: int) -> Any:
    """The units registered with the community, with its appraisal of them for `year`."""
    if not policy.can(user, "view", community):
        raise NotVisible("未找到该社区")
    return (
        UnitRegistration.objects.filter(community=community, registered_on__year__lte=year)
        .select_related("unit")
        .annotate(**_appraisal(year, community, "unit"))
        .order_by("unit__path")
    )


def member_appraisals(member_ids: Any, year: int) -> dict[int, list[YearAppraisal]]:
    """The communities' appraisals of these members for `year` (one query)."""
    out: dict[int, list[YearAppraisal]] = {}
    for a in (
        YearAppraisal.objects.filter(member_id__in=member_ids, year=year)
        .select_related("community")
        .order_by("member_id", "community__name")
    ):
        out.setdefault(a.member_id, []).append(a)  # type: ignore[arg-type]
    return out


CARDS_MAX = 500


def card_members(unit: Organization, year: int, member_id: int | None = None) -> QuerySet[Member]:
    """unit_members with what a 报到证 prints: where the member lives and their report."""
    report = Report.objects.filter(member_id=OuterRef("pk"), year=year)
    home = Residence.objects.filter(member_id=OuterRef("pk"))
    qs = unit_members(unit, year).annotate(
        reported_on=Subquery(report.values("reported_on")[:1]),
        confirmed_on=Subquery(report.values("confirmed_on")[:1]),
        lives_in=Subquery(home.values("place__name")[:1]),
        lives_community=Subquery(home.values("place__community__name")[:1]),
    )
    return qs.filter(pk=member_id) if member_id is not None else qs


RENEW_DAYS = 60  # an agreement ending within this many days is due for renewal
ALLIANCE_STATES = [("active", "有效"), ("due", "即将到期"), ("ended", "已到期")]


def alliances_for(
    user: Any, community: Organization, state: str = "", today: date | None = None
) -> Any:
    """The community's co-building agreements with their activities counted; `state` is
    active (in force, not due), due (ends within RENEW_DAYS) or ended."""
    if not policy.can(user, "view", community):
        raise NotVisible("未找到该社区")
    today = today or timezone.localdate()
    qs = Alliance.objects.filter(community=community)
    soon = today + timedelta(days=RENEW_DAYS)
    if state == "active":
        qs = qs.filter(ends_on__gt=soon)
    elif state == "due":
        qs = qs.filter(ends_on__gte=today, ends_on__lte=soon)
    elif state == "ended":
        qs = qs.filter(ends_on__lt=today)
    return qs.annotate(n_activities=Count("activities")).order_by("ends_on", "id")


def alliance_get(user: Any, pk: int) -> Alliance:
    a = Alliance.objects.select_related("community").filter(pk=pk).first()
    if a is None or not policy.can(user, "view", a.community):
        raise NotVisible("未找到该共建协议")
    return a


FIGURE_COLUMNS = [
    ("month", "月份"),
    ("reported", "新报到党员"),
    ("reported_total", "累计报到党员"),
    ("units", "新报到单位"),
    ("services", "服务次数"),
    ("service_hours", "服务时长（小时）"),
    ("per_member", "人均服务次数（累计）"),
    ("raised", "反映民情"),
    ("solved", "办结"),
    ("solve_days", "平均办结天数"),
    ("volunteers", "参加先锋队活动党员"),
    ("volunteer_hours", "先锋队服务时长（人·小时）"),
]


def figures_year(raw: str, today: date) -> int:
    """The year asked for (this year or one before), else this year."""
    return int(raw) if raw.isdecimal() and 2000 <= int(raw) <= today.year else today.year


class YearMonth(Func):
    """A date's "YYYY-MM", cheap on both databases (SQLite keeps dates as ISO text; Django's
    ExtractMonth calls a Python function there for every row)."""

    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)", **extra)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM')", **extra
        )


def _by_month(qs: Any, field: str, year: int, **aggregates: Any) -> dict[int, dict[str, Any]]:
    """One grouped query: the aggregates of `qs` per month of `field` in `year`; the counts of
    earlier or later months add up under 0."""
    out: dict[int, dict[str, Any]] = {}
    for r in qs.annotate(ym=YearMonth(field)).values("ym").annotate(**aggregates).order_by():
        key = int(r["ym"][5:7]) if int(r["ym"][:4]) == year else 0
        if key in out:
            out[key]["n"] += r["n"]
        else:
            out[key] = r
    return out


def monthly_figures(org: Organization, year: int) -> list[dict[str, Any]]:
    """近邻党建 per month of `year` for `org`'s subtree (a street, a district, the city): members
    and units reported, services and hours, issues raised and solved with the average days taken,
    volunteers and their hours. Six grouped queries, whatever the size of the subtree."""
    inside = {"community__path__under": org.path}
    span = {"__gte": date(year, 1, 1), "__lt": date(year + 1, 1, 1)}

    def within(field: str) -> dict[str, date]:
        return {f"{field}{k}": v for k, v in span.items()}

    # this year's reports by the month reported (one dated the year before counts from January)
    reports = _by_month(
        Report.objects.filter(**inside, year=year), "reported_on", year, n=Count("id")
    )
    units = _by_month(
        UnitRegistration.objects.filter(**inside, **within("registered_on")),
        "registered_on", year, n=Count("id"),
    )  # fmt: skip
    served = _by_month(
        Service.objects.filter(**inside, **within("done_on")), "done_on", year,
        n=Count("id"), h=Sum("hours"),
    )  # fmt: skip
    raised = _by_month(
        Issue.objects.filter(**inside, **within("raised_on")), "raised_on", year, n=Count("id")
    )
    solved = _by_month(
        Issue.objects.filter(
            **inside,
            **within("closed_on"),
            status__in=(IssueStatus.CLOSED, IssueStatus.CONFIRMED),
        ).annotate(
            days=ExpressionWrapper(F("closed_on") - F("raised_on"), output_field=DurationField())
        ),
        "closed_on",
        year,
        n=Count("id"),
        d=Sum("days"),
    )
    took_part = TeamActivity.participants.through.objects.filter(
        teamactivity__team__owner__path__under=org.path,
        **within("teamactivity__held_on"),
    )
    volunteers = _by_month(
        took_part, "teamactivity__held_on", year,
        n=Count("member_id", distinct=True), h=Sum("teamactivity__hours"),
    )  # fmt: skip
    rows, total, done = [], reports.get(0, {}).get("n", 0), 0
    for m in range(1, 13):
        total += reports.get(m, {}).get("n", 0)
        s = served.get(m, {})
        done += s.get("n", 0)
        ok = solved.get(m, {})
        days = ok.get("d")
        rows.append(
            {
                "month": m,
                "reported": reports.get(m, {}).get("n", 0),
                "reported_total": total,
                "units": units.get(m, {}).get("n", 0),
                "services": s.get("n", 0),
                "service_hours": s.get("h") or 0,
                "per_member": round(done / total, 2) if total else 0,
                "raised": raised.get(m, {}).get("n", 0),
                "solved": ok.get("n", 0),
                "solve_days": round(days.total_seconds() / 86400 / ok["n"], 1)
                if days is not None and ok.get("n")
                else None,
                "volunteers": volunteers.get(m, {}).get("n", 0),
                "volunteer_hours": volunteers.get(m, {}).get("h") or 0,
            }
        )
    return rows


def photo_get(user: Any, pk: int) -> Photo:
    """A photo, for whoever may see what it belongs to: an issue's (staff in scope, the raiser),
    a service's (the community and the member's own organization in scope, the member), a team
    activity's (the team's organization in scope)."""
    p = (
        Photo.objects.select_related(
            "service__community", "service__member__organization", "activity__team__owner"
        )
        .filter(pk=pk)
        .first()
    )
    if p is None:
        raise NotVisible("未找到该照片")
    if p.issue_id is not None:
        issue_get(user, p.issue_id)
        return p
    if p.service is not None:
        s = p.service
        if getattr(user, "member_id", None) == s.member_id or any(
            policy.can(user, "view", o) for o in (s.community, s.member.organization)
        ):
            return p
    if p.activity is not None and policy.can(user, "view", p.activity.team.owner):
        return p
    raise NotVisible("未找到该照片")


def residence_of(member: Member) -> Residence | None:
    return Residence.objects.filter(member=member).select_related("place__community").first()
