"""Reads of 学习教育: what a member may study and has studied, hours against the requirement, the
library, question bank and results of an organization — staff reads scoped to the user."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Avg, Count, Exists, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Substr

from dangjian.accounts import policy
from dangjian.compliance.packs import effective_params, params_subquery, rules_params
from dangjian.core.errors import NotVisible
from dangjian.core.prepared import ANCESTOR_SLOTS, Prepared, ancestor_args
from dangjian.members.constants import ACTIVE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Post
from dangjian.orgs.selectors import org_children

from . import search
from .constants import LEADER_POSTS
from .models import (
    Assignment,
    Attempt,
    Course,
    OfflineAttendance,
    OfflineSession,
    Paper,
    PointsChoice,
    PointsSetting,
    Progress,
    Question,
    Resource,
    StudyDay,
    StudyYear,
)


def ancestor_paths(org: Any) -> list[str]:
    return [org.path[:i] for i in range(org.steplen, len(org.path) + 1, org.steplen)]


def visible_courses(org: Any) -> Any:
    """Courses published by this organization or one above it (what its members may study)."""
    return Course.objects.filter(
        publisher__path__in=ancestor_paths(org), published_on__isnull=False
    )


def resource_visible_to(member: Member, resource: Resource) -> bool:
    return visible_courses(member.organization).filter(units__resources=resource).exists()


def requirements(params_member: int = 32, params_leader: int = 56) -> tuple[int, int]:
    member, leader = rules_params("EDU-01", "EDU-02")  # one read
    return int(member.get("hours", params_member)), int(leader.get("hours", params_leader))


def _requirements_of(
    member: dict[str, Any] | None, leader: dict[str, Any] | None
) -> tuple[int, int]:
    """`requirements()` from the stored overrides of EDU-01 and EDU-02, read elsewhere."""
    m, lead = effective_params("EDU-01", member), effective_params("EDU-02", leader)
    return int(m.get("hours", 32)), int(lead.get("hours", 56))


def leaders(member_ids: list[int], year: int) -> set[int]:
    """Members holding a secretary or committee post at some time in the year."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    if len(member_ids) == 1:
        return {r[0] for r in _LEADER.rows(int(member_ids[0]), start, end)}
    return set(
        Post.objects.filter(member_id__in=member_ids, post__in=LEADER_POSTS)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=end))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
        .values_list("member_id", flat=True)
    )


def _leader_posts(member_id: Any, start: Any, end: Any) -> QuerySet[Post]:
    return (
        Post.objects.filter(member_id=member_id, post__in=LEADER_POSTS)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=end))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    )


_LEADER = Prepared(
    lambda member_id, start, end: _leader_posts(member_id, start, end).values_list("member_id")[:1],
    int,
    date,
    date,
)


def measured(members: Any, year: int) -> dict[int, tuple[int, Decimal]]:
    """(online seconds, offline hours) measured here per member in a year: two grouped queries.
    `members`: a list of ids, a queryset of them (a subquery), or None for every member."""
    days = StudyDay.objects.filter(day__year=year)
    sessions = OfflineAttendance.objects.filter(session__held_on__year=year)
    if members is not None:
        days, sessions = days.filter(member_id__in=members), sessions.filter(member_id__in=members)
    out: dict[int, tuple[int, Decimal]] = {}
    for mid, secs in (
        days.values("member_id").annotate(s=Sum("seconds")).values_list("member_id", "s")
    ):
        out[mid] = (int(secs or 0), Decimal(0))
    for mid, h in (
        sessions.values("member_id").annotate(h=Sum("hours")).values_list("member_id", "h")
    ):
        out[mid] = (out.get(mid, (0, Decimal(0)))[0], Decimal(h or 0))
    return out


def online_hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(Decimal("0.1"))


def hours_by_member(member_ids: list[int], year: int) -> dict[int, dict[str, Decimal]]:
    """Online, offline and imported hours of each member in a year: three grouped queries."""
    if len(member_ids) == 1:
        return {member_ids[0]: _one_member_hours(int(member_ids[0]), year)}
    out: dict[int, dict[str, Decimal]] = {
        m: {
            "online": Decimal(0),
            "offline": Decimal(0),
            "imported": Decimal(0),
            "seconds": Decimal(0),
        }
        for m in member_ids
    }
    for mid, (secs, offline) in measured(member_ids, year).items():
        out[mid].update(online=online_hours(secs), seconds=Decimal(secs), offline=offline)
    for mid, h in StudyYear.objects.filter(member_id__in=member_ids, year=year).values_list(
        "member_id", "hours"
    ):
        out[mid]["imported"] = Decimal(h)
    for v in out.values():
        v["total"] = v["online"] + v["offline"] + v["imported"]
    return out


