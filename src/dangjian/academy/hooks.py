"""城市党建学院's contributions to 待办 and to pages it does not own: for the organizer's staff,
nominations waiting, leave requests, classes ended and not yet assessed, trainees below the
attendance minimum in a running class; for a nominating organization, its classes starting within
a week; for a member on the phone, their classes starting soon and sessions today; on a member's
page, the classes completed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from dangjian.accounts import policy
from dangjian.core.prepared import Prepared
from dangjian.web import hooks
from dangjian.web.todo import MemberScope, Scope, Todo, gated, member_gated

from . import selectors
from .models import (
    ClassStatus,
    Enrolment,
    EnrolmentStatus,
    LeaveRequest,
    LeaveStatus,
    TrainingClass,
)

LIMIT = 30
SOON = 7


def _classes(s: Scope) -> Any:
    organized, nominated = s.under("organizer__path"), s.under("nominated_by__path")
    return [
        # every organizer's item is about a class of theirs that is not closed
        None
        if organized is None
        else TrainingClass.objects.filter(organized).exclude(status=ClassStatus.CLOSED),
        None if nominated is None else _starting(nominated, s.today, s.day(SOON)),
    ]


def _starting(nominated: Any, today: Any, soon: Any) -> Any:
    """The nominating organization's accepted trainees of published classes starting by `soon`."""
    return Enrolment.objects.filter(
        nominated,
        status=EnrolmentStatus.ACCEPTED,
        klass__status=ClassStatus.PUBLISHED,
        klass__starts_on__gte=today,
        klass__starts_on__lte=soon,
    )


@hooks.register("todo")
@gated(_classes)
def academy_work(user: Any, today: date) -> list[Todo]:
    out: list[Todo] = []
    mine = policy.path_q(user, "change", "organizer__path")
    if mine is not None:
        out += _organizer_work(TrainingClass.objects.filter(mine), today)
    nominating = policy.path_q(user, "change", "nominated_by__path")
    if nominating is not None:
        starting = (
            _starting(nominating, today, today + timedelta(days=SOON))
            .values("klass_id", "klass__title", "klass__starts_on", "nominated_by__name")
            .annotate(n=Count("id"))
            .order_by("klass__starts_on")[:LIMIT]
        )
        out += [
            Todo(
                kind="academy",
                title=f"培训班即将开班，请通知学员按时参加：{r['klass__title']}",
                url=reverse("academy:class", args=[r["klass_id"]]),
                organization=r["nominated_by__name"],
                deadline=r["klass__starts_on"],
                count=r["n"],
                action="查看名单",
            )
            for r in starting
        ]
    return out


def _organizer_work(classes: Any, today: date) -> list[Todo]:
    classes = classes.exclude(status=ClassStatus.CLOSED)
    if not classes.exists():
        return []  # a branch's worker organizes no class: one read instead of four
    waiting = (
        classes.annotate(
            waiting=Count("enrolments", filter=Q(enrolments__status=EnrolmentStatus.NOMINATED))
        )
        .filter(waiting__gt=0)
        .select_related("organizer")
        .order_by("starts_on")[:LIMIT]
    )
    out = [
        Todo(
            kind="academy",
            title=f"审核培训班推荐：{k.title}",
            url=reverse("academy:class", args=[k.pk]) + "?status=nominated",
            organization=k.organizer.name,
            deadline=k.starts_on - timedelta(days=1),
            count=k.waiting,
            action="去审核",
        )
        for k in waiting
    ]
    leaves = (
        LeaveRequest.objects.filter(status=LeaveStatus.REQUESTED, session__klass__in=classes)
        .values("session__klass_id", "session__klass__title", "session__klass__organizer__name")
        .annotate(n=Count("id"))
        .order_by("session__klass_id")[:LIMIT]
    )
    out += [
        Todo(
            kind="academy",
            title=f"审批学员请假：{lv['session__klass__title']}",
            url=reverse("academy:class", args=[lv["session__klass_id"]]) + "#leaves",
            organization=lv["session__klass__organizer__name"],
            count=lv["n"],
            action="去审批",
        )
        for lv in leaves
    ]
    ended = (
        classes.filter(status=ClassStatus.PUBLISHED, ends_on__lt=today)
        .select_related("organizer")
        .order_by("ends_on")[:LIMIT]
    )
    out += [
        Todo(
            kind="academy",
            title=f"结业评定并发放证书：{k.title}",
            url=reverse("academy:class", args=[k.pk]),
            organization=k.organizer.name,
            deadline=k.ends_on + timedelta(days=7),
            action="去评定",
        )
        for k in ended
    ]
    running = (
        classes.filter(
            status=ClassStatus.PUBLISHED,
            starts_on__lte=today,
            ends_on__gte=today,
            min_attendance__isnull=False,
        )
        .select_related("organizer")
        .order_by("ends_on")[:LIMIT]
    )
    for k in running:
        below = _below(k)
        if below:
            out.append(
                Todo(
                    kind="academy",
                    title=f"学员出勤率低于{k.min_attendance}%：{k.title}",
                    url=reverse("academy:class", args=[k.pk]),
                    organization=k.organizer.name,
                    deadline=k.ends_on,
                    count=below,
                    action="查看",
                )
            )
    return out


def _below(k: TrainingClass) -> int:
    """Trainees whose attendance of the sessions held so far is below the minimum."""
    held = k.sessions.filter(on__lte=timezone.localdate())
    total = sum((s.hours for s in held), Decimal(0))
    if not total:
        return 0
    rows = (
        selectors.roster(k).annotate(h=selectors.attended_hours_expr()).values_list("h", flat=True)
    )
    return sum(1 for h in rows if (h or 0) * 100 / total < (k.min_attendance or 0))


def _places_soon(member_id: Any, today: Any, soon: Any) -> Any:
    """The member's accepted places in published classes running on or starting by `soon`."""
    return Enrolment.objects.filter(
        member_id=member_id,
        status=EnrolmentStatus.ACCEPTED,
        klass__status=ClassStatus.PUBLISHED,
        klass__ends_on__gte=today,
        klass__starts_on__lte=soon,
    )


def _places_soon_gate(s: MemberScope) -> Any:
    return _places_soon(s.member_id, s.today, s.day(SOON))


@hooks.register("member_todo")
@member_gated(_places_soon_gate)
def my_classes(user: Any, member: Any, today: date) -> list[Todo]:
    url = reverse("academy:my")
    return [
        Todo(
            kind="academy",
            title=f"参加培训：{title}",
            url=url,
            organization=organizer,
            deadline=starts_on,
            detail=f"{starts_on:%-m月%-d日}开班，到场后扫码签到",
            action="查看课表",
        )
        for title, organizer, starts_on in _SOON.rows(
            member.pk, today, today + timedelta(days=SOON)
        )
    ]


# on every member's 首页: compiled once (core.prepared)
_SOON = Prepared(
    lambda member_id, today, soon: _places_soon(member_id, today, soon).values_list(
        "klass__title", "klass__organizer__name", "klass__starts_on"
    )[:5],
    int,
    date,
    date,
)


@hooks.register("member_facts")
def member_trainings(member: Any, user: Any) -> list[tuple[str, str, str]]:
    done = list(
        Enrolment.objects.filter(member=member, completed=True)
        .select_related("klass__kind")
        .order_by("-klass__ends_on")
        .values_list("klass__kind__name", "klass__ends_on")[:3]
    )
    if not done:
        return []
    return [
        ("集中培训", "；".join(f"{name}（{on:%Y年%-m月}结业）" for name, on in done), ""),
    ]
