"""非公党建 reads, scoped: an enterprise is seen by those who see the committee in charge of it or
its park's joint committee. Coverage figures are one aggregate query each."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from dangjian.accounts import policy
from dangjian.core.dates import add_months
from dangjian.core.errors import NotVisible
from dangjian.core.prepared import Prepared
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

from .models import (
    Assignment,
    Brand,
    BrandLogo,
    Enterprise,
    FollowUp,
    Honour,
    InnovationCase,
    Instructor,
    InstructorVisit,
    KeyPosition,
    Park,
    RelationCase,
    Station,
)
from .rules import current_assignment_q, quarter_start


def _under(org: Organization) -> Q:
    return Q(unit__committee__path__under=org.path) | Q(park__organization__path__under=org.path)


def enterprise_q(user: Any, action: str = "view") -> Q | None:
    a = policy.path_q(user, action, "unit__committee__path")
    b = policy.path_q(user, action, "park__organization__path")
    if a is None and b is None:
        return None
    return (a or Q(pk__in=[])) | (b or Q(pk__in=[]))


def enterprises_under(org: Organization) -> QuerySet[Enterprise]:
    """The enterprises in the charge of `org`'s subtree or in its parks (the caller has checked
    that the user sees `org`)."""
    return Enterprise.objects.filter(_under(org))


def enterprise_get(user: Any, pk: int) -> Enterprise:
    q = enterprise_q(user)
    e = (
        Enterprise.objects.filter(q)
        .filter(pk=pk)
        .select_related("unit__committee", "unit__organization", "park__organization")
        .first()
        if q is not None
        else None
    )
    if e is None:
        raise NotVisible()
    return e


def covered_q(as_of: date) -> tuple[Q, Q, Q]:
    """(own organization, organization coverage — own or joint, work coverage — an organization
    or an instructor) on `as_of`."""
    own = Q(unit__organization__is_active=True, unit__organization__is_joint=False)
    org = Q(unit__organization__is_active=True)
    assigned = Exists(
        Assignment.objects.filter(enterprise_id=OuterRef("pk")).filter(current_assignment_q(as_of))
    )
    return own, org, org | Q(assigned)


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    def pct(a: int, b: int) -> float | None:
        return round(a * 100 / b, 1) if b else None

    row["org_rate"] = pct(row["org"], row["total"])
    row["own_rate"] = pct(row["own"], row["total"])
    row["work_rate"] = pct(row["work"], row["total"])
    row["none"] = row["total"] - row["work"]
    row["member_rate"] = pct(row["covered"], row["members"])
    return row


def coverage_report(
    qs: QuerySet[Enterprise], as_of: date
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The two coverages for the enterprises and per park (园区外 for those in none), in two
    queries: each enterprise's coverage on `as_of`, and the active members employed in each
    (through the (employer, status) index); summed here over those rows."""
    own, org, work = covered_q(as_of)
    rows = list(
        qs.annotate(
            is_own=Case(When(own, then=1), default=0, output_field=IntegerField()),
            is_org=Case(When(org, then=1), default=0, output_field=IntegerField()),
            is_work=Case(When(work, then=1), default=0, output_field=IntegerField()),
        )
        .order_by()
        .values_list("pk", "park_id", "park__name", "is_own", "is_org", "is_work")
    )
    counts = {
        e: (n, full)
        for e, n, full in Member.objects.filter(
            employer_id__in=[r[0] for r in rows], status__in=ACTIVE_STATUSES
        )
        .values("employer_id")
        .annotate(n=Count("pk"), full=Count("pk", filter=Q(status="full")))
        .order_by()
        .values_list("employer_id", "n", "full")
    }

    def empty(park_id: int | None, name: str) -> dict[str, Any]:
        return {"park_id": park_id, "park__name": name, "total": 0, "own": 0, "org": 0,
                "work": 0, "members": 0, "full": 0, "covered": 0}  # fmt: skip

    total = empty(None, "合计")
    parks: dict[int | None, dict[str, Any]] = {}
    for pk, park_id, park_name, is_own, is_org, is_work in rows:
        n, full = counts.get(pk, (0, 0))
        for row in (total, parks.setdefault(park_id, empty(park_id, park_name or "园区外"))):
            row["total"] += 1
            row["own"] += is_own
            row["org"] += is_org
            row["work"] += is_work
            row["members"] += n
            row["full"] += full
            row["covered"] += n if is_org else 0
    ordered = sorted(parks.values(), key=lambda r: (r["park_id"] is None, r["park__name"]))
    return _rates(total), [_rates(r) for r in ordered]