def _one_member_hours(member_id: int, year: int) -> dict[str, Decimal]:
    """hours_by_member for one member: the same three sums, in one read compiled once."""
    rows = _HOURS.rows(member_id, date(year, 1, 1), date(year, 12, 31), year)
    return _hours(*(rows[0] if rows else (None, None, None)))


class MyYear(NamedTuple):
    hours: dict[str, Decimal]  # as hours_by_member gives them
    leader: bool  # held a secretary's or committee post in the year (as leaders)
    need: int  # the hours required of them (requirements(): a leader's or a member's)
    points_on: bool  # the deployment turned study points on (points_setting().enabled)


def my_study_year(member: Member, year: int) -> MyYear:
    """学习 on the phone: the member's hours in `year`, whether they held a leader's post in it,
    the hours required of them and whether points are on, in one read compiled once."""
    rows = _MY_YEAR.rows(member.pk, date(year, 1, 1), date(year, 12, 31), year)
    if not rows:
        rows = [(None, None, None, False, None, None, None)]
    seconds, offline, imported, leader, p_member, p_leader, points_on = rows[0]
    need_member, need_leader = _requirements_of(p_member, p_leader)
    return MyYear(
        _hours(seconds, offline, imported),
        bool(leader),
        need_leader if leader else need_member,
        bool(points_on),
    )


def _hours(seconds: Any, offline: Any, imported: Any) -> dict[str, Decimal]:
    h = {"online": Decimal(0), "offline": Decimal(0), "imported": Decimal(0), "seconds": Decimal(0)}
    if seconds is not None or offline is not None:
        # as measured() gives them: only for a member with a row of either
        h["online"] = online_hours(int(seconds or 0))
        h["seconds"] = Decimal(int(seconds or 0))
        h["offline"] = Decimal(offline or 0)
    if imported is not None:
        h["imported"] = Decimal(imported)
    h["total"] = h["online"] + h["offline"] + h["imported"]
    return h


def _member_sum(model: Any, day: str, value: str, member_id: Any, start: Any, end: Any) -> Any:
    """A member's sum of `value` over the rows whose `day` lies in [start, end] (NULL for none)."""
    return Subquery(
        model.objects.filter(member_id=member_id, **{f"{day}__gte": start, f"{day}__lte": end})
        .values("member_id")
        .annotate(v=Sum(value))
        .values("v")
    )


def _year_sums(member_id: Any, start: Any, end: Any, year: Any) -> list[Any]:
    """The online seconds, offline hours and imported hours of a member's year."""
    return [
        _member_sum(StudyDay, "day", "seconds", member_id, start, end),
        _member_sum(OfflineAttendance, "session__held_on", "hours", member_id, start, end),
        Subquery(StudyYear.objects.filter(member_id=member_id, year=year).values("hours")[:1]),
    ]


_HOURS = Prepared(
    lambda member_id, start, end, year: Member.objects.filter(pk=member_id).values_list(
        *_year_sums(member_id, start, end, year)
    ),
    int,
    date,
    date,
    int,
)
_MY_YEAR = Prepared(
    lambda member_id, start, end, year: Member.objects.filter(pk=member_id).values_list(
        *_year_sums(member_id, start, end, year),
        Exists(_leader_posts(member_id, start, end)),
        params_subquery("EDU-01"),
        params_subquery("EDU-02"),
        Subquery(PointsSetting.objects.order_by("pk").values("enabled")[:1]),
    ),
    int,
    date,
    date,
    int,
)


def year_points(member_ids: list[int], year: int) -> dict[int, int]:
    return dict(
        StudyDay.objects.filter(member_id__in=member_ids, day__year=year)
        .values("member_id")
        .annotate(p=Sum("points"))
        .values_list("member_id", "p")
    )


