"""Learning rules (rules.md §6; rules-contract.md "Transfers and learning").

A member's hours in a year = study.csv's hours (no row = 0) + online study measured here + offline
sessions recorded here + the hours of classes completed at the academy (`evidence`); on a
hand-made bundle with only study.csv the first alone exists, so EDU-01 is the contract's rule to
the letter. Concentrated training is an offline session of kind 集中培训 or a completed academy
class of the right kind (bundle files classes.csv and enrolments.csv): the training clauses
(EDU-02's second half, EDU-03, EDU-04) judge only a deployment that records concentrated
trainings at all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    FloatField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from dangjian.compliance.engine import Citation, Hit, ScanContext, rule
from dangjian.compliance.packs import rule_params
from dangjian.core.sqldates import AddMonths
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.orgs.models import Post

from . import evidence
from .constants import LEADER_POSTS
from .models import OfflineAttendance, OfflineSession, SessionKind, StudyDay, StudyYear

PX = "2019—2023年全国党员教育培训工作规划"


def _hours(year: int, upto: date | None = None):  # type: ignore[no-untyped-def]
    """The member's hours in `year` (up to `upto` for the year in progress), as a float
    expression."""
    days = StudyDay.objects.filter(member_id=OuterRef("pk"), day__year=year)
    sessions = OfflineAttendance.objects.filter(
        member_id=OuterRef("pk"), session__held_on__year=year
    )
    if upto is not None:
        days, sessions = days.filter(day__lte=upto), sessions.filter(session__held_on__lte=upto)
    online = Subquery(
        days.order_by().values("member_id").annotate(s=Sum("seconds")).values("s")[:1]
    )
    offline = Subquery(
        sessions.order_by().values("member_id").annotate(h=Sum("hours")).values("h")[:1]
    )
    imported = Subquery(
        StudyYear.objects.filter(member_id=OuterRef("pk"), year=year).values("hours")[:1]
    )
    total = (
        Coalesce(Cast(imported, FloatField()), Value(0.0))
        + Coalesce(Cast(offline, FloatField()), Value(0.0))
        + Coalesce(Cast(online, FloatField()), Value(0.0)) / 3600.0
    )
    for qs in evidence.trainings():  # completed classes count as offline study (the academy)
        done = qs.filter(ev_member=OuterRef("pk"), ev_on__year=year)
        if upto is not None:
            done = done.filter(ev_on__lte=upto)
        trained = Subquery(
            done.order_by().values("ev_member").annotate(h=Sum("ev_hours")).values("h")[:1]
        )
        total = total + Coalesce(Cast(trained, FloatField()), Value(0.0))
    return total


def _members(ctx: ScanContext, year: int):  # type: ignore[no-untyped-def]
    """Members who were members (and their organization established) for the whole of `year`."""
    start = date(year, 1, 1)
    qs = Member.objects.filter(
        status__in=FEE_STATUSES, joined_on__lte=start, organization__established_on__lte=start
    ).order_by()
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    return qs


def _years(ctx: ScanContext) -> list[int]:
    """Complete years starting on or after the window's first day."""
    w = ctx.window_start
    return [y for y in range(w.year, ctx.as_of.year) if date(y, 1, 1) >= w]


def _leader_q(year: int) -> Q:

    posts = (
        Post.objects.filter(member_id=OuterRef("pk"), post__in=LEADER_POSTS)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=date(year, 12, 31)))
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=date(year, 1, 1)))
    )
    return Q(Exists(posts))


def _records_training() -> bool:
    return OfflineSession.objects.filter(kind=SessionKind.TRAINING).exists() or any(
        qs.exists() for qs in evidence.trainings()
    )


def _trained(purposes: tuple[str, ...], member: str = "pk", **window: Any) -> Q:
    """Concentrated training recorded for the member: an offline session of kind 集中培训 (any
    purpose) or a completed training of one of `purposes` (the academy's classes), with `window`
    the lookups on its date (``gte``/``lte``/``year`` → OuterRef names or values)."""

    def on(prefix: str) -> dict[str, Any]:
        return {
            f"{prefix}__{k}": OuterRef(v) if isinstance(v, str) else v for k, v in window.items()
        }

    q = Q(
        Exists(
            OfflineAttendance.objects.filter(
                member_id=OuterRef(member),
                session__kind=SessionKind.TRAINING,
                **on("session__held_on"),
            )
        )
    )
    for qs in evidence.trainings(purposes):
        q |= Q(Exists(qs.filter(ev_member=OuterRef(member), **on("ev_on"))))
    return q


def _fmt(h: float) -> str:
    return f"{h:.1f}".rstrip("0").rstrip(".")


@rule(
    "EDU-01",
    title="党员年度学习学时不足",
    category="learning",
    reads=("academy",),
    severity="warn",
    citation=Citation(PX, "党员每年集中学习培训时间一般不少于32学时", "S"),
    expects="党员每年参加集中培训和集体学习不少于32学时。",
    action="支部督促党员补学，组织集中学习；学时统计有遗漏的，补录线下学习记录。",
    defaults={"hours": 32},
)
def edu_01(ctx: ScanContext) -> Iterable[Hit]:
    need = float(ctx.params.get("hours", 32))
    for year in _years(ctx):
        q = _members(ctx, year).annotate(h=_hours(year)).filter(h__lt=need)
        for r in q.values("id", "organization_id", "h"):
            yield Hit(
                r["organization_id"],
                f"{year}年学习{_fmt(r['h'])}学时，少于{_fmt(need)}学时。",
                member_id=r["id"],
                period=str(year),
            )


