"""The academy from nomination to certificate, and what completion feeds: a development object
nominated by the branch, accepted, signed in to every session, passing, completing — the training
step of the recruitment record shows the class and certificate and the admission path accepts
it; an incomplete trainee's step still refuses; capacity, waiting list, overlapping classes,
scope, sign-in window and the verification page."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse
from freezegun import freeze_time

from dangjian.academy import services
from dangjian.academy.models import (
    Certificate,
    ClassStatus,
    EnrolmentStatus,
    Presence,
    SessionAttendance,
)
from dangjian.audit.models import AuditEvent
from dangjian.core.errors import DomainError, NotVisible
from dangjian.notify.models import Notice
from tests.academy.helpers import at, development_object, open_class
from tests.conftest import login
from tests.recruitment.test_pipeline import VOTE, step

pytestmark = pytest.mark.django_db


def _sign_all(k, e, skip=()):
    for i, s in enumerate(k.sessions.order_by("on", "starts_at")):
        if i in skip:
            continue
        services.session_sign_in(
            user=None, session=s, token=s.token, pass_token=e.pass_token, now=at(s.on, 8, 50)
        )


def test_nominated_enrolled_signed_in_passed_completed_feeds_the_training_step(tree, users):
    good = development_object(users, tree, 1)
    poor = development_object(users, tree, 2)
    with freeze_time("2024-04-11 10:00"):
        k = open_class(users, tree, min_attendance=80, pass_score=60)
        es = services.enrolment_nominate(
            actor=users["branch_worker"],
            klass=k,
            nominated_by=tree.branch_a1,
            candidates=[good, poor],
            note="发展对象",
        )
        assert [e.status for e in es] == [EnrolmentStatus.NOMINATED] * 2
        assert {e.nominee for e in es} == {"development"}
        # the organizer's staff are told
        assert Notice.objects.filter(user=users["committee_staff"], title__contains="推荐待审核")
        counts = services.enrolment_decide(
            actor=users["committee_staff"], enrolments=es, accept=True
        )
        assert counts["accepted"] == 2
        services.roster_publish(actor=users["committee_staff"], klass=k)
    assert Notice.objects.filter(user=users["branch_worker"], title__contains="名单公布").exists()
    e_good, e_poor = (k.enrolments.get(candidate=c) for c in (good, poor))
    assert e_good.pass_token
    assert e_poor.pass_token
    _sign_all(k, e_good)
    _sign_all(k, e_poor, skip=(1, 2))  # one session of three: 33.3%
    for e, score in ((e_good, 85), (e_poor, 90)):
        services.exam_score_record(actor=users["committee_staff"], enrolment=e, score=score)
    with freeze_time("2024-04-18 09:00"):
        counts = services.class_assess(actor=users["committee_staff"], klass=k)
    assert counts == {"completed": 1, "not_completed": 1, "recruitment": 1}
    k.refresh_from_db()
    assert k.status == ClassStatus.CLOSED
    e_good.refresh_from_db()
    e_poor.refresh_from_db()
    assert (e_good.completed, str(e_good.attendance_pct), e_good.exam_score) == (True, "100.0", 85)
    assert (e_poor.completed, str(e_poor.attendance_pct)) == (False, "33.3")
    cert = Certificate.objects.get(enrolment=e_good)
    assert not Certificate.objects.filter(enrolment=e_poor).exists()
    good.refresh_from_db()
    assert good.trained_on == date(2024, 4, 17)
    assert (good.training_days, good.training_hours, good.training_source) == (3, 24, "academy")
    assert cert.number in good.training_note
    assert k.code in good.training_note
    # the admission path accepts it
    step(users, good, 12, date(2024, 4, 25))
    step(users, good, 13, date(2024, 5, 6))
    step(users, good, 14, date(2024, 5, 8))
    from dangjian.recruitment import services as rs

    rs.candidate_notice(
        actor=users["branch_worker"],
        candidate=good,
        starts_on=date(2024, 5, 13),
        ends_on=date(2024, 5, 17),
    )
    step(users, good, 15, date(2024, 6, 1), vote=VOTE)
    # the incomplete trainee's record has no training, and the committee review refuses
    poor.refresh_from_db()
    assert poor.trained_on is None
    with pytest.raises(DomainError) as exc:
        step(users, poor, 12, date(2024, 4, 25))
    assert "集中培训" in exc.value.message
    with pytest.raises(DomainError) as exc:  # typed by hand, too short, still refused
        step(users, poor, 11, date(2024, 4, 20), training_days=2, training_hours=16)
    assert exc.value.code == "DEV-06"
    # a certificate for a trainee who did not complete is refused with the reason
    with pytest.raises(DomainError) as exc:
        services.certificate_issue(actor=users["committee_staff"], enrolment=e_poor)
    assert "出勤率33.3%" in exc.value.message


def test_hand_typed_training_is_marked_as_such(tree, users):
    c = development_object(users, tree, 3)
    step(users, c, 11, date(2024, 4, 20), training_days=3)
    c.refresh_from_db()
    assert (c.training_source, c.training_note) == ("hand", "")


def test_capacity_waiting_list_and_moving_up(tree, users):
    with freeze_time("2024-03-01"):
        k = open_class(users, tree, "secretary", capacity=2, eligible=[])
        members = [tree.members[x] for x in ("A1-1", "A1-2", "A1-3")]
        es = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, members=members
        )
        counts = services.enrolment_decide(
            actor=users["committee_staff"], enrolments=es, accept=True
        )
        assert counts == {"accepted": 2, "waiting": 1, "declined": 0}
        first = k.enrolments.get(member=members[0])
        services.enrolment_withdraw(actor=users["branch_worker"], enrolment=first)
        third = k.enrolments.get(member=members[2])
        assert third.status == EnrolmentStatus.ACCEPTED  # moved up
        assert AuditEvent.objects.filter(action="academy.withdraw").exists()


def test_refusals_scope_eligibility_overlap_and_dates(tree, users):
    with freeze_time("2024-03-01"):
        k = open_class(users, tree, "secretary", eligible=["secretary"])
        other = open_class(
            users,
            tree,
            "worker",
            starts=date(2024, 4, 16),
            ends=date(2024, 4, 18),
            title="党务工作者培训班",
        )
        with pytest.raises(DomainError) as exc:  # a branch of district B nominating in A
            services.enrolment_nominate(
                actor=users["sibling_staff"],
                klass=k,
                nominated_by=tree.branch_b1,
                members=[tree.members["B1-8"]],
            )
        assert exc.value.code == "bad_scope"
        with pytest.raises(NotVisible):  # nominating in the name of a branch not one's own
            services.enrolment_nominate(
                actor=users["sibling_staff"],
                klass=k,
                nominated_by=tree.branch_a1,
                members=[tree.members["A1-2"]],
            )
        with pytest.raises(DomainError) as exc:  # outside the nominating branch
            services.enrolment_nominate(
                actor=users["committee_staff"],
                klass=k,
                nominated_by=tree.branch_a1,
                members=[tree.members["A2-5"]],
            )
        assert "不在甲一党支部的范围内" in exc.value.message
        with pytest.raises(DomainError) as exc:  # not a secretary
            services.enrolment_nominate(
                actor=users["branch_worker"],
                klass=k,
                nominated_by=tree.branch_a1,
                members=[tree.members["A1-2"]],
            )
        assert exc.value.code == "not_eligible"
        sec = tree.members["A1-1"]
        (e,) = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, members=[sec]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        with pytest.raises(DomainError) as exc:  # overlapping classes
            services.enrolment_nominate(
                actor=users["branch_worker"],
                klass=other,
                nominated_by=tree.branch_a1,
                members=[sec],
            )
        assert exc.value.code == "overlap"
        with pytest.raises(DomainError) as exc:  # a session outside the class's dates
            services.session_add(
                actor=users["committee_staff"],
                klass=k,
                on=date(2024, 4, 20),
                starts_at=time(9),
                ends_at=time(12),
                topic="课外",
            )
        assert exc.value.code == "bad_date"


def test_sign_in_only_own_once_and_within_the_window(tree, users):
    sec = tree.members["A1-1"]
    from tests.conftest import make_user

    own = make_user("sec_a1", member=sec)
    with freeze_time("2024-03-01"):
        k = open_class(users, tree, "secretary", sessions=1)
        (e,) = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, members=[sec]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        services.roster_publish(actor=users["committee_staff"], klass=k)
    s = k.sessions.get()
    with pytest.raises(DomainError) as exc:  # someone else: not on the roster
        services.session_sign_in(user=users["member"], session=s, token=s.token, now=at(s.on, 9))
    assert exc.value.code == "not_trainee"
    with pytest.raises(DomainError) as exc:  # a forged code
        services.session_sign_in(user=own, session=s, token="x" * 43, now=at(s.on, 9))
    assert exc.value.code == "token"
    with pytest.raises(DomainError) as exc:  # before the window (30 minutes before 9:00)
        services.session_sign_in(user=own, session=s, token=s.token, now=at(s.on, 8, 29))
    assert exc.value.code == "window"
    a = services.session_sign_in(user=own, session=s, token=s.token, now=at(s.on, 9, 10))
    assert (a.status, a.minutes) == (Presence.LATE, 10)
    with pytest.raises(DomainError) as exc:
        services.session_sign_in(user=own, session=s, token=s.token, now=at(s.on, 9, 11))
    assert exc.value.code == "duplicate"
    assert SessionAttendance.objects.count() == 1


def test_certificate_verify_valid_revoked_and_forged(tree, users, client):
    c = development_object(users, tree, 4)
    with freeze_time("2024-04-11"):
        k = open_class(users, tree, pass_score=None)
        (e,) = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, candidates=[c]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        services.roster_publish(actor=users["committee_staff"], klass=k)
    e.refresh_from_db()
    _sign_all(k, e)
    with freeze_time("2024-04-20"):
        services.class_assess(actor=users["committee_staff"], klass=k)
    cert = Certificate.objects.get(enrolment=e)
    page = client.get(reverse("academy:verify", args=[cert.token]))
    text = page.content.decode()
    assert page.status_code == 200
    assert "有效" in text
    assert c.name in text
    assert k.title in text
    assert "身份证" not in text
    assert c.person_no not in text
    assert "无效" in client.get(reverse("academy:verify", args=["forged" * 5])).content.decode()
    with pytest.raises(DomainError):
        services.certificate_revoke(actor=users["committee_staff"], certificate=cert, reason="")
    services.certificate_revoke(
        actor=users["committee_staff"], certificate=cert, reason="培训记录有误"
    )
    text = client.get(reverse("academy:verify", args=[cert.token])).content.decode()
    assert "无效" in text
    assert c.name not in text
    ev = AuditEvent.objects.get(action="academy.certificate_revoke")
    assert ev.data["reason"] == "培训记录有误"
    # the certificate as PDF: staff of the organizer may download; another district may not
    login(client, users["committee_staff"])
    pdf = client.get(reverse("academy:certificate", args=[cert.pk]))
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    login(client, users["sibling_staff"])
    assert client.get(reverse("academy:certificate", args=[cert.pk])).status_code == 404


def test_after_the_security_read(tree, users, client):
    """A withdrawn trainee's link no longer works; no sign-in after assessment; supervisors do
    not see trainee links; the room's sign-in page needs the room's code."""
    c = development_object(users, tree, 5)
    with freeze_time("2024-04-11"):
        k = open_class(users, tree, pass_score=None, min_attendance=None)
        (e,) = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, candidates=[c]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        services.roster_publish(actor=users["committee_staff"], klass=k)
    e.refresh_from_db()
    token = e.pass_token
    login(client, users["supervisor"])
    page = client.get(reverse("academy:class", args=[k.pk])).content.decode()
    assert token not in page
    login(client, users["branch_worker"])
    assert token in client.get(reverse("academy:class", args=[k.pk])).content.decode()
    s = k.sessions.order_by("on").first()
    assert client.get(reverse("academy:sign", args=[s.pk]) + "?t=wrong").status_code == 404
    with freeze_time("2024-04-20"):
        services.class_assess(actor=users["committee_staff"], klass=k)
    with pytest.raises(DomainError) as exc:
        services.session_sign_in(
            user=None, session=s, token=s.token, pass_token=token, now=at(s.on, 9)
        )
    assert exc.value.code in ("status", "not_trainee")


def test_a_withdrawn_trainee_link_stops_working(tree, users, client):
    c = development_object(users, tree, 6)
    with freeze_time("2024-04-11"):
        k = open_class(users, tree)
        (e,) = services.enrolment_nominate(
            actor=users["branch_worker"], klass=k, nominated_by=tree.branch_a1, candidates=[c]
        )
        services.enrolment_decide(actor=users["committee_staff"], enrolments=[e], accept=True)
        e.refresh_from_db()
        token = e.pass_token
        assert client.get(reverse("academy:pass", args=[token])).status_code == 200
        services.enrolment_withdraw(actor=users["branch_worker"], enrolment=e)
        assert client.get(reverse("academy:pass", args=[token])).status_code == 404