def coverage(qs: QuerySet[Enterprise], as_of: date) -> dict[str, Any]:
    return coverage_report(qs, as_of)[0]


def coverage_by_park(qs: QuerySet[Enterprise], as_of: date) -> list[dict[str, Any]]:
    return coverage_report(qs, as_of)[1]


def coverage_trend(qs: QuerySet[Enterprise], as_of: date, months: int = 12) -> list[dict[str, Any]]:
    """The coverage rates at the end of each of the last `months` months (the current month to
    date): an organization counts from its founding, an instructor over the assignment."""
    ends = []
    first = as_of.replace(day=1)
    for i in range(months - 1, -1, -1):
        start = add_months(first, -i)
        end = min(add_months(start, 1) - timedelta(days=1), as_of)
        ends.append(end)
    # two reads (the enterprises with their organization's founding, the assignments), then
    # counted for each month end from those rows
    founded = dict(
        qs.values_list("pk", "unit__organization__established_on").filter(
            unit__organization__is_active=True
        )
    )
    total = qs.count()
    ranges: dict[int, list[tuple[date, date | None]]] = {}
    for eid, since, until in Assignment.objects.filter(enterprise__in=qs.values("pk")).values_list(
        "enterprise_id", "since", "until"
    ):
        ranges.setdefault(eid, []).append((since, until))
    out = []
    for d in ends:
        org = {e for e, on in founded.items() if on is not None and on <= d}
        work = org | {
            e for e, rs in ranges.items() if any(s <= d and (u is None or u >= d) for s, u in rs)
        }
        out.append(
            {
                "month": f"{d:%Y-%m}",
                "org": len(org),
                "work": len(work),
                "org_rate": round(len(org) * 100 / total, 1) if total else None,
                "work_rate": round(len(work) * 100 / total, 1) if total else None,
            }
        )
    return out


COVERAGE_FILTERS = {
    "own": "单独建立党组织",
    "joint": "纳入联合党支部",
    "instructor": "仅选派指导员",
    "none": "未覆盖",
    "ent01": "3名以上正式党员未单独建组织",
}


