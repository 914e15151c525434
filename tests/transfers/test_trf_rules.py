"""TRF-02 exactly as rules-contract.md says, on hand-made bundles with transfers.csv; the file's
checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dangjian.core import idnumber
from dangjian.interchange.importer import import_bundle_dir
from tests.compliance.test_org_rules import MEMBER_HEAD, ORG_HEAD, scan

pytestmark = pytest.mark.django_db
HEAD = "member_no,from_org_code,to_org_code,to_name,issued_on,valid_days,accepted_on\n"
ORGS = (
    "C,中共示范委员会,,committee,organ,2000-01-01\nB1,第一支部,C,branch,organ,2000-01-01\n"
    "B2,第二支部,C,branch,organ,2000-01-01\nG1,第一党小组,B1,group,organ,2000-01-01\n"
)


def load(tmp: Path, letters: list[str], n: int = 6) -> None:
    d = tmp / "bundle"
    d.mkdir(exist_ok=True)
    (d / "orgs.csv").write_text(ORG_HEAD + ORGS, encoding="utf-8")
    members = "".join(
        f"T{i},党员{i},男,1980-01-01,{idnumber.make('350203', date(1980, 1, 1), i * 2 + 1)},,"
        "B1,full,2005-01-01,2006-01-01,employed,5000.00\n"
        for i in range(1, n + 1)
    )
    (d / "members.csv").write_text(MEMBER_HEAD + members, encoding="utf-8")
    (d / "transfers.csv").write_text(HEAD + "".join(x + "\n" for x in letters), encoding="utf-8")
    import_bundle_dir(d)


def trf02(as_of: str) -> set[tuple[str, str]]:
    out = set()
    for f in scan(as_of):
        if f["rule"] == "TRF-02":
            assert (f["period"], f["severity"]) == (None, "high")
            out.add((f["org"], f["member"]))
    return out


def test_trf_02_letter_expired_without_receipt(tmp_path):
    load(
        tmp_path,
        [
            "T1,B1,B2,,2025-12-01,30,",  # valid to 2025-12-31
            "T2,B1,,厦门大学党委,2025-12-01,30,",  # leaving the deployment: same rule
            "T3,B1,B2,,2025-10-01,30,2025-10-20",  # received: never
            "T4,B1,B2,,2024-02-01,29,",  # leap year: 2024-03-01
            "T5,B1,B2,,2025-12-10,90,",  # 2026-03-10
        ],
    )
    assert trf02("2025-12-31") == {("B1", "T4")}
    assert trf02("2026-01-01") == {("B1", "T1"), ("B1", "T2"), ("B1", "T4")}
    assert trf02("2026-03-10") == {("B1", "T1"), ("B1", "T2"), ("B1", "T4")}
    assert trf02("2026-03-11") == {("B1", "T1"), ("B1", "T2"), ("B1", "T4"), ("B1", "T5")}


def test_the_sending_organization_is_the_finding_s(tmp_path):
    load(tmp_path, ["T1,B2,B1,,2025-01-01,30,"])
    assert trf02("2026-01-15") == {("B2", "T1")}


def test_bad_letters_are_refused_and_nothing_written(tmp_path):
    from dangjian.interchange.reader import BundleError
    from dangjian.transfers.models import Transfer

    with pytest.raises(BundleError) as exc:
        load(
            tmp_path,
            [
                "T1,B1,B1,,2025-12-01,30,",  # to the same organization
                "T2,B1,G1,,2025-12-01,30,",  # to a group instead of a branch
                "T3,B1,B2,,2025-12-01,200,",  # beyond the 6-month maximum
                "T4,B1,B2,,2025-12-01,30,",
                "T4,B1,B2,,2025-12-05,30,",  # already in transit
                "T5,B1,,,2025-12-01,30,",  # leaving without the receiving organization's name
                "T6,B1,B2,,2025-12-01,30,2025-11-01",  # received before issued
                "X9,B1,B2,,2025-12-01,30,",  # no such member
            ],
        )
    issues = {(i.row, i.column) for i in exc.value.issues}
    assert issues == {
        (2, "to_org_code"),
        (3, "to_org_code"),
        (4, "valid_days"),
        (6, "member_no"),
        (7, "to_name"),
        (8, "accepted_on"),
        (9, "member_no"),
    }
    assert Transfer.objects.count() == 0


def test_round_trip_and_reimport(tmp_path):
    from dangjian.interchange.exporter import build_bundle
    from dangjian.transfers.models import Transfer

    load(tmp_path, ["T1,B1,B2,,2025-12-01,30,", "T2,B1,,厦门大学党委,2025-10-01,90,2025-10-20"])
    first = build_bundle()["transfers.csv"]
    assert first.decode().splitlines()[1:] == [
        "T1,B1,B2,,2025-12-01,30,",
        "T2,B1,,厦门大学党委,2025-10-01,90,2025-10-20",
    ]
    import_bundle_dir(tmp_path / "bundle")
    assert Transfer.objects.count() == 2
    assert build_bundle()["transfers.csv"] == first
