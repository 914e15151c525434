"""Organizational-life services: plan, notice, sign-in, the record's quorum and vote checks,
appraisal limits, uploads, scoping, absences (LIFE-09/10) with handling, record gaps (LIFE-12)."""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from freezegun import freeze_time
from PIL import Image

from dangjian.core.errors import DomainError, NotVisible
from dangjian.meetings import services
from dangjian.meetings.models import Appraisal, Attachment, Attendance, Handling, Meeting
from dangjian.members.services import member_create
from dangjian.notify.models import Notice
from dangjian.orgs.services import post_assign
from tests.conftest import make_user, member_data

pytestmark = pytest.mark.django_db
Mark = services.Mark


def photo() -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, "JPEG")
    return SimpleUploadedFile("会场.jpg", buf.getvalue(), content_type="image/jpeg")


def record(users, tree, **over):
    args = {
        "actor": users["branch_worker"],
        "organization": tree.branch_a1,
        "kind": "general_meeting",
        "held_on": timezone.localdate() - timedelta(days=1),
        "topic": "第三季度党员大会",
        "minutes": "<p>讨论</p>",
        "decisions": "通过",
        "chair": "书记",
        "recorder": "组织委员",
    }
    args.update(over)
    return services.meeting_record(**args)


def a1(tree):
    return [tree.members[f"A1-{i}"] for i in range(1, 5)]


# ------------------------------------------------------------------ the plan


def test_yearly_plan_follows_the_frequencies_and_is_idempotent(tree, users):
    worker = users["branch_worker"]
    year = timezone.localdate().year + 1
    n = services.plan_generate(actor=worker, organization=tree.branch_a1, year=year, theme_day=12)
    kinds = {}
    for m in Meeting.objects.filter(organization__in=[tree.branch_a1, tree.group_a1]):
        kinds[m.kind] = kinds.get(m.kind, 0) + 1
    # no committee (one post): no committee meetings; the group meets monthly
    assert kinds == {
        "theme_day": 12,
        "general_meeting": 4,
        "party_lecture": 4,
        "life_meeting": 1,
        "democratic_review": 1,
        "group_meeting": 12,
    }
    assert n == 34
    assert set(
        Meeting.objects.filter(kind="theme_day").values_list("planned_on__day", flat=True)
    ) == {12}
    assert services.plan_generate(actor=worker, organization=tree.branch_a1, year=year) == 0
    with pytest.raises(NotVisible):
        services.plan_generate(actor=users["sibling_staff"], organization=tree.branch_a1, year=year)
    with pytest.raises(DomainError) as exc:
        services.plan_generate(actor=worker, organization=tree.branch_a1, year=year, theme_day=31)
    assert exc.value.field == "theme_day"


def test_plan_includes_committee_meetings_when_the_branch_has_a_committee(tree, users):
    ms = a1(tree)
    post_assign(
        actor=None,
        organization=tree.branch_a1,
        member=ms[1],
        post="organization",
        started_on=date(2020, 1, 1),
    )
    post_assign(
        actor=None,
        organization=tree.branch_a1,
        member=ms[2],
        post="propaganda",
        started_on=date(2020, 1, 1),
    )
    services.plan_generate(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        year=timezone.localdate().year + 1,
    )
    assert Meeting.objects.filter(kind="committee_meeting").count() == 12


# ------------------------------------------------------------------ notice and sign-in


def published(tree, users, day=None):
    m = services.meeting_plan(
        actor=users["branch_worker"],
        organization=tree.branch_a1,
        kind="general_meeting",
        planned_on=day or timezone.localdate(),
        topic="党员大会",
        place="党员活动室",
    )
    services.meeting_publish(actor=users["branch_worker"], meeting=m)
    m.refresh_from_db()
    return m


def test_publishing_notifies_the_attendees_with_accounts(tree, users):
    other = make_user("member_b1", member=tree.members["B1-8"])
    m = published(tree, users)
    notices = Notice.objects.filter(key=f"meeting:{m.pk}")
    assert [n.user_id for n in notices] == [
        users["member"].pk
    ]  # the only A1 member with an account
    assert "党员活动室" in notices[0].body
    assert not Notice.objects.filter(user=other).exists()
    with pytest.raises(DomainError):
        services.meeting_publish(actor=users["branch_worker"], meeting=m)  # only once


