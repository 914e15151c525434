"""The academy's pages as their users see them: the organizer's class page in a fixed number of
queries whatever its roster and timetable, the branch's nomination, the trainee's phone pages
(member and trainee link), the room's sign-in page, teachers and figures."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dangjian.academy import services
from dangjian.academy.models import Enrolment, EnrolmentStatus, Presence, SessionAttendance
from dangjian.members.models import Member
from dangjian.members.services import member_create
from tests.academy.helpers import open_class
from tests.conftest import login, make_user, member_data

pytestmark = pytest.mark.django_db


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return len(ctx.captured_queries)


def _grow(tree: Any, k: Any, start: int, n: int) -> None:
    """n more accepted trainees with attendance at every session."""
    now = timezone.now()
    for i in range(start, start + n):
        m = member_create(
            actor=None,
            organization=tree.branch_a2,
            member_no=f"X{i:04d}",
            data=member_data(100 + i),
        )
        e = Enrolment.objects.create(
            klass=k,
            member=m,
            name=m.name,
            nominee="member",
            nominated_by=tree.branch_a2,
            status=EnrolmentStatus.ACCEPTED,
            nominated_at=now,
        )
        for s in k.sessions.all():
            SessionAttendance.objects.create(session=s, enrolment=e, status=Presence.PRESENT)


def test_the_class_page_reads_in_a_fixed_number_of_queries(client, tree, users):
    k = open_class(users, tree, "secretary", starts=date(2026, 3, 2), ends=date(2026, 3, 4))
    _grow(tree, k, 0, 3)
    login(client, users["committee_staff"])
    url = reverse("academy:class", args=[k.pk])
    client.get(url)  # the session's first page reads the grants and the packs once
    small = _queries(client, url)
    _grow(tree, k, 3, 25)
    for i in range(3):
        services.session_add(
            actor=users["committee_staff"],
            klass=k,
            on=date(2026, 3, 4),
            starts_at=time(18 + i),
            ends_at=time(18 + i, 50),
            topic=f"晚课{i}",
        )
    client.get(url)
    assert _queries(client, url) == small
    assert Member.objects.count() > 30


def test_a_branch_nominates_from_its_people_and_the_organizer_sees_it_waiting(client, tree, users):
    k = open_class(
        users,
        tree,
        "secretary",
        starts=timezone.localdate() + timedelta(days=20),
        ends=timezone.localdate() + timedelta(days=22),
        eligible=["secretary", "committee"],
    )
    login(client, users["branch_worker"])
    page = client.get(reverse("academy:nominate", args=[k.pk]))
    text = page.content.decode()
    assert page.status_code == 200
    assert tree.members["A1-1"].name in text  # the branch's secretary is offered
    assert tree.members["A1-2"].name not in text.split("其他党员")[0]  # not a leader
    resp = client.post(
        reverse("academy:nominate", args=[k.pk]),
        {"members": [tree.members["A1-1"].member_no], "note": "新任"},
    )
    assert resp.status_code == 302
    e = Enrolment.objects.get(klass=k)
    assert (e.status, e.nominated_by_id) == (EnrolmentStatus.NOMINATED, tree.branch_a1.pk)
    # an empty nomination is refused inline, naming the field
    resp = client.post(reverse("academy:nominate", args=[k.pk]), {"note": ""})
    assert resp.status_code == 400
    assert "请选择要推荐的人员" in resp.content.decode()
    login(client, users["committee_staff"])
    text = client.get(reverse("academy:class", args=[k.pk]) + "?status=nominated").content
    assert tree.members["A1-1"].name in text.decode()
    home = client.get(reverse("portal:home")).content.decode()
    assert "审核培训班推荐" in home  # the organizer's 待办


def test_trainee_pages_member_and_link(client, tree, users):
    k = open_class(
        users,
        tree,
        "secretary",
        starts=timezone.localdate(),
        ends=timezone.localdate() + timedelta(days=2),
        eligible=[],
    )
    (e,) = services.enrolment_nominate(
        actor=users["branch_worker"],
        klass=k,
        nominated_by=tree.branch_a1,
        members=[tree.members["A1-2"]],
    )
    services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
    services.roster_publish(actor=users["committee_staff"], klass=k)
    login(client, users["member"])
    my = client.get(reverse("academy:my")).content.decode()
    assert k.title in my
    assert "扫描教室二维码签到" in my
    s = k.sessions.order_by("on").first()
    sign = client.get(reverse("academy:sign", args=[s.pk]) + f"?t={s.token}").content.decode()
    assert "签到" in sign
    assert e.name in sign
    # someone else's login sees no sign-in button for another person
    other = make_user("other_m", member=tree.members["A1-3"])
    login(client, other)
    sign = client.get(reverse("academy:sign", args=[s.pk]) + f"?t={s.token}").content.decode()
    assert 'id="signBtn"' not in sign
    # the member's 首页 lists the class starting this week
    login(client, users["member"])
    assert "参加培训" in client.get(reverse("portal:member_home")).content.decode()
    # the nominating branch's worker is told to send its trainee, the member's own item aside
    from dangjian.web import todo

    titles = [t.title for t in todo.staff_todos(users["branch_worker"], timezone.localdate()).items]
    assert f"培训班即将开班，请通知学员按时参加：{k.title}" in titles


def test_teachers_and_figures(client, tree, users):
    login(client, users["committee_staff"])
    resp = client.post(
        reverse("academy:teachers") + f"?org={tree.district_a.pk}",
        {"form": "teacher", "name": "王老师", "unit": "区委党校", "phone": "13800001234"},
    )
    assert resp.status_code == 302
    text = client.get(reverse("academy:teachers")).content.decode()
    assert "王老师" in text
    assert "138****1234" in text
    assert "13800001234" not in text
    resp = client.post(
        reverse("academy:teachers") + f"?org={tree.district_a.pk}",
        {"form": "teacher", "name": "李老师", "phone": "12ab"},
    )
    assert resp.status_code == 400
    assert "联系电话应为7到20位数字" in resp.content.decode()
    fig = client.get(reverse("academy:figures") + "?year=2026")
    assert fig.status_code == 200
    assert "支部书记参训" in fig.content.decode()
