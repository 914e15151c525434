"""近邻党建 flows (issue 18): a member sets where they live and reports, claims a 微心愿, the
community confirms it with hours; a neighbourhood issue goes through a joint meeting to closed and
the raiser confirms or reopens; bad input is refused with the reason and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.community import selectors, services
from dangjian.community.models import Issue, IssueStatus, Need, NeedStatus, Report, Service
from dangjian.core.errors import DomainError, NotVisible
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db


def _worker(hood, n=0):
    return make_user(f"w{n}", member=hood.workers[n])


def test_a_member_reports_claims_a_wish_and_the_community_confirms(client, hood):
    user = _worker(hood)
    login(client, user)
    page = client.get(reverse("community:my")).content.decode()
    assert "请先选择您居住的小区" in page
    resp = client.post(reverse("community:my"), {"form": "residence", "place": "P001"})
    assert resp.status_code == 302
    page = client.get(reverse("community:my")).content.decode()
    assert "向中共示范社区委员会报到" in page
    client.post(reverse("community:my"), {"form": "report"})
    report = Report.objects.get(member=hood.workers[0])
    assert report.community == hood.community
    # the community's worker sees it in 待办, confirms it, publishes a 微心愿
    staff = client.__class__()
    login(staff, hood.staff)
    assert "确认在职党员报到" in staff.get(reverse("portal:home")).content.decode()
    staff.post(
        reverse("community:reports", args=[hood.community.pk]),
        {"form": "confirm", "report": report.pk},
    )
    report.refresh_from_db()
    assert report.confirmed_on == timezone.localdate()
    staff.post(
        reverse("community:needs", args=[hood.community.pk]),
        {"form": "need", "kind": "wish", "title": "为独居老人代购药品", "detail": ""},
    )
    need = Need.objects.get()
    page = client.get(reverse("community:my")).content.decode()
    assert "为独居老人代购药品" in page
    client.post(reverse("community:my"), {"form": "claim", "need": need.pk})
    need.refresh_from_db()
    assert (need.status, need.claimed_by) == (NeedStatus.CLAIMED, hood.workers[0])
    resp = staff.post(
        reverse("community:needs", args=[hood.community.pk]),
        {
            "form": "done",
            "need": need.pk,
            "what": need.title,
            "done_on": timezone.localdate().isoformat(),
            "hours": "1.5",
        },
    )
    assert resp.status_code == 302
    need.refresh_from_db()
    assert need.status == NeedStatus.DONE
    s = Service.objects.get()
    assert (s.member, str(s.hours), s.need) == (hood.workers[0], "1.5", need)
    page = client.get(reverse("community:my")).content.decode()
    assert "1 次，1.5 小时" in page
    me = client.get(reverse("portal:me")).content.decode()  # 我的
    assert "已向中共示范社区委员会报到，服务1次 1.5小时" in me


def test_a_post_claim_is_approved_by_the_community_serves_and_is_left(client, hood):
    from dangjian.notify.models import Notice

    user = _worker(hood)
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    post = services.need_publish(
        actor=hood.staff, community=hood.community, kind="post", title="3号楼楼栋长助理"
    )
    login(client, user)
    assert "社区同意后生效" in client.get(reverse("community:my")).content.decode()
    client.post(reverse("community:my"), {"form": "claim", "need": post.pk})
    post.refresh_from_db()
    assert (post.status, post.claimed_by) == (NeedStatus.PENDING, hood.workers[0])
    assert "等待社区同意" in client.get(reverse("community:my")).content.decode()
    staff = client.__class__()
    login(staff, hood.staff)
    assert "同意党员认领的岗位或结对帮扶" in staff.get(reverse("portal:home")).content.decode()
    url = reverse("community:needs", args=[hood.community.pk])
    # a service cannot be confirmed before the claim is approved
    with pytest.raises(DomainError, match="没有认领|不能重复确认"):
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=timezone.localdate(),
            hours=1,
            need=post,
        )
    # declining needs a reason; with one the post is open again and the member is told why
    staff.post(url, {"form": "decline", "need": post.pk, "reason": ""})
    post.refresh_from_db()
    assert post.status == NeedStatus.PENDING
    staff.post(url, {"form": "decline", "need": post.pk, "reason": "该岗位需住3号楼"})
    post.refresh_from_db()
    assert (post.status, post.claimed_by) == (NeedStatus.OPEN, None)
    assert Notice.objects.filter(user=user, body__contains="该岗位需住3号楼").exists()
    # claimed again and approved: each service under the post is confirmed, the post stays
    client.post(reverse("community:my"), {"form": "claim", "need": post.pk})
    staff.post(url, {"form": "approve", "need": post.pk})
    post.refresh_from_db()
    assert post.status == NeedStatus.CLAIMED
    assert Notice.objects.filter(user=user, title="社区同意您的认领").exists()
    home = staff.get(reverse("portal:home")).content.decode()
    assert "同意党员认领的岗位或结对帮扶" not in home
    assert "确认党员认领的服务完成情况" not in home  # standing work: no lasting 待办
    for _ in range(2):
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=timezone.localdate(),
            hours=2,
            need=post,
        )
    post.refresh_from_db()
    assert post.status == NeedStatus.CLAIMED
    assert Service.objects.filter(need=post).count() == 2
    with pytest.raises(DomainError, match="没有待同意的认领"):
        services.need_approve(actor=hood.staff, need=post, approve=True)
    # the member leaves the post: open for the next volunteer
    client.post(reverse("community:my"), {"form": "leave", "need": post.pk})
    post.refresh_from_db()
    assert (post.status, post.claimed_by) == (NeedStatus.OPEN, None)
    # another community's worker cannot approve
    other = make_user("outsider", role="branch_worker", org=hood.office)
    post2 = services.need_publish(
        actor=hood.staff, community=hood.community, kind="pairing", title="结对困难户张阿姨"
    )
    services.need_claim(actor=user, member=hood.workers[0], need=post2)
    with pytest.raises(NotVisible):
        services.need_approve(actor=other, need=post2, approve=True)


def test_bad_reports_and_services_are_refused(hood):
    user = _worker(hood)
    today = timezone.localdate()
    with pytest.raises(DomainError) as err:
        services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    assert "先设置居住小区" in err.value.message  # a member reports where they live
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    with pytest.raises(DomainError) as err:
        services.report_submit(actor=user, member=hood.workers[0], community=hood.street)
    assert "不是社区党组织" in err.value.message
    with pytest.raises(DomainError) as err:
        services.report_submit(
            actor=user,
            member=hood.workers[0],
            community=hood.community,
            on=today + timedelta(days=1),
        )
    assert err.value.field == "reported_on"
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    with pytest.raises(DomainError) as err:
        services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    assert "一年只报到一次" in err.value.message
    with pytest.raises(DomainError) as err:
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=today + timedelta(days=1),
            hours=2,
            what="清理楼道",
        )
    assert err.value.field == "done_on"
    if today.month > 1 or today.day > 1:
        with pytest.raises(DomainError) as err:
            services.service_confirm(
                actor=hood.staff,
                community=hood.community,
                member=hood.workers[0],
                done_on=today - timedelta(days=1),
                hours=2,
                what="清理楼道",
            )
        assert "早于报到日期" in err.value.message
    with pytest.raises(DomainError) as err:
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[1],
            done_on=today,
            hours=2,
            what="清理楼道",
        )
    assert "请先向中共示范社区委员会报到" in err.value.message
    with pytest.raises(DomainError):
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=today,
            hours=30,
            what="清理楼道",
        )
    assert not Service.objects.exists()
    # another member's record: neither the member nor a stranger may report for them
    with pytest.raises(NotVisible):
        services.report_submit(actor=user, member=hood.workers[1], community=hood.community)


def test_an_issue_through_a_joint_meeting_to_confirmed(client, hood):
    user = _worker(hood)
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    login(client, user)
    resp = client.post(
        reverse("community:my_issue_new"),
        {
            "title": "美食街装卸货车位被占",
            "text": "早上装卸货车位被私家车占用，货车堵在路口",
            "where": "美食街",
        },
    )
    issue = Issue.objects.get()
    assert resp.status_code == 302
    assert (issue.community, issue.place, issue.raiser_name) == (
        hood.community,
        hood.place,
        hood.workers[0].name,
    )
    assert selectors.issue_get(user, issue.pk) == issue
    staff = client.__class__()
    login(staff, hood.staff)
    page = staff.get(reverse("community:issue", args=[issue.pk])).content.decode()
    assert "召开联席会议" in page
    staff.post(
        reverse("community:issue", args=[issue.pk]),
        {
            "form": "meeting",
            "held_on": timezone.localdate().isoformat(),
            "parties": "社区党委、6家商户、巡查劝导先锋队、物业",
            "decision": "划定7点至9点为装卸时段，先锋队每日巡查劝导",
        },
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.DECIDED
    staff.post(
        reverse("community:issue", args=[issue.pk]),
        {"form": "close", "result": "装卸货车位已恢复，两周内无占用"},
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED
    page = client.get(reverse("community:issue", args=[issue.pk])).content.decode()
    assert "问题解决了吗" in page
    assert "tabbar" in page  # the member's phone frame
    client.post(
        reverse("community:issue", args=[issue.pk]), {"form": "confirm", "solved": "0", "note": ""}
    )
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CLOSED  # a reopening needs its reason
    client.post(reverse("community:issue", args=[issue.pk]), {"form": "confirm", "solved": "1"})
    issue.refresh_from_db()
    assert issue.status == IssueStatus.CONFIRMED
    other = client.__class__()
    login(other, _worker(hood, 1))
    assert other.get(reverse("community:issue", args=[issue.pk])).status_code == 404


def test_coverage_rolls_up_to_the_district(client, hood, users):
    services.place_save(
        actor=None,
        community=hood.community,
        code="P003",
        name="红色物业小区",
        covered_by=hood.place_branch,
        property_party=True,
    )
    total, rows = selectors.coverage(hood.street.get_parent())
    assert (total.places, total.with_branch, total.red) == (3, 1, 1)
    assert [r.org for r in rows] == [hood.street]
    login(client, users["committee_staff"])
    page = client.get(reverse("community:places", args=[hood.street.get_parent().pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "红色物业小区" in html
    assert 'id="coverChart"' not in html  # one child: the table above says it all
    page = client.get(reverse("community:places", args=[hood.community.pk]), {"coverage": "none"})
    assert "红色物业小区" not in page.content.decode()


def test_a_unit_registers_and_sees_its_members_reporting(client, hood, users):
    staff = users["committee_staff"]
    with pytest.raises(DomainError) as err:
        services.unit_register(
            actor=staff, unit=hood.office, community=hood.street, contact_name="王主任"
        )
    assert "不是社区党组织" in err.value.message
    with pytest.raises(DomainError) as err:
        services.unit_register(
            actor=staff, unit=hood.place_branch, community=hood.community, contact_name="王主任"
        )
    assert err.value.field == "community"  # inside the community itself
    reg = services.unit_register(
        actor=staff,
        unit=hood.office,
        community=hood.community,
        contact_name="王主任",
        contact_phone="13900001234",
        resources="法律咨询、义诊",
    )
    assert reg.contact_phone_masked == "139****1234"
    assert "13900001234" not in reg.contact_phone_encrypted
    with pytest.raises(DomainError) as err:
        services.unit_register(
            actor=staff, unit=hood.office, community=hood.community, contact_name="王主任"
        )
    assert "已向中共示范社区委员会报到" in err.value.message
    with pytest.raises(NotVisible):
        services.unit_register(
            actor=users["sibling_staff"],
            unit=hood.office,
            community=hood.community,
            contact_name="王主任",
        )
    # two members report, one serves twice: counts and hours are not multiplied by the join
    today = timezone.localdate()
    for m in hood.workers[:2]:
        services.report_submit(actor=None, member=m, community=hood.community, on=today)
    for hours in ("1.5", "2.0"):
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=today,
            hours=hours,
            what="楼道清理",
        )
    rows = {m.member_no: m for m in selectors.unit_members(hood.office, today.year)}
    assert (rows["W001"].reported_to, rows["W001"].done, str(rows["W001"].hours)) == (
        "中共示范社区委员会",
        2,
        "3.5",
    )
    assert rows["W003"].reported_to is None
    login(client, staff)
    page = client.get(reverse("community:unit", args=[hood.office.pk])).content.decode()
    assert "未报到" in page
    assert "3.5 小时" in page
    page = client.get(reverse("community:units", args=[hood.community.pk])).content.decode()
    assert "法律咨询、义诊" in page
    assert "139****1234" in page


def test_scope_and_state_are_checked_in_the_services(client, hood):
    user = _worker(hood)
    with pytest.raises(NotVisible):  # not living there
        services.issue_raise(
            actor=user, community=hood.community, title="路灯不亮", text="三号楼前路灯坏了一周"
        )
    staff_issue = services.issue_raise(
        actor=hood.staff,
        community=hood.community,
        title="路灯不亮",
        text="三号楼前路灯坏了一周",
        raiser_name="李邻长",
    )
    assert (staff_issue.raised_by, staff_issue.raiser_name) == (None, "李邻长")
    # a need already confirmed cannot be confirmed again
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    need = services.need_publish(
        actor=hood.staff, community=hood.community, kind="wish", title="代购药品"
    )
    services.need_claim(actor=user, member=hood.workers[0], need=need)
    today = timezone.localdate()
    services.service_confirm(
        actor=hood.staff,
        community=hood.community,
        member=hood.workers[0],
        done_on=today,
        hours=1,
        need=need,
    )
    with pytest.raises(DomainError) as err:
        services.service_confirm(
            actor=hood.staff,
            community=hood.community,
            member=hood.workers[0],
            done_on=today,
            hours=1,
            need=need,
        )
    assert "不能重复确认" in err.value.message
    assert Service.objects.count() == 1
    # a posted id that is not a number is a 404, not an error page
    login(client, hood.staff)
    url = reverse("community:needs", args=[hood.community.pk])
    assert client.post(url, {"form": "done", "need": "abc"}).status_code == 404
    login(client, user)
    assert client.post(reverse("community:my"), {"form": "claim", "need": "x"}).status_code == 404


def test_a_team_records_activities_and_totals(client, hood, users, tree):
    staff = hood.staff
    services.residence_set(actor=None, member=hood.workers[0], place=hood.place)
    with pytest.raises(DomainError) as err:  # a member of another district, not living here
        services.team_create(
            actor=staff,
            owner=hood.community,
            name="巡查劝导先锋队",
            members=[tree.members["B1-8"]],
        )
    assert err.value.field == "members"
    team = services.team_create(
        actor=staff,
        owner=hood.community,
        name="巡查劝导先锋队",
        purpose="美食街秩序",
        leader=hood.workers[0],
        residents="张老板\n李老板\n\n",
    )
    assert list(team.members.all()) == [hood.workers[0]]
    assert team.resident_names == ["张老板", "李老板"]
    today = timezone.localdate()
    with pytest.raises(DomainError) as err:
        services.team_activity_record(
            actor=staff,
            team=team,
            held_on=today,
            place="美食街",
            hours=2,
            result="劝导12次",
            participants=[hood.workers[1]],
        )
    assert "不是本队队员" in err.value.message
    services.team_activity_record(
        actor=staff,
        team=team,
        held_on=today,
        place="美食街",
        hours="1.5",
        result="劝导占道车辆12次",
        participants=[hood.workers[0]],
        residents=6,
    )
    totals = selectors.team_totals(team)
    assert str(totals["person_hours"]) == "10.5"  # (1 member + 6 residents) × 1.5 h
    assert [(m, n, str(h)) for m, n, h in totals["people"]] == [(hood.workers[0], 1, "1.5")]
    login(client, staff)
    page = client.get(reverse("community:team", args=[team.pk])).content.decode()
    assert "劝导占道车辆12次" in page
    assert "张老板、李老板" in page
    with pytest.raises(NotVisible):
        services.team_create(actor=users["sibling_staff"], owner=hood.community, name="另一队")


def test_the_places_page_does_not_query_per_row(client, hood, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    login(client, users["committee_staff"])
    url = reverse("community:places", args=[hood.community.pk])
    client.get(url)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = queries()
    for i in range(5):
        p = services.place_save(
            actor=None, community=hood.community, code=f"Q{i}", name=f"新小区{i}"
        )
        services.residence_set(actor=None, member=hood.workers[i % 4], place=p)
    assert queries() == before


def test_the_yearly_appraisal_goes_back_to_the_members_branch_and_shows_in_the_review(client, hood):
    from dangjian.community.models import YearAppraisal
    from dangjian.meetings import services as meetings
    from dangjian.notify.models import Notice

    today = timezone.localdate()
    user = _worker(hood)
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    services.unit_register(
        actor=None, unit=hood.office, community=hood.community, contact_name="王主任"
    )
    secretary = make_user("of_worker", "branch_worker", hood.office)
    login(client, hood.staff)
    url = reverse("community:appraisals", args=[hood.community.pk])
    page = client.get(url, {"year": today.year}).content.decode()
    assert hood.workers[0].name in page
    assert "甲区示范局机关党支部" in page
    report = Report.objects.get(member=hood.workers[0])
    post = {"form": "member", "id": report.pk, "year": today.year}
    # 不合格 needs the reason; nothing is written without it
    resp = client.post(url, {**post, "grade": "unqualified", "comment": ""}, follow=True)
    assert "评为不合格时请写明评语" in resp.content.decode()
    assert not YearAppraisal.objects.exists()
    client.post(url, {**post, "grade": "qualified", "comment": ""})
    client.post(url, {**post, "grade": "excellent", "comment": "常年做楼道志愿服务"})
    a = YearAppraisal.objects.get()  # changed, not added
    assert (a.member, a.grade, a.comment, a.year) == (
        hood.workers[0],
        "excellent",
        "常年做楼道志愿服务",
        today.year,
    )
    assert Notice.objects.filter(user=secretary, title__contains="优秀").exists()
    # the unit is appraised too
    reg = selectors.appraisal_units(hood.staff, hood.community, today.year).get()
    client.post(url, {"form": "unit", "id": reg.pk, "year": today.year, "grade": "qualified"})
    assert YearAppraisal.objects.filter(unit=hood.office, grade="qualified").exists()
    export = client.get(
        reverse("interchange:export", args=["community_appraisals"]),
        {"org": hood.community.pk, "year": today.year},
    )
    assert export.status_code == 200
    # bad input: a member who did not report, a year to come
    with pytest.raises(DomainError, match="没有在.*年向本社区报到"):
        services.appraisal_save(
            actor=hood.staff,
            community=hood.community,
            year=today.year,
            member=hood.workers[1],
            grade="qualified",
        )
    with pytest.raises(DomainError, match="今年或往年"):
        services.appraisal_save(
            actor=hood.staff,
            community=hood.community,
            year=today.year + 1,
            member=hood.workers[0],
            grade="qualified",
        )
    # another community's worker may not appraise
    with pytest.raises(NotVisible):
        services.appraisal_save(
            actor=secretary,
            community=hood.community,
            year=today.year,
            member=hood.workers[0],
            grade="qualified",
        )
    # the branch's 民主评议: the community's appraisal shows beside the member
    held = today if today.month > 6 else today.replace(month=1, day=2)
    year = held.year if held.month > 6 else held.year - 1
    if year != today.year:
        YearAppraisal.objects.update(year=year)
    review = meetings.meeting_record(
        actor=secretary,
        organization=hood.office,
        kind="democratic_review",
        held_on=held,
        topic="年度民主评议",
        chair="书记",
        recorder="组织委员",
        minutes="<p>评议</p>",
    )
    login(client, secretary)
    page = client.get(reverse("meetings:appraisal", args=[review.pk])).content.decode()
    assert f"社区评价（{year}年）" in page
    assert "中共示范社区委员会评价优秀（常年做楼道志愿服务）" in page


def test_a_unit_prints_its_members_reporting_cards(client, hood, users):
    from dangjian.audit.models import AuditEvent
    from tests.web.test_no_leaks import _text

    user = _worker(hood)
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    login(client, users["committee_staff"])  # the district above the office
    url = reverse("community:cards", args=[hood.office.pk])
    page = client.get(reverse("community:unit", args=[hood.office.pk])).content.decode()
    assert url in page
    one = client.get(url, {"member": hood.workers[0].pk})
    assert one["Content-Type"] == "application/pdf"
    text = _text(one)
    assert "在职党员到社区报到证" in text
    assert hood.workers[0].name in text
    assert "中共示范社区委员会" in text
    assert "示范花园" in text
    assert "待社区确认" in text
    every = client.get(url)
    assert _text(every).count("在职党员到社区报到证") == len(hood.workers)
    events = AuditEvent.objects.filter(action="community.cards").order_by("id")
    assert [e.data["cards"] for e in events] == [1, len(hood.workers)]
    # a member outside the unit is not printed
    assert client.get(url, {"member": users["member"].member_id or 0}).status_code == 404
    # an organization with nobody to report says so instead of an empty file
    empty = client.get(reverse("community:cards", args=[hood.community.pk]), follow=True)
    assert "无需打印报到证" in empty.content.decode()


def test_a_co_building_agreement_records_activities_and_is_renewed_when_due(client, hood):
    from datetime import date

    from dangjian.community.models import Alliance, AllianceActivity

    today = timezone.localdate()
    login(client, hood.staff)
    url = reverse("community:alliances", args=[hood.community.pk])
    form = {
        "name": "美食街共建共管共享协议",
        "parties": "美食街商户联合会\n示范物业有限公司\n\n",
        "commitments": "装卸货车位错时共用，商户轮流值守劝导",
        "started_on": (today - timedelta(days=300)).isoformat(),
        "ends_on": (today - timedelta(days=301)).isoformat(),
    }
    resp = client.post(url, form)
    assert resp.status_code == 400
    assert "到期日期应晚于开始日期" in resp.content.decode()
    resp = client.post(url, {**form, "ends_on": (today + timedelta(days=30)).isoformat()})
    a = Alliance.objects.get()
    assert resp["Location"] == reverse("community:alliance", args=[a.pk])
    assert a.party_names == ["美食街商户联合会", "示范物业有限公司"]
    # due within 60 days: in 待办 and under 即将到期
    assert (
        "共建协议即将到期，请续签：美食街共建共管共享协议"
        in client.get(reverse("portal:home")).content.decode()
    )
    link = f'href="{reverse("community:alliance", args=[a.pk])}"'
    assert link in client.get(url, {"state": "due"}).content.decode()
    assert link not in client.get(url, {"state": "active"}).content.decode()
    page = reverse("community:alliance", args=[a.pk])
    # an activity outside the period, or to come, is refused with the reason
    resp = client.post(
        page,
        {
            "form": "activity",
            "held_on": (today - timedelta(days=400)).isoformat(),
            "what": "联合巡查",
            "result": "清理占道",
        },
    )
    assert "活动日期不在协议期内" in resp.content.decode()
    client.post(
        page,
        {
            "form": "activity",
            "held_on": today.isoformat(),
            "what": "装卸货车位联合巡查",
            "parties": "美食街商户联合会",
            "result": "劝导占道车辆12辆，车位恢复畅通",
        },
    )
    assert AllianceActivity.objects.filter(alliance=a).count() == 1
    # renewed: out of 待办
    resp = client.post(page, {"form": "renew", "ends_on": a.ends_on.isoformat()})
    assert "应晚于现到期日期" in resp.content.decode()
    new_end = date(today.year + 2, 12, 31)
    client.post(page, {"form": "renew", "ends_on": new_end.isoformat(), "note": "续签两年"})
    a.refresh_from_db()
    assert a.ends_on == new_end
    assert "请续签" not in client.get(reverse("portal:home")).content.decode()
    export = client.get(
        reverse("interchange:export", args=["community_alliances"]), {"org": hood.community.pk}
    )
    assert export.status_code == 200
    # another community's worker cannot see or write
    other = make_user("outsider", "branch_worker", hood.office)
    with pytest.raises(NotVisible):
        services.alliance_activity_record(
            actor=other, alliance=a, held_on=today, what="x", result="y"
        )
    client.logout()
    login(client, other)
    assert client.get(page).status_code == 404


def test_monthly_figures_for_a_street_and_district(client, hood, users, django_assert_num_queries):
    from datetime import date
    from decimal import Decimal

    from dangjian.community.models import Team, TeamActivity, UnitRegistration

    c, w = hood.community, hood.workers
    Report.objects.create(member=w[0], community=c, year=2025, reported_on=date(2025, 1, 10))
    Report.objects.create(member=w[1], community=c, year=2025, reported_on=date(2025, 3, 5))
    Report.objects.create(member=w[2], community=c, year=2025, reported_on=date(2025, 3, 31))
    Report.objects.create(member=w[3], community=c, year=2024, reported_on=date(2024, 3, 1))
    UnitRegistration.objects.create(
        unit=hood.office, community=c, registered_on=date(2025, 2, 1), contact_name="王"
    )
    for who, day, hours in ((0, date(2025, 3, 2), "2"), (1, date(2025, 3, 20), "1.5")):
        Service.objects.create(
            member=w[who], community=c, what="楼道清理", done_on=day, hours=Decimal(hours)
        )
    common = {"community": c, "text": "情况", "raiser_name": "邻长"}
    Issue.objects.create(**common, title="a", raised_on=date(2025, 4, 1))
    Issue.objects.create(
        **common, title="b", raised_on=date(2025, 4, 3), status=IssueStatus.CONFIRMED,
        closed_on=date(2025, 5, 3),
    )  # fmt: skip
    Issue.objects.create(
        **common, title="c", raised_on=date(2025, 4, 20), status=IssueStatus.CLOSED,
        closed_on=date(2025, 5, 10),
    )  # fmt: skip
    Issue.objects.create(  # reopened: not solved
        **common, title="d", raised_on=date(2025, 4, 20), status=IssueStatus.DECIDED,
        closed_on=date(2025, 5, 1),
    )  # fmt: skip
    team = Team.objects.create(owner=c, name="巡查劝导先锋队", formed_on=date(2025, 1, 1))
    act = TeamActivity.objects.create(
        team=team, held_on=date(2025, 6, 8), place="美食街", hours=Decimal("2"), result="好"
    )
    act.participants.set([w[0], w[1]])
    district = hood.street.get_parent()
    # a report for 2025 dated in December 2024 counts from January
    Report.objects.create(member=w[3], community=c, year=2025, reported_on=date(2024, 12, 30))
    with django_assert_num_queries(6):
        rows = selectors.monthly_figures(district, 2025)
    by = {r["month"]: r for r in rows}
    assert (by[1]["reported"], by[1]["reported_total"]) == (1, 2)
    assert (by[3]["reported"], by[3]["reported_total"]) == (2, 4)
    assert by[12]["reported_total"] == 4  # the report for 2024 is not this year's
    assert by[2]["units"] == 1
    assert (by[3]["services"], by[3]["service_hours"]) == (2, Decimal("3.5"))
    assert by[3]["per_member"] == 0.5
    assert (by[4]["raised"], by[5]["solved"], by[5]["solve_days"]) == (4, 2, 25.0)  # (30+20)/2
    assert by[4]["solve_days"] is None
    assert (by[6]["volunteers"], by[6]["volunteer_hours"]) == (2, Decimal("4"))
    login(client, users["committee_staff"])
    page = client.get(reverse("community:figures", args=[district.pk]), {"year": 2025})
    assert page.status_code == 200
    html = page.content.decode()
    assert "2025年逐月情况" in html
    assert "fig-data" in html
    export = client.get(
        reverse("interchange:export", args=["community_figures"]),
        {"org": district.pk, "year": 2025},
    )
    assert export.status_code == 200


def _jpeg_with_exif() -> bytes:
    import io

    from PIL import Image

    img = Image.new("RGB", (40, 30), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = "张三"  # Artist
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    return buf.getvalue()


def test_photos_of_an_issue_and_a_service_lose_their_metadata_and_are_scoped(client, hood, users):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from dangjian.community.models import Photo

    def photo(name="IMG_0001.jpg"):
        return SimpleUploadedFile(name, _jpeg_with_exif(), "image/jpeg")

    user = _worker(hood)
    services.residence_set(actor=user, member=hood.workers[0], place=hood.place)
    login(client, user)
    resp = client.post(
        reverse("community:my_issue_new"),
        {"title": "路灯不亮", "text": "三号楼前路灯坏了一周", "photos": [photo(), photo("b.jpg")]},
    )
    issue = Issue.objects.get()
    assert resp["Location"] == reverse("community:issue", args=[issue.pk])
    shots = list(Photo.objects.filter(issue=issue))
    assert [p.name for p in shots] == ["照片1.jpg", "照片2.jpg"]
    body = b"".join(client.get(reverse("community:photo", args=[shots[0].pk])).streaming_content)
    assert body.startswith(b"\xff\xd8")
    assert b"PhoneMaker" not in body
    assert "张三".encode() not in body
    page = client.get(reverse("community:issue", args=[issue.pk])).content.decode()
    assert reverse("community:photo", args=[shots[0].pk]) in page
    # a text file named .jpg is refused with the reason and nothing is written
    resp = client.post(
        reverse("community:my_issue_new"),
        {
            "title": "占道",
            "text": "美食街装卸货车位被占",
            "photos": SimpleUploadedFile("x.jpg", b"not an image", "image/jpeg"),
        },
    )
    assert resp.status_code == 400
    assert Issue.objects.count() == 1
    # the community closes it with photos; the raiser sees them
    staff = client.__class__()
    login(staff, hood.staff)
    url = reverse("community:issue", args=[issue.pk])
    staff.post(url, {"form": "meeting", "held_on": timezone.localdate().isoformat(),
                     "parties": "物业", "decision": "更换灯具"})  # fmt: skip
    staff.post(url, {"form": "close", "result": "已更换", "photos": photo()})
    assert Photo.objects.filter(issue=issue, stage="closed").count() == 1
    assert "办结照片" in client.get(url).content.decode()
    # a service confirmed with a photo: the member sees it on the phone
    services.report_submit(actor=user, member=hood.workers[0], community=hood.community)
    need = services.need_publish(
        actor=hood.staff, community=hood.community, kind="wish", title="帮独居老人换灯泡"
    )
    services.need_claim(actor=user, member=hood.workers[0], need=need)
    staff.post(
        reverse("community:needs", args=[hood.community.pk]),
        {
            "form": "done",
            "need": need.pk,
            "what": need.title,
            "done_on": timezone.localdate().isoformat(),
            "hours": "1",
            "photos": photo(),
        },
    )
    sp = Photo.objects.get(service__need=need)
    assert (
        reverse("community:photo", args=[sp.pk])
        in client.get(reverse("community:my")).content.decode()
    )
    # outside the scope: another member, a sibling district's staff
    other = client.__class__()
    login(other, users["sibling_staff"])
    for p in (shots[0], sp):
        assert other.get(reverse("community:photo", args=[p.pk])).status_code == 404


def test_the_branch_sets_where_a_member_lives(client, hood, users):
    from dangjian.community.models import Residence

    secretary = make_user("of_worker", "branch_worker", hood.office)
    login(client, secretary)
    m = hood.workers[2]
    detail = client.get(reverse("members:detail", args=[m.pk])).content.decode()
    assert "居住小区" in detail
    assert "未登记" in detail
    url = reverse("community:residence", args=[m.pk])
    assert url in detail
    resp = client.post(url, {"place": "NOPE"})
    assert resp.status_code == 400
    assert "请从列表中选择小区" in resp.content.decode()
    resp = client.post(url, {"place": "P002"})
    assert resp["Location"] == reverse("members:detail", args=[m.pk])
    assert Residence.objects.get(member=m).place == hood.other_place
    assert (
        "幸福里（中共示范社区委员会）"
        in client.get(reverse("members:detail", args=[m.pk])).content.decode()
    )
    # another branch's worker: not their member
    client.logout()
    login(client, users["sibling_staff"])
    assert client.get(url).status_code == 404


def test_a_need_matched_with_a_units_resources_is_a_project_the_unit_sees(client, hood, users):
    from dangjian.notify.models import Notice

    secretary = make_user("of_worker", "branch_worker", hood.office)
    with pytest.raises(DomainError, match="没有向本社区报到"):
        services.need_publish(
            actor=hood.staff, community=hood.community, kind="project", title="义诊",
            unit=hood.office,
        )  # fmt: skip
    services.unit_register(
        actor=None, unit=hood.office, community=hood.community, contact_name="王主任",
        resources="义诊、法律咨询",
    )  # fmt: skip
    login(client, hood.staff)
    url = reverse("community:needs", args=[hood.community.pk])
    assert "甲区示范局机关党支部" in client.get(url).content.decode()  # the unit picker
    client.post(
        url,
        {"form": "need", "kind": "project", "title": "社区义诊", "unit": hood.office.pk},
    )
    need = Need.objects.get()
    assert need.unit == hood.office
    assert "项目清单" in client.get(url).content.decode()
    assert Notice.objects.filter(user=secretary, title="社区项目已对接本单位").exists()
    client.logout()
    login(client, secretary)
    page = client.get(reverse("community:unit", args=[hood.office.pk])).content.decode()
    assert "本单位承接的社区项目" in page
    assert "社区义诊" in page


def test_an_agreement_ending_on_29_february_opens_and_renews(client, hood):
    from datetime import date

    from dangjian.community.models import Alliance

    a = Alliance.objects.create(
        community=hood.community,
        name="闰日协议",
        parties="商户",
        commitments="共管",
        started_on=date(2027, 3, 1),
        ends_on=date(2028, 2, 29),
    )
    login(client, hood.staff)
    from dangjian.community.views import _a_year_on

    assert client.get(reverse("community:alliance", args=[a.pk])).status_code == 200
    assert _a_year_on(date(2028, 2, 29)) == date(2029, 2, 28)
    assert _a_year_on(date(2027, 3, 1)) == date(2028, 3, 1)