def test_sign_in_only_the_member_themself_only_once_only_on_the_day(tree, users):
    m = published(tree, users)
    member = users["member"]
    with pytest.raises(DomainError, match="签到码无效"):
        services.attendance_sign_in(user=member, meeting=m, token="forged")
    with pytest.raises(DomainError, match="党员账号"):
        services.attendance_sign_in(user=users["branch_worker"], meeting=m, token=m.sign_in_token)
    outsider = make_user("member_b1", member=tree.members["B1-8"])
    with pytest.raises(DomainError, match="不在本次会议"):
        services.attendance_sign_in(user=outsider, meeting=m, token=m.sign_in_token)
    a = services.attendance_sign_in(user=member, meeting=m, token=m.sign_in_token)
    assert (a.member_id, a.status, a.voting) == (tree.members["A1-2"].pk, "present", True)
    with pytest.raises(DomainError, match="无需重复签到"):
        services.attendance_sign_in(user=member, meeting=m, token=m.sign_in_token)
    assert Attendance.objects.filter(meeting=m).count() == 1


def test_sign_in_is_refused_before_the_day(tree, users):
    m = published(tree, users, day=timezone.localdate() + timedelta(days=2))
    with pytest.raises(DomainError, match="只能在会议当天"):
        services.attendance_sign_in(user=users["member"], meeting=m, token=m.sign_in_token)


def test_record_keeps_sign_ins_and_counts_from_the_roster(tree, users):
    m = published(tree, users)
    services.attendance_sign_in(user=users["member"], meeting=m, token=m.sign_in_token)
    ms = a1(tree)
    services.meeting_record(
        actor=users["branch_worker"],
        meeting=m,
        held_on=timezone.localdate(),
        topic="党员大会",
        marks={
            ms[0].pk: Mark("present"),
            ms[2].pk: Mark("leave", "出差"),
            ms[3].pk: Mark("excluded", exclusion="abroad"),
        },
        motion="接收预备党员",
        votes_for=2,
        votes_against=0,
        votes_abstain=0,
        decisions="同意",
    )
    m.refresh_from_db()
    assert (m.status, m.expected, m.attended, m.voting_expected, m.voting_present) == (
        "held",
        3,
        2,
        3,
        2,
    )
    signed = Attendance.objects.get(meeting=m, member=ms[1])
    assert signed.signed_in_at is not None
    assert services.motion_passed(m) is True  # 2 of 3 who should attend


# ------------------------------------------------------------------ the record refused


def test_a_meeting_dated_in_the_future_cannot_be_recorded_as_held(tree, users):
    with pytest.raises(DomainError) as exc:
        record(users, tree, held_on=timezone.localdate() + timedelta(days=1))
    assert exc.value.field == "held_on"
    assert Meeting.objects.count() == 0


def test_attendance_larger_than_the_roster_is_refused(tree, users):
    stranger = tree.members["B1-8"]
    with pytest.raises(DomainError, match="不在本次会议") as exc:
        record(users, tree, marks={stranger.pk: Mark("present")})
    assert exc.value.field == "attendance"
    assert Meeting.objects.count() == 0


def test_a_vote_without_more_than_half_of_the_voting_members_is_blocked(tree, users):
    ms = a1(tree)
    marks = {
        ms[0].pk: Mark("present"),
        ms[1].pk: Mark("present"),
        ms[2].pk: Mark("absent", "病"),
        ms[3].pk: Mark("absent", "病"),
    }
    with pytest.raises(
        DomainError, match="未超过半数"
    ) as exc:  # 2 of 4: exactly half is not more than half
        record(
            users,
            tree,
            marks=marks,
            motion="表决事项",
            votes_for=2,
            votes_against=0,
            votes_abstain=0,
        )
    assert exc.value.code == "quorum"
    assert Meeting.objects.count() == 0
    # excluding one member (abroad) from the quorum base makes 2 of 3 present: valid
    marks[ms[3].pk] = Mark("excluded", exclusion="abroad")
    m = record(
        users, tree, marks=marks, motion="表决事项", votes_for=1, votes_against=1, votes_abstain=0
    )
    assert services.motion_passed(m) is False  # 1 is not more than half of the 3 who should attend


def test_probationary_members_attend_but_do_not_vote(tree, users):
    p = member_create(
        actor=None,
        organization=tree.branch_a1,
        member_no="P0001",
        data=member_data(50, status="probationary", joined_on=date(2025, 1, 1), full_on=None),
    )
    ms = a1(tree)
    marks = {x.pk: Mark("present") for x in ms} | {p.pk: Mark("present")}
    with pytest.raises(DomainError, match="合计5票") as exc:
        record(
            users, tree, marks=marks, motion="转正", votes_for=5, votes_against=0, votes_abstain=0
        )
    assert exc.value.field == "votes_for"
    m = record(
        users, tree, marks=marks, motion="转正", votes_for=4, votes_against=0, votes_abstain=0
    )
    assert (m.expected, m.attended, m.voting_expected, m.voting_present) == (5, 5, 4, 4)
    assert Attendance.objects.get(meeting=m, member=p).voting is False


