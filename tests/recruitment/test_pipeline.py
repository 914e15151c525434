"""The pipeline through its services: each step in order with its interval, the checks that refuse
(with the rule and the dates), exceptions approved higher up, admission creating the probationary
member with fees from the admission month, conversion with party age from the probation's end."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from dangjian.core.errors import DomainError, NotVisible
from dangjian.fees.models import FeeMonth, month_index
from dangjian.members.services import member_create
from dangjian.recruitment import selectors, services
from dangjian.recruitment.constants import COMMITTEE_STEPS
from dangjian.recruitment.models import Candidate, Document, Holiday
from tests.conftest import make_id, member_data

pytestmark = pytest.mark.django_db
Vote = services.Vote


def person(n: int = 1, born: date = date(1998, 3, 1)) -> services.Person:
    return services.Person(f"R{n:04d}", f"申请人{n}", "男", born, make_id(500 + n, born, True))


def apply(users, tree, **over):
    args = {
        "actor": users["branch_worker"],
        "organization": tree.branch_a1,
        "person": person(),
        "applied_on": date(2023, 1, 5),
    }
    args.update(over)
    return services.candidate_apply(**args)


def step(users, c, no, on, **kw):
    """Branch steps by the branch's worker; the higher committee's steps by its staff."""
    actor = users["committee_staff"] if no in COMMITTEE_STEPS else users["branch_worker"]
    return services.candidate_step(actor=actor, candidate=c, step=no, on=on, **kw)


def to_target(users, tree, c):
    step(users, c, 2, date(2023, 1, 20))
    step(users, c, 3, date(2023, 4, 1))
    step(users, c, 4, date(2023, 4, 5))
    step(users, c, 5, date(2023, 4, 6), members=[tree.members["A1-1"]])
    step(users, c, 6, date(2023, 10, 6), opinion="表现良好")
    step(users, c, 7, date(2024, 4, 1))
    return c


def to_admission(users, tree, c):
    to_target(users, tree, c)
    step(users, c, 8, date(2024, 4, 2))
    step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], tree.members["A1-3"]])
    step(users, c, 10, date(2024, 4, 10))
    step(users, c, 11, date(2024, 4, 20), training_days=3)
    step(users, c, 12, date(2024, 4, 25))
    step(users, c, 13, date(2024, 5, 6))
    step(users, c, 14, date(2024, 5, 8))
    services.candidate_notice(
        actor=users["branch_worker"],
        candidate=c,
        starts_on=date(2024, 5, 13),
        ends_on=date(2024, 5, 17),
    )
    return c


VOTE = Vote(voting_expected=4, voting_present=4, votes_for=4)


def test_the_whole_pipeline_to_full_membership(tree, users):
    c = to_admission(users, tree, apply(users, tree))
    step(users, c, 15, date(2024, 6, 1), vote=VOTE)
    step(users, c, 16, date(2024, 6, 20))
    c = step(users, c, 17, date(2024, 7, 1), fee_category="employed", fee_base_fen=800000)
    m = c.member
    assert (m.member_no, m.status, m.joined_on, m.organization_id) == (
        "R0001",
        "probationary",
        date(2024, 6, 1),
        tree.branch_a1.pk,
    )
    months = sorted(FeeMonth.objects.filter(member=m).values_list("month_index", flat=True))
    today = timezone.localdate()
    now = month_index(today.year, today.month)
    # fees from the admission month, within the 24 months the ledger is opened over (this test's
    # admission lies further back)
    assert months[0] == max(month_index(2024, 6), now - 24)
    assert months[-1] == month_index(today.year, today.month)
    assert FeeMonth.objects.filter(member=m).first().due_fen == 12000  # 1.5% of 8,000
    for no, on in (
        (18, date(2024, 7, 5)),
        (19, date(2024, 7, 6)),
        (20, date(2024, 7, 10)),
        (21, date(2025, 1, 10)),
        (22, date(2025, 5, 10)),
    ):
        step(users, c, no, on)
    with pytest.raises(DomainError) as exc:  # before the probation's end (2025-06-01)
        step(users, c, 23, date(2025, 5, 31), vote=VOTE)
    assert exc.value.code == "DEV-14"
    step(users, c, 23, date(2025, 6, 3), vote=VOTE)
    step(users, c, 24, date(2025, 6, 20))
    m.refresh_from_db()
    c.refresh_from_db()
    assert (m.status, m.full_on) == (
        "full",
        date(2025, 6, 1),
    )  # party age counts from the probation's end
    assert c.full_on == date(2025, 6, 1)
    step(users, c, 25, date(2025, 6, 25))
    c.refresh_from_db()
    assert c.stage == "full"


def test_applicant_under_18_is_refused(tree, users):
    with pytest.raises(DomainError) as exc:
        apply(users, tree, person=person(born=date(2005, 1, 6)), applied_on=date(2023, 1, 5))
    assert (exc.value.code, exc.value.field) == ("DEV-01", "birth_date")
    assert "2023-01-06" in exc.value.message
    assert Candidate.objects.count() == 0


def test_a_person_already_in_the_pipeline_or_a_member_is_refused(tree, users):
    apply(users, tree)
    with pytest.raises(DomainError, match="已在发展党员流程中"):
        apply(
            users,
            tree,
            person=services.Person("R0009", "同一人", "男", date(1998, 3, 1), person().id_number),
        )
    with pytest.raises(DomainError, match="已被使用"):
        apply(
            users,
            tree,
            person=services.Person(
                "R0001", "另一人", "男", date(1998, 3, 1), make_id(700, date(1998, 3, 1))
            ),
        )
    with pytest.raises(DomainError, match="已是党员"):
        apply(
            users,
            tree,
            person=services.Person("R0010", "党员", "男", date(1980, 5, 17), make_id(1)),
        )


def test_steps_out_of_order_or_too_early_are_refused_with_the_dates(tree, users):
    c = apply(users, tree)
    with pytest.raises(DomainError, match="请先完成第2步"):
        step(users, c, 3, date(2023, 2, 1))
    with pytest.raises(DomainError, match="早于第1步"):
        step(users, c, 2, date(2023, 1, 1))
    step(users, c, 2, date(2023, 1, 20))
    step(users, c, 3, date(2023, 4, 1))
    step(users, c, 4, date(2023, 4, 5))
    step(users, c, 5, date(2023, 4, 6), members=[tree.members["A1-1"]])
    step(users, c, 6, date(2023, 10, 6), opinion="表现良好")
    with pytest.raises(DomainError) as exc:
        step(users, c, 7, date(2024, 3, 31))
    assert exc.value.code == "DEV-05"
    assert "2024-04-01" in exc.value.message
    c.refresh_from_db()
    assert c.target_on is None


def test_an_exception_needs_the_higher_committee(tree, users):
    c = apply(users, tree)
    with pytest.raises(DomainError, match="上级党委"):
        services.exception_approve(
            actor=users["branch_worker"],
            candidate=c,
            step=11,
            reason="因公长期驻外，无法参加集中培训",
            approving_org=tree.branch_a1,
        )
    with pytest.raises(NotVisible):
        services.exception_approve(
            actor=users["sibling_staff"],
            candidate=c,
            step=11,
            reason="因公长期驻外，无法参加集中培训",
            approving_org=tree.district_a,
        )
    services.exception_approve(
        actor=users["committee_staff"],
        candidate=c,
        step=11,
        reason="因公长期驻外，无法参加集中培训",
        approving_org=tree.district_a,
    )
    to_target(users, tree, c)
    step(users, c, 8, date(2024, 4, 2))
    step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], tree.members["A1-3"]])
    step(users, c, 10, date(2024, 4, 10))
    step(users, c, 11, date(2024, 4, 20), training_days=1)  # allowed by the approved exception


def test_introducers_must_be_two_full_members_in_scope(tree, users):
    c = to_target(users, tree, apply(users, tree))
    step(users, c, 8, date(2024, 4, 2))
    p = member_create(
        actor=None,
        organization=tree.branch_a1,
        member_no="P0001",
        data=member_data(60, status="probationary", joined_on=date(2024, 1, 1), full_on=None),
    )
    with pytest.raises(DomainError) as exc:
        step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"]])
    assert exc.value.code == "DEV-07"
    with pytest.raises(DomainError, match="不是正式党员"):
        step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], p])
    with pytest.raises(DomainError, match="不在您的管理范围内"):
        step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], tree.members["B1-8"]])


def test_training_too_short_and_admission_without_notice_or_quorum(tree, users):
    Holiday.objects.all().delete()  # the test enters the calendar days it needs
    c = to_target(users, tree, apply(users, tree))
    step(users, c, 8, date(2024, 4, 2))
    step(users, c, 9, date(2024, 4, 3), members=[tree.members["A1-1"], tree.members["A1-3"]])
    step(users, c, 10, date(2024, 4, 10))
    with pytest.raises(DomainError) as exc:
        step(users, c, 11, date(2024, 4, 20), training_days=2, training_hours=16)
    assert exc.value.code == "DEV-06"
    step(users, c, 11, date(2024, 4, 20), training_hours=24)
    for no, on in ((12, date(2024, 4, 25)), (13, date(2024, 5, 6)), (14, date(2024, 5, 8))):
        step(users, c, no, on)
    with pytest.raises(DomainError) as exc:
        step(users, c, 15, date(2024, 6, 1), vote=VOTE)
    assert exc.value.code == "DEV-19"
    # 2024-05-01..05 was the Labour Day holiday; 05-11 (Saturday) a make-up working day
    Holiday.objects.bulk_create(
        [Holiday(day=date(2024, 5, d)) for d in (1, 2, 3)]
        + [Holiday(day=date(2024, 5, 11), workday=True)]
    )
    with pytest.raises(DomainError, match="只有2个工作日"):
        services.candidate_notice(
            actor=users["branch_worker"],
            candidate=c,
            starts_on=date(2024, 5, 1),
            ends_on=date(2024, 5, 7),
        )
    services.candidate_notice(
        actor=users["branch_worker"],
        candidate=c,
        starts_on=date(2024, 5, 8),
        ends_on=date(2024, 5, 13),
    )
    assert selectors.working_days(date(2024, 5, 8), date(2024, 5, 13)) == 5
    with pytest.raises(DomainError) as exc:
        step(
            users,
            c,
            15,
            date(2024, 6, 1),
            vote=Vote(voting_expected=4, voting_present=2, votes_for=2),
        )
    assert exc.value.code == "DEV-09"
    with pytest.raises(DomainError) as exc:
        step(
            users,
            c,
            15,
            date(2024, 6, 1),
            vote=Vote(voting_expected=5, voting_present=3, votes_for=2, votes_abstain=1),
        )
    assert "未通过" in exc.value.message
    with pytest.raises(DomainError, match="合计"):
        step(
            users,
            c,
            15,
            date(2024, 6, 1),
            vote=Vote(voting_expected=4, voting_present=4, votes_for=3),
        )
    c.refresh_from_db()
    assert c.admitted_on is None


def test_extension_once_between_6_and_12_months(tree, users):
    c = to_admission(users, tree, apply(users, tree))
    step(users, c, 15, date(2024, 6, 1), vote=VOTE)
    step(users, c, 16, date(2024, 6, 20))
    step(users, c, 17, date(2024, 7, 1), fee_category="retired", fee_base_fen=300000)
    with pytest.raises(DomainError) as exc:
        services.candidate_extend(
            actor=users["branch_worker"], candidate=c, meeting_on=date(2025, 6, 5), months=13
        )
    assert exc.value.code == "DEV-16"
    services.candidate_extend(
        actor=users["branch_worker"], candidate=c, meeting_on=date(2025, 6, 5), months=6
    )
    with pytest.raises(DomainError, match="只能延长一次"):
        services.candidate_extend(
            actor=users["branch_worker"], candidate=c, meeting_on=date(2025, 6, 6), months=6
        )
    c.refresh_from_db()
    assert selectors.probation_end(c) == date(2025, 12, 1)


def test_cancelling_the_probationary_membership(tree, users):
    c = to_admission(users, tree, apply(users, tree))
    step(users, c, 15, date(2024, 6, 1), vote=VOTE)
    step(users, c, 16, date(2024, 6, 20))
    step(users, c, 17, date(2024, 7, 1), fee_category="employed", fee_base_fen=500000)
    with pytest.raises(DomainError, match="上级党委"):
        services.candidate_cancel(
            actor=users["branch_worker"],
            candidate=c,
            meeting_on=date(2025, 6, 5),
            reason="支部大会决定",
        )
    with pytest.raises(DomainError, match="预备期满"):
        services.candidate_cancel(
            actor=users["committee_staff"],
            candidate=c,
            meeting_on=date(2025, 5, 5),
            reason="支部大会决定",
        )
    services.candidate_cancel(
        actor=users["committee_staff"],
        candidate=c,
        meeting_on=date(2025, 6, 5),
        reason="2025-06-05支部大会决定，区委组织部批复",
    )
    c.refresh_from_db()
    assert (c.stage, c.member.status, c.member.left_on) == (
        "closed",
        "disqualified",
        date(2025, 6, 5),
    )


def test_a_forged_upload_is_refused_and_nothing_saved(tree, users, settings):
    from pathlib import Path

    forged = SimpleUploadedFile("申请书.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    with pytest.raises(DomainError, match="申请书.pdf"):
        apply(users, tree, files=[forged])
    assert Candidate.objects.count() == 0
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PNG")
    c = apply(users, tree, files=[SimpleUploadedFile("申请书.png", buf.getvalue())])
    assert Document.objects.get(candidate=c).step == 1


def test_approval_steps_belong_to_the_higher_committee(tree, users):
    c = to_admission(users, tree, apply(users, tree))
    step(users, c, 15, date(2024, 6, 1), vote=VOTE)
    with pytest.raises(DomainError, match="由上级党委（中共甲区委员会）办理"):
        services.candidate_step(
            actor=users["branch_worker"], candidate=c, step=16, on=date(2024, 6, 20)
        )
    step(users, c, 16, date(2024, 6, 20))


def test_scope(tree, users):
    with pytest.raises(NotVisible):
        apply(users, tree, actor=users["sibling_staff"])
    c = apply(users, tree)
    with pytest.raises(NotVisible):
        services.candidate_step(
            actor=users["sibling_staff"], candidate=c, step=2, on=date(2023, 1, 20)
        )


@pytest.mark.parametrize("n", [1, 5])
def test_dev_19_reads_the_holiday_calendar_once(tree, users, django_assert_num_queries, n):
    Holiday.objects.all().delete()  # the test enters the calendar days it needs
    from dangjian.compliance.engine import REGISTRY, ScanContext

    for i in range(n):
        Candidate.objects.create(
            person_no=f"N{i}",
            name="甲",
            gender="男",
            birth_date=date(1990, 1, 1),
            organization=tree.branch_a1,
            applied_on=date(2023, 1, 5),
            publicized_on=date(2024, 5, 1),
            publicized_until=date(2024, 5, 3),
        )
    Holiday.objects.create(day=date(2024, 5, 1))
    with django_assert_num_queries(3):  # the versions in use, the notices, the calendar
        hits = list(
            REGISTRY["DEV-19"].evaluate(
                ScanContext(as_of=date(2026, 1, 15), scope_path="", params={})
            )
        )
    assert len(hits) == n
    assert "只有2个工作日" in hits[0].message