@rule(
    "EDU-02",
    title="书记、委员年度学习不足或未参加集中培训",
    category="learning",
    reads=("academy",),
    severity="warn",
    citation=Citation(PX, "基层党组织书记和班子成员每年集中学习培训时间不少于56学时", "S"),
    expects="基层党组织书记和班子成员每年集中学习培训不少于56学时，至少参加1次集中培训。",
    action="上级党委安排书记、委员参加集中培训，补足学时。",
    defaults={"hours": 56},
)
def edu_02(ctx: ScanContext) -> Iterable[Hit]:
    need = float(ctx.params.get("hours", 56))
    judge_training = _records_training()
    for year in _years(ctx):
        q = _members(ctx, year).filter(_leader_q(year)).annotate(h=_hours(year))
        cond = Q(h__lt=need)
        if judge_training:
            q = q.annotate(
                trained=ExpressionWrapper(
                    _trained(evidence.LEADERS, year=year), output_field=BooleanField()
                )
            )
            cond |= Q(trained=False)
        for r in q.filter(cond).values(
            "id", "organization_id", "h", *(["trained"] if judge_training else [])
        ):
            parts = [f"学习{_fmt(r['h'])}学时（应不少于{_fmt(need)}）"] if r["h"] < need else []
            if judge_training and not r["trained"]:
                parts.append("未参加集中培训")
            yield Hit(
                r["organization_id"],
                f"{year}年" + "，".join(parts) + "。",
                member_id=r["id"],
                period=str(year),
            )


@rule(
    "EDU-03",
    title="新任书记半年内未参加培训",
    category="learning",
    reads=("academy",),
    severity="warn",
    citation=Citation(PX, "新任基层党组织书记半年内参加培训", "S"),
    expects="新任基层党组织书记应在任职半年内参加培训。",
    action="上级党委安排新任书记参加集中培训。",
)
def edu_03(ctx: ScanContext) -> Iterable[Hit]:

    if not _records_training():
        return
    trained = _trained(evidence.NEW_SECRETARY, "member_id", gte="started_on", lte="due")
    q = (
        Post.objects.filter(post="secretary", started_on__gte=ctx.window_start)
        .order_by()
        .alias(due=AddMonths("started_on", 6))
        .filter(due__lte=ctx.as_of)
        .exclude(trained)
    )
    if ctx.scope_path:
        q = q.filter(organization__path__under=ctx.scope_path)
    for r in q.values("id", "organization_id", "member_id", "started_on"):
        yield Hit(
            r["organization_id"],
            f"{r['started_on']:%Y年%m月%d日}任书记，半年内未参加培训。",
            member_id=r["member_id"],
            subject=f"post{r['id']}",
        )


@rule(
    "EDU-04",
    title="预备党员、新转正党员未参加集中培训",
    category="learning",
    reads=("academy",),
    severity="info",
    citation=Citation(PX, "预备党员和转正不满1年的党员参加上级党组织的集中培训", "S"),
    expects="预备党员和转正不满1年的党员参加1次上级党组织举办的集中培训。",
    action="安排参加上级党委举办的集中培训。",
)
def edu_04(ctx: ScanContext) -> Iterable[Hit]:
    if not _records_training():
        return
    trained = _trained(evidence.NEW_MEMBER, gte="joined_on")
    qs = Member.objects.filter(status__in=FEE_STATUSES).order_by().exclude(trained)
    if ctx.scope_path:
        qs = qs.filter(organization__path__under=ctx.scope_path)
    probation = (
        qs.filter(status="probationary")
        .alias(due=AddMonths("joined_on", 10))
        .filter(due__lte=ctx.as_of)
    )
    converted = (
        qs.filter(status="full", full_on__gte=ctx.window_start)
        .alias(due=AddMonths("full_on", 10), end=AddMonths("full_on", 12))
        .filter(due__lte=ctx.as_of, end__gte=ctx.as_of)
    )
    for r in probation.values("id", "organization_id", "joined_on"):
        yield Hit(
            r["organization_id"],
            f"{r['joined_on']:%Y年%m月%d日}入党的预备党员，尚未参加集中培训。",
            member_id=r["id"],
        )
    for c in converted.values("id", "organization_id", "full_on"):
        yield Hit(
            c["organization_id"],
            f"{c['full_on']:%Y年%m月%d日}转正，尚未参加集中培训。",
            member_id=c["id"],
        )


@rule(
    "EDU-00",
    title="年度学习学时提醒",
    category="learning",
    reads=("academy",),
    severity="info",
    citation=Citation(PX, "党员每年学习学时", "S"),
    expects="年底前完成本年度学习学时。",
    action="请在年底前完成学习（在线学习、参加支部集体学习均计入）。",
    defaults={"from_month": 10},
)
def edu_00(ctx: ScanContext) -> Iterable[Hit]:
    """From October (1 Oct, then on through December): members and leaders below their requirement
    so far."""
    if ctx.as_of.month < int(ctx.params.get("from_month", 10)):
        return
    year = ctx.as_of.year
    member_need = float(rule_params("EDU-01").get("hours", 32))
    leader_need = float(rule_params("EDU-02").get("hours", 56))
    base = _members(ctx, year).annotate(h=_hours(year, upto=ctx.as_of))
    for need, q in (
        (member_need, base.exclude(_leader_q(year))),
        (leader_need, base.filter(_leader_q(year))),
    ):
        for r in q.filter(h__lt=need).values("id", "organization_id", "h"):
            yield Hit(
                r["organization_id"],
                f"今年已学习{_fmt(r['h'])}学时，年底前应达到{_fmt(need)}学时。",
                member_id=r["id"],
                subject=f"m{r['id']}:{year}",
                details={"due": f"{year}-12-31"},
            )
