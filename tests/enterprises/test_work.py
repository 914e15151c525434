"""非公党建 items 4–7: 五联 (a joint activity recorded once, in each participating branch's
organizational life), 双培养 (key positions, the share held by members, key staff handed to the
branch for cultivation, members cultivated into key staff), commando teams with milestones and
an outcome, and the shared register of brands, honours, cases and centres with its showcase."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from dangjian.core.errors import DomainError, NotVisible
from dangjian.enterprises import selectors, services
from dangjian.enterprises.models import (
    BrandLogo,
    CommandoTeam,
    KeyPosition,
    Milestone,
    MilestonePhoto,
)
from dangjian.meetings.models import Meeting
from dangjian.members.models import Member
from dangjian.notify.models import Notice
from tests.conftest import login
from tests.enterprises.test_register import Zone, ent

pytestmark = pytest.mark.django_db


def _jpeg(name: str = "a.jpg") -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), "red").save(buf, "JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def test_a_joint_activity_is_recorded_once_and_counts_in_each_branch(tree: Any, users: Any) -> None:
    staff = users["committee_staff"]
    day = timezone.localdate() - timedelta(days=3)
    e = services.joint_event_record(
        actor=staff,
        organizer=tree.district_a,
        kind="activity",
        title="园区党组织联合主题党日",
        held_on=day,
        participants=[tree.branch_a1, tree.branch_a2],
        place="园区党群服务中心",
        counts_as="theme_day",
    )
    meetings = Meeting.objects.filter(kind="theme_day", held_on=day, source="joint")
    assert sorted(meetings.values_list("organization__code", flat=True)) == ["A1", "A2"]
    assert all(m.topic == "联合主题党日：园区党组织联合主题党日" for m in meetings)
    # shown on each participant's page
    from django.test import Client

    client = Client()
    login(client, staff)
    page = client.get(reverse("orgs:detail", args=[tree.branch_a2.pk])).content.decode()
    assert "园区党组织联合主题党日" in page
    assert set(e.participants.values_list("code", flat=True)) == {"DA", "A1", "A2"}
    # bad input: a meeting cannot count as branch life, nothing in the future, someone to join
    before = Meeting.objects.count()
    with pytest.raises(DomainError, match="只有联合开展的活动") as exc:
        services.joint_event_record(
            actor=staff, organizer=tree.district_a, kind="meeting", title="联席会议",
            held_on=day, participants=[tree.branch_a1], counts_as="theme_day",
        )  # fmt: skip
    assert exc.value.field == "counts_as"
    with pytest.raises(DomainError, match="不能晚于今天"):
        services.joint_event_record(
            actor=staff, organizer=tree.district_a, kind="meeting", title="联席会议",
            held_on=timezone.localdate() + timedelta(days=1), participants=[tree.branch_a1],
        )  # fmt: skip
    with pytest.raises(DomainError, match="至少一个"):
        services.joint_event_record(
            actor=staff, organizer=tree.district_a, kind="meeting", title="联席会议",
            held_on=day, participants=[tree.district_a],
        )  # fmt: skip
    with pytest.raises(NotVisible):
        services.joint_event_record(
            actor=users["sibling_staff"], organizer=tree.district_a, kind="meeting",
            title="联席会议", held_on=day, participants=[tree.branch_a1],
        )  # fmt: skip
    assert Meeting.objects.count() == before


def test_key_positions_their_share_and_cultivation_both_ways(
    zone: Zone, users: Any, client: Any
) -> None:
    e = ent(zone, 0, own=zone.own)
    worker = Member.objects.get(pk=zone.tree.members["A1-1"].pk)
    Member.objects.filter(pk=worker.pk).update(employer=e.unit)
    worker.refresh_from_db()
    services.position_save(actor=None, enterprise=e, kind="tech", title="首席架构师", member=worker)
    key = services.position_save(
        actor=None, enterprise=e, kind="dept", title="研发部经理", holder="王工"
    )
    outsider = zone.tree.members["B1-8"]
    with pytest.raises(DomainError, match="没有登记在") as exc:
        services.position_save(
            actor=None, enterprise=e, kind="project", title="项目经理", member=outsider
        )
    assert exc.value.field == "member"
    with pytest.raises(DomainError, match="请选择担任岗位的党员或填写"):
        services.position_save(actor=None, enterprise=e, kind="project", title="项目经理")
    assert selectors.key_position_share(selectors.enterprises_under(zone.zone)) == {
        "total": 2,
        "held": 1,
        "rate": 50.0,
    }
    # the key staff member who is not a member: handed to the enterprise's own branch
    from tests.conftest import make_user

    branch_worker = make_user("nz1_worker", "branch_worker", zone.own)
    services.position_cultivate(actor=users["committee_staff"], position=key)
    assert KeyPosition.objects.get(pk=key.pk).cultivate
    assert Notice.objects.filter(user=branch_worker, title__contains="王工").exists()
    with pytest.raises(DomainError, match="已列为培养对象"):
        services.position_cultivate(actor=None, position=key)
    c = services.cultivation_save(
        actor=None,
        enterprise=e,
        member=worker,
        target="培养为研发中心负责人",
        due_on=timezone.localdate() + timedelta(days=180),
    )
    with pytest.raises(DomainError, match="不能早于今天"):
        services.cultivation_save(
            actor=None, enterprise=e, member=worker, target="x",
            due_on=timezone.localdate() - timedelta(days=1),
        )  # fmt: skip
    services.cultivation_reach(actor=None, cultivation=c, on=timezone.localdate())
    login(client, users["committee_staff"])
    page = client.get(reverse("enterprises:enterprise", args=[e.pk])).content.decode()
    assert "关键岗位党员占比 50.0%" in page
    assert "培养对象" in page
    assert "已实现" in page


def test_a_commando_team_with_milestones_photos_and_an_outcome(
    tree: Any, users: Any, client: Any
) -> None:
    staff = users["committee_staff"]
    members = [tree.members["A1-1"], tree.members["A2-5"]]
    start = timezone.localdate() - timedelta(days=60)
    with pytest.raises(DomainError, match="不是甲一党支部的党员") as exc:
        services.team_save(
            actor=staff, organization=tree.branch_a1, kind="commando", name="攻关突击队",
            project="芯片流片", starts_on=start, ends_on=start + timedelta(days=200),
            members=members,
        )  # fmt: skip
    assert exc.value.field == "members"
    t = services.team_save(
        actor=staff, organization=tree.district_a, kind="commando", name="攻关突击队",
        project="芯片流片", starts_on=start, ends_on=start + timedelta(days=200), members=members,
    )  # fmt: skip
    m = services.milestone_add(
        actor=staff, team=t, on=start + timedelta(days=10), text="完成设计评审", photos=[_jpeg()]
    )
    assert MilestonePhoto.objects.filter(milestone=m).count() == 1
    with pytest.raises(DomainError, match="日期应在突击队开始之后"):
        services.milestone_add(actor=staff, team=t, on=start - timedelta(days=1), text="x")
    services.team_close(actor=staff, team=t, on=timezone.localdate(), outcome="流片一次成功")
    with pytest.raises(DomainError, match="已结束"):
        services.milestone_add(actor=staff, team=t, on=timezone.localdate(), text="x")
    assert CommandoTeam.objects.get(pk=t.pk).outcome == "流片一次成功"
    assert Milestone.objects.filter(team=t).count() == 1
    login(client, staff)
    page = client.get(reverse("enterprises:team", args=[t.pk])).content.decode()
    assert "完成设计评审" in page
    assert "流片一次成功" in page
    photo = MilestonePhoto.objects.get(milestone=m)
    assert client.get(reverse("enterprises:milestone_photo", args=[photo.pk])).status_code == 200
    login(client, users["sibling_staff"])
    assert client.get(reverse("enterprises:team", args=[t.pk])).status_code == 404


def test_brands_honours_and_cases_on_the_showcase_newest_first(
    tree: Any, users: Any, client: Any
) -> None:
    staff = users["committee_staff"]
    services.brand_save(
        actor=staff, organization=tree.branch_a1, name="蓝海红帆", since=2019,
        description="党建引领企业出海", logo=_jpeg("logo.jpg"),
    )  # fmt: skip
    services.honour_save(
        actor=staff, organization=tree.branch_a2, title="先进基层党组织", awarded_by="中共厦门市委",
        level="city", year=2025,
    )  # fmt: skip
    services.case_save(
        actor=staff, organization=tree.district_a, title="五联机制", award="全市创新案例", year=2024
    )
    services.centre_save(
        actor=staff, organization=tree.district_a, kind="training", name="园区党建培训基地",
        address="软件园二期", hours="周一至周五 9:00-17:00",
    )  # fmt: skip
    with pytest.raises(DomainError, match="已登记"):
        services.brand_save(actor=staff, organization=tree.branch_a1, name="蓝海红帆", since=2020)
    with pytest.raises(DomainError, match="年度应为1921年"):
        services.honour_save(
            actor=staff, organization=tree.branch_a2, title="x", awarded_by="y", level="city",
            year=2099,
        )  # fmt: skip
    rows = list(selectors.showcase(tree.district_a))
    assert [(r["k"], r["t"], r["y"]) for r in rows] == [
        ("honour", "先进基层党组织", 2025),
        ("case", "五联机制", 2024),
        ("brand", "蓝海红帆", 2019),
    ]
    assert [r["t"] for r in selectors.showcase(tree.district_a, level="city")] == ["先进基层党组织"]
    assert [r["t"] for r in selectors.showcase(tree.district_a, kind="brand")] == ["蓝海红帆"]
    assert [r["t"] for r in selectors.showcase(tree.district_a, q="红帆")] == ["蓝海红帆"]
    login(client, staff)
    page = client.get(reverse("enterprises:showcase", args=[tree.district_a.pk])).content.decode()
    assert "“蓝海红帆”" in page
    assert "园区党建培训基地" in page
    logo = BrandLogo.objects.get()
    assert client.get(reverse("enterprises:brand_logo", args=[logo.pk])).status_code == 200
    own = client.get(reverse("orgs:detail", args=[tree.branch_a1.pk])).content.decode()
    assert "“蓝海红帆”" in own
    assert "先进基层党组织" not in own  # another organization's
    login(client, users["sibling_staff"])
    assert client.get(reverse("enterprises:brand_logo", args=[logo.pk])).status_code == 404
    page = client.get(reverse("enterprises:showcase", args=[tree.district_b.pk])).content.decode()
    assert "蓝海红帆" not in page


def test_a_joint_event_writes_only_the_life_of_branches_the_organizer_may_change(
    tree: Any, users: Any
) -> None:
    """An organizer who sees a participant but may not change it: the participant is told, and
    records its own organizational life; someone outside the organizer's sight cannot be named."""
    from dangjian.accounts import services as accounts
    from tests.conftest import make_user

    secretary = make_user("sec_a1", "branch_worker", tree.branch_a1)
    accounts.grant_create(
        actor=None, user=secretary, role="supervisor", organization=tree.district_a
    )
    day = timezone.localdate() - timedelta(days=1)
    services.joint_event_record(
        actor=secretary, organizer=tree.branch_a1, kind="activity", title="联合主题党日",
        held_on=day, participants=[tree.branch_a2], counts_as="theme_day",
    )  # fmt: skip
    written = Meeting.objects.filter(kind="theme_day", held_on=day, source="joint")
    assert list(written.values_list("organization__code", flat=True)) == ["A1"]
    assert Notice.objects.filter(
        user=users["committee_staff"], title="联合活动：联合主题党日"
    ).exists()
    with pytest.raises(NotVisible):
        services.joint_event_record(
            actor=secretary, organizer=tree.branch_a1, kind="meeting", title="联席会议",
            held_on=day, participants=[tree.branch_b1],
        )  # fmt: skip


def test_key_staff_are_picked_within_the_users_scope(zone: Zone, users: Any) -> None:
    e = ent(zone, 0, own=zone.own)
    stranger = zone.tree.members["B1-8"]
    Member.objects.filter(pk=stranger.pk).update(employer=e.unit)
    stranger.refresh_from_db()
    with pytest.raises(NotVisible):
        services.position_save(
            actor=users["committee_staff"], enterprise=e, kind="tech", title="架构师",
            member=stranger,
        )  # fmt: skip
    with pytest.raises(NotVisible):
        services.cultivation_save(
            actor=users["committee_staff"], enterprise=e, member=stranger, target="x",
            due_on=timezone.localdate() + timedelta(days=30),
        )  # fmt: skip
