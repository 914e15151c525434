"""One truth for money (issue 15, item 7): what the branch's grid shows owed is what FEE-02…05
report, member by member, on a seeded district; members put on the roll any way get their ledger
from the month they must start paying; a rate is never 100.0 % while anyone owes."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.utils import timezone

from dangjian.compliance.models import Finding
from dangjian.compliance.services import scan_run
from dangjian.fees import selectors
from dangjian.fees.models import FeeMonth, month_index
from dangjian.fees.services import current_index
from dangjian.members.constants import FEE_STATUSES
from dangjian.members.models import Member
from dangjian.members.services import member_create
from dangjian.orgs.models import Organization
from tests.conftest import member_data

pytestmark = pytest.mark.django_db

ARREARS = ("FEE-02", "FEE-03", "FEE-04")


def _grids(today: date) -> tuple[dict[int, int], set[tuple[int, int]], dict[int, int]]:
    """Every branch's grid for this year and last (the last 24 months span both): the arrears
    column per member, the partial cells among complete months, and 有欠交的党员 per branch."""
    arrears: dict[int, int] = {}
    partial: set[tuple[int, int]] = set()
    unpaid_members: dict[int, int] = {}
    now = current_index(today)
    orgs = Organization.objects.filter(
        pk__in=Member.objects.filter(status__in=FEE_STATUSES).values("organization_id")
    )
    for org in orgs:
        for year in (today.year - 1, today.year):
            grid = selectors.branch_grid(org, year)
            if year == today.year:
                unpaid_members[org.pk] = grid.unpaid_members
            for row in grid.rows:
                if year == today.year:
                    arrears[row["m"].pk] = row["arrears"]
                partial |= {
                    (row["m"].pk, c["idx"])
                    for c in row["cells"]
                    if c["status"] == "partial" and c["idx"] < now
                }
    return arrears, partial, unpaid_members


def test_the_grid_owes_what_the_rules_report_on_a_seeded_district():
    today = timezone.localdate()
    call_command(
        "seed", "--scale", "district", "--seed", "11", "--today", today.isoformat(),
        stdout=io.StringIO(),
    )  # fmt: skip
    scan_run(as_of=today)
    open_findings = Finding.objects.filter(closed_on__isnull=True)
    reported = {
        f.member_id: f.details["months"]
        for f in open_findings.filter(rule_id__in=ARREARS).only("member_id", "details")
    }
    reported_partial = {
        (member_id, month_index(int(p[:4]), int(p[5:])))
        for member_id, p in open_findings.filter(rule_id="FEE-05").values_list(
            "member_id", "period"
        )
    }
    arrears, partial, unpaid_members = _grids(today)
    assert len(reported) > 20  # the seed plants arrears of every length
    assert len(reported_partial) > 5
    # every member the rules report owes that many months on the grid, and every member the grid
    # shows owing three months or more is reported with that many
    assert {m: n for m, n in arrears.items() if n >= 3} == reported
    assert partial == reported_partial
    # the months counted are on the ledger (rows, unpaid), so the branch can record their payment
    now = current_index(today)
    rows = defaultdict(int)
    owed = Q()
    for m, n in arrears.items():
        if n:
            owed |= Q(member_id=m, month_index__gte=now - n, month_index__lt=now)
    if owed:
        for m in (
            FeeMonth.objects.filter(owed)
            .filter(Q(paid_fen__isnull=True) | Q(paid_fen=0))
            .values_list("member_id", flat=True)
        ):
            rows[m] += 1
    missing = {m for m, n in arrears.items() if n and rows.get(m, 0) < n}
    # a ledger brought from the old system that starts late is reported (FEE-11), not filled in:
    # only such ledgers may lack a row for a month owed
    late_start = set(open_findings.filter(rule_id="FEE-11").values_list("member_id", flat=True))
    assert missing <= late_start
    # 有欠交的党员 counts exactly the members owing anything
    by_org = defaultdict(int)
    for m, org in Member.objects.filter(pk__in=arrears).values_list("pk", "organization_id"):
        by_org[org] += bool(arrears[m])
    assert {o: n for o, n in unpaid_members.items() if n} == {o: n for o, n in by_org.items() if n}


def test_a_member_added_on_the_web_owes_on_the_grid_what_fee04_reports(tree):
    today = timezone.localdate()
    joined = date(today.year - 3, 3, 1)
    m = member_create(
        actor=None,
        organization=tree.branch_a1,
        member_no="W0001",
        data=member_data(301, joined_on=joined, full_on=date(today.year - 2, 3, 1)),
    )
    now = current_index(today)
    # from the window's first month (24 months back) to this month, one row each, unpaid
    assert sorted(FeeMonth.objects.filter(member=m).values_list("month_index", flat=True)) == list(
        range(now - 24, now + 1)
    )
    scan_run(as_of=today)
    f = Finding.objects.get(rule_id="FEE-04", member=m, closed_on__isnull=True)
    assert f.details["months"] == 24
    grid = selectors.branch_grid(tree.branch_a1, today.year)
    row = next(r for r in grid.rows if r["m"].pk == m.pk)
    assert row["arrears"] == 24
    assert grid.unpaid_members >= 1


def test_a_new_probationary_member_pays_from_the_month_of_admission(tree):
    today = timezone.localdate()
    admitted = today.replace(day=1) - timedelta(days=40)  # mid last-but-one month
    admitted = admitted.replace(day=15)
    m = member_create(
        actor=None,
        organization=tree.branch_a1,
        member_no="W0002",
        data=member_data(302, joined_on=admitted, status="probationary", full_on=None),
    )
    first = month_index(admitted.year, admitted.month)
    assert min(FeeMonth.objects.filter(member=m).values_list("month_index", flat=True)) == first
    scan_run(as_of=today)
    assert not Finding.objects.filter(member=m, rule_id="FEE-11").exists()
    # the admission month is not a whole month of membership: the rules count from the next one
    grid = selectors.branch_grid(tree.branch_a1, today.year)
    row = next(r for r in grid.rows if r["m"].pk == m.pk)
    assert row["arrears"] == current_index(today) - 1 - first


def test_a_rate_is_never_rounded_up_to_100_while_anyone_owes():
    assert selectors.paid_rate(99_999, 100_000) == 99.9
    assert selectors.paid_rate(99_960, 100_000) == 99.9
    assert selectors.paid_rate(100_000, 100_000) == 100.0
    assert selectors.paid_rate(1, 3) == 33.3
    assert selectors.paid_rate(0, 0) is None
