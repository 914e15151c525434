"""LIFE-01/02/04/05/06/07/11 exactly as rules-contract.md says, on hand-made bundles with
meetings.csv: complete periods only, quarter and year boundaries, organizations established
mid-year, the window."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dangjian.core import idnumber
from dangjian.core.dates import add_months
from dangjian.interchange.importer import import_bundle_dir
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD, POST_HEAD, TERM_HEAD, scan

pytestmark = pytest.mark.django_db
MEETING_HEAD = "org_code,kind,held_on,topic,attended,expected\n"
CONTRACT = {"LIFE-01", "LIFE-02", "LIFE-04", "LIFE-05", "LIFE-06", "LIFE-07", "LIFE-11"}


class LifeBundle:
    def __init__(self) -> None:
        self.orgs = ["C,中共示范委员会,,committee,organ,2000-01-01"]
        self.members: list[str] = []
        self.posts: list[str] = []
        self.meetings: list[str] = []
        self.n = 0

    def branch(
        self, code: str, established: str = "2000-01-01", kind: str = "branch", parent: str = "C"
    ) -> str:
        self.orgs.append(f"{code},{code}支部,{parent},{kind},organ,{established}")
        return code

    def member(self, org: str) -> str:
        self.n += 1
        no = f"L{self.n:04d}"
        idn = idnumber.make("350203", date(1980, 1, 1), self.n * 2 + 1)
        self.members.append(
            f"{no},党员{self.n},男,1980-01-01,{idn},,{org},full,2010-01-01,2011-01-01,employed,5000.00"
        )
        return no

    def meeting(
        self, org: str, kind: str, held: str, attended: int = 8, expected: int = 10, topic: str = ""
    ) -> LifeBundle:
        self.meetings.append(f"{org},{kind},{held},{topic or kind + held},{attended},{expected}")
        return self

    def regular(
        self,
        org: str,
        first: str = "2024-01-01",
        last: str = "2025-12-31",
        committee: bool = False,
        skip: tuple[tuple[str, str], ...] = (),
    ) -> LifeBundle:
        """Everything due, held on the 10th of each month (quarterly ones in the quarter's middle
        month)."""
        start, end = date.fromisoformat(first), date.fromisoformat(last)
        d = start.replace(day=1)
        while d <= end:
            day = d.replace(day=10)
            kinds = ["theme_day"] + (["committee_meeting"] if committee else [])
            if d.month % 3 == 2:
                kinds += ["general_meeting", "party_lecture"]
            if d.month == 12:
                kinds += ["life_meeting", "democratic_review"]
            for k in kinds:
                if (k, f"{d:%Y-%m}") not in skip and start <= day <= end:
                    self.meeting(org, k, day.isoformat())
            d = add_months(d, 1)
        return self

    def load(self, tmp: Path) -> None:
        d = tmp / "bundle"
        d.mkdir(exist_ok=True)
        (d / "orgs.csv").write_text(
            ORG_HEAD + "".join(o + "\n" for o in self.orgs), encoding="utf-8"
        )
        (d / "members.csv").write_text(
            MEMBER_HEAD + "".join(m + "\n" for m in self.members), encoding="utf-8"
        )
        (d / "posts.csv").write_text(
            POST_HEAD + "".join(p + "\n" for p in self.posts), encoding="utf-8"
        )
        (d / "terms.csv").write_text(TERM_HEAD, encoding="utf-8")
        (d / "meetings.csv").write_text(
            MEETING_HEAD + "".join(m + "\n" for m in self.meetings), encoding="utf-8"
        )
        import_bundle_dir(d)


def life(as_of: str = "2026-01-15") -> set[tuple[str, str, str | None]]:
    return {(f["rule"], f["org"], f["period"]) for f in scan(as_of) if f["rule"] in CONTRACT}


def quarters(first: str, last: str) -> list[str]:
    y, q = int(first[:4]), int(first[-1])
    out = []
    while f"{y}-Q{q}" <= last:
        out.append(f"{y}-Q{q}")
        y, q = (y + 1, 1) if q == 4 else (y, q + 1)
    return out


def months(first: str, last: str) -> list[str]:
    d, out = date.fromisoformat(first + "-01"), []
    while f"{d:%Y-%m}" <= last:
        out.append(f"{d:%Y-%m}")
        d = add_months(d, 1)
    return out


def test_a_branch_that_holds_everything_has_no_finding_and_one_that_holds_nothing_has_every_period(
    tmp_path,
):
    b = LifeBundle()
    b.regular(b.branch("B1"))
    b.branch("B0")  # holds nothing; the window starts 2024-01-01 (24 months before January 2026)
    b.meeting("B0", "general_meeting", "2023-05-10")  # before the window: irrelevant
    b.load(tmp_path)
    found = life("2026-01-15")
    assert {f for f in found if f[1] == "B1"} == set()
    expected = (
        {("LIFE-01", "B0", q) for q in quarters("2024-Q1", "2025-Q4")}
        | {("LIFE-04", "B0", q) for q in quarters("2024-Q1", "2025-Q4")}
        | {("LIFE-05", "B0", m) for m in months("2024-01", "2025-12")}
        | {("LIFE-06", "B0", y) for y in ("2024", "2025")}
        | {("LIFE-07", "B0", y) for y in ("2024", "2025")}
    )
    assert {f for f in found if f[1] == "B0"} == expected
    severities = {
        f["rule"]: f["severity"]
        for f in scan("2026-01-15")
        if f["org"] == "B0" and f["rule"] in CONTRACT
    }
    assert severities == {
        "LIFE-01": "high",
        "LIFE-04": "warn",
        "LIFE-05": "warn",
        "LIFE-06": "high",
        "LIFE-07": "high",
    }


def test_quarter_and_year_boundaries(tmp_path):
    b = LifeBundle()
    # Q3 2025's general meeting held on its last day counts for Q3; one held on 1 October counts for
    # Q4 only
    b.regular(b.branch("B1"), skip=(("general_meeting", "2025-08"),)).meeting(
        "B1", "general_meeting", "2025-09-30"
    )
    b.regular(b.branch("B2"), skip=(("general_meeting", "2025-08"),)).meeting(
        "B2", "general_meeting", "2025-10-01"
    )
    # the life meeting of 2024 held on 1 January 2025 counts for 2025, not 2024
    b.regular(b.branch("B3"), skip=(("life_meeting", "2024-12"),)).meeting(
        "B3", "life_meeting", "2025-01-01"
    )
    b.load(tmp_path)
    found = life("2026-01-15")
    assert found == {("LIFE-01", "B2", "2025-Q3"), ("LIFE-06", "B3", "2024")}
    # on 31 December the fourth quarter, December and the year are not complete yet
    b2 = life("2025-12-31")
    assert ("LIFE-01", "B2", "2025-Q3") in b2
    assert not {f for f in b2 if f[2] in ("2025-Q4", "2025-12", "2025")}


def test_incomplete_periods_are_never_reported(tmp_path):
    b = LifeBundle()
    b.regular(b.branch("B1"), last="2025-12-31")
    b.load(tmp_path)
    # 15 January 2026: January 2026 and Q1 2026 are still running; nothing for them
    assert life("2026-01-15") == set()
    # 1 February 2026: January is complete and nothing was held in it
    assert life("2026-02-01") == {("LIFE-05", "B1", "2026-01")}
    # 1 April 2026: Q1 is complete: general meeting and lesson missing, and three theme days
    assert life("2026-04-01") == (
        {("LIFE-01", "B1", "2026-Q1"), ("LIFE-04", "B1", "2026-Q1")}
        | {("LIFE-05", "B1", m) for m in ("2026-01", "2026-02", "2026-03")}
    )


def test_organizations_established_mid_year_are_judged_from_their_first_full_period(tmp_path):
    b = LifeBundle()
    b.branch("B1", established="2025-03-15")  # holds nothing
    b.branch(
        "B2", established="2025-04-01"
    )  # a quarter starting on the day it was established counts
    b.load(tmp_path)
    found = life("2026-01-15")
    assert {f for f in found if f[1] == "B1"} == (
        {("LIFE-01", "B1", q) for q in quarters("2025-Q2", "2025-Q4")}
        | {("LIFE-04", "B1", q) for q in quarters("2025-Q2", "2025-Q4")}
        | {("LIFE-05", "B1", m) for m in months("2025-04", "2025-12")}
    )  # no LIFE-06/07 for 2025: the year began before
    assert ("LIFE-01", "B2", "2025-Q2") in found
    assert ("LIFE-05", "B2", "2025-04") in found
    assert ("LIFE-05", "B2", "2025-03") not in found
    assert ("LIFE-06", "B2", "2025") not in found


def test_committee_meetings_only_for_branches_with_a_committee(tmp_path):
    b = LifeBundle()
    with_committee = b.branch("B1")
    nos = [b.member(with_committee) for _ in range(4)]
    b.branch("G1", kind="group", parent="B1")
    b.posts += [
        f"B1,{nos[0]},secretary",
        f"B1,{nos[1]},organization",
        f"B1,{nos[2]},propaganda",
        f"G1,{nos[3]},group_leader",
    ]
    b.regular(with_committee, committee=True, skip=(("committee_meeting", "2025-12"),))
    two_posts = b.branch("B2")  # a secretary and a deputy: no committee
    nos2 = [b.member(two_posts) for _ in range(2)]
    b.posts += [f"B2,{nos2[0]},secretary", f"B2,{nos2[1]},deputy_secretary"]
    b.regular(two_posts)
    b.load(tmp_path)
    assert life("2026-01-15") == {("LIFE-02", "B1", "2025-12")}
    # the group under B1 meets never: LIFE-03 (not in the contract) reports it, monthly
    assert {f["period"] for f in scan("2026-01-15") if f["rule"] == "LIFE-03"} == set(
        months("2024-01", "2025-12")
    )


def test_general_meeting_with_half_or_fewer_present(tmp_path):
    b = LifeBundle()
    b.regular(b.branch("B1"))
    b.meeting(
        "B1", "general_meeting", "2025-03-03", attended=5, expected=10
    )  # exactly half: reported
    b.meeting("B1", "general_meeting", "2025-06-03", attended=6, expected=11)  # 12 > 11: fine
    b.meeting("B1", "general_meeting", "2025-07-03", attended=5, expected=11)  # 10 <= 11: reported
    b.meeting("B1", "theme_day", "2025-07-04", attended=1, expected=10)  # not a general meeting
    b.load(tmp_path)
    findings = [f for f in scan("2026-01-15") if f["rule"] == "LIFE-11"]
    assert {(f["org"], f["period"]) for f in findings} == {
        ("B1", "2025-03-03"),
        ("B1", "2025-07-03"),
    }
    assert all(f["severity"] == "high" and f["member"] is None for f in findings)
    assert "应到10人，实到5人" in next(
        f["message"] for f in findings if f["period"] == "2025-03-03"
    )


def test_meetings_after_the_scan_date_and_groups_do_not_count(tmp_path):
    b = LifeBundle()
    b.regular(b.branch("B1"), last="2025-11-30")
    b.branch("G1", kind="group", parent="B1")
    b.meeting("G1", "theme_day", "2025-12-10")  # a group's theme day is not the branch's
    b.load(tmp_path)
    found = life("2026-01-15")
    assert ("LIFE-05", "B1", "2025-12") in found
    assert not {f for f in found if f[1] == "G1"}  # the contract's LIFE rules are about branches


def test_window_is_24_months(tmp_path):
    b = LifeBundle()
    b.branch("B1")
    b.load(tmp_path)
    found = life("2026-03-31")
    assert min(p for r, _o, p in found if r == "LIFE-05") == "2024-03"
    assert max(p for r, _o, p in found if r == "LIFE-05") == "2026-02"
    assert {p for r, _o, p in found if r == "LIFE-01"} == set(quarters("2024-Q2", "2025-Q4"))
    assert {p for r, _o, p in found if r == "LIFE-06"} == {"2025"}  # 2024 began before 2024-03-01


def test_bad_meeting_rows_are_refused_with_file_line_column_and_nothing_is_written(tmp_path):
    from dangjian.interchange.reader import BundleError
    from dangjian.meetings.models import Meeting

    b = LifeBundle()
    b.branch("B1")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    b.meeting("B1", "general_meeting", "2025-03-03", attended=5, expected=10)
    b.meeting("B1", "general_meeting", tomorrow)  # in the future, recorded as held
    b.meeting(
        "B1", "general_meeting", "2025-04-03", attended=12, expected=10
    )  # more than the roster
    b.meeting("B1", "sports_day", "2025-04-04")  # not a kind
    b.meeting("ZZ", "theme_day", "2025-04-05")  # no such organization
    b.meeting("B1", "theme_day", "1999-04-05")  # before the organization existed
    with pytest.raises(BundleError) as exc:
        b.load(tmp_path)
    issues = {(i.row, i.column) for i in exc.value.issues if i.file in ("meetings.csv", "组织生活")}
    assert issues == {(3, "held_on"), (4, "attended"), (5, "kind"), (6, "org_code"), (7, "held_on")}
    assert Meeting.objects.count() == 0


def test_meetings_round_trip_through_the_bundle(tmp_path):
    from dangjian.interchange.exporter import build_bundle
    from dangjian.meetings.models import Meeting

    b = LifeBundle()
    b.regular(b.branch("B1"), first="2025-01-01")
    b.load(tmp_path)
    first = build_bundle()["meetings.csv"]
    assert first.decode().splitlines()[0] == MEETING_HEAD.strip()
    n = Meeting.objects.count()
    import_bundle_dir(tmp_path / "bundle")  # the same file again: nothing new
    assert Meeting.objects.count() == n
    assert build_bundle()["meetings.csv"] == first
