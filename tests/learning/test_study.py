"""Study time honestly measured (hidden pages and paused media add nothing; gaps and caps), offline
sessions' hours, quiz grading, scoping of publications, opt-in points; the pages answer 404 outside
the member's scope and the member's page counts its queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core.errors import DomainError, NotVisible
from dangjian.learning import selectors, services
from dangjian.learning.models import Progress, StudyDay
from tests.conftest import login

pytestmark = pytest.mark.django_db

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000


def _course(tree, users, org=None, kind="article", minutes=1):
    org = org or tree.district_a
    c = services.course_create(
        actor=users["committee_staff"],
        publisher=org,
        title="党章学习",
        topic="党章",
        units=["第一章"],
    )
    upload = (
        SimpleUploadedFile("课.mp4", MP4, content_type="video/mp4") if kind == "video" else None
    )
    r = services.resource_add(
        actor=users["committee_staff"],
        unit=c.units.get(),
        kind=kind,
        title="党章总纲",
        body="<p>中国共产党是中国工人阶级的先锋队</p>",
        upload=upload,
        minutes=minutes,
    )
    services.course_publish(actor=users["committee_staff"], course=c)
    return c, r


def _beats(member, r, steps):
    """steps: (seconds later, visible, playing); returns the credited seconds. From 10:00 local
    today: steps up to an hour on never cross midnight (study is credited per local day)."""
    t0 = timezone.localtime().replace(hour=10, minute=0, second=0, microsecond=0)
    with freeze_time(t0) as clock:
        for later, visible, playing in steps:
            clock.move_to(t0 + timedelta(seconds=later))
            services.study_beat(member=member, resource=r, visible=visible, playing=playing)
    return Progress.objects.get(member=member, resource=r).seconds


def test_an_article_counts_only_while_visible(tree, users):
    _, r = _course(tree, users, minutes=10)
    m = tree.members["A1-2"]
    assert _beats(m, r, [(0, True, False), (15, True, False), (30, True, False)]) == 30
    # hidden for a minute: the hidden beat ends the clock, the next visible beat restarts it
    assert (
        _beats(m, r, [(0, False, False), (60, False, False), (75, True, False), (90, True, False)])
        == 45
    )


def test_a_video_counts_only_while_playing(tree, users):
    _, r = _course(tree, users, kind="video", minutes=10)
    m = tree.members["A1-2"]
    assert _beats(m, r, [(0, True, False), (15, True, False), (30, True, False)]) == 0  # paused
    assert _beats(m, r, [(0, False, True), (15, False, True)]) == 0  # playing in a hidden tab
    assert _beats(m, r, [(0, True, True), (15, True, True)]) == 15


def test_gaps_and_the_cap(tree, users):
    _, r = _course(tree, users, minutes=1)
    m = tree.members["A1-2"]
    assert (
        _beats(m, r, [(0, True, False), (3600, True, False)]) == services.MAX_GAP
    )  # a sleeping laptop
    assert (
        _beats(m, r, [(0, True, False), *[(15 * i, True, False) for i in range(1, 10)]]) == 60
    )  # the cap: 1 minute
    p = Progress.objects.get(member=m, resource=r)
    assert p.completed_at is not None
    assert StudyDay.objects.get(member=m).seconds == 60


def test_publications_are_scoped(tree, users):
    _, r = _course(tree, users)  # published by 甲区: its members, not 乙区's
    services.study_beat(member=tree.members["A1-2"], resource=r, visible=True, playing=False)
    with pytest.raises(NotVisible):
        services.study_beat(member=tree.members["B1-8"], resource=r, visible=True, playing=False)
    with pytest.raises(NotVisible):  # a staff member of 乙区 cannot publish in 甲区
        services.course_create(actor=users["sibling_staff"], publisher=tree.district_a, title="x")
    # a member of 乙区 gets 404 for the page and the heartbeat
    from tests.conftest import make_user

    login_b = make_user("member_b", member=tree.members["B1-8"])
    from django.test import Client

    c = login(Client(), login_b)
    assert c.get(reverse("learning:study", args=[r.pk])).status_code == 404
    assert (
        c.post(
            reverse("learning:beat", args=[r.pk]), "{}", content_type="application/json"
        ).status_code
        == 404
    )


def test_offline_session_hours(tree, users):
    ms = [tree.members["A1-1"], tree.members["A1-2"]]
    s = services.session_record(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="training",
        title="党课",
        held_on=timezone.localdate(),
        length="full_day",
        hours=None,
        members=ms,
    )
    assert s.hours == 8
    s = services.session_record(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="lecture",
        title="讲座",
        held_on=timezone.localdate(),
        length="hours",
        hours=Decimal("1.5"),
        members=ms[:1],
    )
    h = selectors.hours_by_member([m.pk for m in ms], timezone.localdate().year)
    assert (h[ms[0].pk]["total"], h[ms[1].pk]["total"]) == (Decimal("9.5"), Decimal(8))
    with pytest.raises(DomainError, match="不是本组织党员"):
        services.session_record(
            actor=users["branch_worker"],
            organization=tree.branch_a1,
            kind="lecture",
            title="x",
            held_on=timezone.localdate(),
            length="half_day",
            hours=None,
            members=[tree.members["A2-5"]],
        )
    with pytest.raises(DomainError, match="0.5至8"):
        services.session_record(
            actor=users["branch_worker"],
            organization=tree.branch_a1,
            kind="lecture",
            title="x",
            held_on=timezone.localdate(),
            length="hours",
            hours=Decimal(12),
            members=ms,
        )


def test_quiz_grading(tree, users):
    staff, org = users["committee_staff"], tree.district_a
    q1 = services.question_add(
        actor=staff,
        publisher=org,
        topic="党章",
        kind="single",
        text="党的最高领导机关？",
        choices=["全国代表大会", "中央委员会"],
        answer=[0],
    )
    q2 = services.question_add(
        actor=staff,
        publisher=org,
        topic="党章",
        kind="multi",
        text="党员的义务包括？",
        choices=["学习", "交纳党费", "旷工"],
        answer=[0, 1],
    )
    q3 = services.question_add(
        actor=staff,
        publisher=org,
        topic="党章",
        kind="tf",
        text="预备期为一年。",
        choices=[],
        answer=[0],
    )
    with pytest.raises(DomainError, match="只有一个正确答案"):
        services.question_add(
            actor=staff,
            publisher=org,
            topic="党章",
            kind="single",
            text="x",
            choices=["a", "b"],
            answer=[0, 1],
        )
    with pytest.raises(DomainError, match="不足"):
        services.paper_assemble(actor=staff, publisher=org, title="测试", topic="党章", count=4)
    p = services.paper_assemble(
        actor=staff, publisher=org, title="党章测试", topic="党章", count=3, pass_score=60
    )
    m = tree.members["A1-2"]
    with pytest.raises(DomainError, match="未作答"):
        services.attempt_submit(member=m, paper=p, answers={str(q1.pk): [0]})
    a = services.attempt_submit(
        member=m, paper=p, answers={str(q1.pk): [0], str(q2.pk): [0], str(q3.pk): [0]}
    )
    assert (a.correct, a.total, a.score, a.passed) == (
        2,
        3,
        67,
        True,
    )  # a partly right multiple choice is wrong
    a = services.attempt_submit(
        member=m, paper=p, answers={str(q1.pk): [1], str(q2.pk): [1, 0], str(q3.pk): [1]}
    )
    assert (a.correct, a.score, a.passed) == (1, 33, False)
    with pytest.raises(NotVisible):
        services.attempt_submit(member=tree.members["B1-8"], paper=p, answers={})


def test_points_are_opt_in_capped_and_rankings_only_among_volunteers(tree, users):
    _, r = _course(tree, users, minutes=600)
    a, b = tree.members["A1-1"], tree.members["A1-2"]
    services.points_configure(actor=users["system_admin"], enabled=True, daily_cap=3, ranking=True)
    services.points_choose(member=a, points=True, ranking=True)
    steps = [(0, True, False), *[(15 * i, True, False) for i in range(1, 200)]]  # ~50 minutes
    _beats(a, r, steps)
    _beats(b, r, steps)  # did not opt in
    year = timezone.localdate().year
    assert selectors.year_points([a.pk, b.pk], year) == {
        a.pk: 3,
        b.pk: 0,
    }  # 5 points earned, 3 the cap
    assert selectors.ranking(tree.branch_a1, year) == [(a.name, 3)]  # b never appears
    with pytest.raises(NotVisible):
        services.points_configure(
            actor=users["committee_staff"], enabled=True, daily_cap=3, ranking=True
        )


def test_member_page_shows_hours_and_counts_its_queries(client, tree, users):
    _, r = _course(tree, users)
    for _ in range(3):
        services.question_add(
            actor=users["committee_staff"],
            publisher=tree.district_a,
            topic="党史",
            kind="tf",
            text="题",
            choices=[],
            answer=[0],
        )
    services.paper_assemble(
        actor=users["committee_staff"],
        publisher=tree.district_a,
        title="党史测试",
        topic="党史",
        count=3,
    )
    first, _r = _course(tree, users)
    services.assignment_create(
        actor=users["committee_staff"],
        course=first,
        organization=tree.district_a,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    login(client, users["member"])
    url = reverse("learning:my")
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        page = client.get(url).content.decode()
    assert "32 学时" in page
    for i in range(3):  # more papers, courses and assignments: the same queries
        services.paper_assemble(
            actor=users["committee_staff"],
            publisher=tree.district_a,
            title=f"党史测试{i}",
            topic="党史",
            count=2,
        )
        c, _ = _course(tree, users)
        services.assignment_create(
            actor=users["committee_staff"],
            course=c,
            organization=tree.branch_a1,
            due_on=timezone.localdate() + timedelta(days=30),
        )
    services.study_beat(member=tree.members["A1-2"], resource=r, visible=True, playing=False)
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before)


def test_media_is_served_with_ranges(client, tree, users):
    _, r = _course(tree, users, kind="video")
    login(client, users["member"])
    url = reverse("learning:media", args=[r.pk])
    resp = client.get(url, HTTP_RANGE="bytes=4-11")
    assert resp.status_code == 206
    assert b"".join(resp.streaming_content) == MP4[4:12]
    assert resp["Content-Range"] == f"bytes 4-11/{len(MP4)}"
    assert client.get(url, HTTP_RANGE=f"bytes={len(MP4)}-").status_code == 416
    full = client.get(url)
    assert full.status_code == 200
    assert b"".join(full.streaming_content) == MP4


def test_bad_media_is_refused(tree, users):
    c = services.course_create(actor=users["committee_staff"], publisher=tree.district_a, title="c")
    with pytest.raises(DomainError, match="不是支持的音视频格式"):
        services.resource_add(
            actor=users["committee_staff"],
            unit=c.units.get(),
            kind="video",
            title="v",
            upload=SimpleUploadedFile("v.mp4", b"MZ\x90\x00" + b"\x00" * 100),
        )
    with pytest.raises(DomainError, match="正文"):
        services.resource_add(
            actor=users["committee_staff"],
            unit=c.units.get(),
            kind="article",
            title="a",
            body="<script>x</script>",
        )
    with pytest.raises(DomainError, match="还没有学习资料"):
        services.course_publish(actor=users["committee_staff"], course=c)


def test_a_malformed_heartbeat_is_refused(client, tree, users):
    _, r = _course(tree, users)
    login(client, users["member"])
    url = reverse("learning:beat", args=[r.pk])
    for body in ("[1, 2]", "not json", '{"position": "1e999"}'):
        assert client.post(url, body, content_type="application/json").status_code == 400
    ok = client.post(
        url, '{"visible": true, "playing": false, "position": 3}', content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["seconds"] == 0  # the first heartbeat starts the clock