def test_vote_counts_that_do_not_add_up_are_refused(tree, users):
    marks = {x.pk: Mark("present") for x in a1(tree)}
    with pytest.raises(DomainError, match="合计3票"):
        record(
            users, tree, marks=marks, motion="事项", votes_for=2, votes_against=1, votes_abstain=0
        )
    with pytest.raises(DomainError) as exc:
        record(
            users, tree, marks=marks, votes_for=4, votes_against=0, votes_abstain=0
        )  # votes without a motion
    assert exc.value.field == "motion"
    with pytest.raises(DomainError) as exc:
        record(
            users,
            tree,
            marks=marks,
            motion="事项",
            votes_for=None,
            votes_against=None,
            votes_abstain=None,
        )
    assert exc.value.field == "votes_for"
    assert Meeting.objects.count() == 0


def test_uploads_forged_or_too_large_are_refused_and_nothing_is_saved(tree, users, settings):
    forged = SimpleUploadedFile(
        "照片.jpg", b"MZ\x90\x00" + b"\x00" * 100, content_type="image/jpeg"
    )
    with pytest.raises(DomainError) as exc:
        record(users, tree, files=[photo(), forged])
    assert "照片.jpg" in exc.value.message
    big = SimpleUploadedFile(
        "记录.txt", "会".encode() * (4 * 1024 * 1024), content_type="text/plain"
    )
    with pytest.raises(DomainError):
        record(users, tree, files=[big])
    assert Meeting.objects.count() == 0
    assert Attachment.objects.count() == 0
    stored = Path(settings.MEDIA_ROOT)
    assert not [p for p in stored.rglob("*") if p.is_file()]
    m = record(users, tree, files=[photo()])
    assert [a.name for a in m.attachments.all()] == ["会场.jpg"]


