"""学习 on the phone reads the member's own figures through reads compiled once (core.prepared):
each must give what the ORM's general read gives, for a member with hours, a leader's post,
courses assigned at several levels above, a resource begun and papers attempted."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dangjian.core.prepared import ANCESTOR_SLOTS, ancestor_args
from dangjian.learning import selectors
from dangjian.learning.models import (
    Assignment,
    Attempt,
    Course,
    OfflineAttendance,
    OfflineSession,
    Paper,
    Progress,
    Resource,
    StudyDay,
    StudyYear,
    Unit,
)
from dangjian.orgs.models import Post

pytestmark = pytest.mark.django_db


def _course(org, title, resources, published=True):
    c = Course.objects.create(
        title=title, publisher=org, published_on=timezone.localdate() if published else None
    )
    u = Unit.objects.create(course=c, title="第一单元")
    rs = [
        Resource.objects.create(unit=u, kind="article", title=f"{title}{i}")
        for i in range(resources)
    ]
    return c, rs


@pytest.fixture
def studied(tree):
    today = timezone.localdate()
    m = tree.members["A1-1"]
    other = tree.members["A1-2"]
    city, district, branch = tree.city, tree.district_a, tree.branch_a1
    c1, r1 = _course(district, "党章", 3)
    c2, r2 = _course(branch, "党史", 2)
    c3, _ = _course(city, "条例", 4)
    _course(tree.district_b, "别处", 1)  # not above the member
    _course(branch, "草稿", 1, published=False)
    Assignment.objects.create(course=c1, organization=district, due_on=today + timedelta(days=9))
    Assignment.objects.create(course=c2, organization=branch, due_on=today + timedelta(days=3))
    Assignment.objects.create(course=c1, organization=branch, due_on=today + timedelta(days=5))
    Assignment.objects.create(course=c3, organization=tree.district_b, due_on=today)
    now = timezone.now()
    Progress.objects.create(member=m, resource=r1[0], completed_at=now)
    Progress.objects.create(member=m, resource=r1[1], completed_at=now)
    Progress.objects.create(member=m, resource=r2[0])
    Progress.objects.create(member=m, resource=r2[1])
    Progress.objects.create(member=other, resource=r1[2])
    Progress.objects.filter(resource=r2[1]).update(updated_at=now + timedelta(minutes=1))
    p1 = Paper.objects.create(publisher=district, title="测试一", topic="党章")
    p2 = Paper.objects.create(publisher=branch, title="测试二", topic="党史")
    Paper.objects.create(publisher=tree.district_b, title="别处", topic="x")
    for paper, score in ((p1, 60), (p1, 90), (p2, 40)):
        Attempt.objects.create(paper=paper, member=m, score=score)
    Attempt.objects.create(paper=p2, member=other, score=100)
    StudyDay.objects.create(member=m, day=date(today.year, 1, 1), seconds=3000)
    StudyDay.objects.create(member=m, day=date(today.year, 12, 31), seconds=600)
    StudyDay.objects.create(member=m, day=date(today.year - 1, 12, 31), seconds=9999)
    s = OfflineSession.objects.create(
        organization=branch, kind="lecture", title="讲座", held_on=today, hours=Decimal("1.5")
    )
    OfflineAttendance.objects.create(session=s, member=m, hours=Decimal("1.5"))
    StudyYear.objects.create(member=m, year=today.year, hours=Decimal("2.5"))
    Post.objects.create(organization=branch, member=other, post="organization", started_on=today)
    return m, other


def _general(monkeypatch, read):
    """The same read through the ORM's general path (as for a tree too deep to pad)."""
    with monkeypatch.context() as mp:
        mp.setattr(selectors, "ancestor_args", lambda path, steplen: None)
        return read()


def test_the_compiled_reads_give_what_the_orm_gives(studied, monkeypatch):
    m, other = studied
    year = timezone.localdate().year
    for who in (m, other):
        one = selectors.hours_by_member([who.pk], year)
        both = selectors.hours_by_member([m.pk, other.pk], year)
        assert one == {who.pk: both[who.pk]}
        assert repr(one) == repr({who.pk: both[who.pk]})  # 0 and 0.0 print differently
        assert selectors.leaders([who.pk], year) == selectors.leaders([m.pk, other.pk], year) & {
            who.pk
        }
        mine = selectors.my_study_year(who, year)
        assert repr(mine.hours) == repr(both[who.pk])
        assert mine.leader == (who.pk in selectors.leaders([m.pk, other.pk], year))
        need_member, need_leader = selectors.requirements()
        assert mine.need == (need_leader if mine.leader else need_member)
        setting = selectors.points_setting()
        assert mine.points_on == bool(setting and setting.enabled)

        def assigned(who=who):
            return [(a.pk, a.course.title, a.done, a.total) for a in selectors.assigned_to(who)]

        def papers(who=who):
            return [(p.pk, p.best) for p in selectors.member_papers(who)]

        def courses(who=who):
            return [c.pk for c in selectors.recent_courses(who.organization)]

        assert assigned() == _general(monkeypatch, assigned)
        assert papers() == _general(monkeypatch, papers)
        assert courses() == _general(monkeypatch, courses)
    h = selectors.hours_by_member([m.pk], year)[m.pk]
    assert (h["seconds"], h["online"], h["offline"], h["imported"]) == (
        Decimal(3600),
        Decimal("1.0"),
        Decimal("1.5"),
        Decimal("2.5"),
    )
    assert h["total"] == Decimal("5.0")
    assert selectors.leaders([other.pk], year) == {other.pk}
    assert selectors.leaders([other.pk], year + 1) == {other.pk}
    assert selectors.leaders([other.pk], year - 1) == set()
    got = [(a.course.title, a.done, a.total) for a in selectors.assigned_to(m)]
    assert got == [("党史", 0, 2), ("党章", 2, 3), ("党章", 2, 3)]
    assert [(p.title, p.best) for p in selectors.member_papers(m)] == [
        ("测试二", 40),
        ("测试一", 90),
    ]
    assert selectors.member_papers(other)[0].best == 100
    point = selectors.resume_point(m)
    assert (point.resource.title, point.member_id) == ("党史1", m.pk)
    assert selectors.resume_point(other).resource.title == "党章2"
    for who in (m, other):
        orm = (
            Progress.objects.filter(member=who, completed_at__isnull=True)
            .select_related("resource")
            .order_by("-updated_at")
            .first()
        )
        point = selectors.resume_point(who)
        assert (point.pk, point.resource) == (orm.pk, orm.resource)
    Progress.objects.filter(member=other).update(completed_at=timezone.now())
    assert selectors.resume_point(other) is None
    titles = {c.title for c in selectors.recent_courses(m.organization)}
    assert titles == {"党章", "党史", "条例"}