def ranking(org: Any, year: int, limit: int = 20) -> list[tuple[str, int]]:
    """The ranking within a branch: only members who chose to appear, and only when the deployment
    turned rankings on."""
    s = PointsSetting.objects.first()
    if not (s and s.enabled and s.ranking):
        return []
    rows = (
        StudyDay.objects.filter(
            day__year=year,
            member__organization__path__under=org.path,
            member__points_choice__ranking=True,
        )
        .values("member__name")
        .annotate(p=Sum("points"))
        .order_by("-p", "member__name")[:limit]
    )
    return [(r["member__name"], r["p"] or 0) for r in rows]


# ---- the library (staff) -------------------------------------------------------------------------
# ---


def library_courses(org: Any) -> QuerySet[Course]:
    """Published by this organization or above it, and the drafts of its own subtree (never a
    superior's draft), newest first, with their number of resources."""
    return (
        Course.objects.filter(
            Q(publisher__path__in=ancestor_paths(org), published_on__isnull=False)
            | Q(publisher__path__under=org.path)
        )
        .select_related("publisher")
        .annotate(n=Count("units__resources"))
        .order_by("-published_on", "-id")
    )


def resources_found(q: str, courses: QuerySet[Course], limit: int = 50) -> list[Resource]:
    """Full-text search (jieba-segmented) among the resources of `courses`."""
    return list(
        Resource.objects.filter(
            search.search_q(q), unit__course__in=courses.values("id")
        ).select_related("unit__course")[:limit]
    )


def course_get(user: Any, pk: int) -> Course:
    """A course staff may see: published in their subtree, or published above it."""
    c = Course.objects.select_related("publisher").filter(pk=pk).first()
    if c is None or not (
        policy.can(user, "view", c.publisher)
        or (
            c.published_on is not None
            and any(p.startswith(c.publisher.path) for p in policy.roots(user))
        )
    ):
        raise NotVisible("未找到该课程")
    return c


def course_parts(c: Course) -> dict[str, list[Any]]:
    """A course's units (with their resources), assignments (with the organization) and papers."""
    return {
        "units": list(c.units.prefetch_related("resources")),
        "assignments": list(c.assignments.select_related("organization")),
        "papers": list(c.papers.all()),
    }


def staff_resource_get(user: Any, pk: int) -> Resource:
    """A resource of a course the staff user may see."""
    r = Resource.objects.select_related("unit__course__publisher").filter(pk=pk).first()
    if r is None:
        raise NotVisible("未找到该学习资料")
    course_get(user, r.unit.course_id)
    return r


def assign_targets(user: Any) -> QuerySet[Any]:
    """The organizations a course may be assigned to: those the user changes, groups excepted."""
    return policy.visible_to(user, "change").exclude(kind="group").order_by("path")


def studying_members(org: Any) -> QuerySet[Member]:
    """The full and probationary members of an organization's subtree (who study, who are
    counted)."""
    return Member.objects.filter(organization__path__under=org.path, status__in=ACTIVE_STATUSES)


def sessions_of(org: Any, year: int, limit: int = 20) -> QuerySet[OfflineSession]:
    """The subtree's offline sessions of a year with their number of participants."""
    return OfflineSession.objects.filter(
        organization__path__under=org.path, held_on__year=year
    ).annotate(n=Count("attendance"))[:limit]


def question_topics(org: Any) -> list[dict[str, Any]]:
    """The question bank's topics usable by an organization (its own and those above), counted."""
    rows = (
        Question.objects.filter(publisher__path__in=ancestor_paths(org))
        .values("topic")
        .annotate(n=Count("id"))
        .order_by("topic")
    )
    return [dict(r) for r in rows]


def papers_of(org: Any) -> list[Paper]:
    return list(
        Paper.objects.filter(publisher__path__in=ancestor_paths(org)).annotate(
            n=Count("questions", distinct=True)
        )
    )


def quiz_results(user: Any, org: Any) -> list[dict[str, Any]]:
    """Attempts per sub-organization (attempts, people, average, passed): one grouped query."""
    width = len(org.path) + org.steplen
    children = {
        c["path"]: c["name"]
        for c in org_children(user, org).exclude(kind="group").values("path", "name")
    }
    if not children:
        return []
    rows = (
        Attempt.objects.filter(member__organization__path__under=org.path)
        .annotate(prefix=Substr("member__organization__path", 1, width))
        .values("prefix")
        .annotate(
            n=Count("id"),
            people=Count("member", distinct=True),
            avg=Avg("score"),
            passed=Count("id", filter=Q(passed=True)),
        )
        .order_by("prefix")
    )
    return [{**r, "name": children[r["prefix"]]} for r in rows if r["prefix"] in children]


