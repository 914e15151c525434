"""Building blocks of the academy's tests: a class of the district committee (组织部/党校) with a
timetable, and development objects ready for training."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from dangjian.academy import services
from dangjian.academy.models import ClassKind
from tests.recruitment.test_pipeline import apply, person, step, to_target


def kind(code: str) -> ClassKind:
    return ClassKind.objects.get(code=code)


def open_class(
    users: Any,
    tree: Any,
    code: str = "development",
    starts: date = date(2024, 4, 15),
    ends: date = date(2024, 4, 17),
    capacity: int = 30,
    sessions: int = 3,
    **over: Any,
) -> Any:
    data = services.ClassData(
        kind=kind(code),
        organizer=tree.district_a,
        title=over.pop("title", f"{kind(code).name}（测试）"),
        starts_on=starts,
        ends_on=ends,
        capacity=capacity,
        place="区委党校",
        **over,
    )
    k = services.class_create(actor=users["committee_staff"], data=data)
    day = starts
    for i in range(sessions):
        services.session_add(
            actor=users["committee_staff"],
            klass=k,
            on=day,
            starts_at=time(9, 0),
            ends_at=time(17, 0),
            topic=f"第{i + 1}讲",
            hours=8,
        )
        day = date.fromordinal(min(day.toordinal() + 1, ends.toordinal()))
    k.refresh_from_db()
    return k


def development_object(users: Any, tree: Any, n: int = 1) -> Any:
    """A candidate with steps 1–10 done (political review on 2024-04-10), waiting for training."""
    c = to_target(users, tree, apply(users, tree, person=person(n)))
    step(users, c, 8, date(2024, 4, 2))
    step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], tree.members["A1-3"]])
    step(users, c, 10, date(2024, 4, 10))
    c.refresh_from_db()
    return c


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(d, time(hh, mm)), timezone.get_current_timezone())
