"""EDU-01 exactly as rules-contract.md says, on hand-made bundles with study.csv; study.csv's checks
and round trip; EDU-00 reminders from October; the training clauses judge only deployments that
record trainings."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dangjian.core import idnumber
from dangjian.interchange.importer import import_bundle_dir
from dangjian.interchange.reader import BundleError
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD, POST_HEAD, scan

pytestmark = pytest.mark.django_db
ORGS = (
    "C,中共示范委员会,,committee,organ,2000-01-01\n"
    "B1,第一支部,C,branch,organ,2000-01-01\n"
    "B2,新建支部,C,branch,organ,2025-03-01\n"
)


def load(
    tmp: Path, study: list[str], members: list[tuple[str, str, str]] | None = None, posts: str = ""
) -> Path:
    d = tmp / "bundle"
    d.mkdir(exist_ok=True)
    (d / "orgs.csv").write_text(ORG_HEAD + ORGS, encoding="utf-8")
    people = members or [
        ("S1", "B1", "2010-01-01"),
        ("S2", "B1", "2010-01-01"),
        ("S3", "B1", "2025-01-01"),
        ("S4", "B1", "2025-01-02"),
        ("S5", "B2", "2010-01-01"),
        ("S6", "B1", "2010-01-01"),
    ]
    rows = "".join(
        f"{no},党员{i},男,1980-01-01,{idnumber.make('350203', date(1980, 1, 1), i * 2 + 1)},,"
        f"{org},full,{joined},"
        f"{int(joined[:4]) + 1}{joined[4:]},employed,5000.00\n"
        for i, (no, org, joined) in enumerate(people, 1)
    )
    (d / "members.csv").write_text(MEMBER_HEAD + rows, encoding="utf-8")
    (d / "study.csv").write_text(
        "member_no,year,hours\n" + "".join(x + "\n" for x in study), encoding="utf-8"
    )
    if posts:
        (d / "posts.csv").write_text(POST_HEAD + posts, encoding="utf-8")
    import_bundle_dir(d)
    return d


def edu(as_of: str, rule: str = "EDU-01") -> set[tuple[str, str, str | None]]:
    out = set()
    for f in scan(as_of):
        if f["rule"] == rule:
            assert f["severity"] == ("info" if rule == "EDU-00" else "warn")
            out.add((f["org"], f["member"], f["period"]))
    return out


def test_edu_01_exactly_as_the_contract_says(tmp_path):
    load(
        tmp_path,
        [
            "S1,2025,32",  # exactly 32: fine
            "S2,2025,31.9",  # below
            "S3,2025,0",  # joined 2025-01-01: a member the whole year → judged (0 < 32)
            "S4,2025,10",  # joined 2025-01-02: not the whole year → not judged
            "S5,2025,0",  # the branch was established 2025-03-01 → not judged
            "S1,2024,40",
            "S2,2024,40",
            "S6,2024,32",  # S6 has no 2025 row: 0 hours
        ],
    )
    assert edu("2025-12-31") == set()  # 2025 not complete yet; 2024 fine for all who have rows
    assert edu("2026-01-01") == {("B1", "S2", "2025"), ("B1", "S3", "2025"), ("B1", "S6", "2025")}
    # the window: 24 months before D's month → 2026-06-15 looks from 2024-06-01: 2024 no longer
    assert edu("2026-06-15") == edu("2026-01-01")
    # 2024 inside the window: S3 and S4 were not members then; everyone else had 32 or more
    assert {f for f in edu("2026-01-01") if f[2] == "2024"} == set()


def test_no_row_is_zero_hours_for_each_year(tmp_path):
    load(tmp_path, ["S1,2024,32"], members=[("S1", "B1", "2010-01-01")])
    assert edu("2026-01-15") == {("B1", "S1", "2025")}
    # D = 2025-01-15 looks from 2023-01-01: 2023 (no row) is judged, 2024 has 32
    assert edu("2025-01-15") == {("B1", "S1", "2023")}


def test_leaders_need_56_and_reminders_from_october(tmp_path):
    load(
        tmp_path,
        ["S1,2024,60", "S2,2024,40", "S1,2025,50", "S2,2025,60", "S1,2026,20", "S2,2026,40"],
        posts="B1,S1,secretary\n",
        members=[("S1", "B1", "2010-01-01"), ("S2", "B1", "2010-01-01")],
    )
    assert edu("2026-01-10", "EDU-02") == {("B1", "S1", "2025")}
    assert edu("2026-01-10") == set()  # 50 hours is enough for EDU-01
    assert edu("2026-09-30", "EDU-00") == set()
    assert edu("2026-10-01", "EDU-00") == {
        ("B1", "S1", None)
    }  # the secretary has 20 of 56; S2 has 40 of 32


def test_study_csv_is_checked_all_or_nothing(tmp_path):
    with pytest.raises(BundleError) as exc:
        load(
            tmp_path,
            ["S1,2025,32", "NOPE,2025,3", "S2,1999,3", "S2,2025,-1", "S2,2024,3.25", "S1,2025,40"],
        )
    reasons = {
        (i.row, i.column): i.reason
        for i in exc.value.issues
        if "study" in i.file or "学时" in i.file
    }
    assert "不存在" in reasons[(3, "member_no")]
    assert "年度" in reasons[(4, "year")]
    assert "学时" in reasons[(5, "hours")] and "学时" in reasons[(6, "hours")]  # noqa: PT018
    assert "重复" in reasons[(7, None)]
    from dangjian.members.models import Member

    assert not Member.objects.exists()


def test_round_trip_keeps_the_totals(tmp_path):
    from dangjian.interchange.exporter import build_bundle

    load(
        tmp_path,
        ["S1,2025,32", "S2,2025,31.5"],
        members=[("S1", "B1", "2010-01-01"), ("S2", "B1", "2010-01-01")],
    )
    first = build_bundle()
    assert first["study.csv"].decode().splitlines()[1:] == ["S1,2025,32", "S2,2025,31.5"]
    out = tmp_path / "again"
    out.mkdir()
    for name, data in first.items():
        (out / name).write_bytes(data)
    import_bundle_dir(out)
    assert build_bundle() == first