def points_setting() -> PointsSetting | None:
    found = _POINTS_SETTING.instances(PointsSetting)
    return found[0] if found else None


# on every member's 学习: compiled once (core.prepared)
_POINTS_SETTING = Prepared(lambda: PointsSetting.objects.order_by("pk")[:1])
_POINTS_CHOICE = Prepared(
    lambda member_id: PointsChoice.objects.filter(member_id=member_id).order_by("pk")[:1], int
)


# ---- the member's own ----------------------------------------------------------------------------
# -----


def member_resource_get(member: Member, pk: int) -> Resource:
    """A resource of a course the member may study."""
    r = Resource.objects.select_related("unit__course").filter(pk=pk).first()
    if r is None or not resource_visible_to(member, r):
        raise NotVisible("未找到该学习资料")
    return r


def member_course_get(member: Member, pk: int) -> tuple[Course, list[Any], list[Paper]]:
    """A course the member may study, with its units and papers; each resource carries `mine`
    (the member's progress on it, or None)."""
    c = visible_courses(member.organization).filter(pk=pk).first()
    if c is None:
        raise NotVisible("未找到该课程")
    units = list(c.units.prefetch_related("resources"))
    mine = {
        p.resource_id: p for p in Progress.objects.filter(member=member, resource__unit__course=c)
    }
    for u in units:
        for r in u.resources.all():
            r.mine = mine.get(r.pk)  # type: ignore[attr-defined]
    return c, units, list(c.papers.all())


def progress_of(member: Member, resource: Resource) -> Progress | None:
    return Progress.objects.filter(member=member, resource=resource).first()


def assigned_to(member: Member, limit: int = 20) -> list[Assignment]:
    """The courses assigned to the member's organization or above, nearest due first; each with
    `done` and `total` (resources completed by the member, resources in the course)."""
    org = member.organization
    paths = ancestor_args(org.path, org.steplen)
    if paths is not None and limit == ASSIGNED_LIMIT:
        # on every member's 首页 and 学习: one read compiled once — the assignments with their
        # courses, each with its course's resources and those the member completed
        return _ASSIGNED.instances_related(
            Assignment, (("course", Course),), member.pk, *paths, extra=("done", "total")
        )
    assigned = list(
        Assignment.objects.filter(organization__path__in=ancestor_paths(member.organization))
        .select_related("course")
        .order_by("due_on", "id")[:limit]
    )
    done = dict(
        Progress.objects.filter(member=member, completed_at__isnull=False)
        .values("resource__unit__course")
        .annotate(n=Count("id"))
        .values_list("resource__unit__course", "n")
    )
    totals = dict(
        Resource.objects.filter(unit__course__in=[a.course_id for a in assigned])
        .values("unit__course")
        .annotate(n=Count("id"))
        .values_list("unit__course", "n")
    )
    for a in assigned:
        a.done, a.total = done.get(a.course_id, 0), totals.get(a.course_id, 0)  # type: ignore[attr-defined]
    return assigned


ASSIGNED_LIMIT = 20
_PATHS = (str,) * ANCESTOR_SLOTS


def _assigned_above(*paths: str) -> QuerySet[Assignment]:
    return Assignment.objects.filter(organization__path__in=paths)


def unfinished_assigned(member_id: Any, *paths: Any) -> QuerySet[Resource]:
    """The resources of courses assigned to the organizations at `paths` that the member has not
    completed (a course of `assigned_to` with done < total has one: a member's progress is one
    row per resource)."""
    completed = Progress.objects.filter(
        member_id=member_id, resource_id=OuterRef("pk"), completed_at__isnull=False
    )
    return Resource.objects.filter(
        unit__course__in=_assigned_above(*paths).values("course_id")
    ).exclude(Exists(completed))


def _shown(*paths: str) -> QuerySet[Assignment]:
    """The assignments 学习 and 首页 show (the nearest due first), whatever the history above."""
    return _assigned_above(*paths).order_by("due_on", "id")[:ASSIGNED_LIMIT]