def enterprise_list(
    qs: QuerySet[Enterprise],
    as_of: date,
    *,
    q: str = "",
    park: str = "",
    kind: str = "",
    cover: str = "",
    sort: str = "",
) -> QuerySet[Enterprise]:
    employed = (
        Member.objects.filter(employer_id=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .order_by()
        .values("employer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    full = (
        Member.objects.filter(employer_id=OuterRef("pk"), status="full")
        .order_by()
        .values("employer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    current = Assignment.objects.filter(enterprise_id=OuterRef("pk")).filter(
        current_assignment_q(as_of)
    )
    rows = qs.select_related("unit__organization", "park").annotate(
        members=Coalesce(Subquery(employed, output_field=IntegerField()), 0),
        full=Coalesce(Subquery(full, output_field=IntegerField()), 0),
        instructor=Subquery(current.values("instructor__name")[:1]),
    )
    if q:
        rows = rows.filter(Q(unit__name__icontains=q) | Q(unit__credit_code__icontains=q))
    if park == "none":
        rows = rows.filter(park__isnull=True)
    elif park.isdecimal() and len(park) < 12:
        rows = rows.filter(park_id=int(park))
    if kind in ("enterprise", "social"):
        rows = rows.filter(kind=kind)
    active = Q(unit__organization__is_active=True)
    if cover == "own":
        rows = rows.filter(active, unit__organization__is_joint=False)
    elif cover == "joint":
        rows = rows.filter(active, unit__organization__is_joint=True)
    elif cover == "instructor":
        rows = rows.exclude(active).filter(Exists(current))
    elif cover == "none":
        rows = rows.exclude(active).exclude(Exists(current))
    elif cover == "ent01":
        rows = rows.filter(full__gte=3).exclude(active, unit__organization__is_joint=False)
    order = {
        "name": "unit__name",
        "-members": "-members",
        "members": "members",
        "-employees": "-employees",
    }.get(sort, "unit__name")
    return rows.order_by(order, "pk")


def parks_under(org: Organization) -> QuerySet[Park]:
    return (
        Park.objects.filter(
            Q(organization__path__under=org.path)
            | Q(enterprises__unit__committee__path__under=org.path)
        )
        .distinct()
        .order_by("name")
    )


def instructors_under(org: Organization) -> QuerySet[Instructor]:
    return Instructor.objects.filter(organization__path__under=org.path)


def instructor_get(user: Any, pk: int) -> Instructor:
    q = policy.path_q(user, "view", "organization__path")
    ins = (
        Instructor.objects.filter(q, pk=pk)
        .select_related("organization", "station", "member")
        .first()
        if q is not None
        else None
    )
    if ins is None:
        raise NotVisible()
    return ins


def workload(qs: QuerySet[Instructor], as_of: date) -> QuerySet[Instructor]:
    """Each instructor with the enterprises assigned now, visits this month and quarter, and the
    follow-ups overdue."""
    month = as_of.replace(day=1)
    quarter = quarter_start(as_of)

    assigned = (
        Assignment.objects.filter(instructor_id=OuterRef("pk"))
        .filter(current_assignment_q(as_of))
        .order_by()
        .values("instructor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def visits(since: date) -> Any:
        return (
            InstructorVisit.objects.filter(instructor_id=OuterRef("pk"), visited_on__gte=since)
            .order_by()
            .values("instructor_id")
            .annotate(n=Count("pk"))
            .values("n")
        )

    overdue = (
        FollowUp.objects.filter(
            visit__instructor_id=OuterRef("pk"), done_on__isnull=True, due_on__lt=as_of
        )
        .order_by()
        .values("visit__instructor_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.select_related("station").annotate(
        assigned=Coalesce(Subquery(assigned, output_field=IntegerField()), 0),
        visits_month=Coalesce(Subquery(visits(month), output_field=IntegerField()), 0),
        visits_quarter=Coalesce(Subquery(visits(quarter), output_field=IntegerField()), 0),
        overdue=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
    )


def stations_under(org: Organization) -> QuerySet[Station]:
    return Station.objects.filter(organization__path__under=org.path).annotate(
        n=Count("instructors")
    )


def overdue_followups(user: Any, as_of: date) -> QuerySet[FollowUp]:
    """Follow-ups past their due date for the instructors of the user's scope."""
    q = policy.path_q(user, "change", "visit__instructor__organization__path")
    if q is None:
        return FollowUp.objects.none()
    return FollowUp.objects.filter(q, done_on__isnull=True, due_on__lt=as_of)


def open_cases(user: Any) -> QuerySet[RelationCase]:
    q = policy.path_q(user, "change", "handler__path")
    if q is None:
        return RelationCase.objects.none()
    return RelationCase.objects.filter(q, closed_on__isnull=True)


def instructor_now(member_id: Any) -> QuerySet[Instructor]:
    """The member's current post as a party-building instructor (none or one)."""
    return Instructor.objects.filter(member_id=member_id, ended_on__isnull=True)


def my_instructor(member: Member, *, holds: bool | None = None) -> Instructor | None:
    """The member's own current post as a party-building instructor, if they hold one. `holds`:
    whether they do, when the caller has read it already (the 待办 gate, 我的)."""
    if holds is None:
        holds = bool(_INSTRUCTOR.rows(member.pk))
    if not holds:
        return None  # nearly every member: one read compiled once
    return instructor_now(member.pk).select_related("organization", "station").first()


_INSTRUCTOR = Prepared(lambda member_id: instructor_now(member_id).values_list("pk")[:1], int)


def monthly_report(ins: Instructor, month: date) -> dict[str, Any]:
    """An instructor's month from their visits: enterprises visited, what was done, problems,
    follow-ups raised and done, members found in the relationship check."""
    end = add_months(month, 1) - timedelta(days=1)
    visits = list(
        ins.visits.filter(visited_on__gte=month, visited_on__lte=end)
        .select_related("enterprise__unit")
        .prefetch_related("followups", "cases")
        .order_by("visited_on", "pk")
    )
    topics: dict[str, int] = {}
    for v in visits:
        for t in v.topic_labels():
            topics[t] = topics.get(t, 0) + 1
    followups = [f for v in visits for f in v.followups.all()]
    return {
        "month": month,
        "visits": visits,
        "enterprises": len({v.enterprise_id for v in visits}),
        "topics": sorted(topics.items(), key=lambda kv: -kv[1]),
        "followups": len(followups),
        "done": sum(1 for f in followups if f.done_on is not None),
        "cases": sum(len(v.cases.all()) for v in visits),
        "assigned": Assignment.objects.filter(instructor=ins)
        .filter(current_assignment_q(end))
        .count(),
    }


def showcase(
    org: Organization, *, kind: str = "", level: str = "", year: str = "", q: str = ""
) -> Any:
    """The subtree's brands, honours and innovation cases as one list, newest first: rows of
    (k: the kind, pk, t: title, org, y: year, d: detail, lv: level, logo, at)."""
    year_n = int(year) if year.isdecimal() and len(year) == 4 else None
    logo = BrandLogo.objects.filter(brand_id=OuterRef("pk")).order_by("-pk").values("pk")[:1]
    no_logo = Value(None, output_field=IntegerField())
    # kind → (model, title, year, detail, level, logo, searched fields)
    sources: dict[str, tuple[Any, str, str, str, Any, Any, tuple[str, ...]]] = {
        "brand": (Brand, "name", "since", "description", Value(""),
                  Subquery(logo, output_field=IntegerField()), ("name", "description")),
        "honour": (Honour, "title", "year", "awarded_by", F("level"), no_logo,
                   ("title", "awarded_by")),
        "case": (InnovationCase, "title", "year", "award", Value(""), no_logo,
                 ("title", "award")),
    }  # fmt: skip
    parts: list[Any] = []
    for k, (model, title, y, detail, lv, pic, searched) in sources.items():
        if kind not in ("", k) or (level and k != "honour"):
            continue
        rows = model.objects.filter(organization__path__under=org.path)
        if level:
            rows = rows.filter(level=level)
        if year_n:
            rows = rows.filter(**{y: year_n})
        if q:
            match = Q()
            for f in searched:
                match |= Q(**{f"{f}__icontains": q})
            rows = rows.filter(match)
        parts.append(
            rows.annotate(
                k=Value(k),
                t=F(title),
                org=F("organization__name"),
                y=F(y),
                d=F(detail),
                lv=lv,
                logo=pic,
                at=F("created_at"),
            )  # fmt: skip
            .order_by()
            .values("k", "pk", "t", "org", "y", "d", "lv", "logo", "at")
        )
    if not parts:
        return Brand.objects.none().values("pk")
    first, *rest = parts
    return (first.union(*rest, all=True) if rest else first).order_by("-y", "-at", "-pk")


def key_position_share(qs: QuerySet[Enterprise]) -> dict[str, Any]:
    row = KeyPosition.objects.filter(enterprise__in=qs.values("pk")).aggregate(
        total=Count("pk"), held=Count("pk", filter=Q(member__isnull=False))
    )
    row["rate"] = round(row["held"] * 100 / row["total"], 1) if row["total"] else None
    return row
