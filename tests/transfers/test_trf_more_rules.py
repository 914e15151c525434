"""TRF-00/01/03/04/05/06/07 on data made through the services: boundaries, the reminders before each
deadline, and "nothing automatic" for lost contact (people decide, the rules only ask)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from freezegun import freeze_time

from dangjian.core.dates import add_months
from dangjian.core.errors import DomainError
from dangjian.fees.models import FeeMonth
from dangjian.members.models import Member
from dangjian.transfers import services
from dangjian.transfers.models import LostContact, MobileMember, Transfer
from tests.compliance.test_org_rules import scan

pytestmark = pytest.mark.django_db


def trf(as_of: date) -> set[tuple[str, str, str]]:
    return {
        (f["rule"], f["org"], f["member"])
        for f in scan(as_of.isoformat())
        if f["rule"].startswith("TRF")
    }


def test_trf_01_away_at_a_fixed_place_six_months_and_its_reminder(tree, users):
    m = tree.members["A1-2"]
    since = date(2026, 1, 31)
    with freeze_time("2026-02-01"):
        services.mobile_register(
            actor=users["branch_worker"],
            direction="out",
            organization=None,
            member=m,
            place="深圳市南山区",
            reason="务工",
            since=since,
            fixed_place=True,
            contact="微信",
        )
        services.mobile_register(
            actor=users["branch_worker"],
            direction="out",
            organization=None,
            member=tree.members["A1-3"],
            place="多地流动",
            reason="跑运输",
            since=since,
            fixed_place=False,
        )
    a1 = tree.branch_a1.code
    assert ("TRF-00", a1, m.member_no) in trf(add_months(since, 5))  # month 5: a reminder
    assert ("TRF-01", a1, m.member_no) not in trf(add_months(since, 6) - timedelta(days=1))
    found = trf(add_months(since, 6))
    assert ("TRF-01", a1, m.member_no) in found
    assert ("TRF-01", a1, tree.members["A1-3"].member_no) not in found  # not at a fixed place
    with freeze_time(add_months(since, 6)):
        services.transfer_start(actor=users["branch_worker"], member=m, to_name="深圳市某党委")
    assert ("TRF-01", a1, m.member_no) not in trf(add_months(since, 6))  # the transfer is under way


def test_trf_05_no_report_in_twelve_months(tree, users):
    m = tree.members["A1-2"]
    with freeze_time("2025-01-10"):
        mm = services.mobile_register(
            actor=users["branch_worker"],
            direction="out",
            organization=None,
            member=m,
            place="上海",
            reason="求学",
            since=date(2025, 1, 10),
        )
    assert ("TRF-00", "A1", m.member_no) in trf(date(2025, 12, 10))
    assert ("TRF-05", "A1", m.member_no) in trf(date(2026, 1, 10))
    with freeze_time("2026-01-11"):
        services.mobile_report(
            actor=users["branch_worker"], mobile=mm, on=date(2026, 1, 11), content="思想汇报"
        )
        with pytest.raises(DomainError, match="汇报内容"):
            services.mobile_report(
                actor=users["branch_worker"], mobile=mm, on=date(2026, 1, 11), content=" "
            )
    assert not {r for r in trf(date(2026, 1, 11)) if r[0] == "TRF-05"}
    with freeze_time("2026-02-01"):
        services.mobile_end(actor=users["branch_worker"], mobile=mm, on=date(2026, 2, 1))
    assert not {r for r in trf(date(2028, 1, 1)) if r[2] == m.member_no}


def test_inflow_is_kept_by_name(tree, users):
    with freeze_time("2026-03-01"):
        mm = services.mobile_register(
            actor=users["branch_worker"],
            direction="in",
            organization=tree.branch_a1,
            name="外来甲",
            home_org="某省某村党支部",
            place="本社区",
            reason="务工",
            since=date(2026, 2, 1),
            card_no="LD001",
        )
        with pytest.raises(DomainError, match="组织关系所在党组织"):
            services.mobile_register(
                actor=users["branch_worker"],
                direction="in",
                organization=tree.branch_a1,
                name="外来乙",
                place="本社区",
                reason="务工",
                since=date(2026, 2, 1),
            )
    assert (mm.member_id, mm.home_org) == (None, "某省某村党支部")


def test_trf_06_07_lost_contact_is_decided_by_people(tree, users):
    m = tree.members["A1-4"]
    with freeze_time("2024-01-15"):
        lc = services.lost_record(
            actor=users["branch_worker"],
            member=m,
            since=date(2024, 1, 1),
            efforts="电话、走访均无果",
        )
        with pytest.raises(DomainError, match="已登记"):
            services.lost_record(actor=users["branch_worker"], member=m, since=date(2024, 1, 1))
    assert ("TRF-00", "A1", m.member_no) in trf(date(2024, 6, 1))
    assert ("TRF-06", "A1", m.member_no) in trf(date(2024, 7, 1))
    m.refresh_from_db()
    assert m.status == "full"  # nothing automatic
    with freeze_time("2024-06-30"), pytest.raises(DomainError, match="满6个月"):
        services.lost_decide(
            actor=users["branch_worker"], lost=lc, decision="suspend", on=date(2024, 6, 30)
        )
    with freeze_time("2024-07-10"):
        services.lost_decide(
            actor=users["branch_worker"], lost=lc, decision="suspend", on=date(2024, 7, 10)
        )
    m.refresh_from_db()
    assert m.status == "suspended"
    found = trf(date(2026, 6, 10))
    assert ("TRF-00", "A1", m.member_no) in found and ("TRF-07", "A1", m.member_no) not in found  # noqa: PT018
    assert ("TRF-07", "A1", m.member_no) in trf(date(2026, 7, 10))
    with freeze_time("2026-07-01"), pytest.raises(DomainError, match="满2年"):
        services.lost_decide(
            actor=users["branch_worker"], lost=lc, decision="remove", on=date(2026, 7, 1)
        )
    with freeze_time("2026-07-10"):
        services.lost_decide(
            actor=users["branch_worker"], lost=lc, decision="remove", on=date(2026, 7, 10)
        )
    m.refresh_from_db()
    assert m.status == "removed_lapsed"
    assert LostContact.objects.get().status == "removed"
    assert not {r for r in trf(date(2026, 8, 1)) if r[2] == m.member_no}


def test_trf_03_stops_where_trf_02_starts(tree, users):
    m = tree.members["A1-2"]
    with freeze_time("2026-01-01"):
        t = services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_b1)
        services.transfer_issue(actor=users["committee_staff"], transfer=t, valid_days=60)
    rules = lambda d: {r[0] for r in trf(d) if r[2] == m.member_no}  # noqa: E731
    assert rules(date(2026, 1, 31)) == set()
    assert rules(date(2026, 2, 1)) == {"TRF-03"}
    assert rules(date(2026, 2, 23)) == {"TRF-03", "TRF-00"}  # 7 days before expiry
    assert rules(date(2026, 3, 2)) == {"TRF-03", "TRF-00"}  # the last valid day
    assert rules(date(2026, 3, 3)) == {"TRF-02"}


def test_trf_04_fee_gap_after_the_move(tree, users):
    m = tree.members["A1-2"]

    def paid(org, idx, label):  # the member's rows exist from when they were added
        FeeMonth.objects.update_or_create(
            member=m,
            month_index=idx,
            defaults={"organization": org, "month": label, "due_fen": 100, "paid_fen": 100},
        )

    paid(tree.branch_a1, 2026 * 12 + 0, "2026-01")
    with freeze_time("2026-02-10"):
        t = services.transfer_start(actor=users["branch_worker"], member=m, to_org=tree.branch_b1)
        services.transfer_issue(actor=users["committee_staff"], transfer=t)
        services.transfer_agree(actor=users["sibling_staff"], transfer=t)
        services.transfer_accept(actor=users["sibling_staff"], transfer=t)
    t.refresh_from_db()
    assert (t.fee_paid_through, t.fee_resume) == ("2026-01", "2026-02")
    assert ("TRF-04", "A1", m.member_no) not in trf(date(2026, 2, 20))  # February not yet due
    assert ("TRF-04", "A1", m.member_no) in trf(date(2026, 3, 5))
    paid(tree.branch_b1, 2026 * 12 + 1, "2026-02")
    assert ("TRF-04", "A1", m.member_no) not in trf(date(2026, 3, 5))


def test_batch_preview_and_one_approval(tree, users):
    ms = [tree.members[k] for k in ("A1-1", "A1-2", "A1-3")]
    rows = services.transfer_batch_preview(
        actor=users["committee_staff"], members=ms, to_org=tree.branch_b1
    )
    assert all(why == "" for _, why in rows)
    services.transfer_start(actor=users["branch_worker"], member=ms[0], to_name="外单位")
    with pytest.raises(DomainError, match="已有正在办理的转接"):
        services.transfer_batch(actor=users["committee_staff"], members=ms, to_org=tree.branch_b1)
    assert Transfer.objects.count() == 1  # all or none
    made = services.transfer_batch(
        actor=users["committee_staff"], members=ms[1:], to_org=tree.branch_b1, reason="机构调整"
    )
    assert [(t.stage, t.letter_no[:2]) for t in made] == [("issued", "ZJ")] * 2
    assert len({t.batch for t in made}) == 1
    for t in made:
        services.transfer_agree(actor=users["sibling_staff"], transfer=t)
        services.transfer_accept(actor=users["sibling_staff"], transfer=t)
    assert set(
        Member.objects.filter(pk__in=[m.pk for m in ms[1:]]).values_list(
            "organization_id", flat=True
        )
    ) == {tree.branch_b1.pk}
    with pytest.raises(DomainError):  # a branch worker cannot approve for the committee
        services.transfer_batch(
            actor=users["branch_worker"], members=[tree.members["A1-4"]], to_org=tree.branch_b1
        )
    assert MobileMember.objects.count() == 0


def test_batch_preview_queries_do_not_grow_with_branches(tree, users):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    one = [tree.members[k] for k in ("A1-1", "A1-2")]
    two = one + [tree.members[k] for k in ("A2-5", "A2-6")]
    for ms in (one, two):
        for m in ms:
            m.organization  # noqa: B018 - loaded, as the batch view loads it
    services.transfer_batch_preview(
        actor=users["committee_staff"], members=one, to_org=tree.branch_b1
    )  # the user's grants
    with CaptureQueriesContext(connection) as q1:
        services.transfer_batch_preview(
            actor=users["committee_staff"], members=one, to_org=tree.branch_b1
        )
    with CaptureQueriesContext(connection) as q2:
        rows = services.transfer_batch_preview(
            actor=users["committee_staff"], members=two, to_org=tree.branch_b1
        )
    assert len(q1) == len(q2) == 2
    assert [why for _, why in rows] == [""] * 4
    assert services.committee_of(tree.group_a1) == tree.district_a
    assert services.committee_of(tree.district_a) == tree.district_a