def _assigned_with_counts(member_id: int, *paths: str) -> QuerySet[Assignment]:
    """The assignments shown, with their courses; each with the resources of its course the
    member completed (`done`) and the resources it has (`total`)."""
    completed = (
        Progress.objects.filter(
            member_id=member_id,
            completed_at__isnull=False,
            resource__unit__course=OuterRef("course_id"),
        )
        .values("member_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    resources = (
        Resource.objects.filter(unit__course=OuterRef("course_id"))
        .values("unit__course")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        _shown(*paths)
        .select_related("course")
        .annotate(done=Coalesce(Subquery(completed), 0), total=Coalesce(Subquery(resources), 0))
    )


_ASSIGNED = Prepared(_assigned_with_counts, int, *_PATHS)


def resume_point(member: Member) -> Progress | None:
    """Where the member stopped: the latest resource begun and not completed."""
    found = _RESUME.instances_joined(Progress, "resource", Resource, member.pk)
    return found[0] if found else None


def _begun(member_id: int) -> QuerySet[Progress]:
    return Progress.objects.filter(member_id=member_id, completed_at__isnull=True).order_by(
        "-updated_at", "-pk"
    )[:1]


_RESUME = Prepared(lambda member_id: _begun(member_id).select_related("resource"), int)


def recent_courses(org: Any, limit: int = 10) -> list[Course]:
    """The courses the organization's members may study, newest first."""
    paths = ancestor_args(org.path, org.steplen)
    if paths is not None and limit == RECENT_COURSES:
        return _RECENT_COURSES.instances(Course, *paths)
    return list(visible_courses(org).order_by("-published_on", "-id")[:limit])


RECENT_COURSES = 10
_RECENT_COURSES = Prepared(
    lambda *paths: Course.objects.filter(
        publisher__path__in=paths, published_on__isnull=False
    ).order_by("-published_on", "-id")[:RECENT_COURSES],
    *_PATHS,
)


def member_search(member: Member, q: str, limit: int = 20) -> list[Resource]:
    return list(
        Resource.objects.filter(
            search.search_q(q),
            unit__course__in=visible_courses(member.organization).values("id"),
        ).select_related("unit__course")[:limit]
    )


def member_papers(member: Member, limit: int = 10) -> list[Paper]:
    """Papers the member may take, newest first; each with `best` (the member's best score)."""
    org = member.organization
    paths = ancestor_args(org.path, org.steplen)
    if paths is not None and limit == RECENT_PAPERS:
        return _PAPERS.instances(Paper, member.pk, *paths, extra=("best",))
    papers = list(
        Paper.objects.filter(publisher__path__in=ancestor_paths(member.organization)).order_by(
            "-created_at", "-id"
        )[:limit]
    )
    best = dict(
        Attempt.objects.filter(member=member, paper__in=papers)
        .values("paper")
        .annotate(b=Max("score"))
        .values_list("paper", "b")
    )
    for p in papers:
        p.best = best.get(p.pk)  # type: ignore[attr-defined]
    return papers


RECENT_PAPERS = 10


def _papers(member_id: int, *paths: str) -> QuerySet[Paper]:
    best = (
        Attempt.objects.filter(member_id=member_id, paper=OuterRef("pk"))
        .values("paper")
        .annotate(b=Max("score"))
        .values("b")
    )
    return (
        Paper.objects.filter(publisher__path__in=paths)
        .annotate(best=Subquery(best))
        .order_by("-created_at", "-id")[:RECENT_PAPERS]
    )


# the papers with the member's best score: one read compiled once
_PAPERS = Prepared(_papers, int, *_PATHS)


def member_paper_get(member: Member, pk: int) -> Paper:
    paper = Paper.objects.filter(
        pk=pk, publisher__path__in=ancestor_paths(member.organization)
    ).first()
    if paper is None:
        raise NotVisible("未找到该试卷")
    return paper


def member_attempt_get(member: Member, pk: int) -> Attempt:
    a = Attempt.objects.select_related("paper").filter(pk=pk, member=member).first()
    if a is None:
        raise NotVisible("未找到该答卷")
    return a


def points_choice(member: Member) -> PointsChoice | None:
    found = _POINTS_CHOICE.instances(PointsChoice, member.pk)
    return found[0] if found else None