def test_member_reads_cost_one_statement_each(studied):
    m, _ = studied
    year = timezone.localdate().year
    selectors.assigned_to(m)  # compiled on first use
    with CaptureQueriesContext(connection) as ctx:
        selectors.hours_by_member([m.pk], year)
        selectors.leaders([m.pk], year)
        selectors.assigned_to(m)
        selectors.resume_point(m)
        selectors.recent_courses(m.organization)
        selectors.member_papers(m)
    # hours (three sums in one), leader, assignments with their courses and counts (one),
    # resume point with its resource, recent courses, papers with the best scores
    assert len(ctx.captured_queries) == 1 + 1 + 1 + 1 + 1 + 1


def test_ancestor_args_pad_to_a_fixed_length():
    assert ancestor_args("0001", 4) == ("0001",) * ANCESTOR_SLOTS
    got = ancestor_args("000100020003", 4)
    assert got[:3] == ("0001", "00010002", "000100020003")
    assert set(got[3:]) == {"000100020003"}
    assert len(got) == ANCESTOR_SLOTS
    assert ancestor_args("0001" * (ANCESTOR_SLOTS + 1), 4) is None


def test_more_assignments_than_shown(studied, tree, monkeypatch):
    """Past the twenty shown, the compiled reads (courses and their sizes read for the shown
    twenty only) still give what the ORM gives."""
    m, _ = studied
    today = timezone.localdate()
    for i in range(22):
        c, rs = _course(tree.branch_a1, f"专题{i}", 1 + i % 3)
        Assignment.objects.create(
            course=c, organization=tree.district_a, due_on=today + timedelta(days=20 + i % 4)
        )
        if i % 2:
            Progress.objects.create(member=m, resource=rs[0], completed_at=timezone.now())

    def assigned():
        return [(a.pk, a.course.title, a.done, a.total) for a in selectors.assigned_to(m)]

    got = assigned()
    assert len(got) == selectors.ASSIGNED_LIMIT
    assert got == _general(monkeypatch, assigned)


def test_the_points_section_follows_the_setting_and_the_members_choice(client, tree, users):
    """学习 reads the member's points choice only where the deployment turned points on."""
    from django.urls import reverse

    from dangjian.learning.models import PointsChoice, PointsSetting
    from tests.conftest import login

    login(client, users["member"], verify=False)
    url = reverse("learning:my")
    client.get(url)
    with CaptureQueriesContext(connection) as off:
        body = client.get(url).content.decode()
    assert "学习积分（自愿）" not in body
    assert not any("learning_pointschoice" in q["sql"] for q in off.captured_queries)
    PointsSetting.objects.create(enabled=True, ranking=True)
    body = client.get(url).content.decode()
    assert "学习积分（自愿）" in body
    assert 'name="points" checked' not in body
    PointsChoice.objects.create(member=users["member"].member, points=True, ranking=True)
    body = client.get(url).content.decode()
    assert 'name="points" checked' in body
    assert 'name="ranking" checked' in body
    assert "今年积分" in body


def test_the_year_read_carries_the_requirement_and_the_points_switch(studied, tree):
    """my_study_year's requirement and points switch are requirements()'s and points_setting()'s,
    with the deployment's overrides."""
    from dangjian.compliance.models import RuleSetting
    from dangjian.learning.models import PointsSetting

    m, other = studied
    year = timezone.localdate().year
    plain = next(x for x in tree.members.values() if not selectors.leaders([x.pk], year))
    for who in (m, other, plain):
        mine = selectors.my_study_year(who, year)
        assert mine.need == (56 if mine.leader else 32)
        assert mine.points_on is False
    RuleSetting.objects.create(rule_id="EDU-01", params={"hours": 40})
    RuleSetting.objects.create(rule_id="EDU-02", params={"hours": "60"})
    PointsSetting.objects.create(enabled=True)
    assert selectors.requirements() == (40, 60)
    seen = set()
    for who in (m, other, plain):
        mine = selectors.my_study_year(who, year)
        assert mine.need == (60 if mine.leader else 40)
        assert mine.points_on is True
        seen.add(mine.leader)
    assert seen == {True, False}
    PointsSetting.objects.update(enabled=False)
    assert selectors.my_study_year(m, year).points_on is False