def test_a_failed_write_removes_the_files_it_stored(tree, users, settings, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(services, "audit_record", boom)
    with pytest.raises(RuntimeError):
        record(users, tree, files=[photo()])
    assert Meeting.objects.count() == 0
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def test_scope_other_organizations_are_not_visible(tree, users):
    with pytest.raises(NotVisible):
        record(users, tree, actor=users["sibling_staff"])
    with pytest.raises(NotVisible):
        record(users, tree, actor=users["member"])


# ------------------------------------------------------------------ appraisal


def review(tree, users):
    return record(
        users,
        tree,
        kind="democratic_review",
        topic="年度民主评议",
        motion="",
        decisions="",
        marks={x.pk: Mark("present") for x in a1(tree)},
    )


def test_excellent_at_most_one_third(tree, users):
    m = review(tree, users)
    ms = a1(tree)
    with pytest.raises(DomainError, match="超过参评党员4人的三分之一"):
        services.appraisal_record(
            actor=users["branch_worker"],
            meeting=m,
            grades={
                ms[0].pk: "excellent",
                ms[1].pk: "excellent",
                ms[2].pk: "qualified",
                ms[3].pk: "qualified",
            },
        )
    assert Appraisal.objects.count() == 0
    counts = services.appraisal_record(
        actor=users["branch_worker"],
        meeting=m,
        grades={
            ms[0].pk: "excellent",
            ms[1].pk: "qualified",
            ms[2].pk: "basic",
            ms[3].pk: "unqualified",
        },
    )
    assert counts == {"excellent": 1, "qualified": 1, "basic": 1, "unqualified": 1}
    h = Handling.objects.get()
    assert (h.member_id, h.reason, h.decided_on) == (ms[3].pk, "appraisal", None)
    # entering the grades again opens no second case
    services.appraisal_record(
        actor=users["branch_worker"], meeting=m, grades={ms[3].pk: "unqualified"}
    )
    assert Handling.objects.count() == 1


def test_grades_only_for_members_on_the_roster_and_only_after_the_review(tree, users):
    m = record(users, tree)
    with pytest.raises(DomainError, match="民主评议"):
        services.appraisal_record(
            actor=users["branch_worker"], meeting=m, grades={a1(tree)[0].pk: "qualified"}
        )
    m = review(tree, users)
    with pytest.raises(DomainError, match="不在本支部"):
        services.appraisal_record(
            actor=users["branch_worker"], meeting=m, grades={tree.members["B1-8"].pk: "qualified"}
        )


def test_handling_is_decided_by_people(tree, users):
    m = review(tree, users)
    ms = a1(tree)
    services.appraisal_record(
        actor=users["branch_worker"], meeting=m, grades={ms[0].pk: "unqualified"}
    )
    h = Handling.objects.get()
    with pytest.raises(DomainError) as exc:
        services.handling_decide(
            actor=users["branch_worker"],
            handling=h,
            decision="educate",
            note="",
            decided_on=timezone.localdate(),
        )
    assert exc.value.field == "note"
    services.handling_decide(
        actor=users["branch_worker"],
        handling=h,
        decision="educate",
        note="支部大会决定限期改正",
        decided_on=timezone.localdate(),
    )
    ms[0].refresh_from_db()
    assert ms[0].status == "full"  # the platform changes nobody's standing by itself


def test_rectification_list(tree, users):
    m = record(users, tree, kind="life_meeting", topic="年度组织生活会", decisions="")
    r = services.rectification_add(
        actor=users["branch_worker"],
        meeting=m,
        item="学习不够经常",
        owner="书记",
        due_on=timezone.localdate() + timedelta(days=30),
    )
    with pytest.raises(DomainError) as exc:
        services.rectification_add(
            actor=users["branch_worker"], meeting=m, item="x", owner="y", due_on=date(2000, 1, 1)
        )
    assert exc.value.field == "due_on"
    services.rectification_done(
        actor=users["branch_worker"], rectification=r, done_on=timezone.localdate()
    )
    with pytest.raises(DomainError):
        services.rectification_done(
            actor=users["branch_worker"], rectification=r, done_on=timezone.localdate()
        )


# ----------------------------------------------------- absence runs (LIFE-09/10) and gaps (LIFE-12)


def absent_month(tree, users, day: date, present=(), absent=()):
    marks = {x.pk: Mark("present") for x in present} | {x.pk: Mark("absent", "") for x in absent}
    with freeze_time(day + timedelta(days=1)):
        return record(
            users,
            tree,
            kind="theme_day",
            topic=f"主题党日{day:%Y-%m}",
            held_on=day,
            decisions="",
            marks=marks,
        )


def test_absent_three_then_six_months_and_the_handling_case(tree, users):
    from dangjian.compliance.services import scan_run

    ms = a1(tree)
    for i in range(7):  # July 2025 .. January 2026
        day = date(2025, 7, 10) + timedelta(days=31 * i)
        # ms[1] attends only in July; ms[2] is away Oct-Dec with an approved leave; ms[3] attends
        # from October
        absent_month(
            tree,
            users,
            day,
            present=[ms[0]] + ([ms[1]] if i == 0 else []) + ([ms[3]] if i >= 3 else []),
            absent=([] if i == 0 else [ms[1]]) + [ms[2]] + ([ms[3]] if i < 3 else []),
        )
    services.leave_approve(
        actor=users["branch_worker"],
        member=ms[2],
        starts_on=date(2025, 10, 1),
        ends_on=date(2025, 12, 31),
        reason="外出务工，经支部批准",
    )

    def found(as_of):
        scan_run(as_of=as_of)
        from dangjian.compliance.models import Finding

        return {
            (f.rule_id, f.member_id)
            for f in Finding.objects.filter(
                closed_on__isnull=True, rule_id__in=["LIFE-09", "LIFE-10"]
            )
        }

    # as of 1 November: ms[1] absent Aug-Oct (3 months) -> LIFE-09; ms[2]'s October is on leave
    assert found(date(2025, 11, 1)) == {("LIFE-09", ms[1].pk)}
    # as of 1 February 2026: ms[1] absent Aug..Jan (6 months) -> LIFE-10 only; ms[2] absent only in
    # January
    assert found(date(2026, 2, 1)) == {("LIFE-10", ms[1].pk)}
    h = Handling.objects.get()
    assert (h.member_id, h.reason) == (ms[1].pk, "absence")
    scan_run(as_of=date(2026, 2, 1))
    assert Handling.objects.count() == 1  # a second scan opens no second case


def test_record_gaps_are_reported(tree, users):
    from dangjian.compliance.engine import ScanContext
    from dangjian.meetings.rules import life_12

    ms = a1(tree)
    m = record(
        users,
        tree,
        minutes="",
        decisions="",
        marks={ms[0].pk: Mark("present"), ms[1].pk: Mark("absent", "")},
    )
    assert services.record_gaps(m) == ["缺席人员原因", "决定事项", "会议记录"]
    hits = list(
        life_12(
            ScanContext(as_of=timezone.localdate() + timedelta(days=1), scope_path="", params={})
        )
    )
    assert len(hits) == 1
    assert "缺席人员原因、会议记录、决定事项" in hits[0].message
